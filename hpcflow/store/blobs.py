"""Content-addressed storage of large values (numpy arrays) in sharded folders."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

from hpcflow.store.atomic import write_bytes


def array_digest(array: np.ndarray) -> str:
    """A hash of dtype, shape and the raw buffer (no copy for contiguous arrays)."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{array.dtype.str}|{array.shape}|".encode())
    h.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    return h.hexdigest()


class BlobStore:
    """Arrays stored once by content hash under `root/<2 hex>/<hash>.npy`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Where the blob with this key lives."""
        return self.root / key[:2] / f"{key}.npy"

    def put_array(self, array: np.ndarray) -> str:
        """Store an array (if not already there) and return its key."""
        key = array_digest(array)
        target = self.path(key)
        if not target.exists():
            buf = io.BytesIO()
            np.save(buf, array, allow_pickle=False)
            write_bytes(target, buf.getvalue())
        return key

    def get_array(self, key: str) -> np.ndarray:
        """Load the array stored under `key`."""
        return np.load(self.path(key), allow_pickle=False)
