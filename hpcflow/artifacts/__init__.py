"""Flyte 2's `flyte.artifacts`: a File or Dir a task returns, named for Flyte's catalogue.

hpcflow keeps no catalogue: `new(value, Metadata(name=...))` checks the pair as flyte does and gives
the value itself, which is what a local flyte run passes on (sdk/flyte2/triggers.py).
"""
from __future__ import annotations

from typing import Any, TypeVar

from hpcflow.sdk.flyte2.triggers import Metadata, new_artifact
from hpcflow.types.files import Directory, File

T = TypeVar("T")


def new(obj: T, metadata: Metadata) -> T:
    """The artifact `obj` (a File or Dir) with its metadata: here, `obj` itself."""
    return new_artifact(obj, metadata, (File, Directory))


__all__ = ["Metadata", "new"]
