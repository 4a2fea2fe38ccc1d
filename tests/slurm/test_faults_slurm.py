"""Fault tolerance on the real test cluster: retries, timeouts, min_success_ratio, resume, preemption."""
from __future__ import annotations

import json
from pathlib import Path

from slurm_helpers import ROOT, sacct_states, wait_until

CASES = str(ROOT / "tests" / "workflows" / "slurm_cases.py")
FAULTS = str(ROOT / "tests" / "workflows" / "faults.py")
RUNS = Path("/var/tmp/hpcflow/runs")


def test_recoverable_failure_then_success_with_retries_1(hpcflow, slurm_env, tmp_path: Path):
    res = hpcflow("submit", f"{FAULTS}:traced", "--site", "dev-cluster", "-i", f"folder={tmp_path}", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 60}
    status = json.loads((RUNS / res.json["run_id"] / "jobs" / "n0" / "0" / "status.json").read_text())
    assert status["attempts"] == 2 and status["trace_replayed"] == 2


def test_timeout_is_recorded_as_timeout(hpcflow, slurm_env):
    res = hpcflow("submit", f"{FAULTS}:timed_out", "--site", "dev-cluster", "-i", "seconds=20", "--wait", "--json")
    assert res.code == 1 and res.json["state"] == "FAILED" and "n0[0]" in res.json["error"]
    status = hpcflow("status", res.json["run_id"], "--json").json
    assert status["jobs"][0]["counts"] == {"TIMEOUT": 1}
    assert status["jobs"][1]["counts"] == {"CANCELLED": 1}
    script = (RUNS / res.json["run_id"] / "jobs" / "n0" / "job.sh").read_text()
    assert "--time=0-00:02:00" in script  # timeout 1 s + the site's 60 s margin, rounded up to minutes


def test_min_success_ratio_half_with_three_of_ten_failing_completes(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:tolerant", "--site", "dev-cluster", "-i", f"xs={list(range(1, 11))}",
                  "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": [1, 2, 4, 5, 7, 8, 10]}
    status = hpcflow("status", res.json["run_id"], "--json").json
    assert status["jobs"][0]["counts"] == {"SUCCEEDED": 7, "FAILED": 3}


def test_below_min_success_ratio_the_run_fails_and_dependents_are_cancelled(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:intolerant", "--site", "dev-cluster", "-i", f"xs={list(range(1, 11))}",
                  "--wait", "--json")
    assert res.code == 1 and res.json["state"] == "FAILED"
    status = hpcflow("status", res.json["run_id"], "--json").json
    assert status["jobs"][0]["counts"] == {"SUCCEEDED": 7, "FAILED": 3}
    assert status["jobs"][1]["counts"] == {"CANCELLED": 1}


def test_cancel_then_resume_completes_and_reruns_nothing_that_succeeded(hpcflow, slurm_env, tmp_path: Path):
    xs = [1, 1, 1, 30, 30, 30]
    res = hpcflow("submit", f"{CASES}:resumable", "--site", "dev-cluster", "-i", f"xs={xs}",
                  "-i", f"folder={tmp_path}", "--json")
    run_id, (array_id, _) = res.json["run_id"], res.json["jobs"]
    # once the three short elements are done and the long ones run, cancel the run
    wait_until(lambda: len(list(tmp_path.glob("ran-1-*"))) == 3, timeout=60)
    wait_until(lambda: sacct_states([array_id]).get(f"{array_id}_3", "").startswith("RUNNING"), timeout=60)
    assert hpcflow("cancel", run_id).code == 0
    status = hpcflow("status", run_id, "--json").json
    assert status["state"] == "CANCELLED"
    resumed = hpcflow("resume", run_id, "--wait", "--json")
    assert resumed.code == 0, resumed.stderr
    assert resumed.json["outputs"] == {"o0": sum(xs)}
    ran = {p.name: p.read_text() for p in tmp_path.glob("ran-*")}
    assert len(ran) == 6 and set(ran.values()) == {"x"}  # every element ran exactly once to completion
    sbatch = [c for c in json.loads("[" + ",".join(slurm_env.read_text().splitlines()) + "]") if c["argv"][0] == "sbatch"]
    resubmitted = Path(sbatch[2]["argv"][-1]).read_text()
    assert "--array=3-5\n" in resubmitted  # only the elements that had not succeeded
