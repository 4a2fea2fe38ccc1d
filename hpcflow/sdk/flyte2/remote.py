"""Who submits a Flyte 2 run in mode "remote": the runtime's submit, handed in by hpcflow/__init__.py.

The sdk sits below the runtime and does not import it. This module is the only thing the package
root imports eagerly, so it stays tiny: the hand-off is in place before any sdk code can look it up,
without loading the Flyte 2 SDK for processes that never use it (a map's element).
"""
from __future__ import annotations

from typing import Any, Callable

_REMOTE: list[Callable[..., Any]] = []


def use_remote(submit: Callable[..., Any]) -> None:
    """Set how a remote run is submitted: submit(task, inputs, site, settings) -> a run handle."""
    _REMOTE[:] = [submit]


def remote_submitter() -> Callable[..., Any] | None:
    """The submit handed in by `use_remote`, if any."""
    return _REMOTE[0] if _REMOTE else None
