"""A map of 10,000 elements: files grow with array tasks, not elements, and status reads what changed.

The same paths as the million-element run of bench/scale.py, at a size CI can afford, on the local
backend: what is tested here (records per array task, the tally) does not depend on the backend.
"""
from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

from hpcflow.core.states import State
from hpcflow.runtime import records
from hpcflow.runtime.records import TaskRecords
from hpcflow.runtime.report import gather
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.summary import job_counts, summarize
from hpcflow.store import atomic
from paths import ROOT

SCALE = str(ROOT / "tests" / "workflows" / "scale.py")
N = 10_000


def _entries(path: Path) -> int:
    return sum(1 for _ in path.rglob("*"))


def test_a_map_of_10000_elements_keeps_its_records_in_files_per_array_task(hpcflow, runs_dir: Path):
    res = hpcflow("run", f"{SCALE}:thousands", "-i", f"n={N}", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": N - 1}, res.stderr
    run_id = res.json["run_id"]
    run = runs_dir / run_id
    job = run / "jobs" / "n1"
    assert sorted(p.name for p in (job / "tasks").iterdir()) == sorted(f"{t}.json" for t in range(10))
    assert not [p for p in job.iterdir() if p.name.isdigit()]  # no folder, no file per element
    assert _entries(run) < 80, sorted(str(p.relative_to(run)) for p in run.rglob("*"))

    # one element among thousands: its record, traceback and log, from its array task's files
    one = hpcflow("status", run_id, "n1[4321]", "--json")
    assert one.code == 0 and one.json["state"] == "FAILED", one.stderr
    assert one.json["status"]["error"] == "ValueError: unlucky 4321" and "unlucky 4321" in one.json["traceback"]
    assert hpcflow("status", run_id, "n1[17]", "--json").json["state"] == "SUCCEEDED"
    assert "ValueError: unlucky 4321" in hpcflow("logs", run_id, "n1[4321]").stdout

    counts = {"SUCCEEDED": N - 1, "FAILED": 1}
    first = hpcflow("status", run_id, "--json")
    assert first.json["jobs"][1]["counts"] == counts and first.json["state"] == "SUCCEEDED"
    # every task has ended, so the job's tally answers: its records are not read again
    shutil.move(job / "tasks", run / "elsewhere")
    again = hpcflow("status", run_id, "--json")
    assert again.code == 0 and again.json["jobs"][1]["counts"] == counts, again.stderr
    assert json.loads((job / "tally.json").read_text())["final"] == [[0, 9]]


class _Queued:
    """A live view in which Slurm runs array task `running`, holds the ones after it queued, and has
    forgotten the ones before it (they ended)."""

    def __init__(self, rd: RunDir, running: int):
        self.rd, self.running = rd, running

    def queued(self, rd: RunDir, job_id: str, index: int) -> bool:
        return rd.task_of(job_id, index) > self.running

    def pending_reason(self, job_ids: tuple[int, ...]) -> str:
        return "Priority"

    def __call__(self, rd: RunDir, job_id: str, index: int) -> State | None:
        task = rd.task_of(job_id, index)
        return State.PENDING if task > self.running else State.RUNNING if task == self.running else None


def _count_reads(monkeypatch) -> tuple[list[int], list[int]]:
    """(tasks of n1 whose head was read, tasks of n1 whose whole records file was read), as looks go on."""
    heads: list[int] = []
    whole: list[int] = []
    real_head, real_json = records.read_head, records.atomic.read_json

    def read_head(path: Path):
        if path.parents[1].name == "n1":
            heads.append(int(path.name.split(".")[0]))
        return real_head(path)

    def read_json(path: Path, default=None):
        if path.parent.name == "tasks" and path.parents[1].name == "n1":
            whole.append(int(path.name.split(".")[0]))
        return real_json(path, default)

    monkeypatch.setattr(records, "read_head", read_head)
    monkeypatch.setattr(records.atomic, "read_json", read_json)
    return heads, whole


def test_status_reads_the_heads_of_the_array_tasks_that_are_not_queued_nor_counted(hpcflow, runs_dir: Path,
                                                                                   monkeypatch):
    res = hpcflow("run", f"{SCALE}:thousands", "-i", f"n={N}", "--json")
    assert res.code == 0, res.stderr
    rd = RunDir(runs_dir / res.json["run_id"])
    # as if the map ran now: tasks 0-3 ended, 4 runs (half its elements done, one running), the rest are queued
    running = rd.task_record("n1", 4)
    running.elements = {i: f for i, f in running.elements.items() if i < 4500}
    running.put(4500, "status", {"state": "RUNNING", "environment": "elsewhere"})
    atomic.write_json_compact(rd.records.path("n1", 4), running.to_json())
    for task in range(5, 10):
        rd.records.path("n1", task).unlink()
    rd.forget_tally("n1")
    heads, whole = _count_reads(monkeypatch)
    counts, bad, other = job_counts(RunDir(rd.path), "n1", N, _Queued(rd, running=4), submitted_under="here")
    assert sorted(heads) == [0, 1, 2, 3, 4] and whole == []  # five heads for ten thousand elements, no records
    assert counts == Counter({State.SUCCEEDED: 4499, State.FAILED: 1, State.RUNNING: 500, State.PENDING: 5000})
    assert all(counts.values())  # no state counted none (status --json would show it)
    assert bad == [4321] and 4500 in other
    heads.clear()
    counts, _, _ = job_counts(RunDir(rd.path), "n1", N, _Queued(rd, running=4))
    assert heads == [4] and whole == []  # the ended tasks are in the tally now: only the running one is read
    assert counts[State.SUCCEEDED] == 4499 and counts[State.RUNNING] == 500
    jobs = {j.label: j for j in summarize(RunDir(rd.path), _Queued(rd, running=4))}
    assert jobs["n1"].pending_reason == "Priority" and jobs["n0"].pending_reason == ""  # asked only with work pending


def test_a_report_reads_each_array_tasks_records_once(hpcflow, runs_dir: Path, tmp_path: Path, monkeypatch):
    res = hpcflow("run", f"{SCALE}:killed_once", "-i", "n=300", "-i", f"folder={tmp_path}", "--json")
    assert res.json["state"] == "FAILED", res.stderr  # task 1 (elements 100-199) was killed part way
    rd = RunDir(runs_dir / res.json["run_id"])
    _, whole = _count_reads(monkeypatch)
    node = next(n for n in gather(rd).nodes if n.summary.label == "n1")
    assert sorted(whole) == [0, 1, 2]  # not one read per element, failed ones included
    spans = [s for s in node.spans if s.start is not None]
    assert [s.task for s in node.spans] == [f"[{i}]" for i in range(300) if rd.status("n1", i).started is not None]
    assert "FAILED" in {s.state for s in spans} and "SUCCEEDED" in {s.state for s in spans}


def test_a_batch_on_several_processes_writes_one_part_each_and_folds_them(tmp_path: Path):
    records = TaskRecords(lambda job_id: tmp_path / job_id)
    records.put("n1", 0, 0, "status", {"state": "FAILED"})  # an earlier attempt's record, edited in
    parts = records.start_parts("n1", 0, 2)
    head = json.loads((tmp_path / "n1" / "tasks" / "0.json").read_text())
    assert head["parts"] == parts
    for k, part in enumerate(parts):  # each worker process the one writer of its part
        worker = TaskRecords(lambda job_id: tmp_path / job_id)
        worker.own("n1", 0, part)
        worker.put("n1", 0, k, "status", {"state": "SUCCEEDED"})
        worker.put("n1", 0, k, "outputs", {"o0": k})
        worker.release("n1", 0)
    assert TaskRecords(lambda job_id: tmp_path / job_id).read("n1", 0).ok(0)  # a reader merges the parts
    records.fold_parts("n1", 0)
    assert sorted(p.name for p in (tmp_path / "n1" / "tasks").iterdir()) == ["0.json"]
    record = records.read("n1", 0)
    assert record.get(1, "outputs") == {"o0": 1} and record.ok(0) and record.ok(1)


def test_a_map_of_10000_array_outputs_writes_one_hdf5_file_per_array_task(hpcflow, runs_dir: Path):
    res = hpcflow("run", f"{SCALE}:vectors", "-i", f"n={N}", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 1000.0 * sum(range(N))}  # the reduce read every element's array
    blobs = runs_dir / res.json["run_id"] / "blobs"
    assert sorted(p.name for p in (blobs / "packs" / "n1").iterdir()) == sorted(f"{t}.h5" for t in range(10))
    assert not list(blobs.rglob("*.npy"))  # no .npy per element
    import h5py

    with h5py.File(blobs / "packs" / "n1" / "3.h5", "r") as fh:
        assert len(fh) == 1000 and all(fh[k].shape == (1000,) and fh[k].dtype == "float64" for k in fh)
