"""What Slurm says about a run's jobs: one squeue call by the run's job name and, only when an
element ended without recording it, sacct by job id in bounded chunks."""
from __future__ import annotations

import re

from hpcflow.core.directives import job_name
from hpcflow.backends.slurm.registry import Registry
from hpcflow.backends.slurm.shell import SlurmShell
from hpcflow.backends.slurm.states import translate
from hpcflow.core.plan import Role
from hpcflow.core.states import State
from hpcflow.runtime.backend import LiveView
from hpcflow.runtime.rundir import RunDir

LiveKey = tuple[int, "int | None"]
_ARRAY = re.compile(r"^(\d+)_(\d+)$")
_PENDING_ARRAY = re.compile(r"^(\d+)_\[(.+)\]$")


SACCT_CHUNK = 200  # job ids per sacct call: a run's command lines stay bounded, however many jobs it has


class LiveStates:
    """Slurm's states by (Slurm job id, array task id or None): squeue's at once (one call), sacct's
    only when asked about a job that squeue no longer lists (an element that ended without its own
    record: killed, cancelled). A run whose elements record their ends never needs sacct."""

    def __init__(self, rd: RunDir, shell: SlurmShell):
        self.rd, self.shell = rd, shell
        listing = shell.run(["squeue", f"--name={job_name(rd.meta.run_id)}", "-h", "-r", "-o", "%i|%T|%r"])
        self.queued = _parse(listing)
        self.reasons = pending_reasons(listing)  # why what is pending waits, from the same call
        self._ended: dict[LiveKey, State] | None = None

    def get(self, key: LiveKey) -> State | None:
        """Slurm's state of a job or array task (squeue's, else sacct's), None when neither knows it."""
        if key in self.queued:
            return self.queued[key]
        return self.ended().get(key)

    def ended(self) -> dict[LiveKey, State]:
        """sacct's states of every job of the run (once; by id, in chunks)."""
        if self._ended is None:
            # by id, not by name: a time window (which --name needs) drops jobs cancelled before they started
            ids = Registry.load(self.rd).all_ids()
            self._ended = {}
            for start in range(0, len(ids), SACCT_CHUNK):
                chunk = ",".join(map(str, ids[start:start + SACCT_CHUNK]))
                self._ended.update(_parse(self.shell.run(["sacct", "-j", chunk, "-X", "-n", "-P", "-o", "JobID,State"])))
            self._ended.update(self.queued)  # squeue is fresher
        return self._ended


def live_states(rd: RunDir, shell: SlurmShell) -> dict[LiveKey, State]:
    """States by (Slurm job id, array task id or None) from sacct, then squeue (fresher) on top."""
    return dict(LiveStates(rd, shell).ended())


def _parse(text: str) -> dict[LiveKey, State]:
    states: dict[LiveKey, State] = {}
    for line in text.splitlines():
        if "|" in line:
            job, _, rest = line.partition("|")
            state = rest.partition("|")[0]
            for key in job_keys(job.strip()):
                states[key] = translate(state.strip())
    return states


def pending_reasons(text: str) -> dict[int, str]:
    """squeue's reason (Priority, Resources, Dependency, QOSMaxJobsPerUserLimit, ...) by Slurm job id, for the
    jobs it holds pending: the first one listed of each job (an array's tasks wait for the same reason)."""
    reasons: dict[int, str] = {}
    for line in text.splitlines():
        fields = line.split("|")
        if len(fields) == 3 and fields[1].strip() == "PENDING" and fields[2].strip() not in ("", "None"):
            job = fields[0].strip().split("_")[0]
            if job.isdigit():
                reasons.setdefault(int(job), fields[2].strip())
    return reasons


def job_keys(job: str) -> list[LiveKey]:
    if job.isdigit():
        return [(int(job), None)]
    match = _ARRAY.match(job)
    if match:
        return [(int(match.group(1)), int(match.group(2)))]
    match = _PENDING_ARRAY.match(job)
    if not match:
        return []
    keys: list[LiveKey] = []
    for part in match.group(2).split("%")[0].split(","):
        lo, _, hi = part.partition("-")
        keys += [(int(match.group(1)), i) for i in range(int(lo), int(hi or lo) + 1)]
    return keys


class SlurmView(LiveView):
    """Slurm's view of the run's elements, for summaries of the run directory."""

    def __init__(self, states: "LiveStates | dict[LiveKey, State]"):
        self.states = states
        self.records: dict[tuple[str, str], list] = {}  # each job's submissions, read once per look

    def _get(self, key: LiveKey) -> State | None:
        return self.states.get(key)

    def pending_reason(self, job_ids: tuple[int, ...]) -> str:
        """Why the first of these Slurm jobs that squeue holds pending waits ('' when none is pending)."""
        reasons = self.states.reasons if isinstance(self.states, LiveStates) else {}
        return next((reasons[i] for i in job_ids if i in reasons), "")

    def _submissions(self, rd: RunDir, job_id: str) -> list:
        key = (str(rd.path), job_id)
        if key not in self.records:
            self.records[key] = rd.submissions(job_id)
        return self.records[key]

    def queued(self, rd: RunDir, job_id: str, index: int) -> bool:
        """True when squeue holds the latest array task of element `index` pending (it has not started)."""
        queued = self.states.queued if isinstance(self.states, LiveStates) else self.states
        for rec in reversed(self._submissions(rd, job_id)):
            if rec.role.runs_elements and rec.task_of(index) is not None:
                task = rec.task_of(index) if rec.role is Role.ARRAY else None
                return queued.get((rec.id, task)) is State.PENDING
        return False

    def __call__(self, rd: RunDir, job_id: str, index: int) -> State | None:
        records = self._submissions(rd, job_id)
        for rec in reversed(records):  # the latest submission of an element counts
            if not rec.role.runs_elements:
                continue
            task = rec.task_of(index)
            if task is not None:
                task_key = task if rec.role is Role.ARRAY else None
                state = self._get((rec.id, task_key)) or self._get((rec.id, None))
                if state is not None and state.ok:
                    return None  # only its own record makes an element succeed: a job that ends well may
                    # have handed the element on to a resubmission (recover.py) that is not recorded yet
                if state is not None and state.finished and not state.ok and self._sentinel_pending(records):
                    return State.PENDING  # killed, and its sentinel has yet to say whether it is retried
                return state
        # a map not yet sized: its sizing job stands for all of it
        sizing = [r for r in records if r.role is Role.SIZING]
        return self._get((sizing[0].id, None)) if sizing else None

    def _sentinel_pending(self, records: list) -> bool:
        """True while the job's latest sentinel has not ended (Slurm's state unknown counts as not ended)."""
        sentinel = next((r for r in reversed(records) if r.role is Role.SENTINEL), None)
        return sentinel is not None and not (self._get((sentinel.id, None)) or State.PENDING).finished


def overlay(states: "LiveStates | dict[LiveKey, State]") -> LiveView:
    """Slurm's view of the run's elements, for summaries of the run directory."""
    return SlurmView(states)
