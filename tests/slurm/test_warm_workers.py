"""Warm workers (Environment(reuse=ReusePolicy(...))) on the real test cluster."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

from slurm_helpers import ROOT

CASES = str(ROOT / "tests" / "workflows" / "slurm_cases.py")
RUNS = Path("/var/tmp/hpcflow/runs")


def test_pooled_tasks_run_on_warm_workers_that_go_away_when_idle(hpcflow, slurm_env):
    xs = [1, 2, 3, 4, 5, 6]
    local = hpcflow("run", f"{CASES}:warm_pipeline", "-i", f"xs={xs}", "--json")
    res = hpcflow("submit", f"{CASES}:warm_pipeline", "--site", "dev-cluster", "-i", f"xs={xs}", "--wait", "--json",
                  timeout=600)
    assert res.code == 0, res.stderr
    total, square_pids, sum_pid = res.json["outputs"]["o0"], res.json["outputs"]["o1"], res.json["outputs"]["o2"]
    assert total == local.json["outputs"]["o0"] == sum(x * x for x in xs)
    # one replica of two slots: every element ran in one of its two worker processes, and the
    # next task found those processes warm instead of starting a job of its own
    assert len(set(square_pids)) <= 2 and sum_pid in set(square_pids)
    run_dir = RUNS / res.json["run_id"]
    assert "hpcflow.backends.slurm.pool proxy" in (run_dir / "jobs" / "n0" / "proxy.sh").read_text()
    assert not (run_dir / "jobs" / "n0" / "job.sh").exists()  # no array of its own
    name = f"hf-{res.json['run_id']}"
    deadline = time.time() + 90  # idle_ttl is 5 s: workers and the pool job leave on their own
    while time.time() < deadline:
        left = subprocess.run(["squeue", "-h", f"--name={name}"], capture_output=True, text=True).stdout.strip()
        if not left:
            break
        time.sleep(1)
    assert not left, f"jobs still queued after the pool went idle: {left}"
