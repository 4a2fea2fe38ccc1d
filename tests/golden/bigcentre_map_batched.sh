#!/bin/bash
#SBATCH --job-name=hf-wf-20260101-000000-abcd
#SBATCH --partition=accel
#SBATCH --cpus-per-task=4
#SBATCH --mem=8192M
#SBATCH --gpus=2
#SBATCH --time=0-00:35:00
#SBATCH --array=0-1249%50
#SBATCH --output=/runs/wf-20260101-000000-abcd/jobs/n2/logs/slurm-%A_%a.out
#SBATCH --qos=scavenger
#SBATCH --requeue
#SBATCH --account=p123
#SBATCH --constraint=ib
# hpcflow run wf-20260101-000000-abcd: job n2 (map_partial_sum), elements 0..1249.
# Rendered from jobscripts/element.sh; the same script runs under Slurm and the local backend.
INDEX=${HPCFLOW_ELEMENT_INDEX:-$(( 0 + ${SLURM_ARRAY_TASK_ID:-0} ))}
exec >>/runs/wf-20260101-000000-abcd/jobs/n2/logs/$INDEX.log 2>&1
module load cray-python/3.11
export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK
export OMP_NUM_THREADS=4
unset HPCFLOW_STEAL_S
exec /opt/py/bin/python -m hpcflow.runtime.entry /runs/wf-20260101-000000-abcd n2 "$INDEX"
