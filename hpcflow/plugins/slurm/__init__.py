"""`from flytekitplugins.slurm import SlurmFunctionConfig, SlurmShellTask, ...` becomes
`from hpcflow.plugins.slurm import ...` (the names of the plugin's first releases too: SlurmFunction,
Slurm, SlurmRemoteScript with sbatch_conf). See hpcflow/sdk/slurm.py for what carries over."""
from hpcflow.sdk.slurm import (
    Slurm, SlurmConfig, SlurmFunction, SlurmFunctionConfig, SlurmFunctionTask, SlurmRemoteScript, SlurmScriptConfig,
    SlurmShellTask, SlurmTask,
)

__all__ = ["SlurmFunctionConfig", "SlurmFunctionTask", "SlurmConfig", "SlurmScriptConfig", "SlurmShellTask", "SlurmTask",
           "SlurmFunction", "Slurm", "SlurmRemoteScript"]
