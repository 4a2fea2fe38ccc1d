#!/bin/bash
#SBATCH --job-name=hf-wf-20260101-000000-abcd
#SBATCH --partition=gpu
#SBATCH --cpus-per-task=4
#SBATCH --mem=8192M
#SBATCH --gres=gpu:2
#SBATCH --time=0-00:32:00
#SBATCH --array=0-1000%16
#SBATCH --output=/runs/wf-20260101-000000-abcd/jobs/n2/logs/slurm-%A_%a.out
#SBATCH --account=chem-lab
# hpcflow run wf-20260101-000000-abcd: job n2 (map_partial_sum), elements 0..1000.
# Rendered from jobscripts/element.sh; the same script runs under Slurm and the local backend.
INDEX=${HPCFLOW_ELEMENT_INDEX:-$(( 0 + ${SLURM_ARRAY_TASK_ID:-0} ))}
exec >>/runs/wf-20260101-000000-abcd/jobs/n2/logs/$INDEX.log 2>&1
module purge
module load python/3.11 cuda/12.2
source ~/venvs/hpcflow/bin/activate
export OMP_NUM_THREADS=4
unset HPCFLOW_STEAL_S
exec /opt/py/bin/python -m hpcflow.runtime.entry /runs/wf-20260101-000000-abcd n2 "$INDEX"
