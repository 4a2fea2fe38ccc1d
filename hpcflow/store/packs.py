"""Array outputs of one array task in one HDF5 file (h5py), not one .npy per element.

    blobs/packs/<job>/<task>.h5          the arrays the task's elements returned, one dataset each
    blobs/packs/<job>/<task>.<part>.h5   a worker process's, while a batch runs on several

The writer is the task's process (or one worker of its batch), as for its records
(runtime/records.py); it keeps the task's arrays and publishes the whole file atomically (a temp
file beside it, then rename) just before the records that name it, so a reader never opens a
file that is being written, and h5py's file locks are never needed. Datasets are named by the
array's content hash, so an array returned twice is stored once. Readers open a pack once per
process and read a dataset when a value is decoded: a consumer of a map's N arrays opens one file
per array task.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hpcflow.store.atomic import UMASK, temp_beside


class PackWriter:
    """This process's arrays for one HDF5 pack; published by flush()."""

    def __init__(self, path: Path, name: str):
        self.path, self.name = Path(path), name  # name: the pack's path relative to the blob store
        self.arrays: dict[str, Any] = {}
        self.dirty = False

    def put(self, key: str, array: Any) -> None:
        """Keep an array for the pack, under its content hash."""
        if key not in self.arrays:
            self.arrays[key] = array
            self.dirty = True

    def flush(self) -> None:
        """Publish the pack with every array kept so far (before the records that name them)."""
        if not self.dirty:
            return
        import h5py

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = temp_beside(self.path)
        os.close(fd)
        try:
            with h5py.File(tmp, "w", locking=False) as fh:
                for key, array in self.arrays.items():
                    fh.create_dataset(key, data=array)
            os.chmod(tmp, 0o666 & ~UMASK)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _OPEN.pop(str(self.path), None)  # this process may have read the pack before: read the new one
        self.dirty = False


_OPEN: dict[str, Any] = {}  # packs this process has open, by path
_MAX_OPEN = 64


def read_packed(path: Path, key: str) -> Any:
    """The array stored under `key` in the pack at `path` (the file opened once per process; again when
    the array is not in the copy opened, as the pack was published again since)."""
    import h5py

    name = str(path)
    for fresh in (False, True):
        if fresh or name not in _OPEN:
            old = _OPEN.pop(name, None)
            if old is not None:
                old.close()
            if len(_OPEN) >= _MAX_OPEN:
                _OPEN.pop(next(iter(_OPEN))).close()
            _OPEN[name] = h5py.File(name, "r", locking=False)
        if key in _OPEN[name]:
            return _OPEN[name][key][()]
    raise KeyError(f"array {key[:12]} is not in {name}")
