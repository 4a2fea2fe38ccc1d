"""File and Directory values: passed by path on the shared filesystem, cached by content."""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hpcflow.config import hpcflow_home
from hpcflow.errors import InputError

URL_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class File:
    """A file on the shared filesystem (flytekit's FlyteFile). Its cache key is its content.

    An http(s) URL is fetched when the file is first opened (as flytekit downloads a remote
    FlyteFile), once per user into ~/.hpcflow/downloads; its cache key is the URL. `remote_path`,
    a local path, receives a copy (flytekit uploads there); object stores have no place here."""

    path: str
    remote_path: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.remote_path:
            if "://" in self.remote_path and not self.remote_path.startswith("file://"):
                raise InputError(f"File(remote_path={self.remote_path!r}): hpcflow keeps files on the shared "
                                 "filesystem; give a path there, or leave remote_path out")
            target = Path(self.remote_path.removeprefix("file://"))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.path, target)
            object.__setattr__(self, "path", str(target))

    @property
    def is_url(self) -> bool:
        """True when the file is an http(s) URL, fetched on first use."""
        return self.path.startswith(URL_SCHEMES)

    def __fspath__(self) -> str:
        return str(fetched(self.path)) if self.is_url else self.path

    def download(self) -> str:
        """The local path of the file (a URL is fetched first), as flytekit's download()."""
        return self.__fspath__()

    def open(self, mode: str = "r"):  # type: ignore[no-untyped-def]
        """Open the file."""
        return open(self.__fspath__(), mode)


def fetched(url: str) -> Path:
    """The local copy of an http(s) URL, fetched the first time (atomically: a copy is whole or absent)."""
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


@dataclass(frozen=True)
class Directory:
    """A directory on the shared filesystem (flytekit's FlyteDirectory). Cached by its whole tree."""

    path: str

    def __fspath__(self) -> str:
        return self.path

    def files(self) -> list[str]:
        """Paths of all files below the directory, sorted."""
        return sorted(os.path.join(root, f) for root, _, names in os.walk(self.path) for f in names)
