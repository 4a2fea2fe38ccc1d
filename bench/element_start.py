"""What an element costs before its work starts: interpreter start to the first line of user code.

    python bench/element_start.py [--repeat 20] [--json]

Every element of a map is a fresh `python -m hpcflow.runtime.entry RUN_DIR JOB INDEX` (the jobscript's
command), so what it imports is paid once per element. Printed, medians and minima of --repeat runs,
interleaved so that load on the machine falls on each alike, as wall time and as the CPU time of the
process (which another process's load on a shared machine hardly changes):
  - `python -c pass`, `import hpcflow`, `from hpcflow import task, workflow`, `import hpcflow.runtime.entry`
    and, for the peer, `import submitit`: the whole process;
  - hpcflow: one trivial element of a real run directory (created with runtime/runs.py's API in a
    temporary folder), from the process's spawn to its task's first line, which returns time.time()
    and time.process_time();
  - submitit: a submitit job's own process (`python -u -m submitit.core._submit FOLDER`, as its local
    executor starts it) loading its pickled DelayedSubmission and calling a function that does the same.
"own start" is that less `python -c pass`: the start a library adds to the interpreter's.
Target (issue "Overhead at the floor"): hpcflow's own start under 50 ms.

The children run without PYTHONDONTWRITEBYTECODE, and each command runs once before the timed runs:
a job imports compiled modules (pip writes them at install), so the figures do too.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
WORKFLOWS = BENCH / "_element_workflows.py"
IMPORTS = {
    "python -c pass": "pass",
    "import hpcflow": "import hpcflow",
    "from hpcflow import task, workflow": "from hpcflow import task, workflow",
    "import hpcflow.runtime.entry": "import hpcflow.runtime.entry",
    "import submitit": "import submitit",
}
ELEMENT, PEER = "hpcflow element: spawn to user code", "submitit job: spawn to user code"


def submitit_first_line() -> list[float]:
    """The peer's user code (pickled by value: this module runs as __main__)."""
    return [time.time(), time.process_time()]


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["HPCFLOW_HOME"] = str(home)  # the run's index and scratch files stay in the bench's folder
    return env


def make_run(scratch: Path) -> Path:
    """A run directory of the one-element workflow, as `hpcflow run` would write it (local backend)."""
    from hpcflow.loader import load_file
    from hpcflow.runtime.runs import compile_for, create_run

    module = load_file(WORKFLOWS)
    rd = create_run(module.one, module, compile_for(module.one, {"x": 0}), scratch / "runs", index=False)
    return rd.path


def make_submitit_job(folder: Path) -> tuple[list[str], dict[str, str], Path]:
    """The command, environment and result file of a submitit job of submitit_first_line."""
    from submitit.core.utils import DelayedSubmission

    job_id = "bench"
    folder.mkdir(parents=True, exist_ok=True)
    DelayedSubmission(submitit_first_line).dump(folder / f"{job_id}_submitted.pkl")
    env = {"SUBMITIT_EXECUTOR": "local", "SUBMITIT_LOCAL_JOB_ID": job_id, "SUBMITIT_LOCAL_NTASKS": "1",
           "SUBMITIT_LOCAL_NODEID": "0", "SUBMITIT_LOCAL_JOB_NUM_NODES": "1", "SUBMITIT_LOCAL_GLOBALID": "0",
           "SUBMITIT_LOCAL_LOCALID": "0"}
    return [sys.executable, "-u", "-m", "submitit.core._submit", str(folder)], env, folder / f"{job_id}_0_result.pkl"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(spawn time, exit time, CPU seconds of the process) of a command, which must succeed."""
    start = time.time()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    end = time.time()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return start, end, usage.ru_utime + usage.ru_stime


def element_value(run_dir: Path) -> tuple[float, float]:
    from hpcflow.runtime.rundir import RunDir

    wall, cpu = RunDir(run_dir).raw_outputs("n0", 0)["o0"]
    return wall, cpu


def submitit_value(result: Path) -> tuple[float, float]:
    with open(result, "rb") as fh:
        state, value = pickle.load(fh)  # noqa: S301 - the bench's own file
    if state != "success":
        raise SystemExit(f"the submitit job failed: {value}")
    return value[0], value[1]


def measure(repeat: int, scratch: Path) -> dict[str, dict[str, list[float]]]:
    """Seconds per figure: its wall and CPU times, one list of --repeat values each."""
    env = child_env(scratch / "home")
    run_dir = make_run(scratch)
    element = [sys.executable, "-m", "hpcflow.runtime.entry", str(run_dir), "n0", "0"]
    peer_cmd, peer_env, peer_result = make_submitit_job(scratch / "submitit")
    peer_env = {**env, **peer_env}
    names = [*IMPORTS, ELEMENT, "hpcflow element: whole process", PEER, "submitit job: whole process"]
    samples: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in names}

    def keep(name: str, wall: float, cpu: float) -> None:
        samples[name]["wall"].append(wall)
        samples[name]["cpu"].append(cpu)

    for round_ in range(repeat + 1):  # round 0 warms up: compiled modules written, files in the page cache
        for name, code in IMPORTS.items():
            start, end, cpu = timed([sys.executable, "-c", code], env)
            if round_:
                keep(name, end - start, cpu)
        start, end, cpu = timed(element, env)
        if round_:
            at, cpu_then = element_value(run_dir)
            keep(ELEMENT, at - start, cpu_then)
            keep("hpcflow element: whole process", end - start, cpu)
        peer_result.unlink(missing_ok=True)
        start, end, cpu = timed(peer_cmd, peer_env)
        if round_:
            at, cpu_then = submitit_value(peer_result)
            keep(PEER, at - start, cpu_then)
            keep("submitit job: whole process", end - start, cpu)
    return samples


def summary(samples: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    """Medians and minima in ms of each figure, and each library's own start (less `python -c pass`)."""
    out = {name: {f"{kind}_{stat}_ms": fn(values) * 1e3 for kind, values in kinds.items()
                  for stat, fn in (("median", statistics.median), ("min", min))}
           for name, kinds in samples.items()}
    floor = out["python -c pass"]
    for lib, key in (("hpcflow", ELEMENT), ("submitit", PEER)):
        out[f"{lib}: own start (less python -c pass)"] = {k: v - floor[k] for k, v in out[key].items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hpcflow-element-start-") as scratch:
        os.environ["HPCFLOW_HOME"] = str(Path(scratch) / "home")  # this process's create_run too
        figures = summary(measure(args.repeat, Path(scratch)))
    if args.json:
        print(json.dumps({"repeat": args.repeat, "python": sys.version.split()[0], "figures": figures}))
        return
    print(f"{'':46s} {'wall median':>12s} {'min':>8s} {'CPU median':>11s} {'min':>8s}   ({args.repeat} runs, interleaved)")
    for name, s in figures.items():
        print(f"{name:46s} {s['wall_median_ms']:10.1f}ms {s['wall_min_ms']:6.1f}ms "
              f"{s['cpu_median_ms']:9.1f}ms {s['cpu_min_ms']:6.1f}ms")
    print("target: hpcflow's own start under 50 ms")


if __name__ == "__main__":
    main()
