"""`hpcflow submit --dry-run`: the plan's sbatch calls, rendered exactly as submit renders them.

Only the --dependency values (sbatch options, not in the script) differ: Slurm ids exist once
jobs are submitted, so the preview names the plan jobs they stand for (`afterok:<n0>`). Pure.
"""
from __future__ import annotations

import sys

from hpcflow.core.layout import RunPlace
from hpcflow.core.sizing import sized_by_producers
from hpcflow.core.plan import Plan, SbatchCall
from hpcflow.backends.slurm.shell import sbatch_options
from hpcflow.runtime.jobscript import render_call
from hpcflow.site.config import SiteConfig


def symbolic_dependency(call: SbatchCall) -> str:
    """The --dependency of a call with plan job ids in angle brackets where Slurm ids will be."""
    if call.after_own:
        return f"afterany:<{call.job}>"
    by_kind: dict[str, list[str]] = {}
    for edge in call.after:
        by_kind.setdefault(edge.kind, []).append(f"<{edge.job}>")
    return ",".join(f"{kind}:{':'.join(jobs)}" for kind, jobs in by_kind.items())


def preview(plan: Plan, site: SiteConfig, place: RunPlace) -> str:
    """A readable listing: one block per sbatch call, in the order submit makes them."""
    out = [f"# plan for workflow '{plan.workflow}' on site '{site.name}': {len(plan.jobs)} job(s), "
           f"{len(plan.calls)} sbatch call(s); run {place.run_id}",
           "# calls that wait on nothing are submitted with `sbatch --hold` and released together once every "
           "call is in, so a submission that fails half-way is cancelled before any of its jobs started"]
    for job in plan.jobs:
        calls = [c for c in plan.calls if c.job == job.id]
        size = "decided at run time (by its producers, or a sizing job)" if job.size is None else str(job.size)
        kind = "conditional (runs the branch taken as a sub-run)" if "#" in job.entity.qualname else job.kind
        out.append(f"\n## {job.id} ({job.name}): {kind}, elements: {size}")
        if not calls and sized_by_producers(plan, job):
            out.append(f"# submitted by the last element of {', '.join(job.depends_on)} to finish, which sizes it; "
                       f"until then <{job.id}> stands for {', '.join(f'<{up}>' for up in job.depends_on)}")
        elif not calls:
            out.append("# nothing to submit (empty, or every element is already cached)")
        if calls and calls[0].window:
            out.append(f"# windowed to fit the cap on queued jobs: at most {calls[0].window} array tasks at a time; "
                       "the last of a window's tasks to finish submits the next and re-points what waits on it")
        for call in calls:
            dependency = symbolic_dependency(call)
            options = " ".join(sbatch_options(dependency, hold=not dependency and "--hold" not in site.extra_directives))
            out.append(f"# {call.role.value}: sbatch {options + ' ' if options else ''}{place.run_dir}/{call.script}")
            out.append(render_call(call, job, run_id=place.run_id, run_dir=place.run_dir,
                                   python=site.python or sys.executable, preamble=site.preamble).rstrip())
    return "\n".join(out)
