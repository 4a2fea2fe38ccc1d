"""Per-job element counts and the overall state of a run, from its run directory.

The run directory is the record; for elements it does not show as finished, a backend may
add what it knows (Slurm's view from one squeue and one sacct call) through `live`.
"""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterator

from hpcflow.core.states import State
from hpcflow.runtime.pinning import environment_id
from hpcflow.runtime.heads import TaskSummary
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.statuses import Overlay
from hpcflow.runtime.tally import KEEP, load_tally, save_tally

_BAD = (State.FAILED, State.TIMEOUT, State.CANCELLED)


@dataclass(frozen=True)
class JobSummary:
    """One job's element counts by state, and whether it is done or beyond saving."""

    label: str
    name: str
    kind: str
    size: int | None
    counts: dict[State, int]
    min_success_ratio: float = 1.0
    note: str = ""
    bad_elements: tuple[int, ...] = field(default=())
    slurm_ids: tuple[int, ...] = field(default=())
    other_environment: tuple[int, ...] = field(default=())  # elements that ran under another Python/hpcflow/packages
    handles_failure: bool = False  # a failure watch (sdk/failure.py), or a job of the handler it ran
    element_ids: tuple[int, ...] = field(default=())  # of slurm_ids, those whose tasks run elements (not sentinels)
    pending_reason: str = ""  # why Slurm holds its pending tasks (Priority, Resources, Dependency, ...), if it says

    @property
    def failed(self) -> bool:
        """True when too many elements failed for the job to succeed."""
        bad = sum(self.counts.get(s, 0) for s in _BAD)
        if self.size is None:
            return bad > 0
        return bad > 0 and (self.size - bad) < self.min_success_ratio * self.size

    @property
    def succeeded(self) -> bool:
        """True when every element finished and enough succeeded."""
        if self.size is None:
            return False
        ok = self.counts.get(State.SUCCEEDED, 0) + self.counts.get(State.CACHED, 0)
        done = ok + sum(self.counts.get(s, 0) for s in _BAD)
        return done == self.size and not self.failed


def summarize(rd: RunDir, live: LiveView | None = None, prefix: str = "", handling: bool = False) -> Iterator[JobSummary]:
    """Summaries of every job of a run, depth first into dynamic sub-runs (`handling`: the
    sub-run of a failure watch)."""
    submitted_under = environment_id(rd.meta.environment) if rd.meta.environment else ""
    for job in rd.plan.jobs:
        size = rd.size(job.id)
        job_state = rd.job_state(job.id)
        counts: Counter[State] = Counter()
        bad: list[int] = []
        other: list[int] = []
        records = rd.submissions(job.id)
        ids = tuple(r.id for r in records)
        if job_state is not None and job_state[0] is State.CANCELLED:
            counts[State.CANCELLED] = size if size is not None else 1
        elif size is None:
            state = live(rd, job.id, 0) if live is not None else None
            counts[state if state in _BAD else State.PENDING] = 1
        else:
            counts, bad, other = job_counts(rd, job.id, size, live, submitted_under)
        label = prefix + job.id
        note = job_state[1] if job_state else ""
        batching = rd.batching(job.id) if job.kind == "map" and size else {}
        batch, why = batching.get("batch_size"), batching.get("why")
        if batching.get("probing"):
            note = note or "timing its first elements in its first array task, to choose its batch size"
        elif batch and batch > 1:
            tasks = -(-size // batch)
            note = note or (f"batched: {size} elements in {tasks} array task{'s' if tasks > 1 else ''} of {batch}"
                            + (f" ({why})" if why else ""))
        if job.kind == "dynamic" and "#" in job.entity.qualname:  # workflow#node: a conditional (sdk/conditional.py)
            note = note or "conditional: runs the branch taken, as a sub-run"
        if job.on_failure:
            note = note or "runs the workflow's on_failure handler once its jobs have ended, if one failed"
        reason = live.pending_reason(ids) if live is not None and counts.get(State.PENDING) else ""
        yield JobSummary(label, job.name, job.kind, size, dict(counts), job.min_success_ratio, note, tuple(bad), ids,
                         tuple(other), handling or job.on_failure, tuple(r.id for r in records if r.role.runs_elements),
                         reason)
        if job.kind == "dynamic":
            for i in range(size or 0):
                sub = rd.sub_path(job.id, i)
                if (sub / "plan.json").exists():
                    yield from summarize(RunDir(sub), live, f"{label}[{i}]/", handling or job.on_failure)


def job_counts(rd: RunDir, job_id: str, size: int, live: LiveView | None,
               submitted_under: str = "") -> tuple[Counter, list[int], list[int]]:
    """A job's element counts by state, its bad elements and those run under another environment.

    The tasks counted in the job's tally are not read again; of the others, a task the backend
    holds queued is not read either (its elements are pending, or cached at submit): a look reads
    the heads of the tasks that run now or ended since the last look (runtime/heads.py: a few
    kilobytes each, not the elements' records), and keeps what ended (runtime/tally.py)."""
    tally = load_tally(rd.tally_path(job_id), size, rd.batch_size(job_id))
    counts: Counter[State] = Counter(tally.counts)
    bad, other = list(tally.bad), tally.other(submitted_under)
    tasks = rd.task_count(job_id, size)
    if len(tally.final) >= tasks:
        return counts, bad, other
    written = (rd.job_dir(job_id) / "tasks").is_dir()  # no task has recorded anything yet
    queued = live.queued if live is not None else None
    settled = rd.settled
    grown = False
    for task in range(tasks):
        if task in tally.final:
            continue
        elements = rd.task_elements(job_id, task, size)
        if not written or (queued is not None and queued(rd, job_id, elements[0])):
            summary = TaskSummary()
        else:
            summary = rd.task_summary(job_id, task)
        look = look_at_task(rd, job_id, task, elements, summary, live, settled)
        counts.update(look.counts)
        bad += look.bad
        if submitted_under:
            other += [i for env, ix in look.ran_under.items() if env != submitted_under for i in ix]
        if look.ended:
            tally.add(task, look.counts, look.bad, look.ran_under)
            grown = True
    if grown:
        save_tally(rd.tally_path(job_id), tally)
    return counts, sorted(bad), sorted(other)


@dataclass
class TaskLook:
    """One array task's elements as a look sees them."""

    counts: Counter
    bad: list[int]
    ran_under: dict[str, list[int]]  # elements by the environment they ran under (at most KEEP of each)
    ended: bool  # every element's end is final: the tally may keep the task
    unfinished: int | None  # an element whose end is on record nowhere yet (None: none)


def look_at_task(rd: RunDir, job_id: str, task: int, elements: range, summary: TaskSummary,
                 live: LiveView | None, settled: bool) -> TaskLook:
    """An array task's elements by state: their records' word (`summary`) where final, else a cache hit's,
    else the monitor's (the overlay), else the backend's (`live`, asked once: its view is per array task).
    Elements in the same state are counted together, so a task costs its recorded elements, not its size."""
    recorded = summary.counts()
    ran_under = summary.ran_under(KEEP)
    if sum(n for s, n in recorded.items() if s.finished) == len(elements) and summary.within(elements):
        return TaskLook(recorded, sorted(i for s in _BAD for i in summary.indices(s)), ran_under, True, None)
    states = {i: s for i, s in summary.by_index().items() if i in elements}
    counts: Counter[State] = Counter(s for s in states.values() if s.finished)
    bad = [i for i, s in states.items() if s in _BAD]
    hits = rd.lookups(job_id).hits
    cached = {i for i in (hits if len(hits) < len(elements) else elements)
              if i in hits and i in elements and not (i in states and states[i].finished)}
    if cached:
        counts[State.CACHED] += len(cached)
    groups = _not_final(elements, states, cached)
    overlay = rd.overlay(job_id)
    word = overlay.tasks.get(task)
    ended, unfinished, asked, said = True, None, False, None
    for own, (n, members) in groups.items():
        # marked as never started (the run failed or was cancelled) by what the records showed: under a scheduler an
        # element may record its start only with its end (runtime/entry.py), so the scheduler is asked first
        marked = not word and overlay.pending is not None and own is State.PENDING
        shown = word[0] if word else overlay.pending[0] if marked else own
        if not shown.finished or (marked and live is not None):
            if unfinished is None:
                unfinished = next(members())
            if live is not None:
                if not asked:
                    said, asked = live(rd, job_id, unfinished), True
                if said is not None and not (marked and said is State.PENDING):
                    shown = said
        # the monitor's word is kept only once the run has settled: before, the element may still run
        ended = ended and settled and shown.finished
        counts[shown] += n
        if shown in _BAD:
            bad += members()
    return TaskLook(counts, sorted(bad), ran_under, ended, unfinished)


def _not_final(elements: range, states: dict[int, State],
               cached: set[int]) -> dict[State, tuple[int, Callable[[], Iterator[int]]]]:
    """A task's elements whose records are not final (nor cache hits), by the state they recorded (PENDING:
    none): how many, and which (listed only when asked: a queued task's thousand elements are one group)."""
    sizes = Counter(s for i, s in states.items() if not s.finished and i not in cached)
    groups = {s: (n, lambda s=s: (i for i, t in states.items() if t is s and i not in cached))
              for s, n in sizes.items()}
    unrecorded = len(elements) - len(states) - len(cached - states.keys())
    if unrecorded:
        n, recorded = groups.get(State.PENDING, (0, lambda: iter(())))
        groups[State.PENDING] = (n + unrecorded, lambda: itertools.chain(
            recorded(), (i for i in elements if i not in states and i not in cached)))
    return groups


def settle(rd: RunDir, live: LiveView) -> None:
    """Record the backend's final word for elements whose process could not (killed, cancelled):
    per array task, in the job's overlay (the monitor's own file: the tasks' records keep one writer)."""
    for job in rd.plan.jobs:
        size = rd.size(job.id) or 0
        overlay = rd.overlay(job.id)
        words = dict(overlay.tasks)
        counted = load_tally(rd.tally_path(job.id), size, rd.batch_size(job.id)).final  # ended: nothing to settle
        for task in range(rd.task_count(job.id, size) if size else 0):
            if task in counted:
                continue
            elements = rd.task_elements(job.id, task, size)
            unfinished = look_at_task(rd, job.id, task, elements, rd.task_summary(job.id, task), None, False).unfinished
            state = live(rd, job.id, unfinished) if unfinished is not None else None
            if state is not None and state.finished:
                words[task] = (state, f"Slurm reports {state.value}")
        if words != overlay.tasks:
            rd.write_overlay(job.id, Overlay(words, overlay.pending))
        if job.kind == "dynamic":
            for i in range(size or 0):
                sub = rd.sub_path(job.id, i)
                if (sub / "plan.json").exists():
                    settle(RunDir(sub), live)


def mark_pending(rd: RunDir, state: State, reason: str) -> None:
    """Give every element that has not started (and every unsized map) the final `state`;
    failure handling is left to run."""
    for job in rd.plan.jobs:
        if job.on_failure:
            continue
        size = rd.size(job.id)
        if size is None:
            rd.write_job_state(job.id, state, reason)
            continue
        # in the job's overlay, not in the tasks' records: a task still running keeps its one writer
        rd.write_overlay(job.id, Overlay(rd.overlay(job.id).tasks, (state, reason)))
        if job.kind == "dynamic":
            for i in range(size):
                sub = rd.sub_path(job.id, i)
                if (sub / "plan.json").exists():
                    mark_pending(RunDir(sub), state, reason)


def overall_state(jobs: list[JobSummary]) -> tuple[State, str]:
    """The run's state from its jobs, and for a failed run the first element to blame. Failure
    handling is not the run's work: its jobs neither fail nor hold up a run (runs.refresh waits
    for them to end before it calls a run FAILED)."""
    jobs = [j for j in jobs if not j.handles_failure]
    failed = next((j for j in jobs if j.failed), None)
    if failed is not None:
        where = f"{failed.label}[{failed.bad_elements[0]}]" if failed.bad_elements else failed.label
        states = ", ".join(f"{s.value.lower()}={n}" for s, n in sorted(failed.counts.items()) if s in _BAD)
        return State.FAILED, f"{where} ({failed.name}) did not succeed ({states})"
    if all(j.succeeded for j in jobs):
        return State.SUCCEEDED, ""
    if any(j.counts.get(State.RUNNING) or j.counts.get(State.SUCCEEDED) or j.counts.get(State.CACHED) for j in jobs):
        return State.RUNNING, ""
    return State.PENDING, ""


def find_element(rd: RunDir, label: str) -> tuple[RunDir, str, int]:
    """Resolve `n1[0]/n2[3]` (index optional for single jobs) to (run dir, job id, index)."""
    parts = label.split("/")
    for part in parts[:-1]:
        job_id, index = _split_index(part)
        check_index(rd, job_id, index)
        rd = RunDir(rd.sub_path(job_id, index))
    job_id, index = _split_index(parts[-1])
    rd.plan.job(job_id)  # KeyError when there is no such job
    check_index(rd, job_id, index)
    return rd, job_id, index


def check_index(rd: RunDir, job_id: str, index: int) -> None:
    """IndexError when `index` is not one of the job's elements (while its size is unknown, any index >= 0 may be)."""
    size = rd.size(job_id)
    if index < 0 or (size is not None and index >= size):
        span = f"elements 0..{size - 1}" if size else "no elements"
        raise IndexError(f"{job_id} has {span}" if size is not None else f"{job_id}'s indices start at 0")


def _split_index(part: str) -> tuple[str, int]:
    if part.endswith("]") and "[" in part:
        job_id, _, index = part[:-1].partition("[")
        return job_id, int(index)
    return part, 0
