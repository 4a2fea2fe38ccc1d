"""What a failure watch (a workflow's on_failure job, sdk/failure.py) finds when it runs: the
first of the jobs it watches that did not succeed, read from the run directory alone.

The watch starts only once every job it watches has ended (afterany), so an element that
still reads PENDING or RUNNING never got to record its end: Slurm cancelled it (its upstream
failed) or killed it. A failure an element recorded itself names the cause, so it is preferred.
"""
from __future__ import annotations

from hpcflow.core.plan import JobPlan
from hpcflow.core.states import State
from hpcflow.runtime.rundir import RunDir
from hpcflow.types.error.error import FlyteError


def first_failure(rd: RunDir, watch: JobPlan) -> FlyteError | None:
    """The failure among the jobs `watch` waits on (depth first into dynamics' sub-runs), or None."""
    found = _first_bad(rd, set(watch.depends_on), "")
    if not found:
        return None
    label, message, _ = next((f for f in found if f[2]), found[0])
    return FlyteError(message, label)


def _first_bad(rd: RunDir, job_ids: set[str], prefix: str) -> list[tuple[str, str, bool]]:
    """(label, message, whether the element recorded it) for each job that did not succeed, in plan order."""
    bad: list[tuple[str, str, bool]] = []
    for job in rd.plan.jobs:
        if job.id not in job_ids:
            continue
        label = prefix + job.id
        size = rd.size(job.id)
        job_state = rd.job_state(job.id)
        if job_state is not None and not job_state[0].ok:
            bad.append((label, f"{job_state[0].value}: {job_state[1]}", False))
            continue
        if size is None:
            bad.append((label, "it never started: a job it depends on did not succeed", False))
            continue
        statuses = rd.statuses(job.id, size)
        failed = [i for i, s in enumerate(statuses) if not s.state.ok]
        needed = job.min_success_ratio if job.kind == "map" else 1.0
        if failed and size - len(failed) < needed * size:
            recorded = [i for i in failed if statuses[i].state.finished and statuses[i].state is not State.CANCELLED]
            i = (recorded or failed)[0]
            message = statuses[i].error or statuses[i].state.value if recorded else (
                f"{statuses[i].state.value}: it ended without recording an outcome (cancelled or killed by Slurm)")
            bad.append((f"{label}[{i}]" if job.kind == "map" else label, message, bool(recorded)))
            continue
        if job.kind == "dynamic":
            for i in range(size):
                sub = rd.sub_path(job.id, i)
                if (sub / "plan.json").exists():
                    inner = RunDir(sub)
                    bad += _first_bad(inner, {j.id for j in inner.plan.jobs if not j.on_failure}, f"{label}[{i}]/")
    return bad
