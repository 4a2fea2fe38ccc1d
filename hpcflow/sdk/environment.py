"""Environment and ReusePolicy (Flyte's reusable containers): tasks that run on warm workers."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Mapping

from hpcflow.errors import WorkflowDefinitionError


@dataclass(frozen=True)
class ReusePolicy:
    """Keep `replicas` worker jobs of `concurrency` slots each alive while there is work, and
    let each go after `idle_ttl` without any."""

    replicas: int = 1
    concurrency: int = 1
    idle_ttl: float | datetime.timedelta = 60.0

    def __post_init__(self) -> None:
        if self.replicas < 1 or self.concurrency < 1:
            raise WorkflowDefinitionError("ReusePolicy needs replicas >= 1 and concurrency >= 1")
        if self.idle_ttl_s <= 0:
            raise WorkflowDefinitionError("ReusePolicy idle_ttl must be positive")

    @property
    def idle_ttl_s(self) -> float:
        """idle_ttl in seconds."""
        ttl = self.idle_ttl
        return ttl.total_seconds() if isinstance(ttl, datetime.timedelta) else float(ttl)


@dataclass(frozen=True)
class Environment:
    """Where a task runs: environment variables, and optionally warm workers (`reuse`)."""

    name: str
    reuse: ReusePolicy | None = None
    env_vars: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name.replace("-", "_").isidentifier():
            raise WorkflowDefinitionError(f"Environment name {self.name!r} must be a simple name, e.g. 'gpu-pool'")
