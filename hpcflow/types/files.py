"""File and Directory values: passed by path on the shared filesystem, cached by content."""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class File:
    """A file on the shared filesystem (flytekit's FlyteFile). Its cache key is its content."""

    path: str

    def __fspath__(self) -> str:
        return self.path

    def open(self, mode: str = "r"):  # type: ignore[no-untyped-def]
        """Open the file."""
        return open(self.path, mode)


@dataclass(frozen=True)
class Directory:
    """A directory on the shared filesystem (flytekit's FlyteDirectory). Cached by its whole tree."""

    path: str

    def __fspath__(self) -> str:
        return self.path

    def files(self) -> list[str]:
        """Paths of all files below the directory, sorted."""
        return sorted(os.path.join(root, f) for root, _, names in os.walk(self.path) for f in names)
