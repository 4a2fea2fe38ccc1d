"""What an item of a batched map costs inside its array task, against a bare loop and Dask.

    python bench/batch_items.py [--sizes 10000,100000] [--cpus 1] [--repeat 3] [--process] [--retries]
                                [--delayed-max 20000] [--workdir /tmp/batch-items-bench] [--profile N]

For each size N, a real run of bench/_batch_items_workflows.py's `squares` (a map of
`square(x) = x * x` over N items) is created in --workdir with its batch size recorded as N, so
one array task runs every item; then, in this process:
- hpcflow: `run_batch` of that array task (batch.py: the path every batched array task runs),
  under SLURM_CPUS_PER_TASK = each of --cpus; with --process also `python -m
  hpcflow.runtime.entry RUN_DIR JOB 0`, the array task as Slurm starts it (imports included);
  with --retries also the same map of a task with retries=1 (each item's start is published at
  once, as a kill must count the attempt), on 1 CPU;
- bare: a loop calling the function on each item (its time is the floor);
- dask: the same calls as delayed tasks, dask.compute with the synchronous scheduler, and as a
  dask.bag of one partition.
Each figure is the best of --repeat (a fresh run each time, as every array task is fresh; dask
delayed is left out above --delayed-max items), given as overhead per item: (time - N x one bare call) / N,
in wall time and in CPU time (steadier on a machine shared with other work: this process's and its
worker processes', or the array task process's). Writes: the files the array task published
(atomic writes) while it ran. --profile N prints cProfile's top N functions of one run_batch.
Every run is checked: each element SUCCEEDED with x * x as its output.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from hpcflow.loader import load_workflow  # noqa: E402
from hpcflow.runtime.batch import run_batch  # noqa: E402
from hpcflow.runtime.rundir import RunDir  # noqa: E402
from hpcflow.runtime.runs import compile_for, create_run  # noqa: E402
from hpcflow.store import atomic  # noqa: E402

WORKFLOWS = HERE / "_batch_items_workflows.py"


def new_run(n: int, workdir: Path, workflow: str = "squares") -> tuple[RunDir, str]:
    """A fresh run of the map over n items, one array task of n; its directory and the map's job id."""
    wf, module = load_workflow(f"{WORKFLOWS}:{workflow}")
    plan = compile_for(wf, {"xs": list(range(n))})
    rd = create_run(wf, module, plan, workdir, index=False)
    job_id = next(job.id for job in plan.jobs if job.kind == "map")
    rd.write_batch(job_id, n)
    return RunDir(rd.path), job_id  # what an array task opens: nothing read yet


def check(run_dir: Path, job_id: str, n: int) -> None:
    """Every element SUCCEEDED with its square as output."""
    from hpcflow.runtime.values import map_outputs

    rd = RunDir(run_dir)
    values, ok = map_outputs(rd, job_id, n, "o0")
    if ok != n or values != [x * x for x in range(n)]:
        raise SystemExit(f"run {run_dir.name}: {ok} of {n} elements succeeded with the right output")


@contextlib.contextmanager
def counting_writes() -> Iterator[list[Path]]:
    """The paths published through store/atomic.py while the context runs."""
    written: list[Path] = []
    original = atomic.write_bytes

    def write_bytes(path: Path, data: bytes, **kwargs: Any) -> None:
        written.append(Path(path))
        original(path, data, **kwargs)

    atomic.write_bytes = write_bytes  # type: ignore[assignment]
    try:
        yield written
    finally:
        atomic.write_bytes = original  # type: ignore[assignment]


@contextlib.contextmanager
def cpus(count: int) -> Iterator[None]:
    old = os.environ.get("SLURM_CPUS_PER_TASK")
    os.environ["SLURM_CPUS_PER_TASK"] = str(count)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SLURM_CPUS_PER_TASK", None)
        else:
            os.environ["SLURM_CPUS_PER_TASK"] = old


Timing = tuple[float, float]  # wall seconds, CPU seconds of this process


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended (a batch's worker processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class timer:
    """`with timer() as t:` ... then t.wall, t.cpu."""

    def __enter__(self) -> "timer":
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, _cpu() - self.cpu


def best(repeat: int, once: Callable[[], Timing]) -> Timing:
    runs = [once() for _ in range(repeat)]
    return min(w for w, _ in runs), min(c for _, c in runs)


def hpcflow_batch(n: int, workdir: Path, cpu_count: int, profile: int = 0,
                  workflow: str = "squares") -> tuple[Timing, int]:
    """Seconds of run_batch over n items, and the files it wrote."""
    rd, job_id = new_run(n, workdir, workflow)
    profiler = cProfile.Profile() if profile else None
    with cpus(cpu_count), counting_writes() as written, timer() as t:
        if profiler:
            profiler.enable()
        ok = run_batch(rd, job_id, 0, n)
        if profiler:
            profiler.disable()
    if not ok:
        raise SystemExit(f"run_batch of {n} items failed (run {rd.path})")
    check(rd.path, job_id, n)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(profile)
        print(out.getvalue())
    shutil.rmtree(rd.path)
    return (t.wall, t.cpu), len(written)


def hpcflow_process(n: int, workdir: Path) -> Timing:
    """Seconds of `python -m hpcflow.runtime.entry RUN_DIR JOB 0` (the array task as Slurm runs it)."""
    rd, job_id = new_run(n, workdir)
    env = {**os.environ, "SLURM_CPUS_PER_TASK": "1", "PYTHONPATH": str(HERE.parent)}
    with timer() as t:
        subprocess.run([sys.executable, "-m", "hpcflow.runtime.entry", str(rd.path), job_id, "0"], check=True, env=env)
    check(rd.path, job_id, n)
    shutil.rmtree(rd.path)
    return t.wall, t.cpu


def bare(fn: Callable[[int], int], xs: list[int]) -> Timing:
    with timer() as t:
        for x in xs:
            fn(x)
    return t.wall, t.cpu


def dask_delayed(fn: Callable[[int], int], xs: list[int]) -> Timing:
    import dask

    with timer() as t:
        out = dask.compute(*[dask.delayed(fn)(x) for x in xs], scheduler="synchronous")
    assert list(out) == [fn(x) for x in xs]
    return t.wall, t.cpu


def dask_bag(fn: Callable[[int], int], xs: list[int]) -> Timing:
    import dask.bag

    with timer() as t:
        out = dask.bag.from_sequence(xs, npartitions=1).map(fn).compute(scheduler="synchronous")
    assert out == [fn(x) for x in xs]
    return t.wall, t.cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--cpus", default="1", help="SLURM_CPUS_PER_TASK values to run the batch under")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--process", action="store_true", help="also time the array task as a process")
    parser.add_argument("--retries", action="store_true", help="also time a map of a task with retries=1")
    parser.add_argument("--delayed-max", type=int, default=20000, help="the most items timed with dask delayed")
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N of one run_batch")
    parser.add_argument("--workdir", default="/tmp/batch-items-bench")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    from _batch_items_workflows import square  # the module load_workflow imported

    fn = square.fn
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs on this machine; best of {args.repeat}")
    print(f"{'':>38} {'wall':>18} {'CPU':>18}")
    print(f"{'N':>8}  {'method':<28} {'s':>8} {'us/item':>9} {'s':>8} {'us/item':>9} {'files written':>14}")
    for n in [int(s) for s in args.sizes.split(",")]:
        xs = list(range(n))
        floor = best(args.repeat, lambda: bare(fn, xs))

        def row(method: str, timing: Timing, files: str = "") -> None:
            (wall, cpu), (call_wall, call_cpu) = timing, floor
            print(f"{n:>8}  {method:<28} {wall:>8.3f} {(wall - call_wall) / n * 1e6:>9.2f} "
                  f"{cpu:>8.3f} {(cpu - call_cpu) / n * 1e6:>9.2f} {files:>14}")

        row("bare loop", floor)
        for count in [int(c) for c in args.cpus.split(",")]:
            runs = [hpcflow_batch(n, workdir, count) for _ in range(args.repeat)]
            timing = min(w for (w, _), _ in runs), min(c for (_, c), _ in runs)
            row(f"hpcflow run_batch, {count} CPU", timing, str(max(files for _, files in runs)))
        if args.retries:
            runs = [hpcflow_batch(n, workdir, 1, workflow="squares_retried") for _ in range(args.repeat)]
            timing = min(w for (w, _), _ in runs), min(c for (_, c), _ in runs)
            row("hpcflow run_batch, retries=1", timing, str(max(files for _, files in runs)))
        if args.process:
            row("hpcflow array task process", best(args.repeat, lambda: hpcflow_process(n, workdir)))
        if n <= args.delayed_max:  # about a millisecond per delayed call, and more per call the more there are
            row("dask delayed, synchronous", best(args.repeat, lambda: dask_delayed(fn, xs)))
        else:
            print(f"{n:>8}  dask delayed, synchronous: left out above --delayed-max {args.delayed_max} "
                  "(over 15 min for 100k here)")
        row("dask.bag, synchronous", best(args.repeat, lambda: dask_bag(fn, xs)))
    if args.profile:
        n = int(args.sizes.split(",")[0])
        print(f"\ncProfile of run_batch over {n} items, 1 CPU:")
        hpcflow_batch(n, workdir, 1, profile=args.profile)


if __name__ == "__main__":
    main()
