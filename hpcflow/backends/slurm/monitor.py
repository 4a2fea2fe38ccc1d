"""What Slurm says about a run's jobs: one squeue and one sacct call, by job name."""
from __future__ import annotations

import re
from typing import Callable

from hpcflow.core.directives import job_name
from hpcflow.backends.slurm.registry import Registry
from hpcflow.backends.slurm.shell import SlurmShell
from hpcflow.backends.slurm.states import translate
from hpcflow.core.plan import Role
from hpcflow.core.states import State
from hpcflow.runtime.rundir import RunDir

LiveKey = tuple[int, "int | None"]
_ARRAY = re.compile(r"^(\d+)_(\d+)$")
_PENDING_ARRAY = re.compile(r"^(\d+)_\[(.+)\]$")


def live_states(rd: RunDir, shell: SlurmShell) -> dict[LiveKey, State]:
    """States by (Slurm job id, array task id or None) from sacct, then squeue (fresher) on top."""
    states: dict[LiveKey, State] = {}
    # sacct by id, not by name: a time window (which --name needs) drops jobs cancelled before they started
    ids = Registry.load(rd).all_ids()
    sacct = shell.run(["sacct", "-j", ",".join(map(str, ids)), "-X", "-n", "-P", "-o", "JobID,State"]) if ids else ""
    squeue = shell.run(["squeue", f"--name={job_name(rd.meta.run_id)}", "-h", "-r", "-o", "%i|%T"])
    for text in (sacct, squeue):
        for line in text.splitlines():
            if "|" in line:
                job, _, state = line.partition("|")
                for key in job_keys(job.strip()):
                    states[key] = translate(state.strip())
    return states


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


def _sentinel_pending(records: list, states: dict[LiveKey, State]) -> bool:
    """True while the job's latest sentinel has not ended (Slurm's state unknown counts as not ended)."""
    sentinel = next((r for r in reversed(records) if r.role is Role.SENTINEL), None)
    return sentinel is not None and not states.get((sentinel.id, None), State.PENDING).finished


def overlay(states: dict[LiveKey, State]) -> Callable[[RunDir, str, int], State | None]:
    """A function giving Slurm's view of one element, for summaries of the run directory."""

    def lookup(rd: RunDir, job_id: str, index: int) -> State | None:
        records = rd.submissions(job_id)
        for rec in reversed(records):  # the latest submission of an element counts
            if not rec.role.runs_elements:
                continue
            task = rec.task_of(index)
            if task is not None:
                task_key = task if rec.role is Role.ARRAY else None
                state = states.get((rec.id, task_key)) or states.get((rec.id, None))
                if state is not None and state.ok:
                    return None  # only its own record makes an element succeed: a job that ends well may
                    # have handed the element on to a resubmission (recover.py) that is not recorded yet
                if state is not None and state.finished and not state.ok and _sentinel_pending(records, states):
                    return State.PENDING  # killed, and its sentinel has yet to say whether it is retried
                return state
        # a map not yet sized: its sizing job stands for all of it
        sizing = [r for r in records if r.role is Role.SIZING]
        return states.get((sizing[0].id, None)) if sizing else None

    return lookup
