"""The head of each array task's records file (runtime/heads.py): a summary of its statuses that status
reads instead of the elements, published with the records by whoever writes them, so never stale."""
from __future__ import annotations

import dataclasses
import json
import shutil
from collections import Counter
from pathlib import Path

from hpcflow.backends.slurm.recover import recover
from hpcflow.backends.slurm.sentinel import decide
from hpcflow.core.states import State
from hpcflow.runtime import heads, records
from hpcflow.runtime.heads import TaskSummary, read_head, summary_of
from hpcflow.runtime.records import TaskRecords
from hpcflow.runtime.jobscript import RUN_AGAIN
from hpcflow.runtime.resume import reset_unfinished
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.statuses import ElementStatus
from hpcflow.runtime.summary import job_counts
from hpcflow.store import atomic
from paths import ROOT

SCALE = str(ROOT / "tests" / "workflows" / "scale.py")


def _records(tmp_path: Path) -> TaskRecords:
    return TaskRecords(lambda job_id: tmp_path / job_id)


def _heads_agree(rd: RunDir, job_id: str) -> None:
    """Every task's head is there and says what its records say."""
    for task in range(rd.task_count(job_id, rd.size(job_id))):
        found = read_head(rd.records.path(job_id, task))
        assert found is not None, f"task {task} has no head"
        assert found[0] == summary_of(rd.task_record(job_id, task).elements), f"task {task}'s head is stale"


def _counts(rd: RunDir, job_id: str) -> Counter:
    """A job's counts as a look from its heads gives them (no tally kept, no backend)."""
    rd.forget_tally(job_id)
    return job_counts(RunDir(rd.path), job_id, rd.size(job_id), None)[0]


def _from_records(rd: RunDir, job_id: str) -> Counter:
    """The same counts from every element's record."""
    return Counter(st.state for st in RunDir(rd.path).statuses(job_id))


def test_the_head_leads_the_file_and_sums_up_its_statuses_in_runs(tmp_path: Path):
    writer = _records(tmp_path)
    writer.own("n1", 0)
    for i in range(10):
        writer.put("n1", 0, i, "status", {"state": "FAILED" if i == 7 else "SUCCEEDED", "environment": "e1"})
        writer.put("n1", 0, i, "outputs", {"o0": "x" * 1000})  # what a look does not read
    writer.put("n1", 0, 10, "status", {"state": "RUNNING"})
    writer.release("n1", 0)
    text = (tmp_path / "n1" / "tasks" / "0.json").read_text()
    assert text.startswith('{"head":{"states":{"SUCCEEDED":[[0,6],[8,9]],"FAILED":[7],"RUNNING":[10]}')
    summary = _records(tmp_path).summary("n1", 0)
    assert summary.counts() == Counter({State.SUCCEEDED: 9, State.FAILED: 1, State.RUNNING: 1})
    assert list(summary.indices(State.FAILED)) == [7] and summary.ran_under(3) == {"e1": [0, 1, 2]}
    assert _records(tmp_path).summary("n1", 1) == TaskSummary()  # nothing recorded: no file


def test_a_head_longer_than_the_first_read_and_a_file_without_one_are_read_whole(tmp_path: Path, monkeypatch):
    records_ = _records(tmp_path)
    with records_.deferring():
        for i in range(5000):  # alternating states: a run per element
            records_.put("n1", 0, i, "status", {"state": "FAILED" if i % 2 else "SUCCEEDED"})
    assert (tmp_path / "n1" / "tasks" / "0.json").stat().st_size > heads.CHUNK
    assert records_.summary("n1", 0).counts() == Counter({State.SUCCEEDED: 2500, State.FAILED: 2500})
    # as an older hpcflow wrote it: no head, so the records are read and summed up
    old = {"elements": {"3": {"status": {"state": "TIMEOUT"}}}, "parts": []}
    atomic.write_json_compact(tmp_path / "n1" / "tasks" / "1.json", old)
    whole: list[Path] = []
    real = records.atomic.read_json
    monkeypatch.setattr(records.atomic, "read_json", lambda path, default=None: whole.append(path) or real(path, default))
    assert records_.summary("n1", 1).counts() == Counter({State.TIMEOUT: 1})
    assert whole == [tmp_path / "n1" / "tasks" / "1.json"]


def test_the_heads_of_parts_count_over_the_tasks_own(tmp_path: Path, monkeypatch):
    records_ = _records(tmp_path)
    records_.put("n1", 0, 0, "status", {"state": "FAILED", "environment": "old"})  # an earlier attempt's
    records_.put("n1", 0, 1, "status", {"state": "FAILED"})
    parts = records_.start_parts("n1", 0, 2)
    whole: list[Path] = []
    real = records.atomic.read_json
    monkeypatch.setattr(records.atomic, "read_json", lambda path, default=None: whole.append(path) or real(path, default))
    # the workers have not published their parts yet: the task's own head is all there is
    assert _records(tmp_path).summary("n1", 0).counts() == Counter({State.FAILED: 2}) and whole == []
    for k, part in enumerate(parts):  # each worker the one writer of its part; element 1 still runs
        worker = _records(tmp_path)
        worker.own("n1", 0, part, indices=[k])
        worker.put("n1", 0, k, "status", {"state": "RUNNING" if k else "SUCCEEDED"})
        worker.release("n1", 0)
    whole.clear()
    summary = _records(tmp_path).summary("n1", 0)
    expected = Counter({State.SUCCEEDED: 1, State.RUNNING: 1})
    assert summary.counts() == expected and whole == []
    assert summary.ran_under(10) == {}  # element 0's new status replaced the old one, environment and all
    records_.fold_parts("n1", 0)
    assert read_head(tmp_path / "n1" / "tasks" / "0.json")[0].counts() == expected


def test_a_process_of_this_task_answers_from_its_unpublished_writes(tmp_path: Path):
    writer = _records(tmp_path)
    writer.own("n1", 0)
    writer.put("n1", 0, 0, "status", {"state": "SUCCEEDED"}, urgent=True)
    writer.put("n1", 0, 1, "status", {"state": "RUNNING"})  # buffered: not in the file yet
    assert writer.summary("n1", 0).counts() == Counter({State.SUCCEEDED: 1, State.RUNNING: 1})


def test_heads_stay_right_after_a_kill_the_recover_step_a_sentinel_and_a_resume(hpcflow, runs_dir: Path,
                                                                                tmp_path: Path):
    res = hpcflow("run", f"{SCALE}:killed_once", "-i", "n=300", "-i", f"folder={tmp_path}", "--json")
    assert res.code != 0 and res.json["state"] == "FAILED", res.stderr
    rd = RunDir(runs_dir / res.json["run_id"])
    # the local backend recorded the killed task's unfinished elements FAILED, as an edit of its records
    _heads_agree(rd, "n1")
    assert _counts(rd, "n1") == _from_records(rd, "n1") and _counts(rd, "n1")[State.FAILED] >= 1
    status = hpcflow("status", rd.meta.run_id, "--json")
    assert status.json["jobs"][1]["counts"] == {s.value: n for s, n in _from_records(rd, "n1").items()}

    # as under Slurm: task 1's process was killed mid-batch, leaving elements RUNNING and unrecorded
    copy = RunDir(shutil.copytree(rd.path, tmp_path / "copy"))
    with copy.records.deferring():
        for i in range(100, 200):  # 100-149 had started, 150-199 had not
            copy.write_status("n1", i, ElementStatus(State.RUNNING, started=1.0) if i < 150 else ElementStatus())
    job = dataclasses.replace(copy.plan.job("n1"), retries=1)
    assert recover(copy, job, 1, 137, "", None, None) == RUN_AGAIN  # the recover step: retried in place
    _heads_agree(copy, "n1")
    assert _counts(copy, "n1") == Counter({State.SUCCEEDED: 200, State.PENDING: 100})
    decide(copy, copy.plan.job("n1"), {1: "NODE_FAIL"})  # a sentinel: no retries left, so FAILED
    _heads_agree(copy, "n1")
    assert _counts(copy, "n1") == Counter({State.SUCCEEDED: 200, State.FAILED: 100}) == _from_records(copy, "n1")

    assert reset_unfinished(copy) == 100 + 1  # and the reduce, cancelled
    _heads_agree(copy, "n1")
    assert _counts(copy, "n1") == Counter({State.SUCCEEDED: 200, State.PENDING: 100})

    again = hpcflow("resume", rd.meta.run_id, "--json")  # the element is not killed again
    assert again.code == 0 and again.json["outputs"] == {"o0": 300}, again.stderr
    _heads_agree(rd, "n1")
    final = hpcflow("status", rd.meta.run_id, "--json")
    assert final.json["jobs"][1]["counts"] == {"SUCCEEDED": 300}
    assert json.loads((rd.tally_path("n1")).read_text())["final"] == [[0, 2]]
