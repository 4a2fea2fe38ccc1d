"""flytekit's WorkflowMetadata and WorkflowMetadataDefaults: a workflow's failure policy, and the
defaults its tasks are handed (interruptible). A @workflow shows its own as `wf.workflow_metadata`
and `wf.workflow_metadata_defaults`."""
from __future__ import annotations

from dataclasses import dataclass

from hpcflow.exceptions.user import FlyteValidationException
from hpcflow.sdk.failure import WorkflowFailurePolicy


@dataclass(frozen=True)
class WorkflowMetadata:
    """What the rest of a run does once one of its nodes failed."""

    on_failure: WorkflowFailurePolicy

    def __post_init__(self) -> None:
        if not isinstance(self.on_failure, WorkflowFailurePolicy):
            raise FlyteValidationException(f"Failure policy {self.on_failure!r} not acceptable: give "
                                           "WorkflowFailurePolicy.FAIL_IMMEDIATELY or FAIL_AFTER_EXECUTABLE_NODES_COMPLETE")


@dataclass(frozen=True)
class WorkflowMetadataDefaults:
    """What a workflow hands down to its tasks: whether they may run on preemptible nodes."""

    interruptible: bool

    def __post_init__(self) -> None:
        if not isinstance(self.interruptible, bool):
            raise FlyteValidationException(f"Interruptible must be boolean, {self.interruptible!r} invalid: "
                                           "give True or False")
