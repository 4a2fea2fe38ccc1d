"""`from flytekit.types.error.error import FlyteError` becomes `from hpcflow.types.error.error import FlyteError`."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FlyteError:
    """What a workflow's on_failure handler is told when a node failed: the error's first line
    and the id of the node (job) that failed, as `hpcflow status` labels it."""

    message: str
    failed_node_id: str


__all__ = ["FlyteError"]
