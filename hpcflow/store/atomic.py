"""Atomic publication of files: readers see the old file or the new one, never a part."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_bytes(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Write `data` to a temp file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any, *, fsync: bool = False) -> None:
    """Atomically write `obj` as JSON."""
    write_bytes(path, json.dumps(obj, indent=1, sort_keys=False).encode(), fsync=fsync)


def read_json(path: Path, default: Any = None) -> Any:
    """The JSON in `path`, or `default` when the file does not exist."""
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return default
