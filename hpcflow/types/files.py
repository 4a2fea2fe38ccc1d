"""File and Directory values: passed by path on the shared filesystem, cached by content."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterator

from hpcflow.config import hpcflow_home
from hpcflow.errors import InputError

URL_SCHEMES = ("http://", "https://")


def format_name(item: Any) -> str:
    """The format a `File[...]` subscript names: a string or a TypeVar (`File[TypeVar("csv")]`), without
    a leading dot or ~, as flytekit reads it."""
    name = getattr(item, "__name__", item)
    if not isinstance(name, str):
        raise InputError(f"File[{item!r}]: a format is a name such as File['csv'] or File[TypeVar('csv')]")
    return name.strip().lstrip("~").lstrip(".")


@functools.lru_cache(maxsize=None)
def _with_format(cls: type, fmt: str) -> type:
    # One class per format, so File["csv"] is File["csv"]; its qualname stays the base's, so that a
    # stored value names a class the codec finds (the format travels as the value's `format` field).
    return type(f"{cls.__name__}[{fmt}]", (cls,), {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                                                   "default_format": fmt, "__doc__": cls.__doc__})


class _Formatted:
    """What File and Directory share: a format (`File["csv"]`, flytekit's FlyteFile[...]), equality by
    path and format, str() as the path, and `downloaded` once the path has been handed out."""

    default_format: ClassVar[str] = ""
    path: str
    format: str

    def __class_getitem__(cls, item: Any) -> type:
        fmt = format_name(item) if item is not None else ""
        return _with_format(cls, fmt) if fmt else cls

    def _set_format(self) -> None:
        if not self.format and self.default_format:
            object.__setattr__(self, "format", self.default_format)

    @classmethod
    def extension(cls) -> str:
        """The format a class names (File["csv"].extension() == "csv"), as flytekit's."""
        return cls.default_format

    @property
    def downloaded(self) -> bool:
        """True once the path has been used (os.fspath, open, download()): flytekit's flag for a local copy."""
        return bool(getattr(self, "_used", False))

    def _mark_used(self) -> None:
        object.__setattr__(self, "_used", True)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Formatted):
            return isinstance(self, File) == isinstance(other, File) and \
                (self.path, self.format) == (other.path, other.format)
        return self.path == other

    def __hash__(self) -> int:
        return hash(self.path)

    def __str__(self) -> str:
        return self.path


def _new_path(name: str | None) -> str:
    """A path no one uses yet, on the shared filesystem (~/.hpcflow/new/), for a task to write to."""
    folder = hpcflow_home() / "new" / os.urandom(16).hex()  # a uuid4's randomness, without uuid's imports
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / (name or os.urandom(6).hex()))


@dataclass(frozen=True, eq=False)
class File(_Formatted):
    """A file on the shared filesystem (flytekit's FlyteFile). Its cache key is its content.

    An http(s) URL is fetched when the file is first opened (as flytekit downloads a remote
    FlyteFile), once per user into ~/.hpcflow/downloads; its cache key is the URL. `remote_path`,
    a local path, receives a copy (flytekit uploads there); object stores have no place here."""

    path: str
    remote_path: str | None = field(default=None, compare=False, repr=False)
    format: str = field(default="", repr=False)  # File["csv"]'s; "" for a plain File

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", os.fspath(self.path))
        self._set_format()
        if self.remote_path and Path(self.remote_path.removeprefix("file://")).resolve() != Path(self.path).resolve():
            if "://" in self.remote_path and not self.remote_path.startswith("file://"):
                raise InputError(f"File(remote_path={self.remote_path!r}): hpcflow keeps files on the shared "
                                 "filesystem; give a path there, or leave remote_path out")
            target = Path(self.remote_path.removeprefix("file://"))
            target.parent.mkdir(parents=True, exist_ok=True)
            import shutil  # here, not above: every element imports this module, few copy a file

            shutil.copyfile(self.path, target)
            object.__setattr__(self, "path", str(target))

    @property
    def is_url(self) -> bool:
        """True when the file is an http(s) URL, fetched on first use."""
        return self.path.startswith(URL_SCHEMES)

    def __fspath__(self) -> str:
        self._mark_used()
        return str(fetched(self.path)) if self.is_url else self.path

    @classmethod
    def new_remote_file(cls, name: str | None = None, alt: str | None = None) -> "File":
        """A new file for a task to write (flytekit's: a fresh remote path): a path no one uses yet on the
        shared filesystem, under ~/.hpcflow/new/ (`alt`, flytekit's other object store, has no place here)."""
        if alt is not None:
            raise InputError("File.new_remote_file(alt=...): hpcflow keeps files on the shared filesystem; leave "
                             "alt out, or make File(path) where you want it")
        return cls(_new_path(name))

    def download(self) -> str:
        """The local path of the file (a URL is fetched first), as flytekit's download()."""
        return self.__fspath__()

    def open(self, mode: str = "r"):  # type: ignore[no-untyped-def]
        """Open the file."""
        return open(self.__fspath__(), mode)


def fetched(url: str) -> Path:
    """The local copy of an http(s) URL, fetched the first time (atomically: a copy is whole or absent)."""
    import hashlib
    import shutil
    import tempfile

    folder = hpcflow_home() / "downloads" / hashlib.sha256(url.encode()).hexdigest()[:24]
    target = folder / (os.path.basename(url.split("?")[0].rstrip("/")) or "download")
    if target.exists():
        return target
    import urllib.request  # 25 ms of imports (http, ssl, email): only for a file that is a URL

    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - http(s) only
            shutil.copyfileobj(response, out)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot fetch {url} ({exc}); where compute nodes have no network, download it on the "
                         "login node and pass its path") from None
    return target


@dataclass(frozen=True, eq=False)
class Directory(_Formatted):
    """A directory on the shared filesystem (flytekit's FlyteDirectory). Cached by its whole tree.

    `remote_directory`, a local path, receives a copy of the tree, which the value then names (as
    flytekit uploads there); object stores have no place here."""

    path: str
    remote_directory: str | None = field(default=None, compare=False, repr=False)
    format: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", os.fspath(self.path))
        self._set_format()
        if self.remote_directory:
            if "://" in self.remote_directory and not self.remote_directory.startswith("file://"):
                raise InputError(f"Directory(remote_directory={self.remote_directory!r}): hpcflow keeps directories "
                                 "on the shared filesystem; give a path there, or leave remote_directory out")
            target = Path(self.remote_directory.removeprefix("file://"))
            if target.resolve() != Path(self.path).resolve():
                import shutil

                shutil.copytree(self.path, target, dirs_exist_ok=True)
            object.__setattr__(self, "path", str(target))

    def __fspath__(self) -> str:
        self._mark_used()
        return self.path

    @classmethod
    def new_remote(cls, stem: str | None = None, alt: str | None = None) -> "Directory":
        """A new, empty directory for a task to fill (flytekit's), under ~/.hpcflow/new/."""
        if alt is not None:
            raise InputError("Directory.new_remote(alt=...): hpcflow keeps directories on the shared filesystem; "
                             "leave alt out")
        path = _new_path(stem)
        os.makedirs(path, exist_ok=True)
        return cls(path)

    def download(self) -> str:
        """The local path of the directory, as flytekit's download()."""
        return self.__fspath__()

    def crawl(self, maxdepth: int | None = None, topdown: bool = True) -> Iterator[tuple[str, str]]:
        """(the directory's path, a file's path relative to it) for every file below it, as flytekit's
        crawl; nothing for a path that is not a directory."""
        base = self.path
        for root, dirs, names in os.walk(base, topdown=topdown):
            depth = os.path.relpath(root, base).count(os.sep) + (root != base)
            if maxdepth is not None and depth >= maxdepth:
                dirs[:] = []
            for name in sorted(names):
                yield base, os.path.relpath(os.path.join(root, name), base)

    def files(self) -> list[str]:
        """Paths of all files below the directory, sorted."""
        return sorted(os.path.join(root, f) for root, _, names in os.walk(self.path) for f in names)
