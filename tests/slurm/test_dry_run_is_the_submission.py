"""`submit --dry-run` prints the very sbatch calls that `submit` then makes.

For each case, the dry run's calls (--json) are held against the sbatch calls of a real
submission, read from the shell layer's call log and the scripts those calls submitted: the
same scripts in the same order, the same #SBATCH lines, and dependencies on the same jobs
with the same kinds. The site holds every job (--hold), so nothing runs; the run is then
cancelled. A private runs and cache directory per test keeps other tests' cache entries out.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from slurm_helpers import ROOT, slurm_calls

CASES = "tests/workflows/slurm_cases.py"
SUBMITTED_AT_SUBMIT = [  # (target, inputs, site changes)
    ("examples/mean.py:mean_wf", ["n=2000", "seed=5"], {}),
    ("examples/partitioned_mean.py:partitioned_mean", ["n=5000", "parts=4"], {}),
    ("examples/nested_dynamic.py:nested_dynamic", [], {}),
    ("examples/nested_parallelism.py:chunked_sum_of_squares", [], {}),
    ("examples/resources.py:fit_line", ["n=40"], {}),
    (f"{CASES}:batched_cubes", [f"xs={list(range(20))}"], {}),  # batch_size=4: 5 array tasks
    (f"{CASES}:three_stages", [f"xs={list(range(10))}"], {"max_array_size = 1001": "max_array_size = 4"}),
    (f"{CASES}:three_stages", [f"xs={list(range(30))}"], {"time_margin": "max_fanout = 8\ntime_margin"}),  # batched
    (f"{CASES}:killed_and_retried", ["xs=[0,1,2]", "folder=/tmp"], {}),  # retries: elements that recover in their own job
    (f"{CASES}:preemptible_map", ["xs=[0,1]", "folder=/tmp"], {}),  # interruptible: a sentinel
    (f"{CASES}:warm_pipeline", ["xs=[1,2]"], {}),  # pooled: proxies
    (f"{CASES}:tolerant", ["xs=[1,2,3]"], {}),  # min_success_ratio: afterany
]


def _site(tmp_path: Path, changes: dict[str, str]) -> Path:
    text = (ROOT / "site-configs" / "dev-cluster.toml").read_text()
    for old, new in changes.items():
        assert old in text, f"dev-cluster.toml has no {old!r}"
        text = text.replace(old, new)
    text = re.sub(r'^runs_dir = .*$', f'runs_dir = "{tmp_path}/runs"', text, flags=re.M)
    text = re.sub(r'^cache_dir = .*$', f'cache_dir = "{tmp_path}/cache"', text, flags=re.M)
    text = text.replace("time_margin", 'extra_directives = ["--hold"]\ntime_margin', 1)
    path = tmp_path / "held.toml"
    path.write_text(text)
    return path


def _submitted_jobs(run_dir: Path) -> dict[int, str]:
    """Slurm id -> plan job, from the records of the run."""
    ids = {}
    for records in run_dir.glob("jobs/*/slurm.json"):
        for rec in json.loads(records.read_text()):
            ids[rec["id"]] = records.parent.name
    return ids


def _edges(spec: str, owner: dict[int, str]) -> set[tuple[str, str]]:
    edges = set()
    for part in filter(None, spec.split(",")):
        kind, *ids = part.split(":")
        edges |= {(kind, owner[int(i)]) for i in ids}
    return edges


@pytest.mark.parametrize("target,inputs,changes", SUBMITTED_AT_SUBMIT,
                         ids=[f"{t.split(':')[1]}-{i}" for i, (t, _, _) in enumerate(SUBMITTED_AT_SUBMIT)])
def test_dry_run_calls_equal_the_submitted_sbatch_calls(hpcflow, slurm_env, tmp_path, target, inputs, changes):
    site = _site(tmp_path, changes)
    args = [arg for item in inputs for arg in ("-i", item)]
    dry = hpcflow("submit", target, "--site", str(site), *args, "--dry-run", "--json")
    assert dry.code == 0, dry.stderr
    assert not slurm_calls(slurm_env), "a dry run called Slurm"
    res = hpcflow("submit", target, "--site", str(site), *args, "--json")
    assert res.code == 0, res.stderr
    try:
        planned = dry.json["calls"]
        run_dir = tmp_path / "runs" / res.json["run_id"]
        sbatch = [argv for argv in slurm_calls(slurm_env) if argv[0] == "sbatch"]
        assert [str(run_dir / c["script"]) for c in planned] == [argv[-1] for argv in sbatch]
        owner = _submitted_jobs(run_dir)
        for call, argv in zip(planned, sbatch):
            script = Path(argv[-1]).read_text().replace(res.json["run_id"], dry.json["run_id"])
            lines = [ln for ln in script.splitlines() if ln.startswith("#SBATCH")]
            assert lines == call["directives"], call["script"]
            stands_for = dry.json["sized_by_producers"]  # until submitted, such a map waits as its producers
            wanted = {(kind, up) for job, kind in call["after"] for up in stands_for.get(job, [job])} | (
                {("afterany", call["job"])} if call["after_own"] else set())
            found = [a.split("=", 1)[1] for a in argv if a.startswith("--dependency=")]
            assert _edges(found[0] if found else "", owner) == wanted, call["script"]
            assert ("--kill-on-invalid-dep=yes" in argv) == bool(found), argv
    finally:
        hpcflow("cancel", res.json["run_id"])


def test_dry_run_takes_the_same_cache_hits_as_the_submission(hpcflow, slurm_env, tmp_path):
    site = _site(tmp_path, {})
    warm = hpcflow("run", f"{CASES}:unbatched_cubes", "--site", str(site), "-i", f"xs={list(range(6))}", "--json")
    assert warm.code == 0, warm.stderr  # fills the site's cache with elements 0..5
    # its element 0 kept what it cost, which would batch the map (core/batching.py): this test is about the
    # cache hits, which show in the array's indices when each element is an array task
    for kept in (tmp_path / "cache" / "timings").glob("*.json"):
        kept.unlink()
    args = ["-i", f"xs={list(range(8))}"]
    dry = hpcflow("submit", f"{CASES}:unbatched_cubes", "--site", str(site), *args, "--dry-run", "--json")
    res = hpcflow("submit", f"{CASES}:unbatched_cubes", "--site", str(site), *args, "--json")
    assert dry.code == 0 and res.code == 0, dry.stderr + res.stderr
    try:
        (call,) = dry.json["calls"]
        assert call["indices"] == [6, 7] and "#SBATCH --array=6-7" in call["directives"]
        (argv,) = [a for a in slurm_calls(slurm_env) if a[0] == "sbatch"]
        script = Path(argv[-1]).read_text().replace(res.json["run_id"], dry.json["run_id"])
        assert [ln for ln in script.splitlines() if ln.startswith("#SBATCH")] == call["directives"]
    finally:
        hpcflow("cancel", res.json["run_id"])
