"""The cache with Slurm: cached work is never submitted, partial maps become partial arrays."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from slurm_helpers import ROOT, RUNS, dev_cluster_text, slurm_calls


@pytest.fixture
def cached_wf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private copy of tests/workflows/cached.py, a site whose cache is private, and run counts."""
    counts = tmp_path / "counts"
    counts.mkdir()
    monkeypatch.setenv("COUNTS_DIR", str(counts))
    wf = tmp_path / "cached_copy.py"
    shutil.copy(ROOT / "tests" / "workflows" / "cached.py", wf)
    site = tmp_path / "site.toml"
    site.write_text(dev_cluster_text())  # (its cache folder is the test's own)
    return wf, str(site), (lambda: {p.name: len(p.read_text()) for p in counts.iterdir()})


def _sbatch(log: Path, since: int = 0) -> list[list[str]]:
    return [c for c in slurm_calls(log)[since:] if c[0] == "sbatch"]


def test_unchanged_rerun_submits_nothing_and_one_changed_element_is_one_array_task(hpcflow, slurm_env, cached_wf):
    wf, site, counts = cached_wf
    first = hpcflow("submit", f"{wf}:pipeline", "--site", site, "-i", "xs=[1,2,3,4]", "--wait", "--json")
    assert first.code == 0, first.stderr
    assert first.json["outputs"] == {"o0": 4 + 16 + 36 + 64} and len(_sbatch(slurm_env)) == 3

    mark = len(slurm_calls(slurm_env))
    again = hpcflow("submit", f"{wf}:pipeline", "--site", site, "-i", "xs=[1,2,3,4]", "--wait", "--json")
    assert again.json == {**first.json, "run_id": again.json["run_id"]}
    assert _sbatch(slurm_env, mark) == []
    status = hpcflow("status", again.json["run_id"], "--json").json
    assert status["state"] == "SUCCEEDED" and all(set(j["counts"]) == {"CACHED"} for j in status["jobs"])

    mark = len(slurm_calls(slurm_env))
    before = counts()
    changed = hpcflow("submit", f"{wf}:pipeline", "--site", site, "-i", "xs=[1,2,30,4]", "--wait", "--json")
    assert changed.json["outputs"] == {"o0": 4 + 16 + 3600 + 64}
    sbatch = _sbatch(slurm_env, mark)
    scripts = [Path(c[-1]).read_text() for c in sbatch]
    # one array task of the first map: element 2's own, or, now that the first run's element 0 kept what it
    # cost, the task of the batch that holds it (which runs only element 2: the counts below)
    batching = RUNS / changed.json["run_id"] / "jobs" / "n0" / "batch.json"
    batch = json.loads(batching.read_text())["batch_size"] if batching.exists() else 1
    assert len(sbatch) == 3 and f"--array={2 // batch}\n" in scripts[0]
    assert {k: v - before.get(k, 0) for k, v in counts().items()} == {"scale": 1, "square": 1, "add_up": 1}


def test_local_and_slurm_share_the_cache(hpcflow, slurm_env, cached_wf):
    wf, site, counts = cached_wf
    local = hpcflow("run", f"{wf}:pipeline", "--site", site, "-i", "xs=[5,6]", "--json")
    assert local.code == 0, local.stderr
    remote = hpcflow("submit", f"{wf}:pipeline", "--site", site, "-i", "xs=[5,6]", "--wait", "--json")
    assert remote.json["outputs"] == local.json["outputs"] and _sbatch(slurm_env) == []


def test_two_concurrent_runs_with_cache_serialize_compute_once(hpcflow, slurm_env, cached_wf):
    wf, site, counts = cached_wf
    args = [sys.executable, "-m", "hpcflow.cli.main", "submit", f"{wf}:serialized", "--site", site, "--wait", "--json"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert all('"o0": 28.0' in out for out, _ in outs)
    assert counts() == {"slow_once": 1}
