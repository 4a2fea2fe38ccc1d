"""A map of 10,000 elements on the real test cluster: records per array task, status from the tally
with one squeue (and at most one sacct) call. bench/scale.py runs the same at up to a million."""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from hpcflow.runtime.handle import Run
from slurm_helpers import ROOT, RUNS, dev_cluster_text, slurm_calls

SCALE = str(ROOT / "tests" / "workflows" / "scale.py")
N = 10_000


def test_a_map_of_10000_elements_on_slurm_makes_files_per_array_task(hpcflow, slurm_env, tmp_path: Path):
    site = tmp_path / "site.toml"  # dev-cluster, batching above 100 array tasks (not by work): 100 tasks of 100
    site.write_text(dev_cluster_text().replace(
        "max_array_size = 1001", "max_array_size = 1001\nmax_fanout = 100\nauto_batch_above = 0"))
    res = hpcflow("submit", f"{SCALE}:site_batched", "--site", str(site), "-i", f"n={N}", "--json")
    assert res.code == 0, res.stderr
    run_id = res.json["run_id"]
    before = len(slurm_calls(slurm_env))
    running = hpcflow("status", run_id, "--json")
    assert running.code == 0, running.stderr
    calls = Counter(c[0] for c in slurm_calls(slurm_env)[before:])  # (the jobs' own sbatch calls log here too)
    assert calls["squeue"] <= 1 and calls["sacct"] <= 1, calls

    done = hpcflow("wait", run_id, "--json", "--timeout", "600", timeout=700)
    assert done.code == 0 and done.json["outputs"] == {"o0": N - 1}, done.stderr
    run = RUNS / run_id
    job = run / "jobs" / "n1"
    assert len(list((job / "tasks").iterdir())) == 100  # one record file per array task
    assert not [p for p in job.iterdir() if p.name.isdigit()]
    logs = list((job / "logs").iterdir())
    assert len(logs) <= 2 * 100  # the task's log and Slurm's own output file
    entries = sum(1 for _ in run.rglob("*"))
    assert entries <= 3 * 100 + 60, entries

    view = hpcflow("status", run_id, "--json").json["jobs"][1]
    assert view["counts"] == {"SUCCEEDED": N - 1, "FAILED": 1} and "100 array tasks of 100" in view["note"]
    one = hpcflow("status", run_id, "n1[4321]", "--json").json
    assert one["state"] == "FAILED" and "unlucky 4321" in one["traceback"]
    assert "unlucky 4321" in hpcflow("logs", run_id, "n1[4321]").stdout
    start = time.perf_counter()
    assert Run.attach(run_id).status().state.value == "SUCCEEDED"
    assert time.perf_counter() - start < 1.0  # from the tally: no record of the 10,000 is read
