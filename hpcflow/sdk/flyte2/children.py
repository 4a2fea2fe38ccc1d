"""The seam: how a Flyte 2 task's call of another task (a *child call*) is executed.

Every child call of every parent, whether awaited, gathered, mapped or made from a sync task,
becomes one ChildCall and goes through `submit_child`, which hands it to the ChildRunner of the
run the parent belongs to. The runner alone decides how the child runs:

- local.LocalRunner runs it in this process (concurrently with its siblings);
- a Slurm runner (DESIGN.md's "Flyte 2 parents as replayed waves") would look the call up in the
  parent's records by (parent, seq) and answer it if it finished, or record it for the parent's
  next wave and suspend the parent. `seq` numbers a parent's children in the order the parent
  makes them, so a deterministic parent replayed from the start makes the same calls again.

A run's root task is a ChildCall too (parent None, seq 0), so the root and its children run
the same way.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Protocol

from hpcflow.errors import WorkflowDefinitionError
from hpcflow.sdk.flyte2.action import CURRENT_ACTION, TaskContext, current_group


@dataclass(frozen=True)
class ChildCall:
    """One call of a task by a parent task (or by flyte.run, for a run's root)."""

    task: Any  # the Flyte 2 task called (task.AsyncFunctionTaskTemplate)
    inputs: Mapping[str, Any]  # its arguments, by parameter name
    parent: Optional[TaskContext]  # None for a run's root task
    seq: int  # this is the parent's seq-th child call (0 for a root)
    group: Optional[str] = None  # the flyte.group(...) the call was made in
    # the parent's flyte.custom_context at the call (None: the run's, for a root)
    custom_context: Optional[Mapping[str, str]] = None


class ChildRunner(Protocol):
    """Runs the task calls of one run. `loop` is the event loop the run's calls run on. A runner that
    can also run calls on another loop has `on_loop(loop)`, giving a runner of the same run there."""

    loop: asyncio.AbstractEventLoop

    async def run(self, call: ChildCall) -> Any:
        """The child's return value; its failure as a flyte.errors error (RuntimeUserError, ...)."""
        ...


def child_call(task: Any, args: tuple, kwargs: Mapping[str, Any]) -> tuple[ChildCall, ChildRunner]:
    """The ChildCall that `task(*args, **kwargs)` makes in the running task, and its run's runner.
    Built in the caller's own context (its thread, its group), before the call goes anywhere."""
    parent = CURRENT_ACTION.get()
    if parent is None or parent.runner is None:
        raise WorkflowDefinitionError(f"task '{task.name}' was submitted outside a running task; call it "
                                      "inside one, or start a run with flyte.run(...)")
    inputs = task.bind(args, kwargs)
    return (ChildCall(task, inputs, parent, parent.next_child(), current_group(), dict(parent.custom_context)),
            parent.runner)


async def submit_child(call: ChildCall, runner: ChildRunner) -> Any:
    """THE seam: execute one child call the way the run's runner decides, and give its value."""
    return await runner.run(call)


async def call_child(task: Any, args: tuple, kwargs: Mapping[str, Any]) -> Any:
    """What awaiting a task call inside a running task gives: the child's value."""
    call, runner = child_call(task, args, kwargs)
    return await submit_child(call, runner)


def call_child_blocking(task: Any, args: tuple, kwargs: Mapping[str, Any]) -> Any:
    """A child call without await: from a sync task's code (which runs in a thread of its own), block
    that thread until the child, run on the run's event loop, has finished. From an async task's code
    (on that loop), flyte blocks the loop until the child has run: here the child runs on a loop of its
    own in a helper thread, with a runner of the same run, while the parent's loop waits."""
    call, runner = child_call(task, args, kwargs)
    if _running_loop() is runner.loop and hasattr(runner, "on_loop"):
        return _run_aside(call, runner)
    return wait_on_loop(runner, submit_child(call, runner), f"task '{task.name}'", f"{task.short_name}.aio(...)")


def _run_aside(call: ChildCall, runner: Any) -> Any:
    async def aside() -> Any:
        return await submit_child(call, runner.on_loop(asyncio.get_running_loop()))

    context = contextvars.copy_context()  # the caller's context, so the child's sees its group and parent
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hpcflow-blocking-child") as pool:
        return pool.submit(context.run, asyncio.run, aside()).result()


def wait_on_loop(runner: ChildRunner, coro: Any, what: str, instead: str) -> Any:
    """Run `coro` on the run's event loop and wait for it in this (a sync task's) thread."""
    if _running_loop() is runner.loop:
        coro.close()
        raise WorkflowDefinitionError(
            f"{what} is called without await inside an async task, which would block its event loop; "
            f"write `await {instead}` there")
    try:
        return asyncio.run_coroutine_threadsafe(coro, runner.loop).result()
    except concurrent.futures.CancelledError:
        raise CallAbandoned(what) from None


class CallAbandoned(BaseException):
    """Raised in a sync task's thread when the run stops before the child call it waits on has ended
    (a replay that ends its wave there: sdk/flyte2/waves.py). A BaseException, so that the task's own
    `except Exception` does not catch it and go on making calls."""


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
