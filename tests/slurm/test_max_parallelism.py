"""max_parallelism on Slurm: two element-wise chained maps of 40 under max_parallelism=4 never
have more than 4 elements running at once (sacct's start and end times), with one sbatch per map."""
from __future__ import annotations

import subprocess
from datetime import datetime

from slurm_helpers import ROOT, slurm_calls, wait_until

CASES = f"{ROOT}/tests/workflows/parallel_cases.py"


def _most_running(name: str) -> int:
    """The most jobs (array tasks) of a run running at once, from sacct's Start and End."""
    def ended() -> str:
        out = subprocess.run(["sacct", "-n", "-P", "-X", "-o", "JobID,Start,End", f"--name={name}", "-S", "now-1hour"],
                             capture_output=True, text=True, check=True).stdout
        return out if out.strip() and "Unknown" not in out else ""
    events = []
    for line in wait_until(ended, timeout=60).splitlines():
        _, start, end = line.split("|")
        events += [(datetime.fromisoformat(start), 1), (datetime.fromisoformat(end), -1)]
    most = now = 0
    for _, step in sorted(events):  # at the same second, an end before a start (the throttle's order)
        now += step
        most = max(most, now)
    return most


def test_two_maps_of_40_under_max_parallelism_4_never_run_more_than_4_elements(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:two_maps_chained", "--site", "dev-cluster", "-i", f"xs={list(range(40))}",
                  "--max-parallelism", "4", "--wait", "--json", timeout=600)
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": sum(x + 2 for x in range(40))}
    sbatch = [c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
    assert len(sbatch) == 3  # one per map, and the reduce
    scripts = [open(c[-1]).read() for c in sbatch[:2]]
    assert all("#SBATCH --array=0-39%2" in s for s in scripts)  # both can run at once: half each
    assert _most_running(f"hf-{res.json['run_id']}") <= 4
