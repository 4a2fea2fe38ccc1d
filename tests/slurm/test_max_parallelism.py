"""max_parallelism on Slurm: two element-wise chained maps of 40 under max_parallelism=4 never
have more than 4 elements running at once (sacct's start and end times), with one sbatch per map."""
from __future__ import annotations

from slurm_helpers import ROOT, most_at_once, slurm_calls

CASES = f"{ROOT}/tests/workflows/parallel_cases.py"


def test_two_maps_of_40_under_max_parallelism_4_never_run_more_than_4_elements(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:two_maps_chained", "--site", "dev-cluster", "-i", f"xs={list(range(40))}",
                  "--max-parallelism", "4", "--wait", "--json", timeout=600)
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": sum(x + 2 for x in range(40))}
    sbatch = [c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
    assert len(sbatch) == 3  # one per map, and the reduce
    scripts = [open(c[-1]).read() for c in sbatch[:2]]
    assert all("#SBATCH --array=0-39%2" in s for s in scripts)  # both can run at once: half each
    assert most_at_once(f"hf-{res.json['run_id']}") <= 4
