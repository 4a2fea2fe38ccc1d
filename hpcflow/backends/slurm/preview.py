"""`hpcflow submit --dry-run`: the plan and the jobscripts that would be submitted. Pure."""
from __future__ import annotations

import sys
from pathlib import Path

from hpcflow.backends.slurm.directives import chunks, sbatch_directives
from hpcflow.backends.slurm.submit import _dependency_kind
from hpcflow.core.plan import Plan
from hpcflow.runtime.jobscript import render_jobscript
from hpcflow.site.config import SiteConfig


def preview(plan: Plan, site: SiteConfig, workflow: str) -> str:
    """A readable listing: one block per sbatch call, with its dependencies by node id."""
    run_id = f"{workflow}-DRYRUN"
    run_dir = site.runs_dir / run_id
    out = [f"# plan for workflow '{workflow}' on site '{site.name}': {len(plan.jobs)} job(s)"]
    for job in plan.jobs:
        deps = ", ".join(f"{_dependency_kind(plan, job, up, site)} {up}" for up in job.depends_on) or "none"
        expander = job.kind == "map" and job.size is None
        size = "decided at run time (a sizing job submits the array)" if expander else str(job.size)
        out.append(f"\n## {job.id} ({job.name}): {job.kind}, elements: {size}, depends on: {deps}")
        parts = [None] if expander or not job.is_array else chunks(job.size or 0, site.max_array_size)
        if job.kind == "map" and job.size == 0:
            out.append("# empty map: nothing to submit")
            continue
        for chunk in parts:
            directives = sbatch_directives(job, site, run_id=run_id, log_dir=str(run_dir / "jobs" / job.id / "logs"),
                                           chunk=chunk, expander=expander)
            out.append(render_jobscript(run_id=run_id, run_dir=Path(run_dir), job=job,
                                        python=site.python or sys.executable, offset=chunk.offset if chunk else 0,
                                        count=chunk.count if chunk else 1, directives=directives,
                                        preamble=site.preamble, expander=expander).rstrip())
    return "\n".join(out)
