"""hpcflow against Slurm's own floor: a map of N elements and a reduce that depends on it, on the live cluster.

    python bench/floor.py [--n 200] [--repeat 3] [--site dev-cluster]

Four ways of running the same two stages, interleaved (one of each per repetition), makespans from sacct
(the first job's Submit to the last job's End), medians of --repeat, each as a ratio to the floor:
  - floor (true):   `sbatch --array=0-(N-1) --wrap true`, then `sbatch --dependency=afterok --wrap true`;
  - floor (python): each array task a `python3 -c` that writes x*x to a file, the reduce summing the files;
  - hpcflow:        `hpcflow submit --wait` of map_task(square) over N items and a sum (unbatched: one array
                    task per element, the site's max_fanout set above N);
  - hpcflow by work: the same, with the site's auto_batch_above at 1, so the map is batched by what its
                    elements cost (its first run times them in its probe; the later ones use that time): the
                    stage costs about one job start, as issue "Overhead at the floor" item 4 asks;
  - submitit:       `executor.map_array` over the items and a reduce job waiting on it (afterok), its
                    results read by the submitting process.
Then, for hpcflow, where an element's time goes (medians over the map's elements of the last repetition):
Slurm starting the task to the element recording its start (bash, interpreter, imports, plan and inputs
read), the user code with the element's bookkeeping, and the element recording its end to Slurm's End.
Elements run as an installed wheel's do: hpcflow's modules compiled (pip compiles them at install; here
compileall does, for a checkout), and without PYTHONDONTWRITEBYTECODE, which sbatch would pass to every
element from the submitting shell, so that each compiled the same modules again.
Run it on an otherwise idle cluster. Targets (issue "Overhead at the floor"): hpcflow at most 1.05x the
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

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from submit import sacct_ended, site_copy  # noqa: E402

WORKFLOWS = BENCH / "_floor_workflows.py"
METHODS = ["floor (true)", "floor (python)", "hpcflow", "hpcflow by work", "submitit"]


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
    for index, status in enumerate(rd.statuses("n0")):
        if index in slurm and status.started and status.finished:
            starts.append(status.started - slurm[index][0])
            runs.append(status.finished - status.started)
            ends.append(slurm[index][1] - status.finished)
    # sacct's times are whole seconds: a median over many elements still shows where the time goes
    return {"Slurm start -> element start": statistics.median(starts), "element run": statistics.median(runs),
            "element end -> Slurm end": statistics.median(ends)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--site", default="dev-cluster")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hpcflow-bench-floor-", dir="/var/tmp"))
    os.chmod(tmp, 0o755)
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    try:
        site = tmp / "site.toml"
        text = site_copy(args.site, tmp / "runs", tmp / "cache", hold=False)
        site.write_text(f"max_fanout = {max(args.n, 10_000)}\n" + "\n".join(
            line for line in text.splitlines() if not line.startswith("max_fanout =")) + "\n")
        by_work = tmp / "site-by-work.toml"  # the same map batched by what its elements cost (see the docstring)
        by_work.write_text(f"auto_batch_above = 1\n{site.read_text()}")
        env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
               "HPCFLOW_HOME": str(tmp / "home")}
        compile_hpcflow()
        run_id = ""
        for rep in range(args.repeat):
            times["floor (true)"].append(floor(args.n, tmp, python=False, tag=f"true-{rep}-{os.getpid()}"))
            times["floor (python)"].append(floor(args.n, tmp, python=True, tag=f"py-{rep}-{os.getpid()}"))
            makespan, run_id = hpcflow(args.n, site, env)
            times["hpcflow"].append(makespan)
            times["hpcflow by work"].append(hpcflow(args.n, by_work, env)[0])
            times["submitit"].append(submitit_run(args.n, tmp, f"{rep}-{os.getpid()}"))
        phases = element_phases(tmp / "runs" / run_id)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    medians = {m: statistics.median(v) for m, v in times.items()}
    print(f"a map of {args.n} elements and a reduce, median of {args.repeat} interleaved repetitions (sacct)")
    print(f"{'method':<16}{'makespan s':>11}{'/ true floor':>14}{'/ python floor':>16}   runs")
    for method, median in medians.items():
        runs = " ".join(f"{t:.0f}" for t in times[method])
        print(f"{method:<16}{median:>11.1f}{median / medians['floor (true)']:>13.2f}x"
              f"{median / medians['floor (python)']:>15.2f}x   {runs}")
    print("\nhpcflow, where an element's time goes (median over the map's elements of the last run):")
    for phase, seconds in phases.items():
        print(f"  {phase:<32}{seconds * 1000:>8.0f} ms")


if __name__ == "__main__":
    main()
