"""What a plan says about who sizes a map and who opens a window: read by every element as it ends,
so kept apart from the layout's heavier modules (sbatch directives, site configs)."""
from __future__ import annotations

from hpcflow.core.plan import JobPlan, Plan


def window_of(plan: Plan, job_id: str | None = None) -> int:
    """The window size of a windowed run (of `job_id`'s calls, when given); 0 when not windowed."""
    return next((c.window for c in plan.calls if c.window and (job_id is None or c.job == job_id)), 0)


def sized_by_producers(plan: Plan, job: JobPlan) -> bool:
    """A map whose length comes from the outputs of task or map jobs: the element that finishes
    them last sizes it and submits its array, so it needs no job of its own to do so. (Outputs of
    a dynamic come from its sub-run, and a pooled job's elements run on warm workers: maps fed by
    those keep a sizing job.)"""
    return (job.kind == "map" and job.size is None and not job.pool and bool(job.depends_on)
            and all(plan.job(up).kind in ("task", "map") and not plan.job(up).pool for up in job.depends_on))
