"""@workflow: a function whose body is traced once into a Graph of task calls."""
from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Any, Callable

from hpcflow.core.building import ACTIVE_BUILDER
from hpcflow.sdk.body import traced
from hpcflow.sdk.eager import EAGER, eager_call
from hpcflow.sdk.failure import FailureHandler, WorkflowFailurePolicy, policy_name
from hpcflow.sdk.inputs import bind_inputs
from hpcflow.types.interface import Interface, interface_of, require_annotations

if TYPE_CHECKING:
    from hpcflow.core.graph import Graph
    from hpcflow.sdk.workflow_metadata import WorkflowMetadata, WorkflowMetadataDefaults


class Workflow:
    """A traced composition of tasks; calling it with values runs it in-process."""

    kind = "workflow"

    def __init__(self, fn: Callable[..., Any], pickle_untyped: bool = False, on_failure: Any = None,
                 failure_policy: Any = None):
        self.fn, self.pickle_untyped = fn, pickle_untyped
        self.name: str = fn.__name__
        self.module: str = fn.__module__
        self.qualname: str = fn.__qualname__
        self._interface: Interface | None = None
        self._graph: Graph | None = None
        require_annotations(fn, f"{self.kind} '{self.name}'", pickle_untyped)
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]
        self.failure_policy = policy_name(failure_policy, f"workflow '{self.name}'")
        # checked now, as flytekit does: a handler that cannot take the workflow's inputs is a definition error
        self.failure_handler = FailureHandler(self, on_failure) if on_failure is not None else None

    @property
    def interface(self) -> Interface:
        """Inputs and outputs, read from the annotations on first use."""
        if self._interface is None:
            self._interface = interface_of(self.fn, f"workflow '{self.name}'", self.pickle_untyped)
        return self._interface

    @property
    def workflow_metadata(self) -> WorkflowMetadata:
        """Its failure policy, as flytekit shows it."""
        from hpcflow.sdk.workflow_metadata import WorkflowMetadata

        return WorkflowMetadata(on_failure=WorkflowFailurePolicy[self.failure_policy])

    @property
    def workflow_metadata_defaults(self) -> WorkflowMetadataDefaults:
        """What it hands down to its tasks (hpcflow sets interruptible per task, so False)."""
        from hpcflow.sdk.workflow_metadata import WorkflowMetadataDefaults

        return WorkflowMetadataDefaults(interruptible=False)

    @property
    def graph(self) -> Graph:
        """The traced Graph; tracing happens once, on first use, and checks every type."""
        if self._graph is None:
            from hpcflow.core.trace import Builder  # the tracer, only in the processes that trace

            builder = Builder(f"workflow '{self.name}'", owner=(self.module, self.qualname))
            graph = traced(builder, self.name, self.fn, self.interface)
            self._graph = dataclasses.replace(graph, on_failure=self.failure_handler,
                                              failure_policy=self.failure_policy)
        return self._graph

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        builder = ACTIVE_BUILDER.get()
        if builder is not None:
            return builder.add_call(self.kind, self, args, kwargs, self.interface)
        if EAGER.get():  # inside an @eager body: an awaitable of the value
            return eager_call(self, args, kwargs)
        if args:  # flytekit takes the inputs in order, too
            kwargs = self.interface.call_arguments(args, kwargs, f"workflow '{self.name}'")
        from hpcflow.sdk.local_execution import run_workflow

        graph = self.graph  # traced first: a mistake in the body is found before the inputs (flytekit traces at decoration)
        inputs = bind_inputs(self.interface, kwargs, f"workflow '{self.name}'")
        return self.interface.join(run_workflow(graph, inputs))

    def __repr__(self) -> str:
        return f"<workflow {self.module}.{self.qualname}>"


def workflow(_fn: Callable[..., Any] | None = None, *, pickle_untyped: bool = False, on_failure: Any = None,
             failure_policy: Any = None) -> Any:
    """Declare a workflow: @workflow above a function that calls tasks with keyword arguments
    (`pickle_untyped=True`: inputs and outputs without annotations are Any, as in flytekit;
    `on_failure=`: a task or workflow run when it fails, and `failure_policy=`, sdk/failure.py)."""
    if _fn is None:
        return functools.partial(Workflow, pickle_untyped=pickle_untyped, on_failure=on_failure,
                                 failure_policy=failure_policy)
    return Workflow(_fn, pickle_untyped, on_failure, failure_policy)
