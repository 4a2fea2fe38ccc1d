"""Batched and automatically batched maps on the real test cluster."""
from __future__ import annotations

from pathlib import Path

import pytest

from run_records import element_status
from slurm_helpers import ROOT, RUNS, dev_cluster_text, slurm_calls

CASES = str(ROOT / "tests" / "workflows" / "slurm_cases.py")
XS = list(range(1, 21))
EXPECTED = [None if x == 13 else x ** 3 for x in XS]


@pytest.fixture
def site(tmp_path: Path) -> str:
    """dev-cluster with a private cache, so earlier runs of cube() are not reused."""
    path = tmp_path / "site.toml"
    path.write_text(dev_cluster_text())  # (its cache folder is the test's own)
    return str(path)


def test_batched_map_on_slurm_matches_the_unbatched_path(hpcflow, slurm_env, site):
    res = hpcflow("submit", f"{CASES}:batched_cubes", "--site", site, "-i", f"xs={XS}", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": EXPECTED}
    script = (RUNS / res.json["run_id"] / "jobs" / "n0" / "job.sh").read_text()
    assert "--array=0-4\n" in script  # 20 elements in 5 array tasks
    status = hpcflow("status", res.json["run_id"], "--json").json["jobs"][0]
    assert status["counts"] == {"SUCCEEDED": 19, "FAILED": 1} and "5 array tasks of 4" in status["note"]


def test_a_map_above_the_fanout_limit_is_batched_automatically(hpcflow, slurm_env, site):
    Path(site).write_text(Path(site).read_text().replace("max_array_size = 1001", "max_array_size = 1001\nmax_fanout = 6"))
    res = hpcflow("submit", f"{CASES}:unbatched_cubes", "--site", site, "-i", f"xs={XS}", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": EXPECTED}
    sbatch = [c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
    # at most 6 tasks: batches of ceil(20 / 6) = 4 elements, so 5 array tasks
    assert len(sbatch) == 1 and "--array=0-4\n" in Path(sbatch[0][-1]).read_text()
    note = hpcflow("status", res.json["run_id"], "--json").json["jobs"][0]["note"]
    assert note == "batched: 20 elements in 5 array tasks of 4 (the site's max_fanout is 6)"


def test_dask_spreads_a_batch_over_the_cpus_slurm_allocated(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:batched_pids", "--site", "dev-cluster", "-i", f"xs={list(range(8))}",
                  "--wait", "--json")
    assert res.code == 0, res.stderr
    assert "--cpus-per-task=4" in (RUNS / res.json["run_id"] / "jobs" / "n0" / "job.sh").read_text()
    assert len(set(res.json["outputs"]["o0"])) > 1


def test_an_item_killed_in_a_batch_runs_again_and_the_items_done_before_it_are_kept(hpcflow, slurm_env,
                                                                                   tmp_path: Path):
    items = str(ROOT / "tests" / "workflows" / "batch_items.py")
    res = hpcflow("submit", f"{items}:killed_in_a_batch", "--site", "dev-cluster", "-i", f"xs={list(range(6))}",
                  "-i", f"folder={tmp_path}", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": [x * 10 for x in range(6)]}
    run = RUNS / res.json["run_id"]
    # the items before the killed one were in the task's journal when it died: they ran once
    assert [element_status(run, "n0", i)["attempts"] for i in range(6)] == [1, 1, 1, 1, 2, 1]
    assert [p.name for p in (run / "jobs" / "n0" / "tasks").iterdir()] == ["0.json"]  # the journal folded in
