"""Fine-grained fanout on the test cluster: hpcflow's batched map against one-task-per-item
arrays (hpcflow and submitit) and plain dask.distributed, in one run.

    python bench/fanout.py [--items 100000] [--per-item-items 2000] [--site dev-cluster]

The function is trivial (identity), so every second measured is overhead. "Overhead per item"
is makespan x CPUs / items: the CPU time each item cost. The cluster has 8 CPUs (on 2 real
cores); the LocalCluster gets the same 8 workers.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKFLOWS = HERE / "_fanout_workflows.py"
CPUS = 8


def hpcflow_makespan(workflow: str, n: int, site: str, env: dict) -> float:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "hpcflow.cli.main", "submit", f"{WORKFLOWS}:{workflow}", "--site", site,
                          "-i", f"n={n}", "--wait", "--json"], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    result = json.loads(out.stdout or "{}")
    if result.get("outputs") != {"o0": n}:
        raise SystemExit(f"hpcflow {workflow} failed: {out.stderr.strip() or result}")
    return elapsed


def submitit_makespan(n: int, folder: Path) -> float:
    import submitit

    executor = submitit.AutoExecutor(folder=folder)
    executor.update_parameters(slurm_partition="cpu", timeout_min=10, cpus_per_task=1, slurm_array_parallelism=CPUS * 4)
    start = time.perf_counter()
    jobs = executor.map_array(_ident, list(range(n)))
    results = [j.result() for j in jobs]
    elapsed = time.perf_counter() - start
    assert results == list(range(n))
    return elapsed


def _ident(x: int) -> int:
    return x


def dask_makespan(n: int) -> float:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=CPUS, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        start = time.perf_counter()
        futures = client.map(_ident, range(n), pure=False)
        results = client.gather(futures)
        elapsed = time.perf_counter() - start
    assert results == list(range(n))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--per-item-items", type=int, default=2000)
    parser.add_argument("--site", default="dev-cluster")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HPCFLOW_HOME": str(Path(tmp) / "home")}
        rows.append(("hpcflow batched map", args.items, hpcflow_makespan("batched", args.items, args.site, env)))
        rows.append(("(i) hpcflow, one array task per item", args.per_item_items,
                     hpcflow_makespan("one_per_item", args.per_item_items, args.site, env)))
        rows.append(("(ii) submitit map_array", args.per_item_items,
                     submitit_makespan(args.per_item_items, Path(tmp) / "submitit")))
        rows.append(("(iii) dask.distributed client.map", args.items, dask_makespan(args.items)))
    print(f"{'method':<40} {'items':>8} {'makespan s':>11} {'overhead per item (CPU-ms)':>27}")
    for name, n, seconds in rows:
        print(f"{name:<40} {n:>8} {seconds:>11.1f} {seconds * CPUS / n * 1000:>27.2f}")
    base = rows[0][2] * CPUS / rows[0][1]
    for name, n, seconds in rows[1:]:
        print(f"  hpcflow batched per-item overhead / {name}: {base / (seconds * CPUS / n):.3f}x")


if __name__ == "__main__":
    main()
