"""The Slurm backend: the runtime's Backend interface over sbatch, squeue, sacct and scancel."""
from __future__ import annotations

import os
import sys
from typing import Any

from hpcflow.backends.slurm.expand import expand_when_ready, submit_dynamic_subrun, submit_probed
from hpcflow.backends.slurm.monitor import LiveStates, overlay
from hpcflow.backends.slurm.shell import SlurmError, SlurmShell
from hpcflow.backends.slurm.windows import submit_next_window
from hpcflow.backends.slurm.submit import laid_out, submit
from hpcflow.backends.slurm.usage import history, usage_by_job
from hpcflow.core.directives import Chunk, job_name
from hpcflow.core.efficiency import TaskRecord, TaskUsage
from hpcflow.core.states import State
from hpcflow.core.layout import RunPlace
from hpcflow.core.sizing import sized_by_producers, window_of
from hpcflow.core.plan import JobPlan, Plan, Role
from hpcflow.runtime.backend import LiveView
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.summary import mark_pending
from hpcflow.site.config import SiteConfig, load_site


class SlurmBackend:
    """Submits a run's plan as Slurm jobs and answers for them; every call goes through SlurmShell."""

    name = "slurm"

    def __init__(self, site: SiteConfig, shell: SlurmShell | None = None):
        self.site = site
        self.shell = shell or SlurmShell()

    @classmethod
    def for_run(cls, rd: RunDir, shell: SlurmShell | None = None, **_local_options: Any) -> "SlurmBackend":
        """The backend of an existing run, with the site config it was submitted with."""
        return cls(load_site(rd.meta.site), shell)

    @property
    def poll_interval_s(self) -> float:
        """How often `wait` asks Slurm at first (it backs off while nothing changes)."""
        return self.site.poll_interval_s

    def dry_run(self, scratch: RunDir, place: RunPlace) -> Plan:
        """The plan a submission at `place` would walk: `scratch` is a throwaway copy of the run,
        which takes the cache hits exactly as the real submission will."""
        return laid_out(scratch, self.site, place)[0]

    def submit(self, rd: RunDir) -> list[int]:
        """Submit every call of the run's plan; all or nothing."""
        return submit(rd, self.site, self.shell)

    def resume(self, rd: RunDir) -> list[int]:
        """Submit again what did not succeed, and what depends on it; all or nothing, as a submit."""
        return submit(rd, self.site, self.shell, resume=True)

    def live(self, rd: RunDir) -> LiveView:
        """Slurm's view of every element of the run: one squeue call, and one sacct call per chunk of
        job ids only if an element ended without recording it."""
        return overlay(LiveStates(rd, self.shell))

    def usage(self, rd: RunDir, job_ids: list[int]) -> dict[int, list[TaskUsage]]:
        """sacct's CPU time, elapsed time and memory of the jobs' tasks."""
        return usage_by_job(self.shell, job_ids)

    def history(self, rd: RunDir, job_ids: list[int]) -> list[TaskRecord]:
        """sacct's records of the jobs' tasks, each requeued run apart."""
        return history(self.shell, job_ids)

    def settle_abandoned(self, rd: RunDir) -> str:
        """Nothing drives a Slurm run: Slurm runs it."""
        return ""

    def cancel(self, rd: RunDir) -> None:
        """scancel every job of the run, by its name."""
        self.shell.scancel(name=job_name(rd.meta.run_id))

    def cancel_pending(self, rd: RunDir) -> None:
        """scancel the run's jobs that have not started, and record their elements as CANCELLED;
        failure watches (and the handlers they submitted) are spared: they run after a failure."""
        name = f"--name={job_name(rd.meta.run_id)}"
        spared = failure_handling_ids(rd)
        if spared is None:
            self.shell.run(["scancel", name, "--state=PENDING"])
        else:
            pending = self.shell.run(["squeue", name, "--state=PENDING", "-h", "-o", "%F"]).split()
            ids = sorted({int(i) for i in pending if i.isdigit()} - spared)
            if ids:  # one may have started or ended since squeue looked: that one is not pending any more
                self.shell.run(["scancel", "--state=PENDING", *map(str, ids)],
                               fine=lambda text: all("Invalid job id" in line or "already complet" in line
                                                     for line in text.strip().splitlines()))
        mark_pending(rd, State.CANCELLED, "the run failed before this element started")

    def submit_subrun(self, rd: RunDir, job: JobPlan, index: int) -> None:
        """Submit a dynamic element's sub-workflow; the dynamic's dependents are re-pointed at it."""
        submit_dynamic_subrun(rd, job, index, self.site, self.shell)

    def element_done(self, rd: RunDir, job: JobPlan, index: int) -> None:
        """Submit the next window of a windowed map once its window has finished, and each map
        that `job` feeds once every element of its producers has."""
        if window_of(rd.plan, job.id) or rd.windows_dir(job.id).is_dir():  # windowed at submit, or when sized
            submit_next_window(rd, job, self.site, self.shell)
        for consumer in rd.plan.jobs:
            if job.id in consumer.depends_on and sized_by_producers(rd.plan, consumer):
                expand_when_ready(rd, consumer, self.site, self.shell)

    def probed(self, rd: RunDir, job: JobPlan) -> None:
        """Submit the array tasks after a map's probe, in the batches it decided."""
        submit_probed(rd, job, self.site, self.shell)

    def drop_stolen(self, rd: RunDir, job: JobPlan, indices: list[int]) -> None:
        """scancel the array tasks of elements another task ran, in one call. One that has started is
        cancelled too: it can only be exiting, its element done (scancel --state=PENDING would not spare it
        and cancel the array's other pending tasks with it: it matches the array's pending record whole).
        What waits on the map waits for its end in any state (afterany, core/layout.py)."""
        for rec in rd.submissions(job.id):
            tasks = sorted({t for t in map(rec.task_of, indices) if t is not None}) if rec.role is Role.ARRAY else []
            if tasks:
                self.shell.run(["scancel", f"{rec.id}_[{Chunk(0, rec.count, tuple(tasks)).array_spec()}]"])

    def cancel_own_job(self) -> None:
        """scancel this element's own job (its array task), whose records are published: sacct then says
        CANCELLED, as hpcflow does. Best effort: it exits non-zero anyway."""
        job = os.environ.get("SLURM_JOB_ID")
        if job:
            try:
                self.shell.run(["scancel", job])
            except SlurmError as exc:
                print(f"hpcflow: could not end this job as cancelled: {exc}", file=sys.stderr)

    def last_requeue(self, rd: RunDir, restarts: int) -> None:
        """After the site's allowed preemptions make this job not requeueable: if it is preempted
        once more, Slurm ends it as PREEMPTED and its sentinel resubmits it on the normal QoS."""
        if restarts < self.site.max_preemptions:
            return
        try:
            self.shell.run(["scontrol", "update", f"JobId={os.environ['SLURM_JOB_ID']}", "Requeue=0"])
        except (SlurmError, KeyError) as exc:
            print(f"hpcflow: could not stop further requeues: {exc}", file=sys.stderr)



def failure_handling_ids(rd: RunDir, within: bool = False) -> set[int] | None:
    """The Slurm ids of the run's failure watches and of the handlers they submitted (in its
    sub-runs too); None when it has no failure watch."""
    ids: set[int] | None = None
    for job in rd.plan.jobs:
        handling = within or job.on_failure
        if handling:
            ids = (ids or set()) | {r.id for r in rd.submissions(job.id)}
        if job.kind == "dynamic":
            for i in range(rd.size(job.id) or 0):
                sub = rd.sub_path(job.id, i)
                if (sub / "plan.json").exists():
                    inner = failure_handling_ids(RunDir(sub), handling)
                    ids = ids if inner is None else (ids or set()) | inner
    return ids
