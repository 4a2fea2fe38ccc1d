"""The Slurm backend: jobs as sbatch arrays chained with --dependency; no process waits."""
