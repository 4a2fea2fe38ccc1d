"""User-registered types: how to store them and how to hash them for the cache."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class CustomType:
    """How hpcflow carries values of a user's class."""

    cls: type
    to_json: Callable[[Any], Any]
    from_json: Callable[[Any], Any]
    hash: Callable[[Any], bytes | str] | None = None


_REGISTRY: dict[type, CustomType] = {}


def register_type(cls: type, *, to_json: Callable[[Any], Any], from_json: Callable[[Any], Any],
                  hash: Callable[[Any], bytes | str] | None = None) -> None:
    """Let `cls` appear in task signatures: stored as `to_json(value)`, cache-keyed by `hash(value)`
    (default: the canonical JSON of `to_json(value)`)."""
    _REGISTRY[cls] = CustomType(cls, to_json, from_json, hash)


def custom_type(cls: Any) -> CustomType | None:
    """The registration for `cls` (or a base class of it), if any."""
    if not isinstance(cls, type):
        return None
    for base in cls.__mro__:
        if base in _REGISTRY:
            return _REGISTRY[base]
    return None


@dataclass(frozen=True)
class BatchSize:
    """flytekit's `Annotated[list[T], BatchSize(n)]` marker (it pickles a list in batches of n):
    accepted and without effect here, where a list is stored whole."""

    val: int
