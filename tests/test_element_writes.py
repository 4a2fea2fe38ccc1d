"""What an array task writes (issue "Overhead at the floor": one write publishes an element's result and status,
or, batched, one per array task). Under Slurm, whose squeue says that a task runs, an element alone in its task
publishes its records once, start and end together, and a batch that ends before its first publication is due
publishes once; a local run's element and batch, which nothing but their records show running, publish their
start at once too. What the run's status and the element view show meanwhile comes from Slurm."""
from __future__ import annotations

from pathlib import Path

import pytest

from hpcflow.core.states import State
from hpcflow.loader import load_file, load_workflow
from hpcflow.runtime import entry, records
from hpcflow.runtime.batch import run_batch
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.runs import compile_for, create_run, element_now
from hpcflow.runtime.summary import job_counts, mark_pending
from paths import ROOT

CASES = load_file(ROOT / "tests" / "workflows" / "stealing.py")


@pytest.mark.parametrize("backend, writes", [("slurm", 1), ("local", 2)])
def test_an_element_alone_in_its_task_publishes_its_records_once_where_the_scheduler_shows_it_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, writes: int):
    plan = compile_for(CASES.two_at_a_time, {"xs": [3, 4, 5]})
    rd = create_run(CASES.two_at_a_time, CASES, plan, tmp_path / "runs", backend=backend, index=False)
    published: list[Path] = []
    real = records.atomic.write_json_compact
    monkeypatch.setattr(records.atomic, "write_json_compact", lambda path, obj: (published.append(path), real(path, obj)))
    monkeypatch.delenv("HPCFLOW_STEAL_S", raising=False)
    assert entry.main([str(rd.path), "n0", "1"]) == 0
    assert [p.name for p in published] == ["1.json"] * writes
    status = RunDir(rd.path).status("n0", 1)
    assert status.state.value == "SUCCEEDED" and status.started is not None and status.host


def test_a_long_element_alone_in_its_task_still_publishes_once_under_slurm(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    # FLUSH_S 0: every record would be published as it is put (an element that runs for hours): held until the end
    monkeypatch.setattr(records, "FLUSH_S", 0.0)
    plan = compile_for(CASES.two_at_a_time, {"xs": [3, 4, 5]})
    rd = create_run(CASES.two_at_a_time, CASES, plan, tmp_path / "runs", backend="slurm", index=False)
    published: list[Path] = []
    real = records.atomic.write_json_compact
    monkeypatch.setattr(records.atomic, "write_json_compact", lambda path, obj: (published.append(path), real(path, obj)))
    monkeypatch.delenv("HPCFLOW_STEAL_S", raising=False)
    assert entry.main([str(rd.path), "n0", "2"]) == 0
    assert [p.name for p in published] == ["2.json"]
    assert RunDir(rd.path).raw_outputs("n0", 2) == {"o0": 25}


class _Live:
    """What Slurm's squeue would say of the run's array tasks (a stand-in: the real cluster's case, a running element
    of a run that failed meanwhile, is tests/slurm/test_chaos.py's resume test; this pins the rule without a race)."""

    def __init__(self, states: dict[int, State]):
        self.states = states

    def __call__(self, rd: RunDir, job_id: str, index: int) -> State | None:
        return self.states.get(index)

    def queued(self, rd: RunDir, job_id: str, index: int) -> bool:
        return self.states.get(index) is State.PENDING

    def pending_reason(self, job_ids: tuple[int, ...]) -> str:
        return ""


@pytest.mark.parametrize("said, counted", [(State.RUNNING, State.RUNNING), (State.PENDING, State.CANCELLED),
                                           (None, State.CANCELLED), (State.FAILED, State.FAILED)])
def test_an_element_with_no_record_in_a_failed_run_counts_as_what_slurm_says_before_the_runs_mark(
        tmp_path: Path, said: State | None, counted: State):
    plan = compile_for(CASES.two_at_a_time, {"xs": [3, 4, 5]})
    rd = create_run(CASES.two_at_a_time, CASES, plan, tmp_path / "runs", backend="slurm", index=False)
    rd.size("n0")
    mark_pending(rd, State.CANCELLED, "cancelled: the run failed")  # what a failed run marks of what had not started
    live = _Live({1: said} if said else {})
    counts, _, _ = job_counts(RunDir(rd.path), "n0", 3, live)
    assert counts[counted] >= 1 and sum(counts.values()) == 3
    assert counts[State.CANCELLED] == 3 - (counted is not State.CANCELLED)
    assert counts[State.RUNNING] == (said is State.RUNNING)


class _Backend:
    def __init__(self, live: _Live | None):
        self._live = live

    def live(self, rd: RunDir) -> _Live | None:
        return self._live


def test_the_element_view_of_an_element_with_no_record_yet_is_what_slurm_says(tmp_path: Path):
    plan = compile_for(CASES.two_at_a_time, {"xs": [3, 4, 5]})
    rd = create_run(CASES.two_at_a_time, CASES, plan, tmp_path / "runs", backend="slurm", index=False)
    assert element_now(rd, rd, "n0", 1, _Backend(_Live({1: State.RUNNING}))).state is State.RUNNING
    killed = element_now(rd, rd, "n0", 1, _Backend(_Live({1: State.FAILED})))
    assert killed.state is State.FAILED and killed.error == "Slurm reports FAILED"
    assert element_now(rd, rd, "n0", 1, _Backend(None)).state is State.PENDING  # a local run: its record says
    assert element_now(rd, rd, "n0", 1, _Backend(_Live({}))).state is State.PENDING


@pytest.mark.parametrize("backend, writes", [("slurm", 1), ("local", 2)])
def test_a_batch_that_ends_before_its_first_publication_is_due_publishes_its_records_once_under_slurm(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, writes: int):
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "1")
    wf, module = load_workflow(f"{ROOT / 'tests' / 'workflows' / 'batch_items.py'}:squares")
    plan = compile_for(wf, {"xs": list(range(50))})
    rd = create_run(wf, module, plan, tmp_path / "runs", backend=backend, index=False)
    job_id = next(job.id for job in plan.jobs if job.kind == "map")
    rd.write_batch(job_id, 50)
    published: list[Path] = []
    real = records.atomic.write_json_compact
    monkeypatch.setattr(records.atomic, "write_json_compact", lambda path, obj: (published.append(path), real(path, obj)))
    monkeypatch.setattr(records, "FLUSH_S", 30.0)  # a batch that ends sooner, however loaded the machine
    run_batch(RunDir(rd.path), job_id, 0, 50)
    assert [p.name for p in published] == ["0.json"] * writes
    assert [s.state.value for s in RunDir(rd.path).statuses(job_id)].count("SUCCEEDED") >= 49
