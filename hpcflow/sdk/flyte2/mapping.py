"""flyte.map(task, *iterables, concurrency=, return_exceptions=, group_name=): a task over items.

The flyte SDK's map is iterated (`for r in flyte.map(...)`, in sync code) and its `.aio` is
`async for`-ed; Flyte 2's guides also `await flyte.map(...)` for a list. All three work here.
Inside a running task each item is one child call through the seam (children.py), all made at
once or `concurrency` at a time; results come in the items' order. With return_exceptions=True
(flyte's default) a failed item gives its error in its place; with False the first one raises.
Outside a running task the items are plain calls of the function, as in flyte.
"""
from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any, AsyncIterator, Iterable, Iterator, Optional

from hpcflow.errors import CallArgumentsError, WorkflowDefinitionError
from hpcflow.sdk.flyte2.action import CURRENT_ACTION, group
from hpcflow.sdk.flyte2.children import ChildCall, child_call, submit_child, wait_on_loop


class MapCall:
    """One flyte.map(...) call: iterate it, `await` it (a list) or `async for` over it."""

    def __init__(self, func: Any, iterables: tuple[Iterable[Any], ...], group_name: Optional[str],
                 concurrency: int, return_exceptions: bool):
        self.task, self.bound_args, self.bound_kwargs = _target(func)
        self.items = list(zip(*iterables)) if iterables else []
        self.group = f"{self.task.short_name}_{group_name or 'map'}"
        self.concurrency, self.return_exceptions = concurrency, return_exceptions

    def _arguments(self, item: tuple) -> tuple[tuple, dict[str, Any]]:
        return self.bound_args + item, dict(self.bound_kwargs)

    def __iter__(self) -> Iterator[Any]:
        if CURRENT_ACTION.get() is None:  # outside a run: the plain function, item by item
            for item in self.items:
                yield self._outcome(lambda: _plain(self.task, *self._arguments(item)))
            return
        # a sync task's code: its thread waits while the items run on the run's loop
        calls = self._calls()
        runner = calls[0][1] if calls else None
        outcomes = [] if runner is None else wait_on_loop(
            runner, self._run_all(calls), "flyte.map(...)", "flyte.map(...)` (or `async for x in flyte.map.aio(...)")
        for value in outcomes:
            yield self._outcome(lambda: value)

    def _calls(self) -> list[tuple[ChildCall, Any]]:
        """One child call per item, made (and so numbered) in the items' order, in the map's group."""
        with group(self.group):
            return [child_call(self.task, *self._arguments(item)) for item in self.items]

    async def _run_all(self, calls: list[tuple[ChildCall, Any]]) -> list[Any]:
        """Every call's value (or _Failed), all at once or `concurrency` at a time."""
        limit = asyncio.Semaphore(self.concurrency) if self.concurrency else None
        return list(await asyncio.gather(*[_bounded(submit_child(call, runner), limit) for call, runner in calls]))

    def _outcome(self, get: Any) -> Any:
        try:
            value = get()
        except Exception as exc:
            value = _Failed(exc)
        if isinstance(value, _Failed):
            if not self.return_exceptions:
                raise value.error
            return value.error
        return value

    def __await__(self) -> Any:
        return self._collect().__await__()

    async def _collect(self) -> list[Any]:
        return [x async for x in self.__aiter__()]

    async def __aiter__(self) -> AsyncIterator[Any]:
        if CURRENT_ACTION.get() is None:  # outside a run: the plain function, item by item
            for item in self.items:
                try:
                    value = self.task.forward(*self._arguments(item)[0], **self._arguments(item)[1])
                    value = await value if inspect.isawaitable(value) else value
                except Exception as exc:
                    value = _Failed(exc)
                yield self._outcome(lambda: value)
            return
        limit = asyncio.Semaphore(self.concurrency) if self.concurrency else None
        running = [asyncio.ensure_future(_bounded(submit_child(call, runner), limit)) for call, runner in self._calls()]
        try:
            for future in running:
                value = await future
                yield self._outcome(lambda: value)
        finally:
            for future in running:
                future.cancel()


class _Failed:
    def __init__(self, error: Exception):
        self.error = error


async def _bounded(coro: Any, limit: Optional[asyncio.Semaphore]) -> Any:
    """The coroutine's value, or _Failed with its error; at most `limit` of them running at once."""
    try:
        if limit is None:
            return await coro
        async with limit:
            return await coro
    except Exception as exc:
        return _Failed(exc)


def _plain(task: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    value = task.forward(*args, **kwargs)
    return asyncio.run(value) if inspect.iscoroutine(value) else value


def _target(func: Any) -> tuple[Any, tuple, dict[str, Any]]:
    """The task a map calls, and the arguments a functools.partial binds for every item."""
    args: tuple = ()
    kwargs: dict[str, Any] = {}
    if isinstance(func, functools.partial):
        args, kwargs, func = tuple(func.args), dict(func.keywords or {}), func.func
    if not hasattr(func, "options") or not hasattr(func, "forward"):
        raise WorkflowDefinitionError(f"flyte.map takes a task of a flyte.TaskEnvironment (or a functools.partial of "
                                      f"one), not {func!r}")
    params = list(inspect.signature(func.func).parameters)
    free = [p for p in params[len(args):] if p not in kwargs]
    if not free:
        raise CallArgumentsError(f"flyte.map: the partial of task '{func.name}' leaves no parameter to map over")
    return func, args, kwargs


class Mapper:
    """flyte.map: call it (iterate or await the result), or `async for x in flyte.map.aio(...)`."""

    def __call__(self, func: Any, *iterables: Iterable[Any], group_name: Optional[str] = None,
                 concurrency: int = 0, return_exceptions: bool = True) -> MapCall:
        """Map `func` over the zipped iterables."""
        return MapCall(func, iterables, group_name, concurrency, return_exceptions)

    def aio(self, func: Any, *iterables: Iterable[Any], group_name: Optional[str] = None,
            concurrency: int = 0, return_exceptions: bool = True) -> AsyncIterator[Any]:
        """The results as an async iterator, in the items' order."""
        return MapCall(func, iterables, group_name, concurrency, return_exceptions).__aiter__()


map = Mapper()  # noqa: A001 - Flyte 2's name: flyte.map
