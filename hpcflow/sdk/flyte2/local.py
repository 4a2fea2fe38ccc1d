"""LocalRunner: a run's task calls executed in this process (Flyte 2's local mode).

All calls of a run share one event loop. An async task runs as a coroutine on it, so the
children a parent gathers run concurrently; a sync task runs in a thread of its own (as the
flyte SDK runs them), and its own child calls are sent back to the loop. A call goes through
the cache (hpcflow's content-addressed cache under ~/.hpcflow/cache, the same keys as a
flytekit-style task's), then up to `retries` + 1 attempts, each bounded by `timeout`.
As in Flyte 2, every error of the user's code is retried except NonRecoverableError, and the
parent sees a child's failure as a flyte.errors error whose `code` is the exception's class name.
"""
from __future__ import annotations

import asyncio
import dataclasses
import inspect
import uuid
from dataclasses import dataclass, field
from typing import Any, Optional

from hpcflow.errors import (BaseRuntimeError, NonRecoverableError, OOMError,
                            RetriesExhaustedError, RuntimeUserError, TaskInterruptedError, TaskTimeoutError)
from hpcflow.sdk.flyte2.action import CURRENT_ACTION, ActionID, TaskContext
from hpcflow.sdk.flyte2.children import ChildCall
from hpcflow.sdk.flyte2.report import Report, flush_report
from hpcflow.sdk.flyte2.values import passed_inputs, passed_output


def new_run_name() -> str:
    """A run name as Flyte gives them: short, random, lower case."""
    return "r" + uuid.uuid4().hex[:19]


@dataclass
class LocalRunner:
    """Runs every task call of one run in this process, on `loop`."""

    loop: asyncio.AbstractEventLoop
    run_name: str = field(default_factory=new_run_name)
    custom_context: dict[str, str] = field(default_factory=dict)
    disable_run_cache: bool = False
    overwrite_cache: bool = False
    tally: list[int] = field(default_factory=lambda: [0])  # shared by the run's runners on other loops

    @property
    def calls(self) -> int:
        """How many task calls the run made (its root too)."""
        return self.tally[0]

    def on_loop(self, loop: asyncio.AbstractEventLoop) -> "LocalRunner":
        """This run's runner for calls made on another event loop (a sync child an async task blocks on)."""
        return dataclasses.replace(self, loop=loop)

    async def run(self, call: ChildCall) -> Any:
        """The call's value, through the cache and the task's retries and timeout."""
        self.tally[0] += 1
        task = call.task
        action = self._context(call)
        inputs = passed_inputs(task.func, dict(call.inputs))
        cache = task.options.cache
        if not cache.is_enabled() or self.disable_run_cache:
            return passed_output(task.func, await self._attempts(task, inputs, action))
        from hpcflow.sdk.flyte2.local_cache import cached  # the cache's modules, only when a task is cached

        lookup = cache.behavior == "auto" and not self.overwrite_cache
        value = await cached(task, inputs, lookup, lambda: self._attempts(task, inputs, action))
        return passed_output(task.func, value)

    def _context(self, call: ChildCall) -> TaskContext:
        parent = call.parent
        name = "a0" if parent is None else f"{parent.action.name}-{call.seq}"
        # a child gets the custom context its parent had at the call (flyte.custom_context blocks included)
        custom = dict(self.custom_context) if call.custom_context is None else dict(call.custom_context)
        return TaskContext(ActionID(name, self.run_name), custom_context=custom, task_name=call.task.name,
                           report=Report(name), runner=self)

    async def _attempts(self, task: Any, inputs: dict[str, Any], action: TaskContext) -> Any:
        deadline = task.options.deadline_s
        if deadline is None:
            return await self._retried(task, inputs, action)
        # the deadline ends the call whatever attempt it is in, as on a Flyte cluster (flyte's local runs ignore it)
        try:
            return await asyncio.wait_for(self._retried(task, inputs, action), deadline)
        except asyncio.TimeoutError:
            raise TaskTimeoutError(f"task {task.name} did not finish within its deadline of {deadline:g} s "
                                   "(every attempt included)") from None

    async def _retried(self, task: Any, inputs: dict[str, Any], action: TaskContext) -> Any:
        strategy = task.options.retries
        attempts = strategy.count + 1
        for attempt in range(1, attempts + 1):
            action.attempt = attempt
            try:
                return await self._once(task, inputs, action)
            except Exception as exc:  # the user's code failed: Flyte 2 retries it, unless told not to
                error = flyte_error(exc, task.name)
                if isinstance(exc, NonRecoverableError) or attempt == attempts:
                    # a NonRecoverableError ends the call on its first attempt: no retries were exhausted
                    if attempts > 1 and type(error) is RuntimeUserError and not isinstance(exc, NonRecoverableError):
                        error = RetriesExhaustedError(error.code, str(error))
                    raise error from exc
                if strategy.backoff is not None:
                    await asyncio.sleep(strategy.backoff.compute_delay(attempt - 1).total_seconds())
        raise AssertionError("unreachable")

    async def _once(self, task: Any, inputs: dict[str, Any], action: TaskContext) -> Any:
        """One attempt: the function under the action's context, bounded by the task's timeout."""
        token = CURRENT_ACTION.set(action)
        try:
            if task.is_async:
                running = asyncio.ensure_future(task.func(**inputs))  # a copy of this context: the child's action
            else:  # a sync task blocks: a thread of its own (its child calls come back to the loop)
                running = asyncio.ensure_future(asyncio.to_thread(task.func, **inputs))
        finally:
            CURRENT_ACTION.reset(token)
        timeout = task.options.timeout_s
        try:
            done, _ = await asyncio.wait({running}, timeout=timeout)
        except asyncio.CancelledError:
            running.cancel()
            raise
        if not done:  # a sync task's thread cannot be stopped: it runs on, its result unused
            running.cancel()
            raise TaskTimeoutError(f"task {task.name} ran longer than its timeout of {timeout:g} s "
                                   "(give it more with timeout=)")
        value = running.result()
        value = await value if inspect.isawaitable(value) else value
        if task.report and action.report.has_content():  # flyte writes a report=True task's report as it returns
            flush_report(action)
        return value


def flyte_error(exc: BaseException, task_name: str) -> BaseRuntimeError:
    """What a parent sees when a child raised `exc`, as the flyte SDK gives it."""
    if isinstance(exc, (OOMError, TaskTimeoutError, RetriesExhaustedError, TaskInterruptedError)):
        return exc
    if isinstance(exc, BaseRuntimeError):
        return RuntimeUserError(exc.code, str(exc), exc.worker)
    if isinstance(exc, MemoryError):
        return OOMError("OOMError", str(exc) or f"task {task_name} ran out of memory (give it more memory=)")
    return RuntimeUserError(type(exc).__name__, str(exc))


def current_runner() -> Optional[LocalRunner]:
    """The runner of the task running in this context, if any."""
    action = CURRENT_ACTION.get()
    return action.runner if action is not None else None
