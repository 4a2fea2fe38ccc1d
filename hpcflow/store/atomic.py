"""Atomic publication of files: readers see the old file or the new one, never a part."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from hpcflow.errors import DamagedFileError


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it: put it straight back
    os.umask(mask)
    return mask


UMASK = _umask()  # read once: files honour the user's umask, as open() would give them


def temp_beside(path: Path) -> tuple[int, str]:
    """A new file of mode 0600 in `path`'s folder, open for writing, as tempfile.mkstemp makes it (exclusive
    create of a random name, links not followed), without tempfile's imports in every element."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def write_bytes(path: Path, data: bytes, *, fsync: bool = False, mode: int | None = None) -> None:
    """Write `data` to a temp file beside `path`, then rename it over `path`. The file gets
    `mode` (default 0o666) less the umask, as a plain open() would: mkstemp alone makes it 0600,
    which a colleague sharing the folder could not read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_beside(path)
    try:
        os.fchmod(fd, (0o666 if mode is None else mode) & ~UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_files(files: dict[Path, bytes], *, mode: int | None = None) -> None:
    """write_bytes of each path -> data."""
    for path, data in files.items():
        write_bytes(path, data, mode=mode)


def write_json(path: Path, obj: Any, *, fsync: bool = False) -> None:
    """Atomically write `obj` as JSON."""
    write_bytes(path, json.dumps(obj, indent=1, sort_keys=False).encode(), fsync=fsync)


def write_json_compact(path: Path, obj: Any) -> None:
    """Atomically write `obj` as JSON without indentation (records read by programs, many per run)."""
    write_bytes(path, json.dumps(obj, separators=(",", ":")).encode())


def read_json(path: Path, default: Any = None) -> Any:
    """The JSON in `path`, or `default` when the file does not exist."""
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return default
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, or nested past the parser's depth
        raise damaged(path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    except IsADirectoryError:
        raise damaged(path, "a folder where a file was expected") from None


def damaged(path: Path, reason: str) -> DamagedFileError:
    """The one-line error for a record that is not what hpcflow wrote."""
    return DamagedFileError(f"{path} is damaged ({reason[:120]}); restore it, or remove the run that holds it")


def read_object(path: Path, default: Any = None) -> Any:
    """read_json of a file that must hold a JSON object (a record); DamagedFileError when it does not."""
    obj = read_json(path, default)
    if obj is not default and not isinstance(obj, dict):
        raise damaged(path, f"a JSON {type(obj).__name__} where an object was expected")
    return obj


def read_jsons(paths: Iterable[Path], default: Any = None) -> list[Any]:
    """read_json of each path, in order."""
    return [read_json(path, default) for path in paths]
