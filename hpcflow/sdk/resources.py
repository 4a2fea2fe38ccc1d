"""Resources(cpu=, mem=, gpu=, ...) as in flytekit, with Kubernetes-style quantities."""
from __future__ import annotations

from dataclasses import dataclass

from hpcflow.quantities import Quantity, parse_cpu, parse_gpu, parse_mem


@dataclass(frozen=True)
class Resources:
    """Requested or limiting resources of a task: cpu, mem, gpu, ephemeral_storage."""

    cpu: Quantity = None
    mem: Quantity = None
    gpu: Quantity = None
    ephemeral_storage: Quantity = None

    def __post_init__(self) -> None:
        # Parse now so that a typo fails where the task is declared, not on the cluster.
        parse_cpu(self.cpu)
        parse_mem(self.mem)
        parse_gpu(self.gpu)
        parse_mem(self.ephemeral_storage)
