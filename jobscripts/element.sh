#!/bin/bash
${directives}
# hpcflow run ${run_id}: job ${job_id} (${job_name}), ${elements} element(s).
# Rendered from jobscripts/element.sh; the same script runs under Slurm and the local backend.
set -e
${preamble}
${environment}
exec ${python} -m hpcflow.runtime.entry ${run_dir} ${job_id} "$${HPCFLOW_ELEMENT_INDEX:-$${SLURM_ARRAY_TASK_ID:-0}}"
