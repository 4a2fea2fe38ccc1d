"""Compute wasted under preemption, with @trace checkpoints against without, on the test cluster.

    python bench/faults.py [--site dev-cluster] [--preempt-after-steps 3]

Four interruptible elements (2 CPUs each, filling the 8-CPU node) run 6 steps of 4 s. Once
every element has finished N steps, a normal-QoS job needing the whole node preempts them;
Slurm requeues them (about two minutes later they run again). Wasted compute is the
element-seconds of steps executed more than once. The run takes about 6 minutes.
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

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = Path(__file__).resolve().parent / "_fault_workflows.py"
sys.path.insert(0, str(WORKFLOWS.parent))
from _fault_workflows import STEP_SECONDS, STEPS  # noqa: E402

ELEMENTS = 4


def hpcflow(*args: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-m", "hpcflow.cli.main", *args], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"hpcflow {' '.join(args)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def measure(workflow: str, site: str, after_steps: int, tmp: Path) -> dict:
    folder = tmp / workflow
    folder.mkdir()
    env = {**os.environ, "HPCFLOW_HOME": str(tmp / "home")}
    start = time.time()
    run = hpcflow("submit", f"{WORKFLOWS}:{workflow}", "--site", site, "-i", f"xs={list(range(ELEMENTS))}",
                  "-i", f"folder={folder}", "--json", env=env)
    deadline = time.time() + 300
    while not all((folder / f"x{x}-step{after_steps - 1}").exists() for x in range(ELEMENTS)):
        if time.time() > deadline:
            raise SystemExit("elements did not start in time")
        time.sleep(0.2)
    time.sleep(STEP_SECONDS / 2)  # preempt in the middle of the next step
    hog = subprocess.run(["sbatch", "--parsable", "-p", "cpu", "--qos=normal", "-c", "8", "-J", "bench-hog",
                          "--wrap", "sleep 2"], capture_output=True, text=True, check=True).stdout.strip()
    try:
        result = hpcflow("wait", run["run_id"], "--json", "--timeout", "900", env=env)
    finally:
        subprocess.run(["scancel", hog])
    executions = sum(len(p.read_text()) for p in folder.glob("x*-step*"))
    wasted = (executions - ELEMENTS * STEPS) * STEP_SECONDS
    assert result["state"] == "SUCCEEDED", result
    return {"workflow": workflow, "executions": executions, "wasted_element_s": wasted,
            "makespan_s": time.time() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="dev-cluster")
    parser.add_argument("--preempt-after-steps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(wf, args.site, args.preempt_after_steps, Path(tmp)) for wf in ("traced_map", "untraced_map")]
    useful = ELEMENTS * STEPS * STEP_SECONDS
    print(f"{ELEMENTS} elements x {STEPS} steps x {STEP_SECONDS:g} s = {useful:g} element-s of useful work; "
          f"one preemption after {args.preempt_after_steps} steps")
    for r in rows:
        print(f"  {r['workflow']:<13} steps executed {r['executions']:>3}   wasted {r['wasted_element_s']:>6.1f} element-s   "
              f"makespan {r['makespan_s']:.0f} s")
    traced, untraced = rows
    ratio = traced["wasted_element_s"] / untraced["wasted_element_s"] if untraced["wasted_element_s"] else float("nan")
    print(f"wasted with @trace / without: {ratio:.2f}")


if __name__ == "__main__":
    main()
