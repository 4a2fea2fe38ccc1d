"""Flyte 2's flyte.io.File and flyte.io.Dir: references to a file or folder on the shared filesystem.

They are hpcflow's File and Directory (so the cache hashes them by content and runs pass them by
path) with Flyte 2's methods. Flyte 2 uploads to a blob store; here "remote" is a path of the
shared filesystem: `from_local` keeps the file where it is (or copies it to `remote_destination`),
`new_remote` names a fresh path in the run's data folder (~/.hpcflow/data/<run>), and `download`
gives the path, or a copy at `local_path`.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Iterator, Optional, Union

from hpcflow.config import hpcflow_home
from hpcflow.errors import InputError
from hpcflow.sdk.flyte2.action import ctx
from hpcflow.types import files

PathLike = Union[str, Path]


def _fresh_path(name: Optional[str] = None) -> Path:
    """A new path in the running task's run's data folder (one folder per call, so names never clash)."""
    run = ctx().action.run_name if ctx() else "outside-runs"
    folder = hpcflow_home() / "data" / run / uuid.uuid4().hex[:16]
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (name or "file")


def _plain_path(path: str) -> str:
    if "://" in path and not path.startswith("file://"):
        raise InputError(f"{path}: hpcflow keeps data on the shared filesystem; give a path there")
    return path.removeprefix("file://")


class _AsyncFile:
    """A file object whose read and write are awaitable, as flyte.io's open() gives."""

    def __init__(self, handle: Any):
        self.handle = handle

    async def read(self, size: int = -1) -> Any:
        return self.handle.read(size)

    async def readline(self) -> Any:
        return self.handle.readline()

    async def readlines(self) -> list[Any]:
        return self.handle.readlines()

    async def writelines(self, lines: Any) -> None:
        self.handle.writelines(lines)

    async def seek(self, offset: int, whence: int = 0) -> int:
        return self.handle.seek(offset, whence)

    async def tell(self) -> int:
        return self.handle.tell()

    async def flush(self) -> None:
        self.handle.flush()

    async def write(self, data: Any) -> int:
        return self.handle.write(data)

    async def close(self) -> None:
        self.handle.close()

    def __aiter__(self) -> "_AsyncFile":
        return self

    async def __anext__(self) -> Any:
        line = self.handle.readline()
        if not line:
            raise StopAsyncIteration
        return line

    async def __aenter__(self) -> "_AsyncFile":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.handle.close()


@dataclass(frozen=True)
class File(files.File):
    """Flyte 2's File: a file on the shared filesystem (File[T] names its format, as in flyte)."""

    name: Optional[str] = None
    format: str = ""
    hash: Optional[str] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", _plain_path(str(self.path)))
        if self.name is None:
            object.__setattr__(self, "name", os.path.basename(self.path))
        super().__post_init__()

    def __class_getitem__(cls, item: Any) -> type:
        return cls

    @classmethod
    async def from_local(cls, local_path: PathLike, remote_destination: Optional[str] = None, **_: Any) -> "File":
        """A File of a local file (copied to `remote_destination` when given)."""
        return cls.from_local_sync(local_path, remote_destination)

    @classmethod
    def from_local_sync(cls, local_path: PathLike, remote_destination: Optional[str] = None, **_: Any) -> "File":
        """A File of a local file (copied to `remote_destination` when given)."""
        if not Path(local_path).is_file():
            raise InputError(f"File.from_local: {local_path} is not a file")
        if remote_destination:
            target = Path(_plain_path(remote_destination))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local_path, target)
            return cls(path=str(target))
        return cls(path=str(Path(local_path).resolve()))

    @classmethod
    def from_existing_remote(cls, remote_path: str, file_cache_key: Optional[str] = None) -> "File":
        """A File of a path that exists already."""
        return cls(path=remote_path, hash=file_cache_key)

    @classmethod
    def new_remote(cls, file_name: Optional[str] = None, hash_method: Any = None) -> "File":
        """A File at a fresh path, for the task to write (`open("wb")`)."""
        return cls(path=str(_fresh_path(file_name)))

    @classmethod
    def named_remote(cls, name: str) -> "File":
        """A File at a fresh path with this name."""
        return cls(path=str(_fresh_path(name)))

    def open(self, mode: str = "rb", **_: Any) -> _AsyncFile:
        """`async with f.open("rb") as fh: await fh.read()`."""
        if any(c in mode for c in "wa"):
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        return _AsyncFile(open(self.__fspath__(), mode))

    def open_sync(self, mode: str = "rb", **_: Any) -> Any:
        """`with f.open_sync("rb") as fh: fh.read()`."""
        if any(c in mode for c in "wa"):
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        return open(self.__fspath__(), mode)

    async def exists(self) -> bool:
        """True when the file is there."""
        return self.exists_sync()

    def exists_sync(self) -> bool:
        """True when the file is there."""
        return Path(self.__fspath__()).is_file()

    async def download(self, local_path: Optional[PathLike] = None) -> str:
        """The file's local path (a copy at local_path when given)."""
        return await asyncio.to_thread(self.download_sync, local_path)

    def download_sync(self, local_path: Optional[PathLike] = None) -> str:  # type: ignore[override]
        """The file's local path (a copy at local_path when given)."""
        source = self.__fspath__()
        if local_path is None:
            return source
        target = Path(local_path)
        if target.is_dir():
            target = target / os.path.basename(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return str(target)


@dataclass(frozen=True)
class Dir(files.Directory):
    """Flyte 2's Dir: a folder on the shared filesystem."""

    name: Optional[str] = None
    format: str = ""
    hash: Optional[str] = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", _plain_path(str(self.path)))
        if self.name is None:
            object.__setattr__(self, "name", os.path.basename(self.path.rstrip("/")))

    def __class_getitem__(cls, item: Any) -> type:
        return cls

    @classmethod
    async def from_local(cls, local_path: PathLike, remote_destination: Optional[str] = None, **_: Any) -> "Dir":
        """A Dir of a local folder (copied to `remote_destination` when given)."""
        return cls.from_local_sync(local_path, remote_destination)

    @classmethod
    def from_local_sync(cls, local_path: PathLike, remote_destination: Optional[str] = None, **_: Any) -> "Dir":
        """A Dir of a local folder (copied to `remote_destination` when given)."""
        if not Path(local_path).is_dir():
            raise InputError(f"Dir.from_local: {local_path} is not a folder")
        if remote_destination:
            target = Path(_plain_path(remote_destination))
            shutil.copytree(local_path, target, dirs_exist_ok=True)
            return cls(path=str(target))
        return cls(path=str(Path(local_path).resolve()))

    @classmethod
    def from_existing_remote(cls, remote_path: str, dir_cache_key: Optional[str] = None) -> "Dir":
        """A Dir of a folder that exists already."""
        return cls(path=remote_path, hash=dir_cache_key)

    @classmethod
    def new_remote(cls, dir_name: Optional[str] = None, **_: Any) -> "Dir":
        """A Dir at a fresh, empty folder."""
        path = _fresh_path(dir_name or "dir")
        path.mkdir(parents=True, exist_ok=True)
        return cls(path=str(path))

    def walk_sync(self, recursive: bool = True, max_depth: Optional[int] = None) -> Iterator[File]:
        """Its files (below its subfolders too when recursive), sorted."""
        root = Path(self.path)
        found = root.rglob("*") if recursive else root.glob("*")
        for path in sorted(p for p in found if p.is_file()):
            if max_depth is None or len(path.relative_to(root).parts) <= max_depth:
                yield File(path=str(path))

    async def walk(self, recursive: bool = True, max_depth: Optional[int] = None) -> AsyncIterator[File]:
        """Its files, as an async iterator."""
        for f in self.walk_sync(recursive, max_depth):
            yield f

    def list_files_sync(self) -> list[File]:
        """The files directly in it."""
        return list(self.walk_sync(recursive=False))

    async def list_files(self) -> list[File]:
        """The files directly in it."""
        return self.list_files_sync()

    def get_file_sync(self, file_name: str) -> Optional[File]:
        """Its file of this name, or None."""
        path = Path(self.path) / file_name
        return File(path=str(path)) if path.is_file() else None

    async def get_file(self, file_name: str) -> Optional[File]:
        """Its file of this name, or None."""
        return self.get_file_sync(file_name)

    def exists_sync(self) -> bool:
        """True when the folder is there."""
        return Path(self.path).is_dir()

    async def exists(self) -> bool:
        """True when the folder is there."""
        return self.exists_sync()

    def download_sync(self, local_path: Optional[PathLike] = None) -> str:
        """The folder's local path (a copy at local_path when given)."""
        if local_path is None:
            return self.path
        shutil.copytree(self.path, local_path, dirs_exist_ok=True)
        return str(local_path)

    async def download(self, local_path: Optional[PathLike] = None) -> str:
        """The folder's local path (a copy at local_path when given)."""
        return await asyncio.to_thread(self.download_sync, local_path)
