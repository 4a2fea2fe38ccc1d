"""flytekitplugins, for code whose imports were swapped: `flytekitplugins.slurm` is hpcflow.plugins.slurm."""
