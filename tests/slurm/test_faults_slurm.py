"""Fault tolerance on the real test cluster: retries, timeouts, min_success_ratio, resume, preemption."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from slurm_helpers import (ROOT, RUNS, dev_cluster_text, rendered_report, sacct_states, slurm_calls, wait_until,
                           whole_cluster)
from run_records import element_status

CASES = str(ROOT / "tests" / "workflows" / "slurm_cases.py")
FAULTS = str(ROOT / "tests" / "workflows" / "faults.py")


def test_recoverable_failure_then_success_with_retries_1(hpcflow, slurm_env, tmp_path: Path):
    res = hpcflow("submit", f"{FAULTS}:traced", "--site", "dev-cluster", "-i", f"folder={tmp_path}", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 60}
    status = element_status(RUNS / res.json["run_id"], "n0", 0)
    assert status["attempts"] == 2 and status["trace_replayed"] == 2


def test_timeout_is_recorded_as_timeout(hpcflow, slurm_env):
    res = hpcflow("submit", f"{FAULTS}:timed_out", "--site", "dev-cluster", "-i", "seconds=20", "--wait", "--json")
    assert res.code == 1 and res.json["state"] == "FAILED" and "n0[0]" in res.json["error"]
    status = hpcflow("status", res.json["run_id"], "--json").json
    assert status["jobs"][0]["counts"] == {"TIMEOUT": 1}
    assert status["jobs"][1]["counts"] == {"CANCELLED": 1}
    script = (RUNS / res.json["run_id"] / "jobs" / "n0" / "job.sh").read_text()
    assert "--time=0-00:02:00" in script  # timeout 1 s + the site's 60 s margin, rounded up to minutes


def test_a_timed_out_attempt_is_retried_with_twice_the_time_and_time_limit(hpcflow, slurm_env):
    res = hpcflow("submit", f"{FAULTS}:timeout_then_more_time", "--site", "dev-cluster", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 2}
    status = element_status(RUNS / res.json["run_id"], "n0", 0)
    assert status["attempts"] == 2 and status["state"] == "SUCCEEDED"
    script = (RUNS / res.json["run_id"] / "jobs" / "n0" / "job.sh").read_text()
    assert "--time=0-00:02:00" in script  # attempts of 2 s and 4 s, plus the site's 60 s margin


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
    counts = status["jobs"][0]["counts"]
    # the run fails as soon as the ratio cannot be met; elements still queued then are cancelled
    assert counts.get("FAILED", 0) >= 2 and sum(counts.values()) == 10 and "RUNNING" not in counts
    assert status["jobs"][1]["counts"] == {"CANCELLED": 1}


@pytest.mark.slow
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


def test_an_element_killed_under_slurm_runs_again_at_once_in_its_own_array_task(hpcflow, slurm_env, tmp_path: Path):
    res = hpcflow("submit", f"{CASES}:killed_and_retried", "--site", "dev-cluster", "-i", "xs=[0,1,2]",
                  "-i", f"folder={tmp_path}", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 30}
    job_dir = RUNS / res.json["run_id"] / "jobs" / "n0"
    assert len([c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]) == 2  # the map and `total`: no retry job
    (array,) = json.loads((job_dir / "slurm.json").read_text())
    assert set(sacct_states([array["id"]]).values()) == {"COMPLETED"}  # (sacct may list the tasks or the array)
    status = element_status(RUNS / res.json["run_id"], "n0", 1)
    assert status["state"] == "SUCCEEDED" and status["attempts"] == 2
    assert "ended by signal 9; running them again here" in (job_dir / "logs" / "1.log").read_text()
    def report_shows_the_retry() -> str:  # sacct's accounting of the tasks' runs may lag their end
        dom = rendered_report(hpcflow, res.json["run_id"], tmp_path)
        return dom if "n0[1]: 2 attempts" in dom and dom.count("class=\"span\"") >= 3 else ""

    wait_until(report_shows_the_retry, timeout=90, interval=2)


@pytest.mark.slow  # Slurm holds a requeued job for about two minutes (BeginTime)
@pytest.mark.exclusive  # fills the cluster with a normal-QoS job to force the preemption
def test_preempted_interruptible_map_completes_and_replays_finished_steps(hpcflow, slurm_env, tmp_path: Path):
    import subprocess

    res = hpcflow("submit", f"{CASES}:preemptible_map", "--site", "dev-cluster", "-i", "xs=[0,1,2,3]",
                  "-i", f"folder={tmp_path}", "--json")
    assert res.code == 0, res.stderr
    run_id, array_id = res.json["run_id"], res.json["jobs"][0]
    script = (RUNS / run_id / "jobs" / "n0" / "job.sh").read_text()
    assert "--qos=preemptible" in script and "--requeue" in script
    # once every element has finished two steps, a normal-QoS job that needs the whole node arrives
    wait_until(lambda: all((tmp_path / f"x{x}-step2").exists() for x in range(4)), timeout=120)
    hog = subprocess.run(["sbatch", "--parsable", "-p", "cpu", "--qos=normal", *whole_cluster(), "-J", "hog",
                          "-o", "/dev/null", "--wrap", "sleep 2"], capture_output=True, text=True, check=True).stdout.strip()
    try:
        wait_until(lambda: any(s.startswith(("PREEMPTED", "REQUEUED", "PENDING"))
                               for k, s in sacct_states([array_id]).items()) or
                   subprocess.run(["squeue", "-h", "-j", str(array_id), "-o", "%r"], capture_output=True,
                                  text=True).stdout.count("BeginTime") > 0, timeout=60)
        done = hpcflow("wait", run_id, "--json", "--timeout", "600", timeout=700)
    finally:
        subprocess.run(["scancel", hog])
    assert done.code == 0, done.stderr
    assert done.json["outputs"] == {"o0": 4 * 15 + 6}
    statuses = [element_status(RUNS / run_id, "n0", i) for i in range(4)]
    assert all(s["restarts"] >= 1 for s in statuses)
    dom = rendered_report(hpcflow, run_id, tmp_path)  # the preemption on the report's timeline, as sacct saw it
    assert "data-state=\"PREEMPTED\"" in dom or "data-state=\"REQUEUED\"" in dom
    assert "n0[0]: requeued" in dom
    assert all(s["trace_replayed"] >= 2 for s in statuses)  # steps finished before the preemption came back
    for x in range(4):  # finished steps ran once; only the step that was cut off ran again
        runs = [len((tmp_path / f"x{x}-step{s}").read_text()) for s in range(6)]
        assert runs[:2] == [1, 1] and sum(runs) <= 7


@pytest.mark.slow
@pytest.mark.exclusive  # fills the cluster with a normal-QoS job to force the preemption
def test_after_the_allowed_preemptions_the_last_attempt_runs_on_the_normal_qos(hpcflow, slurm_env, tmp_path: Path):
    import subprocess

    site = tmp_path / "no-requeue.toml"
    site.write_text(dev_cluster_text().replace(
        "max_preemptions = 2", "max_preemptions = 0"))
    folder = tmp_path / "steps"
    folder.mkdir()
    res = hpcflow("submit", f"{CASES}:preemptible_map", "--site", str(site), "-i", "xs=[0,1,2,3]",
                  "-i", f"folder={folder}", "--json")
    run_id = res.json["run_id"]
    wait_until(lambda: all((folder / f"x{x}-step1").exists() for x in range(4)), timeout=120)
    hog = subprocess.run(["sbatch", "--parsable", "-p", "cpu", "--qos=normal", *whole_cluster(), "-J", "hog",
                          "-o", "/dev/null", "--wrap", "sleep 2"], capture_output=True, text=True, check=True).stdout.strip()
    try:
        done = hpcflow("wait", run_id, "--json", "--timeout", "300", timeout=400)
    finally:
        subprocess.run(["scancel", hog])
    assert done.code == 0, done.stderr
    assert done.json["outputs"] == {"o0": 4 * 15 + 6}
    retry = (RUNS / run_id / "jobs" / "n0" / "retry1-job-chunk0.sh").read_text()
    assert "--qos=normal" in retry and "--requeue" not in retry and "--array=0-3\n" in retry
