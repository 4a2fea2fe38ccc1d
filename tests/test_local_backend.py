"""The local backend on real processes: layout, concurrency, retries, timeouts, failures."""
from __future__ import annotations

import json
from pathlib import Path

from paths import ROOT
from run_records import element_status

FAULTS = str(ROOT / "tests" / "workflows" / "faults.py")


def _max_overlap(starts: list[float], ends: list[float]) -> int:
    events = sorted([(s, 1) for s in starts] + [(e, -1) for e in ends])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def test_run_directory_layout(hpcflow, runs_dir: Path):
    res = hpcflow("run", "examples/partitioned_mean.py:partitioned_mean", "-i", "n=1000", "-i", "parts=3", "--json")
    assert res.code == 0, res.stderr
    rd = runs_dir / res.json["run_id"]
    for name in ("run.json", "plan.json", "state.json", "outputs.json"):
        assert (rd / name).is_file(), name
    assert json.loads((rd / "state.json").read_text())["state"] == "SUCCEEDED"
    assert (rd / "jobs" / "n2" / "size.json").read_text().count("3")
    for i in range(3):
        status = element_status(rd, "n2", i)
        assert status["state"] == "SUCCEEDED" and status["finished"] >= status["started"]
        assert (rd / "jobs" / "n2" / "logs" / f"{i}.log").exists()
    script = (rd / "jobs" / "n2" / "job.sh").read_text()
    assert "-m hpcflow.runtime.entry" in script and "SLURM_ARRAY_TASK_ID" in script
    assert list((rd / "blobs").rglob("*.npy")), "arrays are stored by content hash"


def test_map_concurrency_is_honoured(hpcflow):
    res = hpcflow("run", f"{FAULTS}:spans", "-i", "xs=[1,2,3,4,5,6]", "--max-workers", "4", "--json")
    assert res.code == 0, res.stderr
    starts, ends = res.json["outputs"]["o0"], res.json["outputs"]["o1"]
    assert len(starts) == 6
    assert _max_overlap(starts, ends) == 2  # never more than concurrency=2, and it did run in parallel


def test_retries_rerun_a_failing_task(hpcflow, runs_dir: Path, tmp_path: Path):
    marker = tmp_path / "attempts"
    res = hpcflow("run", f"{FAULTS}:retried", "-i", f"marker={marker}", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 3} and marker.read_text() == "3"
    status = element_status(runs_dir / res.json["run_id"], "n0", 0)
    assert status["attempts"] == 3


def test_timeout_is_recorded_and_downstream_is_cancelled(hpcflow, runs_dir: Path):
    res = hpcflow("run", f"{FAULTS}:timed_out", "--json")
    assert res.code == 1
    assert res.json["state"] == "FAILED" and "TIMEOUT" in res.json["error"]
    assert len(res.stderr.strip().splitlines()) == 1
    rd = runs_dir / res.json["run_id"]
    status = element_status(rd, "n0", 0)
    assert status["state"] == "TIMEOUT" and status["finished"] - status["started"] < 10
    st = hpcflow("status", res.json["run_id"], "--json").json
    assert [(j["node"], j["counts"]) for j in st["jobs"]] == [("n0", {"TIMEOUT": 1}), ("n1", {"CANCELLED": 1})]


def test_a_timed_out_attempt_is_retried_with_twice_the_time(hpcflow, runs_dir: Path):
    res = hpcflow("run", f"{FAULTS}:timeout_then_more_time", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 2}
    status = element_status(runs_dir / res.json["run_id"], "n0", 0)
    assert status["attempts"] == 2 and status["state"] == "SUCCEEDED"
    log = (runs_dir / res.json["run_id"] / "jobs" / "n0" / "logs" / "0.log").read_text()
    assert "attempt 1 of 2 failed with a recoverable ElementTimeout: 2" in log


def test_failed_element_is_named_and_its_log_holds_the_traceback(hpcflow):
    res = hpcflow("run", f"{FAULTS}:one_bad_element")
    assert res.code == 1
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "n0[2]" in errors[0] and "ValueError: bad element 2" in errors[0]
    run_id = errors[0].split("run ")[1].split()[0]
    assert f"hpcflow logs {run_id} n0[2]" in errors[0]
    log = hpcflow("logs", run_id, "n0[2]")
    assert log.code == 0 and "Traceback" in log.stdout and "bad element 2" in log.stdout
    st = hpcflow("status", run_id, "--json").json
    assert st["state"] == "FAILED"
    assert st["jobs"][0]["counts"] == {"SUCCEEDED": 3, "FAILED": 1}
    assert st["jobs"][1]["counts"] == {"CANCELLED": 1}


def test_min_success_ratio_lets_the_run_succeed(hpcflow):
    res = hpcflow("run", f"{FAULTS}:tolerated_bad_element", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 0 + 1 + 3}


def test_user_errors_are_not_retried(hpcflow, runs_dir: Path):
    res = hpcflow("run", f"{FAULTS}:one_bad_element", "--json")
    status = element_status(runs_dir / res.json["run_id"], "n0", 2)
    assert status["state"] == "FAILED" and status["attempts"] == 1


def test_traced_calls_replay_after_a_retry(hpcflow, runs_dir: Path, tmp_path: Path):
    res = hpcflow("run", f"{FAULTS}:traced", "-i", f"folder={tmp_path}", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": 60}
    assert [(tmp_path / f"step{i}").read_text() for i in (1, 2, 3)] == ["1", "1", "1"]  # nothing ran twice
    status = element_status(runs_dir / res.json["run_id"], "n0", 0)
    assert status["attempts"] == 2 and status["trace_replayed"] == 2 and status["trace_executed"] == 3


def test_resume_of_a_cached_workflow_whose_tasks_live_in_a_neighbour_module(hpcflow, runs_dir: Path, tmp_path: Path):
    project = tmp_path / "project"  # not the directory hpcflow runs from
    project.mkdir()
    (project / "rel.py").write_text(
        "import os\nfrom hpcflow import task\n\n\n@task(cache=True, cache_version='1')\ndef big(x: int) -> int:\n"
        "    return x * 100\n\n\n@task\ndef flaky_total(xs: list[int], marker: str) -> int:\n"
        "    if not os.path.exists(marker):\n        open(marker, 'w').close()\n"
        "        raise ValueError('fails the first time')\n    return sum(xs)\n")
    (project / "wf.py").write_text(
        "from hpcflow import map_task, workflow\nfrom rel import big, flaky_total\n\n\n@workflow\n"
        "def wf(marker: str) -> int:\n    return flaky_total(xs=map_task(big)(x=[1, 2, 3]), marker=marker)\n")
    first = hpcflow("run", str(project / "wf.py:wf"), "-i", f"marker={tmp_path / 'marker'}", "--json")
    assert first.code == 1 and "fails the first time" in first.json["error"]
    again = hpcflow("resume", first.json["run_id"], "--json")
    assert again.code == 0, again.stderr
    assert again.json["outputs"] == {"o0": 600}
    counts = {j["node"]: j["counts"] for j in hpcflow("status", first.json["run_id"], "--json").json["jobs"]}
    assert counts["n0"] == {"SUCCEEDED": 3}  # kept from the first run, not run again
