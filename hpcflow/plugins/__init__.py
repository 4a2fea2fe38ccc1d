"""flytekitplugins, for code whose imports were swapped: `flytekitplugins.slurm` is hpcflow.plugins.slurm,
`flytekitplugins.kfpytorch` and `flytekitplugins.kfmpi` are hpcflow.plugins.kfpytorch and .kfmpi, and
their task configs are here too (`from hpcflow.plugins import PyTorch`)."""
from hpcflow.sdk.distributed import MPI, Elastic, Launcher, Master, MPIJob, PyTorch, RunPolicy, Worker

__all__ = ["PyTorch", "Elastic", "MPIJob", "MPI", "Master", "Worker", "Launcher", "RunPolicy"]
