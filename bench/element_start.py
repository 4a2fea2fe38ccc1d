"""What an element costs before its work starts: interpreter start to the first line of user code.

    python bench/element_start.py [--repeat 20] [--json]

Every element of a map is a fresh `python -m hpcflow.runtime.entry RUN_DIR JOB INDEX` (the jobscript's
command), so what it imports is paid once per element. Printed, medians (and minima) of --repeat runs,
interleaved so that load on the machine falls on each alike:
  - wall time of `python -c pass`, `import hpcflow`, `from hpcflow import task, workflow`,
    `import hpcflow.runtime.entry` and, for the peer, `import submitit`;
  - hpcflow: one trivial element of a real run directory (created with runtime/runs.py's API in a
    temporary folder): from the process's spawn to its task's first line, which returns time.time();
  - submitit: a submitit job's own process (`python -u -m submitit.core._submit FOLDER`, as its
    local executor starts it) loading its pickled DelayedSubmission and calling a function that
    returns time.time(), from spawn to that line.
"own" is that time less `python -c pass`: the start the library adds to the interpreter's.
Target (issue "Overhead at the floor"): hpcflow's own under 50 ms.

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


def submitit_first_line() -> float:
    """The peer's user code (pickled by value: this module runs as __main__)."""
    return time.time()


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


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(spawn time, exit time) of a command, which must succeed."""
    start = time.time()
    res = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    end = time.time()
    if res.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{res.stderr}")
    return start, end


def element_value(run_dir: Path) -> float:
    from hpcflow.runtime.rundir import RunDir

    return float(RunDir(run_dir).raw_outputs("n0", 0)["o0"])


def submitit_value(result: Path) -> float:
    with open(result, "rb") as fh:
        state, value = pickle.load(fh)  # noqa: S301 - the bench's own file
    if state != "success":
        raise SystemExit(f"the submitit job failed: {value}")
    return float(value)


def measure(repeat: int, scratch: Path) -> dict[str, list[float]]:
    """Seconds per figure, one list of --repeat values each."""
    env = child_env(scratch / "home")
    run_dir = make_run(scratch)
    element = [sys.executable, "-m", "hpcflow.runtime.entry", str(run_dir), "n0", "0"]
    peer_cmd, peer_env, peer_result = make_submitit_job(scratch / "submitit")
    peer_env = {**env, **peer_env}
    samples: dict[str, list[float]] = {name: [] for name in [*IMPORTS, "hpcflow element: spawn to user code",
                                                             "hpcflow element: whole process",
                                                             "submitit job: spawn to user code",
                                                             "submitit job: whole process"]}
    for round_ in range(repeat + 1):  # round 0 warms up: compiled modules written, files in the page cache
        for name, code in IMPORTS.items():
            start, end = timed([sys.executable, "-c", code], env)
            if round_:
                samples[name].append(end - start)
        start, end = timed(element, env)
        if round_:
            samples["hpcflow element: spawn to user code"].append(element_value(run_dir) - start)
            samples["hpcflow element: whole process"].append(end - start)
        peer_result.unlink(missing_ok=True)
        start, end = timed(peer_cmd, peer_env)
        if round_:
            samples["submitit job: spawn to user code"].append(submitit_value(peer_result) - start)
            samples["submitit job: whole process"].append(end - start)
    return samples


def summary(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Median and minimum in ms of each figure, and each library's own start (less `python -c pass`)."""
    out = {name: {"median_ms": statistics.median(v) * 1e3, "min_ms": min(v) * 1e3} for name, v in samples.items()}
    floor = out["python -c pass"]
    for lib, key in (("hpcflow", "hpcflow element: spawn to user code"), ("submitit", "submitit job: spawn to user code")):
        out[f"{lib}: own start (less python -c pass)"] = {
            stat: out[key][stat] - floor[stat] for stat in ("median_ms", "min_ms")}
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
    print(f"{'':50s} {'median':>9s} {'min':>9s}   ({args.repeat} runs each, interleaved)")
    for name, stats in figures.items():
        print(f"{name:50s} {stats['median_ms']:7.1f}ms {stats['min_ms']:7.1f}ms")
    print("target: hpcflow's own start under 50 ms")


if __name__ == "__main__":
    main()
