"""Jobs and sbatch RPCs per workflow node when nothing fails, and how long a process waits.

    python bench/jobs_per_node.py [--site dev-cluster]

Two workflows run to the end on the live cluster, one at a time:
  - examples/partitioned_mean.py (n=1000, parts=4): 4 nodes, the map sized by an upstream output;
  - bench/_chain_workflows.py:retried_chain: 4 nodes in a chain, each with retries=2.
For each: the controller's REQUEST_SUBMIT_BATCH_JOB count (`sdiag`, reset with `sdiag -r`
before), the jobs Slurm created for the run (sacct, by job name), and how long the submitting
process lived (`hpcflow submit` without --wait; `hpcflow wait` then polls until the end, and its
RPCs are in the total). Targets: as many sbatch RPCs and jobs as nodes.

The peer is submitit running the same chain (4 jobs, each submitted when the one before has
returned its result, as a submitit user chains dependent steps): its sbatch RPCs, and the life
of its submitting process, which has to wait for the whole chain. sdiag counts every RPC of
the controller, so the cluster must be otherwise idle (run it without the tests).
"""
from __future__ import annotations

import argparse
import json
import operator
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from submit import read_stats, reset_stats, sacct_ended, site_copy  # noqa: E402

CASES = [  # (name, target, inputs, nodes)
    ("partitioned_mean", f"{ROOT / 'examples' / 'partitioned_mean.py'}:partitioned_mean", ["n=1000", "parts=4"], 4),
    ("retried_chain", f"{BENCH / '_chain_workflows.py'}:retried_chain", [], 4),
]


def hpcflow_case(target: str, inputs: list[str], site: Path, env: dict[str, str]) -> dict[str, float]:
    reset_stats()
    args = [a for i in inputs for a in ("-i", i)]
    start = time.time()
    out = subprocess.run([sys.executable, "-m", "hpcflow.cli.main", "submit", target, "--site", str(site), *args,
                          "--json"], capture_output=True, text=True, env=env, check=True).stdout
    lived = time.time() - start
    run_id = json.loads(out.strip().splitlines()[-1])["run_id"]
    done = subprocess.run([sys.executable, "-m", "hpcflow.cli.main", "wait", run_id, "--json"],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"run {run_id} failed: {done.stdout}{done.stderr}")
    makespan = time.time() - start
    ctld, _ = read_stats()
    jobs = sacct_ended(f"hf-{run_id}", ctld["REQUEST_SUBMIT_BATCH_JOB"], timeout=60, since="now-1hour").jobs
    return {"sbatch": ctld["REQUEST_SUBMIT_BATCH_JOB"], "jobs": len(jobs), "submitter_s": lived,
            "makespan_s": makespan, "rpcs": sum(ctld.values())}


def submitit_chain(folder: Path, partition: str) -> dict[str, float]:
    import submitit

    reset_stats()
    executor = submitit.AutoExecutor(folder=str(folder))
    executor.update_parameters(slurm_partition=partition, timeout_min=5, cpus_per_task=1, slurm_mem="256M")
    start, x = time.time(), 0
    for _ in range(4):
        x = executor.submit(operator.add, x, 1).result()  # a stdlib function: the job imports it by name
    lived = time.time() - start
    assert x == 4, x
    ctld, _ = read_stats()
    return {"sbatch": ctld["REQUEST_SUBMIT_BATCH_JOB"], "jobs": 4, "submitter_s": lived, "makespan_s": lived,
            "rpcs": sum(ctld.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--site", default="dev-cluster")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hpcflow-bench-jobs-", dir="/var/tmp"))
    os.chmod(tmp, 0o755)
    try:
        site = tmp / "site.toml"
        site.write_text(site_copy(args.site, tmp / "runs", tmp / "cache", hold=False))
        env = {**os.environ, "HPCFLOW_HOME": str(tmp / "home"), "HPCFLOW_CACHE_DIR": str(tmp / "cache")}
        rows = [(name, nodes, hpcflow_case(target, inputs, site, env)) for name, target, inputs, nodes in CASES]
        rows.append(("retried_chain (submitit)", 4, submitit_chain(tmp / "submitit", "cpu")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'workflow':<28}{'nodes':>6}{'sbatch':>8}{'jobs':>6}{'submitter s':>13}{'makespan s':>12}{'ctld RPCs':>11}")
    for name, nodes, m in rows:
        print(f"{name:<28}{nodes:>6}{m['sbatch']:>8}{m['jobs']:>6}{m['submitter_s']:>13.2f}{m['makespan_s']:>12.2f}"
              f"{m['rpcs']:>11}")


if __name__ == "__main__":
    main()
