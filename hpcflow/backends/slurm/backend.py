"""The Slurm backend: the runtime's Backend interface over sbatch, squeue, sacct and scancel."""
from __future__ import annotations

import os
import sys
from typing import Any

from hpcflow.backends.slurm.expand import expand_when_ready, submit_dynamic_subrun
from hpcflow.backends.slurm.monitor import live_states, overlay
from hpcflow.backends.slurm.shell import SlurmError, SlurmShell
from hpcflow.backends.slurm.windows import submit_next_window
from hpcflow.backends.slurm.submit import laid_out, submit
from hpcflow.core.directives import job_name
from hpcflow.core.states import State
from hpcflow.core.layout import RunPlace, sized_by_producers, window_of
from hpcflow.core.plan import JobPlan, Plan
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
        """One squeue and one sacct call: Slurm's view of every element of the run."""
        return overlay(live_states(rd, self.shell))

    def cancel(self, rd: RunDir) -> None:
        """scancel every job of the run, by its name."""
        self.shell.scancel(name=job_name(rd.meta.run_id))

    def cancel_pending(self, rd: RunDir) -> None:
        """scancel the run's jobs that have not started, and record their elements as CANCELLED."""
        self.shell.run(["scancel", f"--name={job_name(rd.meta.run_id)}", "--state=PENDING"])
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

    def last_requeue(self, rd: RunDir, restarts: int) -> None:
        """After the site's allowed preemptions make this job not requeueable: if it is preempted
        once more, Slurm ends it as PREEMPTED and its sentinel resubmits it on the normal QoS."""
        if restarts < self.site.max_preemptions:
            return
        try:
            self.shell.run(["scontrol", "update", f"JobId={os.environ['SLURM_JOB_ID']}", "Requeue=0"])
        except (SlurmError, KeyError) as exc:
            print(f"hpcflow: could not stop further requeues: {exc}", file=sys.stderr)
