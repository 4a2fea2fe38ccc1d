"""Content-addressed storage of large values (numpy arrays) in sharded folders."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from hpcflow.store.hashing import array_digest
from hpcflow.store.atomic import write_bytes


class BlobStore:
    """Arrays stored once by content hash under `root/<2 hex>/<hash>.npy`."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._root = str(self.root)

    def path(self, key: str) -> Path:
        """Where the blob with this key lives."""
        return Path(self.file(key))

    def file(self, key: str) -> str:
        """The same, as a plain string (cheaper on hot paths)."""
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
        return key

    def get_array(self, key: str) -> Any:
        """Load the array stored under `key`."""
        import numpy as np

        return np.load(self.file(key), allow_pickle=False)
