"""Scale on the test cluster: a trivial map of 10k, 100k (and, with --million, 1M) elements.

    python bench/scale.py [--sizes 10000,100000] [--million] [--site dev-cluster] [--max-fanout site]
                          [--peers] [--peer-sizes 10000] [--workdir /tmp/scale-bench] [--keep]

For each size, hpcflow's `trivial` workflow (bench/_scale_workflows.py: items -> map ident -> count):
- submit: wall time of `hpcflow submit` (a fresh process, as at a shell);
- makespan: from the start of the submit until `hpcflow status` first says SUCCEEDED (polled);
- files and bytes: entries (files and folders) and bytes under the run directory at the end;
- status latency: `hpcflow status RUN --json` as a process (median and max over the polls while it
  runs, the poll that first saw it end, and once after that), with each process's CPU time (the
  machine may be loaded by the run itself), and Run.status() in this process after it ended;
- Slurm commands: every command hpcflow ran (login node and jobs), from HPCFLOW_SLURM_CALL_LOG;
  and the controller's RPC count delta (sdiag; the cluster is shared, so other users add to it).
Then how each figure grows from the smallest size to the largest (exponent k of size^k: below 1
is sublinear).

--max-fanout sets the site's max_fanout for the run (the array tasks of a map at most; a map is
batched above it) and turns batching by work off; the default, `site`, keeps the site's own
settings: maps above its auto_batch_above are batched by what their elements cost (the first
size's map is timed by its probe; the larger sizes use that time, kept in the bench's cache).

--peers adds, at --peer-sizes, the same map with dask-jobqueue (SLURMCluster, 3 jobs of 8 workers,
client.map + gather) and submitit (map_array of 100 batches, each a list of items: the manual
batching submitit users write), timed from the first call to the gathered result, with the files
each leaves behind.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKFLOW = f"{HERE / '_scale_workflows.py'}:trivial"
CLI = [sys.executable, "-m", "hpcflow.cli.main"]
SCHEDULER_HOST = os.environ.get("SCALE_DASK_HOST", "10.77.0.1")  # where the test cluster's nodes reach this host


@dataclass
class Figures:
    """What one run of one method measured."""

    method: str
    n: int
    submit_s: float = math.nan
    makespan_s: float = math.nan
    files: int = 0
    bytes: int = 0
    status_running_s: list[float] = field(default_factory=list)
    status_running_cpu_s: list[float] = field(default_factory=list)  # the CPU time of each of those processes
    status_end_s: float = math.nan  # the poll that first saw the run end (it counts what ended since the last)
    status_end_cpu_s: float = math.nan
    status_running_in_process: list[tuple[float, float]] = field(default_factory=list)  # (wall s, CPU s)
    status_after_s: float = math.nan
    status_in_process_s: float = math.nan
    slurm_commands: dict[str, int] = field(default_factory=dict)
    rpcs: int | None = None
    note: str = ""


def tree_size(path: Path) -> tuple[int, int]:
    """Entries and bytes under `path`."""
    entries = size = 0
    for root, dirs, files in os.walk(path):
        entries += len(dirs) + len(files)
        for name in files:
            try:
                size += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return entries, size


def sdiag_total() -> int | None:
    """The controller's RPC count by message type, summed (None when sdiag does not answer)."""
    try:
        out = subprocess.run(["sdiag"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    section = out.split("by message type", 1)[-1].split("by user", 1)[0]
    return sum(int(part.split()[0]) for part in section.split("count:")[1:])


def rpcs_since(before: int | None) -> int | None:
    """The controller's RPCs since sdiag_total() said `before` (None when either count is unknown, or sdiag was reset)."""
    after = sdiag_total()
    return None if before is None or after is None or after < before else after - before


def finished(figures: Figures, rpcs: int | None, results: list, folder: Path) -> Figures:
    """A peer's figures once its results are in: the RPCs since `rpcs`, and what it left in `folder`."""
    figures.rpcs = rpcs_since(rpcs)
    assert len(results) == figures.n, (len(results), figures.n)
    figures.files, figures.bytes = tree_size(folder)
    return figures


def site_file(workdir: Path, site: str, max_fanout: str) -> Path:
    """A copy of the site config whose runs and cache live in `workdir`, with the max_fanout asked for."""
    sys.path.insert(0, str(HERE.parent))
    from hpcflow.site.config import load_site

    text = load_site(site).path.read_text()
    lines = [line for line in text.splitlines() if not line.startswith(("runs_dir", "cache_dir", "max_fanout"))]
    head = [f'runs_dir = "{workdir / "runs"}"', f'cache_dir = "{workdir / "cache"}"']
    if max_fanout != "site":
        head += [f"max_fanout = {int(max_fanout)}", "auto_batch_above = 0"]
    first_table = next((i for i, line in enumerate(lines) if line.startswith("[")), len(lines))
    path = workdir / "site.toml"
    path.write_text("\n".join(lines[:first_table] + head + lines[first_table:]) + "\n")
    return path


def status_once(run_id: str, env: dict) -> tuple[float, float, dict]:
    """`hpcflow status RUN --json` as a process: its wall time, its CPU time (user and system) and its answer."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([*CLI, "status", run_id, "--json"], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu, json.loads(out.stdout or "{}")


def hpcflow_run(n: int, site: Path, workdir: Path, timeout_s: float) -> Figures:
    """Submit the trivial map of n elements, poll status until it ends, and measure."""
    log = workdir / f"slurm-calls-{n}.jsonl"
    env = {**os.environ, "HPCFLOW_HOME": str(workdir / "home"), "HPCFLOW_SLURM_CALL_LOG": str(log)}
    figures = Figures("hpcflow", n)
    rpcs = sdiag_total()
    start = time.perf_counter()
    out = subprocess.run([*CLI, "submit", WORKFLOW, "--site", str(site), "-i", f"n={n}", "--json"],
                         capture_output=True, text=True, env=env)
    figures.submit_s = time.perf_counter() - start
    if out.returncode != 0:
        raise SystemExit(f"hpcflow submit failed: {out.stderr.strip()}")
    run_id = json.loads(out.stdout)["run_id"]
    os.environ["HPCFLOW_HOME"] = env["HPCFLOW_HOME"]
    from hpcflow.runtime.handle import Run

    view: dict = {}
    while time.perf_counter() - start < timeout_s:
        elapsed, cpu, view = status_once(run_id, env)
        if view.get("state") in ("SUCCEEDED", "FAILED", "CANCELLED"):
            figures.makespan_s = time.perf_counter() - start
            figures.status_end_s, figures.status_end_cpu_s = elapsed, cpu
            break
        figures.status_running_s.append(elapsed)
        figures.status_running_cpu_s.append(cpu)
        t0, c0 = time.perf_counter(), time.process_time()
        Run.attach(run_id, workdir / "runs").status()  # the same look without a process's start-up
        figures.status_running_in_process.append((time.perf_counter() - t0, time.process_time() - c0))
        time.sleep(1.0)
    else:
        subprocess.run([*CLI, "cancel", run_id], env=env, capture_output=True)
        raise SystemExit(f"hpcflow run of {n} did not finish within {timeout_s:.0f} s (cancelled)")
    figures.rpcs = rpcs_since(rpcs)
    final = subprocess.run([*CLI, "outputs", run_id, "--json"], capture_output=True, text=True, env=env)
    outputs = json.loads(final.stdout or "{}").get("outputs")
    if outputs != {"o0": n}:
        raise SystemExit(f"hpcflow run of {n} gave {outputs} ({view.get('state')}: {view.get('error')})")
    figures.status_after_s, _, _ = status_once(run_id, env)
    t0 = time.perf_counter()
    Run.attach(run_id, workdir / "runs").status()
    figures.status_in_process_s = time.perf_counter() - t0
    figures.files, figures.bytes = tree_size(workdir / "runs" / run_id)
    calls = [json.loads(line)["argv"][0] for line in log.read_text().splitlines()] if log.exists() else []
    figures.slurm_commands = {c: calls.count(c) for c in sorted(set(calls))}
    job = next(j for j in view.get("jobs", []) if j["node"] == "n1")
    figures.note = job.get("note", "")
    return figures


def _ident(x: int) -> int:
    return x


def _batch(xs: list[int]) -> list[int]:
    return [_ident(x) for x in xs]


def submitit_run(n: int, workdir: Path, batches: int = 100) -> Figures:
    """submitit's map_array over `batches` lists of items (its users batch by hand)."""
    import submitit

    folder = workdir / f"submitit-{n}"
    executor = submitit.AutoExecutor(folder=folder)
    executor.update_parameters(slurm_partition="cpu", timeout_min=30, cpus_per_task=1)
    figures = Figures("submitit map_array, 100 batches", n)
    rpcs = sdiag_total()
    start = time.perf_counter()
    size = math.ceil(n / batches)
    jobs = executor.map_array(_batch, [list(range(i, min(n, i + size))) for i in range(0, n, size)])
    figures.submit_s = time.perf_counter() - start
    results = [x for job in jobs for x in job.result()]
    figures.makespan_s = time.perf_counter() - start
    return finished(figures, rpcs, results, folder)


def dask_run(n: int, workdir: Path) -> Figures:
    """dask-jobqueue: a SLURMCluster of 3 jobs of 8 single-threaded workers, client.map over the items."""
    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster

    folder = workdir / f"dask-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    figures = Figures("dask-jobqueue SLURMCluster", n)
    rpcs = sdiag_total()
    start = time.perf_counter()
    # the scheduler on the address the compute nodes reach this host at (the test cluster's bridge)
    with SLURMCluster(queue="cpu", cores=8, processes=8, memory="8GB", walltime="00:30:00",
                      log_directory=str(folder), local_directory=str(folder),
                      scheduler_options={"host": SCHEDULER_HOST}) as cluster, Client(cluster) as client:
        cluster.scale(jobs=3)
        futures = client.map(_ident, range(n), pure=False)
        figures.submit_s = time.perf_counter() - start
        results = client.gather(futures)
        figures.makespan_s = time.perf_counter() - start
    return finished(figures, rpcs, results, folder)


def show(rows: list[Figures]) -> None:
    print(f"\n{'method':<34} {'n':>9} {'submit s':>9} {'makespan s':>11} {'files':>8} {'MB':>8} "
          f"{'status running s (med/max)':>27} {'status after s':>15} {'in-process s':>13} {'RPCs':>7}")
    for f in rows:
        running = (f"{statistics.median(f.status_running_s):.2f}/{max(f.status_running_s):.2f}"
                   if f.status_running_s else "-")
        after = "-" if math.isnan(f.status_after_s) else f"{f.status_after_s:.2f}"
        inproc = "-" if math.isnan(f.status_in_process_s) else f"{f.status_in_process_s:.3f}"
        print(f"{f.method:<34} {f.n:>9} {f.submit_s:>9.2f} {f.makespan_s:>11.1f} {f.files:>8} "
              f"{f.bytes / 1e6:>8.2f} {running:>27} {after:>15} {inproc:>13} "
              f"{'-' if f.rpcs is None else f.rpcs:>7}")
    for f in rows:
        if f.slurm_commands or f.note:
            print(f"  {f.method} n={f.n}: slurm commands {f.slurm_commands}; {f.note}")
        if f.status_running_cpu_s:
            print(f"  {f.method} n={f.n}: status as a process: while running CPU median "
                  f"{statistics.median(f.status_running_cpu_s):.2f} max {max(f.status_running_cpu_s):.2f} s; "
                  f"the look that first saw the end {f.status_end_s:.2f} s (CPU {f.status_end_cpu_s:.2f} s)")
        if f.status_running_in_process:
            walls = [w for w, _ in f.status_running_in_process]
            cpus = [c for _, c in f.status_running_in_process]
            print(f"  {f.method} n={f.n}: status while running, in process: wall median {statistics.median(walls):.3f} "
                  f"max {max(walls):.3f} s, CPU median {statistics.median(cpus):.3f} max {max(cpus):.3f} s "
                  f"({len(walls)} looks; the CLI's extra is interpreter start-up on a loaded machine)")


def growth(rows: list[Figures]) -> None:
    """How each of hpcflow's figures grows from its smallest size to its largest: size^k."""
    mine = sorted((f for f in rows if f.method == "hpcflow"), key=lambda f: f.n)
    if len(mine) < 2:
        return
    a, b = mine[0], mine[-1]
    scale = math.log(b.n / a.n)
    print(f"\ngrowth from n={a.n} to n={b.n} (k in n^k; k < 1 is sublinear):")
    for name, x, y in (("files", a.files, b.files), ("bytes", a.bytes, b.bytes),
                       ("status latency after end", a.status_after_s, b.status_after_s),
                       ("status latency in process", a.status_in_process_s, b.status_in_process_s),
                       ("makespan", a.makespan_s, b.makespan_s), ("submit", a.submit_s, b.submit_s),
                       ("slurm commands", sum(a.slurm_commands.values()), sum(b.slurm_commands.values()))):
        if x and y and x > 0 and y > 0:
            print(f"  {name:<28} {x:>12.3f} -> {y:>12.3f}   k = {math.log(y / x) / scale:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--million", action="store_true", help="add 1,000,000 elements")
    parser.add_argument("--site", default="dev-cluster")
    parser.add_argument("--max-fanout", default="site")
    parser.add_argument("--peers", action="store_true")
    parser.add_argument("--peer-sizes", default="10000")
    parser.add_argument("--workdir", default="/tmp/scale-bench")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    site = site_file(workdir, args.site, args.max_fanout)
    sizes = [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.million else [])
    rows: list[Figures] = []
    print(f"site {args.site}, max_fanout {args.max_fanout}, work in {workdir}", flush=True)
    for n in sizes:
        rows.append(hpcflow_run(n, site, workdir, args.timeout))
        show(rows[-1:])
    if args.peers:
        for n in [int(s) for s in args.peer_sizes.split(",")]:
            for peer in (dask_run, submitit_run):
                try:
                    rows.append(peer(n, workdir))
                except Exception as exc:  # noqa: BLE001 - a peer's failure is a figure too
                    rows.append(Figures(peer.__name__, n, note=f"failed: {type(exc).__name__}: {exc}"))
                show(rows[-1:])
    print("\n=== all ===")
    show(rows)
    growth(rows)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
