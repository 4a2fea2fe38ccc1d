"""A batch's items are calls in one warm process: its files are written once per array task, not per
item, and every item keeps its own status, outputs, error, cache entry and folder."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hpcflow.core.states import State
from hpcflow.loader import load_workflow
from hpcflow.runtime import records
from hpcflow.runtime.batch import run_batch
from hpcflow.runtime.records import TaskRecords
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.runs import compile_for, create_run
from hpcflow.runtime.values import map_outputs
from hpcflow.store import atomic
from paths import ROOT

CASES = ROOT / "tests" / "workflows" / "batch_items.py"
N = 3000


class FileOps:
    """Counts what a batch does to the filesystem: files published, folders made, renames."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.written: list[Path] = []
        self.mkdirs = self.replaces = 0
        write_bytes, mkdir, replace = atomic.write_bytes, os.mkdir, os.replace

        def counted_write(path: Path, data: bytes, **kwargs: Any) -> None:
            self.written.append(Path(path))
            write_bytes(path, data, **kwargs)

        def counted_mkdir(*args: Any, **kwargs: Any) -> None:
            self.mkdirs += 1
            mkdir(*args, **kwargs)

        def counted_replace(*args: Any, **kwargs: Any) -> None:
            self.replaces += 1
            replace(*args, **kwargs)

        monkeypatch.setattr(atomic, "write_bytes", counted_write)
        monkeypatch.setattr(os, "mkdir", counted_mkdir)
        monkeypatch.setattr(os, "replace", counted_replace)


def new_batch(runs_dir: Path, workflow: str, n: int, cache_dir: Path | None = None) -> tuple[RunDir, str]:
    """A run of `workflow` over range(n) whose map runs as one array task; the map's job id."""
    wf, module = load_workflow(f"{CASES}:{workflow}")
    plan = compile_for(wf, {"xs": list(range(n))})
    rd = create_run(wf, module, plan, runs_dir, index=False, cache_dir=cache_dir)
    job_id = next(job.id for job in plan.jobs if job.kind == "map")
    rd.write_batch(job_id, n)
    return RunDir(rd.path), job_id


@pytest.fixture(autouse=True)
def one_cpu_no_timed_publication(monkeypatch: pytest.MonkeyPatch) -> None:
    """One CPU; and records published only when the writer closes (or at once, when urgent), so what is
    counted does not depend on how fast this machine is."""
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "1")
    monkeypatch.setattr(records, "FLUSH_S", float("inf"))


def test_a_batch_of_thousands_of_items_writes_its_task_file_once(runs_dir: Path, monkeypatch: pytest.MonkeyPatch):
    rd, job_id = new_batch(runs_dir, "squares", N)
    ops = FileOps(monkeypatch)
    assert run_batch(rd, job_id, 0, N) is False  # item 13 failed
    assert ops.written == [rd.records.path(job_id, 0)] and ops.replaces == 1 and ops.mkdirs <= 1
    assert not [p for p in rd.job_dir(job_id).iterdir() if p.name.isdigit()]  # no folder per element
    monkeypatch.undo()
    fresh = RunDir(rd.path)
    states = [st.state for st in fresh.statuses(job_id)]
    assert states.count(State.SUCCEEDED) == N - 1 and states[13] is State.FAILED
    assert "ValueError: unlucky" in fresh.error_text(job_id, 13) and "Traceback" in fresh.error_text(job_id, 13)
    assert all(st.attempts == 1 and st.pid == os.getpid() for st in fresh.statuses(job_id))
    values, ok = map_outputs(fresh, job_id, N, "o0")
    assert ok == N - 1 and values == [None if x == 13 else x * x for x in range(N)]


def test_a_resumed_batch_runs_only_its_failed_items(runs_dir: Path, monkeypatch: pytest.MonkeyPatch):
    rd, job_id = new_batch(runs_dir, "squares", 100)
    run_batch(rd, job_id, 0, 100)
    from hpcflow.runtime.resume import reset_unfinished

    reset_unfinished(RunDir(rd.path))
    ran: list[int] = []
    from hpcflow.runtime import entry

    real = entry.run_element
    monkeypatch.setattr(entry, "run_element", lambda rd, job_id, i, **kw: ran.append(i) or real(rd, job_id, i, **kw))
    assert run_batch(RunDir(rd.path), job_id, 0, 100) is False
    assert ran == [13]
    assert RunDir(rd.path).status(job_id, 13).state is State.FAILED


def test_items_that_retry_publish_their_starts_without_publishing_the_task_per_item(runs_dir: Path,
                                                                                   monkeypatch: pytest.MonkeyPatch):
    rd, job_id = new_batch(runs_dir, "squares_retried", N)
    ops = FileOps(monkeypatch)
    assert run_batch(rd, job_id, 0, N) is True
    # the journal is listed once, and the records published at the end: not a file per item
    assert ops.written == [rd.records.path(job_id, 0)] * 2 and ops.replaces == 2
    assert [p.name for p in (rd.job_dir(job_id) / "tasks").iterdir()] == ["0.json"]  # the journal went
    monkeypatch.undo()
    statuses = RunDir(rd.path).statuses(job_id)
    assert all(st.state is State.SUCCEEDED and st.attempts == 1 for st in statuses)


def test_a_killed_writer_leaves_what_it_recorded_before_its_last_urgent_write(tmp_path: Path):
    writer = TaskRecords(lambda job_id: tmp_path / job_id)
    writer.own("n1", 0)
    for i in range(3):
        writer.put("n1", 0, i, "status", {"state": "RUNNING", "started": 10.0 + i}, urgent=True)
        if i < 2:
            writer.put("n1", 0, i, "outputs", {"o0": i})
            writer.put("n1", 0, i, "status", {"state": "SUCCEEDED", "started": 10.0 + i, "attempts": 1})
    writer.put("n1", 0, 2, "status", {"state": "RUNNING", "started": 12.0, "attempts": 1}, urgent=True)  # a retry
    # killed here: the file was published once, at the first urgent write (FLUSH_S is infinite in these tests)
    reader = TaskRecords(lambda job_id: tmp_path / job_id)
    record = reader.read("n1", 0)
    assert record.get(2, "status") == {"state": "RUNNING", "started": 12.0, "attempts": 1}
    assert record.ok(0) and record.ok(1) and record.get(1, "outputs") == {"o0": 1}  # done: not run again
    with reader.deferring():  # the recover step: the task's one writer now
        reader.put("n1", 0, 2, "status", {"state": "PENDING", "started": 12.0, "attempts": 2})
    assert [p.suffix for p in (tmp_path / "n1" / "tasks").iterdir()] == [".json"]  # merged in, and gone
    assert reader.read("n1", 0).get(2, "status")["attempts"] == 2 and reader.read("n1", 0).ok(1)
    again = TaskRecords(lambda job_id: tmp_path / job_id)  # the task runs again
    again.own("n1", 0)
    again.put("n1", 0, 2, "status", {"state": "SUCCEEDED", "started": 20.0, "attempts": 3})
    again.release("n1", 0)
    assert TaskRecords(lambda job_id: tmp_path / job_id).read("n1", 0).ok(2)


def test_a_journal_holds_only_what_is_newer_than_the_file_that_lists_it(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    writer = TaskRecords(lambda job_id: tmp_path / job_id)
    writer.own("n1", 0)
    writer.put("n1", 0, 0, "status", {"state": "RUNNING", "started": 1.0}, urgent=True)
    writer.put("n1", 0, 0, "status", {"state": "SUCCEEDED", "started": 1.0, "attempts": 1})
    writer.put("n1", 0, 1, "status", {"state": "RUNNING", "started": 2.0}, urgent=True)  # a line for 0 and 1
    writer.put("n1", 0, 1, "status", {"state": "FAILED", "started": 2.0, "attempts": 1})
    writer.flush()  # a timed publication: the file has 1 FAILED, the journal's older line 1 RUNNING
    writer.put("n1", 0, 2, "status", {"state": "RUNNING", "started": 3.0}, urgent=True)
    record = TaskRecords(lambda job_id: tmp_path / job_id).read("n1", 0)
    assert [record.get(i, "status")["state"] for i in range(3)] == ["SUCCEEDED", "FAILED", "RUNNING"]


def test_cached_items_keep_a_cache_entry_each(runs_dir: Path, tmp_path: Path):
    rd, job_id = new_batch(runs_dir, "squares_cached", 50, cache_dir=tmp_path / "cache")
    assert run_batch(rd, job_id, 0, 50) is True
    fresh = RunDir(rd.path)
    assert all(fresh.cache_key_parts(job_id, i) for i in range(50))
    rd2, job2 = new_batch(runs_dir, "squares_cached", 50, cache_dir=tmp_path / "cache")
    assert run_batch(rd2, job2, 0, 50) is True
    assert {st.state for st in RunDir(rd2.path).statuses(job2)} == {State.CACHED}
    assert map_outputs(RunDir(rd2.path), job2, 50, "o0")[0] == [x * x for x in range(50)]


def test_an_item_that_asks_for_its_folder_gets_it_and_the_others_make_none(runs_dir: Path):
    rd, job_id = new_batch(runs_dir, "folders", N)
    assert run_batch(rd, job_id, 0, N) is True
    values, _ = map_outputs(RunDir(rd.path), job_id, N, "o0")
    assert [i for i, v in enumerate(values) if v] == [0, 1000, 2000]
    assert all(Path(values[i]) == rd.element_dir(job_id, i) / "work" and Path(values[i]).is_dir() for i in (0, 1000))
    assert sorted(int(p.name) for p in rd.job_dir(job_id).iterdir() if p.name.isdigit()) == [0, 1000, 2000]


def test_trivial_items_stay_in_the_process_and_long_ones_go_to_workers(runs_dir: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "2")
    rd, job_id = new_batch(runs_dir, "quick_pids", 300)  # far below a second of work: the pool never pays
    assert run_batch(rd, job_id, 0, 300) is True
    assert set(map_outputs(RunDir(rd.path), job_id, 300, "o0")[0]) == {os.getpid()}
    rd, job_id = new_batch(runs_dir, "slow_pids", 8)  # 2.4 s of work: the rest goes to 2 workers after a few
    assert run_batch(rd, job_id, 0, 8) is True
    pids = map_outputs(RunDir(rd.path), job_id, 8, "o0")[0]
    assert pids[0] == os.getpid() and len(set(pids[1:]) - {os.getpid()}) == 2
    assert [p.name for p in (rd.job_dir(job_id) / "tasks").iterdir()] == ["0.json"]  # the parts folded in
    assert [st.state for st in RunDir(rd.path).statuses(job_id)] == [State.SUCCEEDED] * 8
