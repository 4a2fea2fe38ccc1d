"""Slurm's MaxArraySize caps an array's index, not only its length: the test cluster keeps
Slurm's default of 1001 (scripts/dev-cluster.sh), so index 1001 would be refused by sbatch."""
from __future__ import annotations

import re
from pathlib import Path

from slurm_helpers import ROOT, slurm_calls

CASES = f"{ROOT}/tests/workflows/slurm_cases.py"
N = 5000


def test_a_map_of_5000_elements_stays_below_max_array_size_and_gives_the_right_answer(hpcflow, slurm_env):
    # batch_size=4: 1,250 array tasks, more than one array may index
    res = hpcflow("submit", f"{CASES}:squares_in_fours", "--site", "dev-cluster", "-i", f"xs={list(range(N))}",
                  "--json", timeout=120)
    assert res.code == 0, res.stderr
    done = hpcflow("wait", res.json["run_id"], "--json", timeout=1500)
    assert done.code == 0, done.stderr
    assert done.json["outputs"] == {"o0": sum(x * x for x in range(N))}
    scripts = [Path(c[-1]) for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
    arrays = [re.search(r"^#SBATCH --array=(\d+)-(\d+)$", s.read_text(), re.M) for s in scripts]
    spans = sorted((int(a[1]), int(a[2])) for a in arrays if a)
    assert spans == [(0, 248), (0, 1000)]  # 1,001 + 249 array tasks, every index below 1001
