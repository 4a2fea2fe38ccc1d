"""`from flytekitplugins.kfmpi import MPIJob` becomes `from hpcflow.plugins.kfmpi import MPIJob`: one Slurm job
over the workers' nodes, its MPI ranks started by srun through Slurm's PMI (hpcflow/sdk/distributed.py)."""
from hpcflow.sdk.distributed import Launcher, MPIJob, RunPolicy, Worker

__all__ = ["MPIJob", "Launcher", "Worker", "RunPolicy"]
