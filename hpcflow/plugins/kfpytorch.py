"""`from flytekitplugins.kfpytorch import PyTorch, Elastic` becomes `from hpcflow.plugins.kfpytorch import ...`:
one Slurm job over the nodes, its ranks started by srun (hpcflow/sdk/distributed.py)."""
from hpcflow.sdk.distributed import Elastic, Master, PyTorch, RunPolicy, Worker

__all__ = ["PyTorch", "Elastic", "Master", "Worker", "RunPolicy"]
