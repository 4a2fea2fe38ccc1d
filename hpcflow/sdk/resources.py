"""Resources(cpu=, mem=, gpu=, ...) as in flytekit, with Kubernetes-style quantities."""
from __future__ import annotations

from dataclasses import dataclass, field

from hpcflow.quantities import ParsedResources, Quantity, parse_resources


@dataclass(frozen=True)
class Resources:
    """Requested or limiting resources of a task: cpu, mem, gpu, ephemeral_storage."""

    cpu: Quantity = None
    mem: Quantity = None
    gpu: Quantity = None
    ephemeral_storage: Quantity = None
    parsed: ParsedResources = field(init=False, repr=False, compare=False)  # what the compiler reads

    def __post_init__(self) -> None:
        # Parse now so that a typo fails where the task is declared, not on the cluster.
        object.__setattr__(self, "parsed", parse_resources(self.cpu, self.mem, self.gpu, self.ephemeral_storage))
