"""flytekit's reference entities: `@reference_workflow(project=, domain=, name=, version=)` (and
`reference_task`, `reference_launch_plan`) above a stub declare an entity registered on a Flyte
cluster, by its id and the stub's interface. hpcflow reaches no Flyte cluster, so, as in
flytekit's local runs, declaring one (and a LaunchPlan of it) works and running it fails with
what to do instead."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from hpcflow.errors import WorkflowDefinitionError
from hpcflow.sdk.spec import TaskSpec
from hpcflow.sdk.task import Task
from hpcflow.sdk.workflow import Workflow


@dataclass(frozen=True)
class ReferenceId:
    """Where the referenced entity is registered (flytekit's Identifier)."""

    resource_type: str  # "task", "workflow" or "launch_plan"
    project: str
    domain: str
    name: str
    version: str


def _unreachable(fn: Callable[..., Any], ref: ReferenceId) -> Callable[..., Any]:
    """The stub's signature and annotations, with a body that says why it cannot run here."""

    @functools.wraps(fn)
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise WorkflowDefinitionError(
            f"reference_{ref.resource_type} '{ref.name}' ({ref.project}/{ref.domain}, version {ref.version}) is "
            "registered on a Flyte cluster, which hpcflow does not reach: import its code and call it instead")

    return refuse


class ReferenceWorkflow(Workflow):
    """A workflow (or launch plan) registered on a Flyte cluster: its id and interface."""

    def __init__(self, fn: Callable[..., Any], ref: ReferenceId):
        super().__init__(_unreachable(fn, ref))
        self.id, self.name = ref, ref.name


class ReferenceTask(Task):
    """A task registered on a Flyte cluster: its id and interface."""

    def __init__(self, fn: Callable[..., Any], ref: ReferenceId):
        super().__init__(_unreachable(fn, ref), TaskSpec())
        self.id, self.name = ref, ref.name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # in a workflow too: its node could never run
        return self.fn(*args, **kwargs)


def _reference(kind: str, make: Callable[[Callable[..., Any], ReferenceId], Any]) -> Callable[..., Any]:
    def declare(project: str, domain: str, name: str, version: str) -> Callable[[Callable[..., Any]], Any]:
        return lambda fn: make(fn, ReferenceId(kind, project, domain, name, version))

    declare.__name__ = f"reference_{kind}"
    declare.__doc__ = f"Declare a {kind} registered on a Flyte cluster (it cannot run under hpcflow)."
    return declare


reference_workflow = _reference("workflow", ReferenceWorkflow)
reference_launch_plan = _reference("launch_plan", ReferenceWorkflow)
reference_task = _reference("task", ReferenceTask)
