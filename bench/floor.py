"""hpcflow against Slurm's own floor: a map of N elements and a reduce that depends on it, on the live cluster.

    python bench/floor.py [--n 200] [--repeat 3] [--site dev-cluster]

The same two stages run these ways, interleaved (one of each per repetition), makespans from sacct (the
first job's Submit to the last job's End), medians of --repeat, each as a ratio to the floor:
  - floor (true):    `sbatch --array=0-(N-1) --wrap true`, then `sbatch --dependency=afterok --wrap true`;
  - floor (python):  each array task a `python3 -S -c` that writes x*x to a file, the reduce summing the files;
  - hpcflow 1st run: `hpcflow submit --wait` of map_task(square) over N items and a sum, with a cache folder
                     of its own (no history): one array task per element (the site's max_fanout set above N),
                     whose first tasks find their elements trivial and run those of the tasks not started yet
                     (runtime/stealing.py), which are then cancelled;
  - hpcflow re-run:  the same workflow again, with the first run's cache folder: what one element cost is
                     known, and a small map is batched so that an array task's work stays within one start-up
                     (core/batching.py), so the stage costs about one job start;
  - hpcflow by work: a first run with the site's auto_batch_above at 1: the map's first elements are timed in
                     its probe, which batches the rest by what they cost;
  - submitit:        `executor.map_array` over the items and a reduce job waiting on it (afterok), its
                     results read by the submitting process.
Beside each, the machine's CPU time per element over the whole run (from /proc/stat: Slurm's daemons, the
jobs, and the submitting process): on a cluster whose nodes share fewer cores than they offer (the test
cluster's 3 x 8 CPUs on 2 cores), that, not the scheduler, sets the makespan of an unbatched map.
Then, for hpcflow, where an element's time goes (medians over the map's elements of the last repetition):
Slurm starting the task to the element recording its start (bash, interpreter, imports, plan and inputs
read), the user code with the element's bookkeeping, and the element recording its end to Slurm's End.
Elements run as an installed wheel's do: hpcflow's modules compiled (pip compiles them at install; here
compileall does, for a checkout), and without PYTHONDONTWRITEBYTECODE, which sbatch would pass to every
element from the submitting shell, so that each compiled the same modules again.
Run it on an otherwise idle machine (the CPU column counts everything that runs on it). Targets (issue "Overhead at the floor"): hpcflow at most 1.05x the
python floor and 1.2x the true floor; an element's own start under 50 ms of hpcflow's time.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from submit import sacct_ended, site_copy  # noqa: E402

WORKFLOWS = BENCH / "_floor_workflows.py"
METHODS = ["floor (true)", "floor (python)", "hpcflow 1st run", "hpcflow re-run", "hpcflow by work", "submitit"]


def sacct_span(name: str, expect_jobs: int, timeout: float = 120) -> tuple[float, float]:
    """(first Submit, last End) of the jobs called `name`, once sacct has the end of all of them."""
    found = sacct_ended(name, expect_jobs, timeout)
    if not found.complete:
        raise SystemExit(f"sacct did not report every job of {name} in time")
    return min(_t(r["Submit"]) for r in found.rows), max(_t(r["End"]) for r in found.rows)


def _t(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def sbatch(*args: str) -> str:
    return subprocess.run(["sbatch", "--parsable", *args], capture_output=True, text=True, check=True).stdout.strip()


def wait_gone(name: str, timeout: float = 600) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not subprocess.run(["squeue", "-h", f"--name={name}"], capture_output=True, text=True).stdout.strip():
            return
        time.sleep(0.2)
    raise SystemExit(f"{name} still queued after {timeout} s")


def floor(n: int, tmp: Path, python: bool, tag: str) -> float:
    name = f"floor-{tag}"
    out = tmp / name
    out.mkdir()
    common = ["-J", name, "-o", "/dev/null", "-p", "cpu", "-c", "1", "--mem=100M"]
    if python:
        work = f"{sys.executable} -S -c \"import os; x=int(os.environ['SLURM_ARRAY_TASK_ID']); " \
               f"open('{out}/'+str(x),'w').write(str(x*x))\""
        reduce = f"{sys.executable} -S -c \"import os; print(sum(int(open('{out}/'+f).read()) for f in os.listdir('{out}')))\""
    else:
        work = reduce = "true"
    array = sbatch(*common, f"--array=0-{n - 1}", "--wrap", work)
    sbatch(*common, f"--dependency=afterok:{array}", "--wrap", reduce)
    wait_gone(name)
    start, end = sacct_span(name, 2)
    return end - start


def hpcflow(n: int, site: Path, env: dict[str, str]) -> tuple[float, str]:
    out = subprocess.run([sys.executable, "-m", "hpcflow.cli.main", "submit", f"{WORKFLOWS}:squares_then_sum",
                          "--site", str(site), "-i", f"xs={json.dumps(list(range(n)))}", "--wait", "--json"],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"hpcflow failed: {out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["outputs"] == {"o0": sum(x * x for x in range(n))}, result
    start, end = sacct_span(f"hf-{result['run_id']}", 2)
    return end - start, result["run_id"]


def compile_hpcflow() -> None:
    """hpcflow's bytecode, as a wheel's install leaves it (a no-op there)."""
    import compileall

    import hpcflow

    compileall.compile_dir(str(Path(hpcflow.__file__).parent), quiet=1)


def plain_square(x: int) -> int:
    return x * x


def plain_sum(result_files: list[str]) -> int:
    """submitit's reduce: the array's results, read from the pickles submitit wrote for them."""
    import pickle

    out = 0
    for path in result_files:
        with open(path, "rb") as fh:
            _, value = pickle.load(fh)
        out += value
    return out


def submitit_run(n: int, tmp: Path, tag: str) -> float:
    """map_array and a dependent reduce (defined in this script, so submitit pickles them by value)."""
    import submitit

    name = f"submitit-{tag}"
    executor = submitit.AutoExecutor(folder=tmp / name)
    executor.update_parameters(slurm_partition="cpu", cpus_per_task=1, slurm_mem="100M", name=name,
                               slurm_array_parallelism=n)
    jobs = executor.map_array(plain_square, list(range(n)))
    executor.update_parameters(slurm_additional_parameters={"dependency": f"afterok:{jobs[0].job_id.split('_')[0]}"})
    total = executor.submit(plain_sum, [str(tmp / name / f"{j.job_id}_0_result.pkl") for j in jobs])
    assert total.result() == sum(x * x for x in range(n)), total.result()
    start, end = sacct_span(name, 2)
    return end - start


def element_phases(run_dir: Path) -> dict[str, float]:
    """Medians over the map's elements: Slurm's start to the element's recorded start, its run, and its
    recorded end to Slurm's end (from sacct and the elements' own records)."""
    from hpcflow.runtime.rundir import RunDir

    rd = RunDir(run_dir)
    records = rd.submissions("n0")
    out = subprocess.run(["sacct", "-n", "-X", "-P", "-o", "JobID,Start,End", "-j", ",".join(str(r.id) for r in records)],
                         capture_output=True, text=True, check=True).stdout
    slurm = {}
    for line in out.splitlines():
        job, start, end = line.split("|")
        if "_" in job and "[" not in job:
            slurm[int(job.split("_")[1])] = (_t(start), _t(end))
    starts, runs, ends = [], [], []
    for index, status in enumerate(rd.statuses("n0")):  # (a stolen element ran in another task: runtime/stealing.py)
        if index in slurm and status.started and status.finished and status.ran_in is None:
            starts.append(status.started - slurm[index][0])
            runs.append(status.finished - status.started)
            ends.append(slurm[index][1] - status.finished)
    # sacct's times are whole seconds: a median over many elements still shows where the time goes
    return {"Slurm start -> element start": statistics.median(starts), "element run": statistics.median(runs),
            "element end -> Slurm end": statistics.median(ends)}


def python_starts(run_dir: Path) -> tuple[int, int]:
    """How many processes ran the map's elements, and how many elements ran in another task than their own."""
    from hpcflow.runtime.rundir import RunDir

    statuses = RunDir(run_dir).statuses("n0")
    return len({(s.host, s.pid) for s in statuses}), sum(s.ran_in is not None for s in statuses)


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy since boot (/proc/stat: every state but idle and iowait)."""
    with open("/proc/stat") as fh:
        ticks = [int(v) for v in fh.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--site", default="dev-cluster")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hpcflow-bench-floor-", dir="/var/tmp"))
    os.chmod(tmp, 0o755)
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    cpu: dict[str, list[float]] = {m: [] for m in METHODS}
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "HPCFLOW_HOME": str(tmp / "home")}
    compile_hpcflow()

    def site_for(run: str, by_work: bool = False) -> Path:
        """A site config with its own runs and cache folders (a cache folder holds what elements cost)."""
        text = site_copy(args.site, tmp / "runs", tmp / f"cache-{run}", hold=False)
        path = tmp / f"site-{run}.toml"
        path.write_text(f"max_fanout = {max(args.n, 10_000)}\n" + ("auto_batch_above = 1\n" if by_work else "") +
                        "\n".join(line for line in text.splitlines()
                                   if not line.startswith(("max_fanout =", "auto_batch_above ="))) + "\n")
        return path

    def timed(method: str, run: Callable[[], float]) -> None:
        before = busy_cpu_seconds()
        times[method].append(run())
        cpu[method].append(busy_cpu_seconds() - before)

    run_id = ""
    try:
        for rep in range(args.repeat):
            tag = f"{rep}-{os.getpid()}"
            first = site_for(f"first-{rep}")
            timed("floor (true)", lambda: floor(args.n, tmp, python=False, tag=f"true-{tag}"))
            timed("floor (python)", lambda: floor(args.n, tmp, python=True, tag=f"py-{tag}"))
            made: list[str] = []
            timed("hpcflow 1st run", lambda: _keep(hpcflow(args.n, first, env), made))
            run_id = made[0]
            timed("hpcflow re-run", lambda: hpcflow(args.n, first, env)[0])
            timed("hpcflow by work", lambda: hpcflow(args.n, site_for(f"by-work-{rep}", by_work=True), env)[0])
            timed("submitit", lambda: submitit_run(args.n, tmp, tag))
        phases = element_phases(tmp / "runs" / run_id)
        processes, stolen = python_starts(tmp / "runs" / run_id)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    medians = {m: statistics.median(v) for m, v in times.items()}
    print(f"a map of {args.n} elements and a reduce, median of {args.repeat} interleaved repetitions (sacct)")
    print(f"{'method':<17}{'makespan s':>11}{'/ true floor':>14}{'/ python floor':>16}{'CPU/element':>13}   runs")
    for method, median in medians.items():
        runs = " ".join(f"{t:.0f}" for t in times[method])
        per_element = statistics.median(cpu[method]) / args.n * 1000
        print(f"{method:<17}{median:>11.1f}{median / medians['floor (true)']:>13.2f}x"
              f"{median / medians['floor (python)']:>15.2f}x{per_element:>10.0f} ms   {runs}")
    print("\nhpcflow's first run, where an element's time goes (median over the map's elements of the last run):")
    for phase, seconds in phases.items():
        print(f"  {phase:<32}{seconds * 1000:>8.0f} ms")
    print(f"  (of the {args.n} elements, {processes} Python processes ran them; {stolen} were stolen)")


def _keep(result: tuple[float, str], into: list[str]) -> float:
    """The makespan of an hpcflow run, its run id kept in `into`."""
    into.append(result[1])
    return result[0]


if __name__ == "__main__":
    main()
