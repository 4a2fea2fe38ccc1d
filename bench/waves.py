"""@eager's waves against the static form of the same work, on the live cluster.

    python bench/waves.py [--site dev-cluster] [--n 1000] [--repeat 1] [--max-fanout 100]

The work: N items squared, squared again, and summed (bench/_waves_workflows.py), written three ways:
  - static: `total(map_task(work)(map_task(work)(xs)))`, compiled into two arrays and a job at submit;
  - dynamic: the same inside a @dynamic, compiled by a job at run time;
  - eager: an @eager body that gathers N calls, gathers N more on their results, then awaits the sum:
    three waves (sdk/waves.py), each one array per task, plus a continuation job per wave.
For each: makespan (submit to the end of `hpcflow wait`), the controller's REQUEST_SUBMIT_BATCH_JOB count (sdiag,
reset before each run; run it on an otherwise idle cluster), and the jobs Slurm created (sacct, by job name).
Targets (issue "Flyte 2's programming model on Slurm"): sbatch RPCs = waves x tasks (+ a continuation per wave);
the eager makespan within 1.5x of the static form's.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from submit import read_stats, reset_stats, sacct_ended, site_copy  # noqa: E402

FORMS = ["static_form", "dynamic_form", "eager_form"]


def one(form: str, n: int, site: Path, env: dict[str, str]) -> dict[str, float]:
    reset_stats()
    start = time.time()
    out = subprocess.run([sys.executable, "-m", "hpcflow.cli.main", "submit", f"{BENCH / '_waves_workflows.py'}:{form}",
                          "--site", str(site), "-i", f"xs={json.dumps(list(range(n)))}", "--wait", "--json"],
                         capture_output=True, text=True, env=env)
    makespan = time.time() - start
    if out.returncode != 0:
        raise SystemExit(f"{form} failed: {out.stdout}{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["outputs"] == {"o0": sum(x ** 4 for x in range(n))}, result
    ctld, _ = read_stats()
    jobs = sacct_ended(f"hf-{result['run_id']}", ctld["REQUEST_SUBMIT_BATCH_JOB"], timeout=60, since="now-1hour").jobs
    return {"makespan_s": makespan, "sbatch": ctld["REQUEST_SUBMIT_BATCH_JOB"], "jobs": len(jobs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--site", default="dev-cluster")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--max-fanout", type=int, default=100,
                        help="the site's max_fanout: N items in at most this many array tasks (batched), as on a cluster")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hpcflow-bench-waves-", dir="/var/tmp"))
    os.chmod(tmp, 0o755)
    rows: dict[str, list[dict[str, float]]] = {form: [] for form in FORMS}
    try:
        site = tmp / "site.toml"
        text = site_copy(args.site, tmp / "runs", tmp / "cache", hold=False)
        site.write_text(f"max_fanout = {args.max_fanout}\n" + "\n".join(
            line for line in text.splitlines() if not line.startswith("max_fanout =")) + "\n")
        env = {**os.environ, "HPCFLOW_HOME": str(tmp / "home")}
        for _ in range(args.repeat):
            for form in FORMS:
                rows[form].append(one(form, args.n, site, env))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best = {form: min(runs, key=lambda r: r["makespan_s"]) for form, runs in rows.items()}
    static = best["static_form"]["makespan_s"]
    print(f"{args.n} items, best of {args.repeat}")
    print(f"{'form':<14}{'makespan s':>12}{'vs static':>11}{'sbatch':>8}{'jobs':>6}")
    for form, m in best.items():
        print(f"{form:<14}{m['makespan_s']:>12.2f}{m['makespan_s'] / static:>10.2f}x{m['sbatch']:>8}{m['jobs']:>6}")


if __name__ == "__main__":
    main()
