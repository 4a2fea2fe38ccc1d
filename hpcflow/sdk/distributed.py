"""Multi-process and multi-node tasks: the task_config= of flytekit's training and MPI plugins.

`from flytekitplugins.kfpytorch import PyTorch, Elastic` and `from flytekitplugins.kfmpi import
MPIJob` become `from hpcflow.plugins import ...`. On Kubernetes they start a group of pods; on
Slurm they become one job over `--nodes`, with `--ntasks-per-node` ranks on each, started with
srun. Every rank calls the task's function with the rendezvous environment set (MASTER_ADDR,
MASTER_PORT, RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE: what `torch.distributed`'s env://
reads); an MPI job's ranks are started through Slurm's PMI, so `mpi4py` needs no mpirun. The
task's return value is rank 0's. In-process calls (`wf(...)`) call the function once, as
flytekit's local run does.

Requests and limits are per node (a pod's, in Kubernetes terms): a node's CPUs are shared among
its ranks, its memory and GPUs are the node's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Union

from hpcflow.errors import WorkflowDefinitionError

TORCH = "torch"  # ranks find each other through MASTER_ADDR/MASTER_PORT (torch.distributed's env://)
MPI_LAUNCH = "mpi"  # ranks are MPI processes started through Slurm's PMI (srun --mpi=...)


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise WorkflowDefinitionError(f"{what} must be a whole number >= 1, not {value!r}")
    return value


def _ranks(nodes: int, tasks_per_node: int, launcher: str) -> dict[str, Any]:
    return {"nodes": nodes, "tasks_per_node": tasks_per_node, "launcher": launcher}


@dataclass
class RunPolicy:
    """flytekit's run policy of a training job. Its pod clean-up options have nothing to clean on
    Slurm (a job's processes end with it); its deadline and backoff are the task's timeout and retries."""

    clean_pod_policy: Any = None
    ttl_seconds_after_finished: int | None = None
    active_deadline_seconds: int | None = None
    backoff_limit: int | None = None

    def __post_init__(self) -> None:
        if self.active_deadline_seconds is not None or self.backoff_limit is not None:
            raise WorkflowDefinitionError("RunPolicy(active_deadline_seconds=, backoff_limit=): use @task(timeout=...) "
                                          "and @task(retries=...), which hpcflow enforces for every kind of task")


@dataclass
class Worker:
    """The worker replica group of a PyTorch or MPI job: `replicas` nodes."""

    image: str | None = None
    requests: Any = None
    limits: Any = None
    replicas: int | None = None
    restart_policy: Any = None


@dataclass
class Master:
    """The master replica of a PyTorch job (always one)."""

    image: str | None = None
    requests: Any = None
    limits: Any = None
    replicas: int = 1
    restart_policy: Any = None


@dataclass
class Launcher:
    """The launcher replica of an MPI job; on Slurm, srun is the launcher, so it adds no node."""

    image: str | None = None
    requests: Any = None
    limits: Any = None
    replicas: int | None = None
    restart_policy: Any = None


def _no_images(*groups: Any) -> None:
    for group in groups:
        if group is not None and (group.image or group.requests or group.limits):
            raise WorkflowDefinitionError(
                f"{type(group).__name__}(image=, requests=, limits=): on Slurm every rank of a task runs the same "
                "software on nodes alike; set container_image=, requests= and limits= on the @task instead")


@dataclass
class PyTorch:
    """A PyTorchJob: one master and `worker.replicas` (or `num_workers`) workers, one rank a node."""

    master: Master = field(default_factory=Master)
    worker: Worker = field(default_factory=Worker)
    run_policy: RunPolicy | None = None
    num_workers: int | None = None
    increase_shared_mem: bool = True

    def __post_init__(self) -> None:
        _no_images(self.master, self.worker)
        if self.num_workers is not None and self.worker.replicas is not None:
            raise WorkflowDefinitionError("PyTorch: give num_workers or worker=Worker(replicas=...), not both")
        if self.num_workers is None and self.worker.replicas is None:
            raise WorkflowDefinitionError("PyTorch: give worker=Worker(replicas=N) (or num_workers=N)")
        workers = self.num_workers if self.num_workers is not None else self.worker.replicas
        self.workers = _count(workers, "PyTorch worker replicas") if workers else 0

    def spec_options(self) -> dict[str, Any]:
        """The TaskSpec fields this config sets: a master and its workers, one rank on each node."""
        return _ranks(1 + self.workers, 1, TORCH)


@dataclass
class Elastic:
    """torchrun's shape: `nnodes` nodes with `nproc_per_node` ranks each."""

    nnodes: Union[int, str] = 1
    nproc_per_node: int = 1
    start_method: str = "spawn"
    monitor_interval: int = 5
    max_restarts: int = 0
    rdzv_configs: Mapping[str, Any] = field(default_factory=dict)
    increase_shared_mem: bool = True
    run_policy: RunPolicy | None = None

    def __post_init__(self) -> None:
        nnodes = self.nnodes
        if isinstance(nnodes, str):  # "min:max": Slurm allocates a fixed count, the most asked for
            low, _, high = nnodes.partition(":")
            if not (low.strip().isdigit() and (not high or high.strip().isdigit())):
                raise WorkflowDefinitionError(f"Elastic(nnodes={nnodes!r}): give a count or 'min:max', e.g. '1:2'")
            nnodes = int(high or low)
        self.nodes = _count(nnodes, "Elastic nnodes")
        _count(self.nproc_per_node, "Elastic nproc_per_node")
        if self.max_restarts:
            raise WorkflowDefinitionError("Elastic(max_restarts=...): on Slurm a failed rank fails the task; use "
                                          "@task(retries=N) to run it again")

    def spec_options(self) -> dict[str, Any]:
        """The TaskSpec fields this config sets."""
        return _ranks(self.nodes, self.nproc_per_node, TORCH)


@dataclass
class MPIJob:
    """flytekit's MPIJob: `worker.replicas` (or `num_workers`) nodes with `slots` MPI ranks each."""

    launcher: Launcher = field(default_factory=Launcher)
    worker: Worker = field(default_factory=Worker)
    run_policy: RunPolicy | None = None
    slots: int = 1
    num_launcher_replicas: int | None = None
    num_workers: int | None = None

    def __post_init__(self) -> None:
        _no_images(self.launcher, self.worker)
        workers = self.num_workers if self.num_workers is not None else self.worker.replicas
        self.nodes = _count(workers if workers is not None else 1, "MPIJob worker replicas")
        _count(self.slots, "MPIJob slots")

    def spec_options(self) -> dict[str, Any]:
        """The TaskSpec fields this config sets."""
        return _ranks(self.nodes, self.slots, MPI_LAUNCH)


@dataclass
class MPI:
    """hpcflow's own MPI task config: `nodes` nodes with `tasks_per_node` MPI ranks each."""

    nodes: int = 1
    tasks_per_node: int = 1

    def __post_init__(self) -> None:
        _count(self.nodes, "MPI nodes")
        _count(self.tasks_per_node, "MPI tasks_per_node")

    def spec_options(self) -> dict[str, Any]:
        """The TaskSpec fields this config sets."""
        return _ranks(self.nodes, self.tasks_per_node, MPI_LAUNCH)
