"""The running task's context (Flyte 2's flyte.ctx()) and flyte.group(...).

Each task call runs with its own TaskContext in a ContextVar: asyncio tasks and the threads
that run sync tasks copy it, so every child knows its parent, its run and its group.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import itertools
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal, Optional


@dataclass(frozen=True)
class ActionID:
    """Which action (task call) this is, and which run it belongs to."""

    name: str
    run_name: str = ""
    project: str = "hpcflow"
    domain: str = "development"
    org: str = ""


@dataclass(frozen=True)
class GroupData:
    """The group a call was made in (flyte.group)."""

    name: str


@dataclass
class TaskContext:
    """What a running Flyte 2 task may ask about itself (flyte.ctx())."""

    action: ActionID
    mode: Literal["local", "remote", "hybrid"] = "local"
    custom_context: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    run_base_dir: str = ""
    raw_data_path: str = ""
    attempt: int = 1
    run_start_time: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc))
    task_name: str = ""
    report: Any = field(default=None, repr=False)  # this call's report.Report (flyte.report)
    runner: Any = field(default=None, repr=False)  # the run's ChildRunner (children.py), which runs its calls
    children: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1), repr=False)

    def __bool__(self) -> bool:
        return True

    @property
    def group_data(self) -> Optional[GroupData]:
        """The flyte.group(...) the code asking is in, if any."""
        name = _GROUP.get()
        return GroupData(name) if name else None

    def next_child(self) -> int:
        """The ordinal of this task's next child call (1, 2, ...): children are numbered in the
        order the parent makes them, which a replayed parent makes again (DESIGN.md's waves)."""
        return next(self.children)


class _NullTaskContext:
    """flyte.ctx() outside a task: falsy, and every field None."""

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return None

    def __repr__(self) -> str:
        return "NullTaskContext()"


NULL_TASK_CONTEXT = _NullTaskContext()
CURRENT_ACTION: ContextVar[Optional[TaskContext]] = ContextVar("hpcflow_flyte2_action", default=None)
_GROUP: ContextVar[Optional[str]] = ContextVar("hpcflow_flyte2_group", default=None)


def ctx() -> Any:
    """The running task's TaskContext; outside a task, a falsy context whose fields are None."""
    return CURRENT_ACTION.get() or NULL_TASK_CONTEXT


def current_group() -> Optional[str]:
    """The name of the innermost flyte.group(...) around this call, if any."""
    return _GROUP.get()


@contextlib.contextmanager
def group(name: str) -> Iterator[None]:
    """Flyte 2's group: the child calls made inside the block are shown together (by name)."""
    token = _GROUP.set(name)
    try:
        yield
    finally:
        _GROUP.reset(token)


@contextlib.contextmanager
def custom_context(**context: str) -> Iterator[None]:
    """flyte.custom_context(key="value"): the task calls made inside the block (and their own calls)
    see these entries in flyte.ctx().custom_context, on top of what the caller has. Outside a task, nothing."""
    action = CURRENT_ACTION.get()
    if action is None:
        yield
        return
    # a copy of the caller's context: its counters, report and runner are shared, only the entries differ
    token = CURRENT_ACTION.set(dataclasses.replace(action, custom_context={**action.custom_context, **context}))
    try:
        yield
    finally:
        CURRENT_ACTION.reset(token)


def get_custom_context() -> dict[str, str]:
    """The running task's custom context ({} outside a task)."""
    action = CURRENT_ACTION.get()
    return dict(action.custom_context) if action is not None else {}
