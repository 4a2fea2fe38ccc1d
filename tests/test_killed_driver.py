"""A local run whose driver is stopped (SIGTERM, a closed terminal) or killed (kill -9): never a dead end.
The driver stops its elements and records the run CANCELLED; after kill -9, `cancel` and `resume` find it dead,
stop the elements it orphaned and go on."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpcflow.core.states import State
from hpcflow.runtime.rundir import RunDir

ROOT = Path(__file__).resolve().parents[1]
MONITORING = ROOT / "tests" / "workflows" / "monitoring.py"


def _wait(predicate, timeout: float = 60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


def _start(runs_dir: Path, marker: Path) -> tuple[subprocess.Popen, Path, list[int]]:
    """`hpcflow run` of two elements that wait for `marker`; once both run: the driver, its run dir, their pids."""
    driver = subprocess.Popen([sys.executable, "-m", "hpcflow.cli.main", "run", f"{MONITORING}:waits_for_a_file",
                               "-i", f"path={marker}", "-i", "xs=[1,2]", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)

    def both_running() -> tuple[Path, list[int]] | None:
        for run in runs_dir.glob("waits_for_a_file-*"):
            if not (run / "plan.json").exists():
                continue
            statuses = RunDir(run).statuses("n0")
            pids = [s.pid for s in statuses if s.state is State.RUNNING and s.pid]
            if len(pids) == 2:
                return run, pids
        return None

    run, pids = _wait(both_running)
    return driver, run, pids


def _hpcflow(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hpcflow.cli.main", *args], capture_output=True, text=True,
                          timeout=120, env=os.environ)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_driver_stopped_by_a_signal_stops_its_elements_and_records_the_run_cancelled(runs_dir, tmp_path, signum):
    driver, run, pids = _start(runs_dir, tmp_path / "go")
    driver.send_signal(signum)
    _, err = driver.communicate(timeout=60)
    assert driver.returncode == 1 and err.strip().count("\n") == 0, err
    assert f"was stopped by {signal.Signals(signum).name}" in err and "hpcflow resume" in err
    _wait(lambda: not any(_alive(pid) for pid in pids), timeout=30)
    assert RunDir(run).state[0] is State.CANCELLED


def test_after_kill_9_cancel_stops_the_orphans_and_resume_runs_the_rest(runs_dir, tmp_path):
    marker = tmp_path / "go"
    driver, run, pids = _start(runs_dir, marker)
    driver.kill()
    driver.wait()
    assert all(_alive(pid) for pid in pids)  # orphans, and the run still reads RUNNING
    assert RunDir(run).state[0] is State.RUNNING
    res = _hpcflow("cancel", run.name)
    assert res.returncode == 0, res.stderr
    _wait(lambda: not any(_alive(pid) for pid in pids), timeout=30)
    status = _hpcflow("status", run.name, "--json")
    assert json.loads(status.stdout)["state"] == "CANCELLED"
    marker.write_text("")
    res = _hpcflow("resume", run.name, "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1])["outputs"] == {"o0": [1, 2]}


def test_after_kill_9_resume_alone_finds_the_driver_dead_and_goes_on(runs_dir, tmp_path):
    marker = tmp_path / "go"
    driver, run, pids = _start(runs_dir, marker)
    driver.kill()
    driver.wait()
    marker.write_text("")  # the orphans may finish now: what they finish is kept, the rest runs again
    res = _hpcflow("resume", run.name, "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.strip().splitlines()[-1])["outputs"] == {"o0": [1, 2]}
    assert not any(_alive(pid) for pid in pids)
