"""map_task: run a task once per element of one or more list inputs."""
from __future__ import annotations

import functools
from typing import Any, Optional

from hpcflow.core.building import ACTIVE_BUILDER, holds_promise
from hpcflow.errors import InvalidValueError, WorkflowDefinitionError
from hpcflow.sdk.spec import make_spec
from hpcflow.sdk.task import Dynamic, Task
from hpcflow.sdk.task_metadata import TaskMetadata
from hpcflow.core.map_options import check_map_options
from hpcflow.types.check import conforms, type_name
from hpcflow.types.interface import Interface, Param


class MapTask:
    """A task applied element-wise; inputs bound with functools.partial are broadcast."""

    kind = "map"

    def __init__(self, target: Any, concurrency: int | None = None, min_success_ratio: float | None = 1.0,
                 batch_size: int | None = None, metadata: TaskMetadata | None = None, run_all_sub_nodes: bool = False):
        bound: dict[str, Any] = {}
        if isinstance(target, functools.partial):
            if target.args:
                raise WorkflowDefinitionError(
                    "map_task: bind partial arguments by keyword, e.g. functools.partial(t, x=1)")
            bound, target = dict(target.keywords), target.func
        if not isinstance(target, Task) or isinstance(target, Dynamic):  # flytekit's ValueError, e.g. for a workflow
            raise InvalidValueError(f"map_task takes a @task (or a functools.partial of one), not {target!r}; "
                                    "to map a workflow, call it from a @dynamic in a loop")
        if min_success_ratio is None:  # flytekit's ArrayNodeMapTask default: every element must succeed
            min_success_ratio = 1.0
        if metadata is not None and not isinstance(metadata, TaskMetadata):
            raise WorkflowDefinitionError(f"map_task: metadata= takes TaskMetadata(retries=..., cache=..., ...), "
                                          f"not {metadata!r}")
        check_map_options("map_task", dict(concurrency=concurrency, min_success_ratio=min_success_ratio,
                                           batch_size=batch_size))
        unknown = [k for k in bound if target.interface.param(k) is None]
        if unknown:
            raise WorkflowDefinitionError(f"map_task: task '{target.name}' has no input '{unknown[0]}' to bind")
        for name, value in bound.items():  # flytekit's ValueError, where the partial is mapped
            tp = target.interface.param(name).type
            if not holds_promise(value) and not conforms(value, tp):
                raise InvalidValueError(f"map_task: input '{name}' of task '{target.name}' is bound to {value!r}, "
                                        f"which is not a {type_name(tp)}; bind one value of that type for every element")
        self.task, self.bound = target, bound
        self.concurrency, self.min_success_ratio, self.batch_size = concurrency, float(min_success_ratio), batch_size
        self.name = f"map_{target.name}"
        # flytekit: metadata= replaces the task's caching, retries, timeout and interruptible for the map
        self.spec = make_spec(target.spec, **metadata.spec_options()) if metadata is not None else target.spec
        self.metadata = metadata
        # flytekit's: every element runs even after one fails (locally; a Slurm array runs them all anyway)
        self.run_all_sub_nodes = bool(run_all_sub_nodes)
        self._interface: Interface | None = None

    @property
    def mapped_inputs(self) -> tuple[str, ...]:
        """Names of the inputs that are lists, one element per run of the task."""
        return tuple(n for n in self.task.interface.input_names if n not in self.bound)

    @property
    def interface(self) -> Interface:
        """Bound inputs keep their type; mapped inputs and all outputs become lists."""
        if self._interface is None:
            inner = self.task.interface
            inputs = tuple(p if p.name in self.bound else Param(p.name, list[p.type])  # type: ignore[name-defined]
                           for p in inner.inputs)
            wrap = (lambda t: list[Optional[t]]) if self.min_success_ratio < 1 else (lambda t: list[t])  # type: ignore[valid-type]
            outputs = tuple((n, wrap(t)) for n, t in inner.outputs)
            kind = "single" if inner.output_kind == "single" else ("none" if not outputs else "tuple")
            self._interface = Interface(inputs, outputs, kind)
        return self._interface

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        clash = set(kwargs) & set(self.bound)
        if clash:
            raise WorkflowDefinitionError(f"{self.name}: input '{clash.pop()}' is already bound by functools.partial")
        builder = ACTIVE_BUILDER.get()
        if builder is not None:
            return builder.add_call(self.kind, self, args, {**self.bound, **kwargs}, self.interface)
        if args:
            raise WorkflowDefinitionError(f"{self.name}: call it with keyword arguments")
        from hpcflow.sdk.local_execution import run_map

        return self.interface.join(run_map(self, {**self.bound, **kwargs}, {}))

    def __repr__(self) -> str:
        return f"<map_task {self.task!r}>"


class ArrayNodeMapTask(MapTask):
    """flytekit's class behind map_task: `ArrayNodeMapTask(t, bound_inputs_values={"c": 1})` is
    `map_task(functools.partial(t, c=1))` (its values win over a partial's)."""

    def __init__(self, python_function_task: Any, concurrency: int | None = None,
                 min_success_ratio: float | None = None, bound_inputs: set[str] | None = None,
                 bound_inputs_values: dict[str, Any] | None = None, run_all_sub_nodes: bool = False,
                 batch_size: int | None = None, metadata: TaskMetadata | None = None):
        values = dict(bound_inputs_values or {})
        if bound_inputs is not None and bound_inputs_values is not None and set(bound_inputs) != set(values):
            raise InvalidValueError("bound_inputs and bound_inputs_values should have the same keys if both set; "
                                    f"got {sorted(bound_inputs)} and {sorted(values)}")
        if bound_inputs is not None and bound_inputs_values is None and not isinstance(python_function_task,
                                                                                      functools.partial):
            raise InvalidValueError("bound_inputs names inputs bound by a functools.partial; pass "
                                    "bound_inputs_values={name: value} with it, or map the partial")
        target = python_function_task
        if values:
            base = target.func if isinstance(target, functools.partial) else target
            earlier = dict(target.keywords) if isinstance(target, functools.partial) else {}
            target = functools.partial(base, **{**earlier, **values})
        super().__init__(target, concurrency=concurrency, min_success_ratio=min_success_ratio, batch_size=batch_size,
                         metadata=metadata, run_all_sub_nodes=run_all_sub_nodes)


def map_task(target: Any, concurrency: int | None = None, min_success_ratio: float | None = 1.0,
             batch_size: int | None = None, metadata: TaskMetadata | None = None,
             run_all_sub_nodes: bool = False) -> MapTask:
    """Map a task (or a functools.partial of one) over list inputs, element by element;
    `metadata=TaskMetadata(...)` gives the map its own caching, retries and timeout; `run_all_sub_nodes=True`
    runs every element even after one fails, then fails (flytekit's)."""
    return MapTask(target, concurrency=concurrency, min_success_ratio=min_success_ratio, batch_size=batch_size,
                   metadata=metadata, run_all_sub_nodes=run_all_sub_nodes)
