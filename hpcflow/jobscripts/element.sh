#!/bin/bash
${directives}
# hpcflow run ${run_id}: job ${job_id} (${job_name}), elements ${first}..${last}.
# Rendered from jobscripts/element.sh; the same script runs under Slurm and the local backend.
INDEX=$${HPCFLOW_ELEMENT_INDEX:-$$(( ${offset} + $${SLURM_ARRAY_TASK_ID:-0} ))}
${skip}
exec >>${log_file} 2>&1
${preamble}
${environment}
${run}
