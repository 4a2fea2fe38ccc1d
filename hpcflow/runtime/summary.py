"""Per-job element counts of a run, read from its run directory (sub-runs included)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterator

from hpcflow.core.states import State
from hpcflow.runtime.rundir import RunDir


@dataclass(frozen=True)
class JobSummary:
    """One job's element counts by state."""

    label: str
    name: str
    kind: str
    size: int | None
    counts: dict[State, int]
    note: str = ""


def summarize(rd: RunDir, prefix: str = "") -> Iterator[JobSummary]:
    """Summaries of every job of a run, depth first into dynamic sub-runs."""
    for job in rd.plan.jobs:
        size = rd.size(job.id)
        job_state = rd.job_state(job.id)
        counts: Counter[State] = Counter()
        if job_state is not None and job_state[0] is State.CANCELLED:
            counts[State.CANCELLED] = size if size is not None else 1
        else:
            for i in range(size or 0):
                counts[rd.status(job.id, i).state] += 1
        label = prefix + job.id
        yield JobSummary(label, job.name, job.kind, size, dict(counts), job_state[1] if job_state else "")
        if job.kind == "dynamic":
            for i in range(size or 0):
                sub = rd.sub_path(job.id, i)
                if (sub / "plan.json").exists():
                    yield from summarize(RunDir(sub), f"{label}[{i}]/")


def find_element(rd: RunDir, label: str) -> tuple[RunDir, str, int]:
    """Resolve `n1[0]/n2[3]` (index optional for single jobs) to (run dir, job id, index)."""
    parts = label.split("/")
    for part in parts[:-1]:
        job_id, index = _split_index(part)
        rd = RunDir(rd.sub_path(job_id, index))
    job_id, index = _split_index(parts[-1])
    rd.plan.job(job_id)  # KeyError when there is no such job
    return rd, job_id, index


def _split_index(part: str) -> tuple[str, int]:
    if part.endswith("]") and "[" in part:
        job_id, _, index = part[:-1].partition("[")
        return job_id, int(index)
    return part, 0
