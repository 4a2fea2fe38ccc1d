"""@trace: checkpointed calls inside a task (Flyte 2's trace).

Inside a running element, each call of a traced function is recorded in the element's
folder once it returns. When the element runs again (a retry, or a requeue after
preemption), calls that were recorded return their results without running: the task
resumes where it was. Calls are matched by their order, the function's name and a hash of
their arguments. Outside an element (e.g. `wf()` in-process) a traced function is a plain call.
"""
from __future__ import annotations

import inspect
import functools
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from hpcflow.store import atomic
from hpcflow.store.blobs import BlobStore
from hpcflow.store.codec import decode, encode


@dataclass
class TraceLog:
    """The checkpoints of one element, and counts of replayed and executed calls."""

    folder: Path
    blobs: BlobStore
    seq: int = 0
    replayed: int = 0
    executed: int = 0
    _names: dict[int, str] = field(default_factory=dict)

    def slot(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Path:
        """The checkpoint file of the next call."""
        from hpcflow.store.hashing import value_digest  # only for elements that make traced calls

        self.seq += 1
        try:
            arg_hash = value_digest([list(args), kwargs])[:16]
        except TypeError:  # arguments hpcflow cannot hash: match by order and name only
            arg_hash = "unhashed"
        return self.folder / f"{self.seq:05d}-{fn.__name__}-{arg_hash}.json"

    def load(self, path: Path) -> tuple[bool, Any]:
        """(True, result) when the call was recorded."""
        obj = atomic.read_json(path)
        if obj is None:
            return False, None
        self.replayed += 1
        return True, decode(obj["result"], self.blobs)

    def save(self, path: Path, result: Any) -> None:
        """Record a finished call."""
        self.executed += 1
        atomic.write_json(path, {"result": encode(result, self.blobs)}, fsync=True)


_CURRENT: ContextVar[TraceLog | None] = ContextVar("hpcflow_trace_log", default=None)


def current_trace() -> TraceLog | None:
    """The trace log of the element running in this context, if any."""
    return _CURRENT.get()


class tracing:
    """`with tracing(log):` makes traced calls in the block checkpoint into `log`."""

    def __init__(self, log: TraceLog):
        self.log, self.token = log, None

    def __enter__(self) -> TraceLog:
        self.token = _CURRENT.set(self.log)
        return self.log

    def __exit__(self, *exc: Any) -> None:
        _CURRENT.reset(self.token)


def trace(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Checkpoint every call of `fn` made inside a task, so a re-run replays finished calls."""
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            log = current_trace()
            if log is None:
                return await fn(*args, **kwargs)
            path = log.slot(fn, args, kwargs)
            found, result = log.load(path)
            if not found:
                result = await fn(*args, **kwargs)
                log.save(path, result)
            return result

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        log = current_trace()
        if log is None:
            return fn(*args, **kwargs)
        path = log.slot(fn, args, kwargs)
        found, result = log.load(path)
        if not found:
            result = fn(*args, **kwargs)
            log.save(path, result)
        return result

    return wrapper


__all__ = ["trace", "TraceLog", "tracing", "current_trace"]
