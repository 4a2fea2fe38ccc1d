"""Submitting a run to Slurm: lay the plan out, then walk its sbatch calls in order.

Every decision (batching, chunking, directives, helper jobs, dependency kinds) is in the
plan's calls (core/layout.py); this module only renders each call, resolves its edges to the
Slurm ids known by then, calls sbatch and records what it did.
"""
from __future__ import annotations

import contextlib
import getpass
import sys
from typing import Iterator

from hpcflow.backends.slurm.registry import Ref, Registry, WaitEdge, new_window
from hpcflow.backends.slurm.shell import SlurmError, SlurmShell
from hpcflow.core.directives import Dependency
from hpcflow.core.fitting import fit_under
from hpcflow.core.layout import RunPlace, array_tasks, lay_out
from hpcflow.core.sizing import sized_by_producers
from hpcflow.core.plan import JobPlan, Plan, Role, SbatchCall, SubmissionRecord
from hpcflow.core.states import State
from hpcflow.errors import HpcflowError
from hpcflow.runtime.jobscript import render_calls
from hpcflow.runtime.prepass import take_cached
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.timings import recall
from hpcflow.site.config import SiteConfig


class SubmitError(HpcflowError):
    """A submission failed; whatever it had queued was cancelled."""


def place_of(rd: RunDir) -> RunPlace:
    """Where a run directory's jobs write (its id and path, as the layout names them)."""
    return RunPlace(rd.meta.run_id, str(rd.path))


def submit(rd: RunDir, site: SiteConfig, shell: SlurmShell | None = None, resume: bool = False) -> list[int]:
    """Submit every call of a new (or resumed) run in order; all or nothing."""
    shell = shell or SlurmShell()
    with Registry.lease(rd):
        registry = Registry.load(rd)
        if resume:
            registry.waiting.clear()  # the jobs that waited before are all gone
            registry.resubmitted.clear()
            registry.windows.clear()
        already = len(shell.submitted)
        try:
            with held_until_committed(shell, site):
                ids = submit_plan(rd, site, shell, registry)
        except BaseException as exc:  # anything at all, Ctrl-C included: leave no half-submitted run
            queued = shell.submitted[already:]
            reason = str(exc) if isinstance(exc, HpcflowError) else f"{type(exc).__name__}: {exc}"
            message = f"run {rd.meta.run_id}: submission failed: {reason}; " + roll_back(shell, queued)
            rd.set_state(State.FAILED, message)
            if isinstance(exc, Exception):
                raise SubmitError(message) from None
            raise
        finally:
            registry.save()
    return ids


@contextlib.contextmanager
def held_until_committed(shell: SlurmShell, site: SiteConfig) -> Iterator[None]:
    """Jobs that wait on nothing are submitted held and released together at the end, so a
    submission that fails half-way is rolled back before any of its jobs has started.
    (A site whose extra_directives hold every job keeps them held: nothing is released.)"""
    if "--hold" in site.extra_directives or shell.holding is not None:
        yield
        return
    shell.holding = []
    try:
        yield
        if shell.holding:
            shell.run(["scontrol", "release", ",".join(map(str, shell.holding))])
    finally:
        shell.holding = None


def laid_out(rd: RunDir, site: SiteConfig, place: RunPlace | None = None,
             queued: int = 0) -> tuple[Plan, dict[str, int | None]]:
    """Take what the cache has, lay the plan out for the rest (batched to fit under the site's
    max_submit_jobs, with `queued` of the user's jobs already in the queue), and keep that plan
    in plan.json; the plan and each job's size as known now (None: not sized yet).
    `place`: where the run will live, when `rd` is a scratch copy (a dry run)."""
    take_cached(rd)
    sizes = rd.sizes()
    known = {job_id: size for job_id, size in sizes.items() if size is not None}
    done, where = rd.done_by_job(sizes), place or place_of(rd)
    recorded, seconds = recorded_batches(rd), element_seconds(rd)
    cap = site.max_submit_jobs
    calls, _ = fit_under(lambda s, window=0: lay_out(rd.plan, s, where, done, known, window, recorded, seconds),
                         site, None if cap is None else cap - queued, cap_reason(site, queued))
    plan = rd.plan.with_calls(calls)
    rd.write_plan(plan)
    return plan, sizes


def recorded_batches(rd: RunDir) -> dict[str, int]:
    """The batch sizes the run's maps' records follow (decided by an earlier submission or a probe; 1 for
    one element per task)."""
    found = {}
    for job in rd.plan.jobs:
        if job.is_array:
            batch = rd.recorded_batch(job.id)  # (None for an undecided probe: it times again)
            if batch:
                found[job.id] = batch
    return found


def element_seconds(rd: RunDir) -> dict[str, float]:
    """What one element of each map's task took in an earlier run here (runtime/timings.py)."""
    found = {}
    for job in rd.plan.jobs:
        if job.is_array and job.size != 0 and not job.batch_size:  # a given batch_size needs no time
            seconds = recall(rd.meta.cache_dir, rd.plan, job)
            if seconds is not None:
                found[job.id] = seconds
    return found


def cap_reason(site: SiteConfig, queued: int) -> str:
    """Why a run must fit under the site's max_submit_jobs, for fit_under's refusal."""
    return f"you may have {site.max_submit_jobs} queued (max_submit_jobs of site {site.name}) and have {queued}"


def queued_by_me(shell: SlurmShell, site: SiteConfig) -> int:
    """How many jobs this user has queued or running, array tasks one by one (one squeue call):
    in the QoS the site's jobs run under when its extra_directives name one (a QoS's cap counts
    only its own jobs), else all of them."""
    qos = site.qos_given
    return len(shell.run(["squeue", "-h", "-r", "-u", getpass.getuser(), "-o", "%i",
                          *([f"--qos={qos}"] if qos else [])]).split())


def submit_plan(rd: RunDir, site: SiteConfig, shell: SlurmShell, registry: Registry) -> list[int]:
    """sbatch each call of `rd`'s plan, waiting on the gates of upstream jobs; records ids in the registry."""
    plan, sizes = laid_out(rd, site, queued=queued_by_me(shell, site) if site.max_submit_jobs is not None else 0)
    by_job: dict[str, list[SbatchCall]] = {}
    for call in plan.calls:
        by_job.setdefault(call.job, []).append(call)
    jobs = {job.id: job for job in plan.jobs}
    write_scripts(rd, [(call, jobs[call.job]) for call in plan.calls], site)  # all at once, before any sbatch
    submitted: list[int] = []
    recorded = rd.submissions_by_job()
    for job in plan.jobs:
        calls = by_job.get(job.id)
        if calls:
            records = submit_calls(rd, job, calls, site, shell, registry, before=recorded[job.id])
            registry.gates[registry.ref(rd, job.id)] = gate(records)
            if calls[0].window:  # a windowed map: its last element to finish submits the next window
                registry.windows[registry.ref(rd, job.id)] = new_window(array_tasks(calls), calls[0].window)
            submitted += [r.id for r in records]
            continue
        ref = registry.ref(rd, job.id)
        registry.gates[ref] = []  # nothing left to run, or nothing to run yet:
        if sizes[job.id] is None and sized_by_producers(plan, job):  # until sized, it stands for its producers
            registry.aliases[ref] = [registry.ref(rd, up) for up in job.depends_on]
        if recorded[job.id]:  # a resumed run's: those jobs are gone
            rd.write_submissions(job.id, [])
        if job.kind == "dynamic":  # its sub-runs may still have work (after a resume)
            for i in range(sizes[job.id] or 0):
                submitted += submit_plan(RunDir(rd.sub_path(job.id, i)), site, shell, registry)
    return submitted


def write_scripts(rd: RunDir, calls: list[tuple[SbatchCall, JobPlan]], site: SiteConfig) -> None:
    """Render and save the jobscripts of (call, its job) pairs of `rd`'s plan."""
    rd.write_scripts(render_calls(calls, run_id=rd.meta.run_id, run_dir=rd.path,
                                  python=site.python or sys.executable, preamble=site.preamble))


def submit_calls(rd: RunDir, job: JobPlan, calls: list[SbatchCall], site: SiteConfig, shell: SlurmShell,
                 registry: Registry, before: list[SubmissionRecord] | None = None) -> list[SubmissionRecord]:
    """sbatch `calls` of one job in order; a sentinel waits (afterany) on the element calls before it.
    `before`: the job's records so far, when the caller (submit_plan) has read them and written the
    calls' scripts. Its calls wait only on jobs of the same pass, which are held until it commits,
    so none can have finished: their status files need no reading."""
    if before is None:
        write_scripts(rd, [(call, job) for call in calls], site)
        before = rd.submissions(job.id)
    records: list[SubmissionRecord] = []
    for call in calls:
        if call.after_own:
            dependency = Dependency(afterany=tuple(r.id for r in records if r.role.runs_elements))
        else:
            waits = [WaitEdge(registry.ref(rd, edge.job), edge.kind) for edge in call.after]
            dependency = registry.dependency(waits, skip_finished=before is None)
        record = sbatch_call(rd, job, call, shell, dependency.spec())
        registry.submitted.append(record.id)
        if call.after:  # re-pointed when an upstream job expands at run time
            registry.waiting[str(record.id)] = [WaitEdge(registry.ref(rd, e.job), e.kind) for e in call.after]
        records.append(record)
        rd.write_submissions(job.id, before + records)  # at once: a rollback must find every id
    return records


def sbatch_call(rd: RunDir, job: JobPlan, call: SbatchCall, shell: SlurmShell, dependency: str = "") -> SubmissionRecord:
    """sbatch one call whose script is written; the caller keeps the record (submit_calls, in the job's records)."""
    if call.role is Role.PROBE:  # for now, every element's records are array task 0's
        rd.write_batch(job.id, call.batch or 1, call.why, probing=True)
    elif call.batch and rd.batch_size(job.id) != call.batch:  # the runtime reads it to know which elements a task runs
        rd.write_batch(job.id, call.batch, call.why)
    held = not dependency and shell.holding is not None
    record = SubmissionRecord.of(shell.sbatch(str(rd.path / call.script), dependency, held), call)
    if held:
        shell.holding.append(record.id)
    return record


def gate(records: list[SubmissionRecord]) -> list[int]:
    """The ids that dependents of a job wait on: its last sentinel or its proxy, else its element jobs."""
    for role in (Role.SENTINEL, Role.PROXY):
        last = [r.id for r in records if r.role is role][-1:]
        if last:
            return last
    return [r.id for r in records]


def update_waiting(registry: Registry, target: Ref, shell: SlurmShell) -> None:
    """Rewrite the --dependency of every pending job that waits on `target`."""
    for jid, edges in registry.waiting_on(target).items():
        shell.update_dependency(int(jid), registry.dependency(edges, skip_finished=True).spec())


def sinks(plan: Plan) -> list[str]:
    """Jobs of a plan that no other job of the plan depends on."""
    used = {d for job in plan.jobs for d in job.depends_on}
    return [job.id for job in plan.jobs if job.id not in used]


def roll_back(shell: SlurmShell, ids: list[int]) -> str:
    """scancel what a failed submission queued; what to tell the user about it, truthfully."""
    if not ids:
        return "nothing had been queued"
    try:
        shell.scancel(ids)
    except SlurmError as exc:
        listed = " ".join(map(str, ids))
        return (f"could not cancel the {len(ids)} job(s) it had queued ({exc}); "
                f"cancel them with: scancel {listed}")
    return f"cancelled the {len(ids)} job(s) it had queued"
