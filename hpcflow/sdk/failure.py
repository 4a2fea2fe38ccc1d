"""flytekit's failure handling: `@workflow(on_failure=clean_up, failure_policy=...)`.

The handler (a task or a workflow) takes the workflow's inputs, and optionally
`err: Optional[FlyteError]`. In-process, as in flytekit, it is called when the workflow raises,
and the error is raised again. On a scheduler it becomes one more job of the run, the
workflow's failure watch: a small dynamic that waits (Slurm: afterany) until every job of the
workflow has ended, whatever their state, and then runs the handler as its sub-run only if one
of them did not succeed. Nothing waits for it: Slurm starts it. The run is still FAILED after
the handler ran, as in Flyte.

The failure policy says what happens to the rest of the run when a node fails:
FAIL_IMMEDIATELY (Flyte's default) cancels what has not started yet when hpcflow next looks at
the run; FAIL_AFTER_EXECUTABLE_NODES_COMPLETE lets every node that does not need the failed one
run to the end first. Either way the run is reported FAILED only once nothing of it is left.
"""
from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from hpcflow.errors import WorkflowDefinitionError
from hpcflow.sdk.body import traced
from hpcflow.sdk.spec import TaskSpec
from hpcflow.types.check import optional_inner
from hpcflow.types.interface import Interface

if TYPE_CHECKING:
    from hpcflow.core.graph import Graph
    from hpcflow.types.error.error import FlyteError

ERR = "err"  # the handler's input that receives the FlyteError


class WorkflowFailurePolicy(Enum):
    """What the rest of a run does once one of its nodes failed (flytekit's names)."""

    FAIL_IMMEDIATELY = "FAIL_IMMEDIATELY"
    FAIL_AFTER_EXECUTABLE_NODES_COMPLETE = "FAIL_AFTER_EXECUTABLE_NODES_COMPLETE"


def policy_name(policy: Any, where: str) -> str:
    """The policy's name, checked (None is Flyte's default, FAIL_IMMEDIATELY)."""
    if policy is None:
        return WorkflowFailurePolicy.FAIL_IMMEDIATELY.value
    if isinstance(policy, WorkflowFailurePolicy):
        return policy.value
    raise WorkflowDefinitionError(f"{where}: failure_policy takes a WorkflowFailurePolicy "
                                  f"(FAIL_IMMEDIATELY or FAIL_AFTER_EXECUTABLE_NODES_COMPLETE), not {policy!r}")


class FailureHandler:
    """The failure watch of one workflow: the node its `on_failure` becomes (a dynamic that the
    loader finds as `<workflow>.failure_handler`)."""

    kind = "dynamic"

    def __init__(self, workflow: Any, handler: Any):
        where = f"workflow '{workflow.name}'"
        if getattr(handler, "kind", None) not in ("task", "dynamic", "workflow"):
            raise WorkflowDefinitionError(f"{where}: on_failure takes a @task or a @workflow, not {handler!r}")
        check_handler_inputs(workflow.interface, handler.interface, f"{where}, on_failure '{handler.name}'")
        self.handler = handler
        self.name = f"on_failure {handler.name}"
        self.module, self.qualname = workflow.module, f"{workflow.qualname}.failure_handler"
        given = set(workflow.interface.input_names)
        self.interface = Interface(tuple(p for p in handler.interface.inputs if p.name in given), (), "none")
        self.takes_err = ERR in handler.interface.input_names
        self.spec = TaskSpec()

    def arguments(self, inputs: dict[str, Any], error: FlyteError) -> dict[str, Any]:
        """The handler's arguments: the workflow inputs it takes, and the error if it takes one."""
        given = {k: v for k, v in inputs.items() if k in self.interface.input_names}
        return {**given, ERR: error} if self.takes_err else given

    def trace(self, inputs: dict[str, Any]) -> Graph:
        """The sub-workflow the watch runs after a failure: one call of the handler. `inputs`
        holds the workflow's inputs and, under ERR, the FlyteError."""
        from hpcflow.core.trace import Builder  # the tracer, only in the processes that trace

        arguments = self.arguments(inputs, inputs[ERR])  # the watch traces only after a failure
        return traced(Builder(f"{self.name}"), self.name, lambda **kw: self.handler(**kw),
                      Interface(tuple(p for p in self.handler.interface.inputs if p.name in arguments), (), "none"),
                      arguments)

    def run_locally(self, inputs: dict[str, Any], error: FlyteError) -> None:
        """Call the handler in this process (flytekit's local execution of a failed workflow)."""
        self.handler(**self.arguments(inputs, error))


def check_handler_inputs(workflow: Interface, handler: Interface, where: str) -> None:
    """flytekit's rule: the handler takes every input of the workflow, with the same type, and
    any other input it has is Optional (the error, usually)."""
    theirs = {p.name: p for p in handler.inputs}
    for p in workflow.inputs:
        if p.name not in theirs:
            raise WorkflowDefinitionError(f"{where}: it must take every input of the workflow, "
                                          f"and has no input '{p.name}'")
        if theirs[p.name].type != p.type:
            raise WorkflowDefinitionError(f"{where}: its input '{p.name}' must have the workflow's type "
                                          f"{_name(p.type)}, not {_name(theirs[p.name].type)}")
    for name, p in theirs.items():
        if name not in workflow.input_names and optional_inner(p.type) is None:
            raise WorkflowDefinitionError(f"{where}: its input '{name}' is not an input of the workflow, so it must "
                                          f"be Optional (e.g. {ERR}: Optional[FlyteError] = None)")


def _name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


__all__ = ["WorkflowFailurePolicy", "FailureHandler", "ERR", "check_handler_inputs", "policy_name"]
