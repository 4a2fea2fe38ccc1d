"""@task and @dynamic: Python functions that become nodes (jobs) of a workflow."""
from __future__ import annotations

import functools
import inspect
import sys
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from hpcflow.core.building import ACTIVE_BUILDER
from hpcflow.errors import InvalidValueError, WorkflowDefinitionError
from hpcflow.sdk.body import traced
from hpcflow.sdk.eager import EAGER, eager_call
from hpcflow.sdk.spec import TaskSpec, check_declared, config_options, make_spec
from hpcflow.types.interface import Interface, interface_of, require_annotations

if TYPE_CHECKING:
    import datetime

    from hpcflow.core.graph import Graph
    from hpcflow.sdk.resources import Resources, ResourceSpec


def bound_name(obj: Any, module: str) -> str | None:
    """The module-level name `obj` is bound to in `module`, if any: how a task made by calling a
    class (ShellTask, Echo) rather than by decorating a function is found again by job processes."""
    found = sys.modules.get(module)
    return next((k for k, v in vars(found).items() if v is obj), None) if found else None


class Task:
    """A Python function with a typed interface and frozen options (a TaskSpec)."""

    kind = "task"

    def __init__(self, fn: Callable[..., Any], spec: TaskSpec):
        self.fn, self.spec = fn, spec
        self.name: str = fn.__name__
        self.module: str = fn.__module__
        self.qualname: str = fn.__qualname__
        self._interface: Interface | None = None
        check_declared(self.kind, self.name, spec)
        require_annotations(fn, f"{self.kind} '{self.name}'", spec.pickle_untyped)
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    @property
    def interface(self) -> Interface:
        """Inputs and outputs, read from the annotations on first use."""
        if self._interface is None:
            interface = interface_of(self.fn, f"{self.kind} '{self.name}'", self.spec.pickle_untyped)
            for name in self.spec.cache_ignore_input_vars:
                if interface.param(name) is None:
                    raise WorkflowDefinitionError(
                        f"{self.kind} '{self.name}': cache_ignore_input_vars names '{name}', which is not an input")
            self._interface = interface
        return self._interface

    @property
    def resources(self) -> ResourceSpec:
        """Its requests and limits, as flytekit's `task.resources` (empty Resources where none are set)."""
        from hpcflow.sdk.resources import Resources, ResourceSpec

        return ResourceSpec(self.spec.requests or Resources(), self.spec.limits or Resources())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = ACTIVE_BUILDER.get()
        if builder is not None:
            return builder.add_call(self.kind, self, args, kwargs, self.interface)
        if EAGER.get():  # inside an @eager body: an awaitable of the value
            return eager_call(self, args, kwargs)
        return self.run_concrete(**self.interface.call_arguments(args, kwargs, f"{self.kind} '{self.name}'"))

    def run_concrete(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function on concrete values, as flytekit's local execution does (through the
        cache when the task is cached)."""
        if not self.spec.cache:  # its outputs checked against its annotations, as flytekit converts them
            where = f"{self.kind} '{self.name}'"
            return self.interface.join(self.interface.split(self.fn(*args, **kwargs), where))
        from hpcflow.sdk.local_execution import call_task  # the cache's modules, only when used

        bound = inspect.signature(self.fn).bind(*args, **kwargs)
        bound.apply_defaults()
        return self.interface.join(call_task(self, bound.arguments, self.spec, f"{self.kind} '{self.name}'"))

    def __repr__(self) -> str:
        return f"<{self.kind} {self.module}.{self.qualname}>"


class Dynamic(Task):
    """A task whose body runs at execution time and builds a sub-workflow from concrete inputs."""

    kind = "dynamic"

    def trace(self, inputs: Mapping[str, Any]) -> Graph:
        """Run the body on concrete inputs, recording the task calls it makes."""
        from hpcflow.core.trace import Builder  # the tracer, only in the processes that trace

        return traced(Builder(f"dynamic '{self.name}'"), self.name, self.fn, self.interface,
                      self.interface.adapt(dict(inputs)))

    def run_concrete(self, *args: Any, **kwargs: Any) -> Any:
        """Trace the body with these inputs and run the resulting sub-workflow in-process."""
        from hpcflow.sdk.local_execution import run_graph
        from hpcflow.sdk.inputs import bind_inputs

        if args:
            raise WorkflowDefinitionError(f"dynamic '{self.name}': call it with keyword arguments")
        inputs = bind_inputs(self.interface, kwargs, f"dynamic '{self.name}'")
        return self.interface.join(run_graph(self.trace(inputs), {}))


def _decorator(cls: type[Task]) -> Callable[..., Any]:
    def decorate(
        _task_function: Callable[..., Any] | None = None,
        *,
        cache: bool = False,
        cache_version: str = "",
        cache_serialize: bool = False,
        cache_ignore_input_vars: Sequence[str] = (),
        cache_fingerprint_source: bool = True,
        retries: int = 0,
        timeout: int | float | datetime.timedelta | None = None,
        interruptible: bool = False,
        requests: Resources | None = None,
        limits: Resources | None = None,
        resources: Resources | None = None,
        environment: Mapping[str, str] | Any = None,
        task_config: Any = None,
        pickle_untyped: bool = False,
        container_image: Any = None,
        node_dependency_hints: Sequence[Any] | None = None,
        **unknown: Any,
    ) -> Any:
        if unknown:  # flytekit's ValueError and message, and what to look at
            raise InvalidValueError(f"Unrecognized argument(s) for {cls.kind}: {unknown.keys()}; see "
                                    f"help(hpcflow.{cls.kind}) for the options it takes")
        if node_dependency_hints is not None and cls is not Dynamic:
            raise InvalidValueError("node_dependency_hints should only be used on dynamic tasks; remove it from "
                                    f"this @{cls.kind}")
        spec = make_spec(
            cache=cache, cache_version=cache_version, cache_serialize=cache_serialize,
            cache_ignore_input_vars=tuple(cache_ignore_input_vars),
            cache_fingerprint_source=cache_fingerprint_source, retries=retries, timeout=timeout,
            interruptible=interruptible, requests=requests, limits=limits,
            resources=resources, environment=environment if environment is not None else {},
            pickle_untyped=pickle_untyped, container_image=container_image,
            **config_options(task_config, f"@{cls.kind}"),
        )
        if _task_function is not None:
            return cls(_task_function, spec)
        return lambda fn: cls(fn, spec)

    decorate.__name__ = cls.kind
    decorate.__doc__ = f"Declare a {cls.kind}: @{cls.kind} or @{cls.kind}(retries=2, requests=Resources(cpu='2'), ...)."
    return decorate


task = _decorator(Task)
dynamic = _decorator(Dynamic)
