"""Flyte 2's `flyte.models`: the phases of a run (ActionPhase) and a running task's context's types."""
from hpcflow.sdk.flyte2.action import ActionID, GroupData, TaskContext
from hpcflow.sdk.flyte2.notify import ActionPhase

__all__ = ["ActionID", "ActionPhase", "GroupData", "TaskContext"]
