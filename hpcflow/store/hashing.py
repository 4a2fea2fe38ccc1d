"""Content hashes of task inputs: canonical JSON for plain values, buffers for arrays,
bytes for files and directories, and a user hook for registered types."""
from __future__ import annotations

import dataclasses
import enum
import json
import os
import stat
from typing import Any, Mapping

from hpcflow.errors import InputError
from hpcflow.types.check import is_namedtuple
from hpcflow.types.custom import custom_type
from hpcflow.types.files import Directory, File
from hpcflow.types.lazy_numpy import is_array, is_numpy_scalar

_CHUNK = 1 << 20


def _sha256() -> Any:
    """A new SHA-256. hashlib loads OpenSSL (a few ms): every element imports this module, and only
    one that caches or stores a blob hashes anything."""
    import hashlib

    return hashlib.sha256()


def digest(data: bytes | memoryview) -> str:
    """The hash used everywhere in the cache: SHA-256, which CPUs with SHA extensions run at
    about twice BLAKE2b's speed (bench/cache.py measures both)."""
    h = _sha256()
    h.update(data)
    return h.hexdigest()


def array_digest(array: Any) -> str:
    """Hash of dtype, shape and the raw buffer; contiguous arrays are hashed without a copy."""
    h = _sha256()
    h.update(f"{array.dtype.str}|{array.shape}|".encode())
    data = array if array.flags.c_contiguous else array.copy(order="C")
    h.update(memoryview(data).cast("B"))
    return h.hexdigest()


def file_digest(path: str | os.PathLike) -> str:
    """Hash of a regular file's bytes, read in 1 MiB pieces.

    Opened without blocking and checked before it is read: a FIFO would wait for a writer and
    /dev/zero never ends, so anything but a regular file is an InputError naming it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(f"{os.fspath(path)}: no such file; give the path of an existing file") from None
    except IsADirectoryError:
        raise InputError(f"{os.fspath(path)} is a folder, not a file; pass it as a Directory") from None
    except OSError as exc:
        raise InputError(f"{os.fspath(path)}: cannot be read ({exc.strerror}); check its permissions") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise InputError(f"{os.fspath(path)} is a folder, not a file; pass it as a Directory")
        raise InputError(f"{os.fspath(path)} is not a regular file (a device, FIFO or socket); "
                         "inputs are hashed by content, so give a regular file")
    with open(fd, "rb", closefd=True) as fh:
        h = _sha256()
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def directory_digest(path: str | os.PathLike) -> str:
    """Hash of a directory tree: every file's relative path and content hash."""
    root = os.fspath(path)
    entries = [(os.path.relpath(f, root), file_digest(f)) for f in Directory(root).files()]
    return digest(json.dumps(entries).encode())


def canonical(value: Any) -> Any:
    """A JSON-able stand-in for `value` in which large or external things are their hashes."""
    if isinstance(value, enum.Enum):
        return {"$enum": type(value).__qualname__, "v": canonical(value.value)}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"$f": value.hex()}  # exact, and distinct from ints
    if is_array(value):
        return {"$ndarray": array_digest(value)}
    if is_numpy_scalar(value):
        return canonical(value.item())
    if isinstance(value, File):
        return {"$url": value.path} if value.is_url else {"$file": file_digest(value.path)}
    if isinstance(value, Directory):
        return {"$dir": directory_digest(value.path)}
    custom = custom_type(type(value))
    if custom is not None:
        hashed = custom.hash(value) if custom.hash else json.dumps(custom.to_json(value), sort_keys=True)
        return {"$custom": f"{custom.cls.__qualname__}:{digest(hashed.encode() if isinstance(hashed, str) else hashed)}"}
    if is_namedtuple(type(value)):
        return {"$nt": type(value).__qualname__, "f": {k: canonical(v) for k, v in value._asdict().items()}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"$dc": type(value).__qualname__,
                "f": {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        if all(type(k) is str for k in value):
            return {"$d": [[k, canonical(v)] for k, v in sorted(value.items())]}
        items = sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=_json)
        return {"$kd": items}  # keys by their canonical form: {1: ...} and {"1": ...} differ
    if isinstance(value, (set, frozenset)):  # its order varies between processes (hash randomisation)
        return {"$set": sorted((canonical(v) for v in value), key=_json)}
    import pickle  # few values are keyed by their pickle

    try:  # what travels as a pickle is keyed by its pickle (register_type the class for a better key)
        return {"$pickle": digest(pickle.dumps(value, protocol=4))}
    except Exception as exc:
        raise TypeError(f"cannot hash a value of type {type(value).__name__} ({exc}); "
                        "register it with hpcflow.register_type") from None


def _json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def value_digests(values: Mapping[str, Any]) -> dict[str, str]:
    """value_digest() of each named value."""
    return {name: value_digest(value) for name, value in values.items()}


def value_digest(value: Any) -> str:
    """The content hash of one input value."""
    if is_array(value):
        return array_digest(value)
    return digest(json.dumps(canonical(value), sort_keys=True, separators=(",", ":")).encode())
