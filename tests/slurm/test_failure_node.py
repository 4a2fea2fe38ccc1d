"""flytekit's on_failure and failure_policy on Slurm, with someone polling the run as users do.

The workflow's failure watch is one more job of the run, which Slurm starts (afterany) once
every job of the workflow has ended: the handler runs after everything else, exactly once, and
only when something failed. `slow` waits at a gate file that the test creates once it has seen
what it looks for, so nothing here depends on how long a job takes.
"""
from __future__ import annotations

from pathlib import Path

from slurm_helpers import ROOT, sacct_states, wait_until

CASES = f"{ROOT}/tests/workflows/failure_cases.py"


def _submit(hpcflow, wf: str, tmp_path: Path) -> tuple[str, Path, Path]:
    log, gate = tmp_path / "log", tmp_path / "gate"
    res = hpcflow("submit", f"{CASES}:{wf}", "--site", "dev-cluster", "-i", f"path={log}", "-i", f"gate={gate}",
                  "--json")
    assert res.code == 0, res.stderr
    return res.json["run_id"], log, gate


def _status(hpcflow, run_id: str) -> dict:
    res = hpcflow("status", run_id, "--json")
    assert res.code == 0, res.stderr
    return res.json


def _job(status: dict, node: str) -> dict:
    return next(j for j in status["jobs"] if j["node"] == node)


def _failing(hpcflow, run_id: str) -> dict:
    """Poll `hpcflow status` until it shows the run failing (a node failed, the run goes on)."""
    def seen() -> dict | None:
        status = _status(hpcflow, run_id)
        assert status["state"] not in ("FAILED", "SUCCEEDED"), status  # slow is still at its gate
        return status if status["error"].startswith("failing: ") else None
    return wait_until(seen, timeout=300, interval=1)


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_fail_immediately_cancels_queued_work_and_the_handler_runs_once_after_the_rest(hpcflow, slurm_env, tmp_path):
    run_id, log, gate = _submit(hpcflow, "fails_fast", tmp_path)
    status = _failing(hpcflow, run_id)
    assert "n1" in status["error"] and "breaks" in status["error"]
    # the poll that saw the failure cancelled what had not started (after_slow waits on slow); slow
    # still runs, and the failure watch still waits for it
    assert _job(status, "n2")["counts"] == {"CANCELLED": 1}
    assert _job(status, "on_failure")["counts"] == {"PENDING": 1}
    n2 = _job(status, "n2")["slurm_ids"]
    # Slurm's accounting hears of the cancel a moment after squeue does
    wait_until(lambda: sacct_states(n2).get(str(n2[0]), "").startswith("CANCELLED"), timeout=60, interval=1)
    gate.touch()
    res = hpcflow("wait", run_id, "--json", timeout=600)
    assert res.code == 1 and res.json["state"] == "FAILED", res.stdout + res.stderr
    assert "(breaks) did not succeed" in res.json["error"] and not res.json["error"].startswith("failing")
    lines = _lines(log)
    # the handler ran once, after slow ended, with the workflow's inputs and the failed node's error
    assert lines.count("clean_up n1 ValueError: broken on purpose") == 1 and "after_slow" not in lines, lines
    assert lines.index("slow") < lines.index("clean_up n1 ValueError: broken on purpose")
    final = _status(hpcflow, run_id)
    assert _job(final, "on_failure[0]/n0")["counts"] == {"SUCCEEDED": 1}


def test_fail_after_executable_nodes_complete_runs_the_rest_then_the_handler(hpcflow, slurm_env, tmp_path):
    run_id, log, gate = _submit(hpcflow, "fails_after_the_rest", tmp_path)
    status = _failing(hpcflow, run_id)
    assert _job(status, "n1")["counts"] == {"FAILED": 1}
    assert _job(status, "n2")["counts"] == {"PENDING": 1}  # not cancelled: it does not need the failed node
    gate.touch()
    res = hpcflow("wait", run_id, "--json", timeout=600)
    assert res.code == 1 and res.json["state"] == "FAILED" and "(breaks) did not succeed" in res.json["error"]
    lines = _lines(log)
    assert lines.index("slow") < lines.index("after_slow") < lines.index("clean_up n1 ValueError: broken on purpose")
    assert _job(_status(hpcflow, run_id), "n2")["counts"] == {"SUCCEEDED": 1}


def test_a_run_that_succeeds_never_runs_its_handler(hpcflow, slurm_env, tmp_path):
    run_id, log, gate = _submit(hpcflow, "succeeds", tmp_path)
    res = hpcflow("wait", run_id, "--json", timeout=600)
    assert res.code == 0 and res.json["outputs"] == {"o0": 3}, res.stdout + res.stderr
    status = wait_until(lambda: (s := _status(hpcflow, run_id)) and _job(s, "on_failure")["counts"].get("SUCCEEDED")
                        and s, timeout=120)  # the watch ends soon after the run: it finds nothing failed
    assert [j["node"] for j in status["jobs"]] == ["n0", "n1", "on_failure"]  # it submitted no handler
    assert _lines(log) == ["works", "after_slow"]
