"""flytekit's @eager: an `async def` workflow whose body is ordinary Python that awaits tasks.

    @eager
    async def wf(x: int) -> int:
        out = await add_one(x=x)
        return -1 if out < 0 else await double(x=out)

    asyncio.run(wf(x=1))

Calling an @eager workflow gives a coroutine, as in flytekit. Inside its body, calling a task
or a workflow gives an awaitable of its value (so `asyncio.gather` over them works), and a
failure of one arrives as EagerException, with the task's own error as its __cause__. The calls
run in this process, one at a time, through the cache like any in-process call. `hpcflow run`
and `hpcflow submit` run the body in a job, and its children in waves of jobs (sdk/waves.py).
"""
from __future__ import annotations

import functools
import inspect
from contextvars import ContextVar
from typing import Any, Callable, Coroutine

from hpcflow.core.building import ACTIVE_BUILDER
from hpcflow.errors import TypeMismatchError, WorkflowDefinitionError
from hpcflow.exceptions.eager import EagerException
from hpcflow.sdk.inputs import bind_inputs
from hpcflow.types.check import conforms, type_name, value_type_name
from hpcflow.types.interface import Interface, interface_of

EAGER: ContextVar[bool] = ContextVar("hpcflow_eager", default=False)  # inside an @eager body now


async def eager_call(entity: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    """What calling a task or workflow inside an @eager body gives: its value, once awaited. In a
    job that replays the body (sdk/waves.py), the call is answered from an earlier wave or waits for the next."""
    from hpcflow.sdk.waves import active_recorder

    recorder = active_recorder()
    if recorder is not None:
        where = f"{entity.kind} '{entity.name}'"
        given = entity.interface.call_arguments(args, kwargs, where) if args else kwargs
        return await recorder.call(entity, bind_inputs(entity.interface, given, where))
    token = EAGER.set(False)  # the callee's own body makes plain calls
    try:
        return entity(*args, **kwargs)
    except Exception as exc:
        raise EagerException(f"{entity.kind} '{entity.name}' failed inside an @eager workflow: "
                             f"{type(exc).__name__}: {exc}") from exc
    finally:
        EAGER.reset(token)


class Eager:
    """An async workflow: its body runs as Python, awaiting the tasks it calls."""

    kind = "eager"

    def __init__(self, fn: Callable[..., Any]):
        if not inspect.iscoroutinefunction(fn):
            raise WorkflowDefinitionError(f"@eager '{getattr(fn, '__name__', fn)}' takes an `async def` function "
                                          "(its body awaits the tasks it calls)")
        self.fn = fn
        self.name: str = fn.__name__
        self.module: str = fn.__module__
        self.qualname: str = fn.__qualname__
        self._interface: Interface | None = None
        self._continuation: Any = None
        self.pickle_untyped, self.failure_handler, self.failure_policy = False, None, "FAIL_IMMEDIATELY"
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @property
    def interface(self) -> Interface:
        """Inputs and outputs, read from the annotations on first use."""
        if self._interface is None:
            self._interface = interface_of(self.fn, f"@eager '{self.name}'")
        return self._interface

    def __call__(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
        if ACTIVE_BUILDER.get() is not None:
            raise WorkflowDefinitionError(f"@eager '{self.name}' is called inside a @workflow; await it inside "
                                          "another @eager, or run it with asyncio.run(...)")
        if args:
            raise WorkflowDefinitionError(f"@eager '{self.name}': call it with keyword arguments, e.g. {self.name}("
                                          f"{', '.join(n + '=...' for n in self.interface.input_names)})")
        return self._run(kwargs)

    async def run_body(self, **inputs: Any) -> Any:
        """The body on bound inputs, its calls of tasks giving awaitables (sdk/waves.py replays it)."""
        token = EAGER.set(True)
        try:
            return await self.fn(**self.interface.adapt(inputs))
        finally:
            EAGER.reset(token)

    @property
    def continuation(self) -> Any:
        """The dynamic node that runs (and after each wave of children, replays) this body in a job."""
        from hpcflow.sdk.waves import Continuation

        if self._continuation is None:
            self._continuation = Continuation(self)
        return self._continuation

    @property
    def graph(self) -> Any:
        """What `hpcflow run|submit` runs: the body as a dynamic node, which runs its children in waves."""
        from hpcflow.core.trace import Builder
        from hpcflow.sdk.body import traced

        return traced(Builder(f"@eager '{self.name}'"), self.name, lambda **kw: self.continuation(**kw),
                      self.interface)

    async def _run(self, kwargs: dict[str, Any]) -> Any:
        where = f"@eager '{self.name}'"
        inputs = bind_inputs(self.interface, kwargs, where)
        result = await self.run_body(**inputs)
        outputs = self.interface.split(result, where)
        for name, tp in self.interface.outputs:
            if not conforms(outputs[name], tp):
                raise TypeMismatchError(f"{where} returned {value_type_name(outputs[name])} for output '{name}', "
                                        f"which is annotated {type_name(tp)}")
        return self.interface.join(outputs)

    def __repr__(self) -> str:
        return f"<eager {self.module}.{self.qualname}>"


_CLUSTER_ONLY = ("remote", "client_secret_group", "client_secret_key", "timeout", "poll_interval",
                 "local_entrypoint")


def eager(_fn: Callable[..., Any] | None = None, **options: Any) -> Any:
    """Declare an eager workflow: @eager above an `async def` that awaits tasks."""
    given = {k: v for k, v in options.items() if v is not None}
    if given:
        key = next(iter(given))
        why = ("talks to a Flyte cluster: hpcflow runs the workflow itself" if key in _CLUSTER_ONLY
               else "@eager takes no options in hpcflow")
        raise WorkflowDefinitionError(f"@eager({key}=...): {why}")
    return Eager if _fn is None else Eager(_fn)
