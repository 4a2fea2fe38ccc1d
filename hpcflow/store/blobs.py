"""Content-addressed storage of large values (numpy arrays, pickles) in sharded folders."""
from __future__ import annotations

import io
import os
import re
import stat
from pathlib import Path
from typing import Any

from hpcflow.errors import HpcflowError
from hpcflow.store.hashing import array_digest, digest
from hpcflow.store.atomic import write_bytes
from hpcflow.store.packs import PackWriter, read_packed

PICKLE_SUFFIX = ".pkl"  # a pickle's key carries its suffix; an array's key is its bare hash (.npy on disk)
KEY = re.compile(r"[0-9a-f]{64}(?:\.pkl)?\Z")  # a SHA-256 digest: a stored key is data and may be hostile


class DamagedBlobError(HpcflowError, ValueError):
    """A blob's bytes do not match the hash it is stored under: damaged, or planted by someone else."""


class PickleRefusedError(ValueError):
    """A pickle that this store does not load: it belongs to someone else's data (store/codec.py)."""


class BlobStore:
    """Arrays stored once by content hash under `root/<2 hex>/<hash>.npy`, pickles under `<hash>.pkl`."""

    def __init__(self, root: Path, unpickle: bool = True, owner: str = ""):
        """`unpickle=False` (a store of someone else's, `owner`) refuses to load pickles."""
        self.root = Path(root)
        self._root = str(self.root)
        self.unpickle, self.owner = unpickle, owner
        self.pack: PackWriter | None = None  # while set, arrays go into this HDF5 pack (store/packs.py)

    def packing(self, pack: PackWriter | None) -> None:
        """Put arrays into `pack` from now on (None: each into its own .npy, by content hash)."""
        self.pack = pack

    def pack_writer(self, name: str) -> PackWriter:
        """A writer of the pack `name` (a path relative to the store, e.g. packs/n1/3.h5)."""
        return PackWriter(self.root / name, name)

    def array_ref(self, array: Any) -> dict[str, str]:
        """Store an array and return its reference: {"$ndarray": hash}, and the pack holding it, if one."""
        if self.pack is None:
            return {"$ndarray": self.put_array(array)}
        key = array_digest(array)
        self.pack.put(key, array)
        return {"$ndarray": key, "pack": self.pack.name}

    def get_ref(self, ref: dict[str, Any]) -> Any:
        """The array a reference from array_ref() names."""
        if ref.get("pack"):
            return read_packed(self.root / ref["pack"], ref["$ndarray"])
        return self.get_array(ref["$ndarray"])

    def path(self, key: str) -> Path:
        """Where the blob with this key lives."""
        return Path(self.file(key))

    def file(self, key: str) -> str:
        """The same, as a plain string (cheaper on hot paths)."""
        if not isinstance(key, str) or not KEY.match(key):  # never a path: ../ would leave the store
            raise DamagedBlobError(f"{str(key)[:80]!r} is not a blob key (a SHA-256 digest); the record that "
                                   "holds it is damaged: rerun the task that wrote it")
        if key.endswith(PICKLE_SUFFIX):
            return f"{self._root}/{key[:2]}/{key}"
        return f"{self._root}/{key[:2]}/{key}.npy"

    def put_array(self, array: Any) -> str:
        """Store an array (if not already there) and return its key."""
        key = array_digest(array)
        target = self.path(key)
        if not target.exists():
            buf = io.BytesIO()
            import numpy as np

            np.save(buf, array, allow_pickle=False)
            write_bytes(target, buf.getvalue(), fsync=True)
            _read_only(target)
        return key

    def get_array(self, key: str) -> Any:
        """Load the array stored under `key`."""
        import numpy as np

        try:
            array = np.load(self.file(key), allow_pickle=False)
        except FileNotFoundError:
            raise DamagedBlobError(f"array {key[:12]} is missing from {self.root}; rerun the task that wrote it") from None
        except ValueError as exc:  # not an .npy any more
            raise DamagedBlobError(f"array {key[:12]} in {self.root} cannot be read ({exc}); rerun the task that "
                                   "wrote it") from None
        # a blob may be shared (hard links between runs and the cache): one changed in place, even at the same
        # size, must not become another run's answer
        if array_digest(array) != key:
            raise DamagedBlobError(f"array {key[:12]} in {self.root} does not match its hash (changed after it was "
                                   "written); rerun the task that wrote it")
        return array

    def array_intact(self, key: str) -> bool:
        """True when the array stored under `key` is there and matches its hash."""
        try:
            self.get_array(key)
        except DamagedBlobError:
            return False
        return True

    def put_pickle(self, value: Any) -> str:
        """Pickle a value into the store (if not already there) and return its key, `<hash>.pkl`."""
        import pickle  # here and below: few values are pickled, and every element imports this module

        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        key = digest(data) + PICKLE_SUFFIX
        target = self.path(key)
        if not target.exists():
            write_bytes(target, data, fsync=True)
            _read_only(target)
        return key

    def intact(self, key: str) -> bool:
        """True when the pickle stored under `key` matches its hash."""
        return self._read_pickle(key) is not None

    def _read_pickle(self, key: str) -> bytes | None:
        try:
            with open(self.file(key), "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise DamagedBlobError(f"pickle {key[:12]} is missing from {self.root}; rerun the task that wrote it") from None
        return data if digest(data) + PICKLE_SUFFIX == key else None

    def get_pickle(self, key: str) -> Any:
        """Unpickle the value stored under `key`, once its bytes match the key's hash. Unpickling runs
        code the pickle names: call this only for the reading user's own data (store/codec.py)."""
        if not self.unpickle:
            raise PickleRefusedError(f"a pickled value in {self.owner or 'a store that is not yours'} is not loaded: "
                                     "unpickling runs code, so pickles are read only from your own runs and entries")
        data = self._read_pickle(key)
        if data is None:
            raise DamagedBlobError(f"pickle {key[:12]} does not match its hash (damaged or replaced); it is not loaded")
        import pickle

        return pickle.loads(data)  # noqa: S301 - the caller's own data, checked against its hash


def _read_only(path: Path) -> None:
    """A blob never changes once written (its name is its content's hash, and runs and the cache share it by
    hard link): no write bits, so an editor or a script cannot change it in place by accident."""
    try:
        os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) & ~0o222)
    except OSError:
        pass  # another user's blob, or a filesystem without modes: reads still check the hash
