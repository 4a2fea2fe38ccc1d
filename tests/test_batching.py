"""Batched maps on the local backend: many elements per process, each element still on its own."""
from __future__ import annotations

import json
from pathlib import Path

from hpcflow.core.batching import batch_of, batch_size_for, batches
from paths import ROOT
from run_records import element_error

CASES = str(ROOT / "tests" / "workflows" / "slurm_cases.py")
XS = list(range(1, 21))
EXPECTED = [None if x == 13 else x ** 3 for x in XS]


def test_batch_arithmetic():
    assert batch_size_for(100, 7, 10) == 7 and batch_size_for(100, None, 10) == 10
    assert batch_size_for(9, None, 10) is None and batch_size_for(100_000, None, 2000) == 50
    assert batches(10, 4) == 3 and batch_of(9, 4) == 2 and batch_of(9, None) == 9


def test_batched_map_gives_the_unbatched_results_per_element(hpcflow, runs_dir: Path):
    batched = hpcflow("run", f"{CASES}:batched_cubes", "-i", f"xs={XS}", "--json")
    plain = hpcflow("run", f"{CASES}:unbatched_cubes", "-i", f"xs={XS}", "--json")
    assert batched.code == 0 and plain.code == 0, batched.stderr
    assert batched.json["outputs"] == plain.json["outputs"] == {"o0": EXPECTED}
    run = runs_dir / batched.json["run_id"] / "jobs" / "n0"
    assert json.loads((run / "batch.json").read_text()) == {"batch_size": 4, "why": "batch_size=4 given"}
    status = hpcflow("status", batched.json["run_id"], "--json").json["jobs"][0]
    assert status["counts"] == {"SUCCEEDED": 19, "FAILED": 1}  # the failure stays with its element
    assert "batched: 20 elements in 5 array tasks of 4" in status["note"]
    assert "unlucky" in element_error(run.parent.parent, "n0", 12)


def test_batch_elements_run_in_parallel_processes_and_cache_per_element(hpcflow, runs_dir: Path):
    res = hpcflow("run", f"{CASES}:batched_pids", "-i", f"xs={list(range(8))}", "--json")
    assert res.code == 0, res.stderr
    assert len(set(res.json["outputs"]["o0"])) > 1  # Dask spread the batch over worker processes
    hpcflow("run", f"{CASES}:batched_cubes", "-i", f"xs={XS}")
    again = hpcflow("run", f"{CASES}:batched_cubes", "-i", f"xs={XS[:10] + [100]}", "--json")
    counts = hpcflow("status", again.json["run_id"], "--json").json["jobs"][0]["counts"]
    assert counts == {"CACHED": 10, "SUCCEEDED": 1}
