"""Per-node overhead of in-process execution: hpcflow against flytekit's local execution.

    python bench/local_overhead.py [--nodes 200] [--repeat 5] [--flytekit-python PATH]

The same workflow code (a chain of N trivial tasks, and a map_task over N items) runs under
each library in its own subprocess; only the import differs. flytekit is not a dependency:
without --flytekit-python the script makes bench/.venv-flytekit and pip-installs it there.
Target: hpcflow's per-node time at most 0.5x flytekit's.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


# The workflows are module-level code (flytekit rejects tasks defined inside functions);
# they are built only in the child process, under the library named in BENCH_LIB.
if os.environ.get("BENCH_LIB"):
    lib = importlib.import_module(os.environ["BENCH_LIB"])
    NODES = int(os.environ["BENCH_NODES"])

    @lib.task
    def inc(x: int) -> int:
        return x + 1

    @lib.workflow
    def chain(x: int = 0) -> int:
        for _ in range(NODES):
            x = inc(x=x)
        return x

    @lib.workflow
    def mapped(xs: list[int]) -> list[int]:
        return lib.map_task(inc)(x=xs)


def measure(nodes: int, repeat: int) -> dict:
    """Run inside the child process: time the workflows under BENCH_LIB."""
    results = {"library": lib.__name__, "version": getattr(lib, "__version__", "?")}
    for name, wf, kwargs, expected in [
        ("chain", chain, {"x": 0}, nodes),
        ("map", mapped, {"xs": list(range(nodes))}, [i + 1 for i in range(nodes)]),
    ]:
        t0 = time.perf_counter()
        assert wf(**kwargs) == expected  # first call: includes compiling/tracing
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(repeat):
            wf(**kwargs)
        steady = (time.perf_counter() - t0) / repeat
        results[name] = {"first_call_s": first, "us_per_node": steady / nodes * 1e6}
    return results


def flytekit_python(explicit: str | None) -> str:
    if explicit:
        return explicit
    venv = HERE / ".venv-flytekit"
    py = venv / "bin" / "python"
    if not py.exists():
        print("creating bench/.venv-flytekit with flytekit (one time)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "flytekit"], check=True)
    return str(py)


def run_child(python: str, lib_name: str, nodes: int, repeat: int) -> dict:
    env = {**os.environ, "BENCH_LIB": lib_name, "BENCH_NODES": str(nodes)}
    out = subprocess.run([python, __file__, "--child", "--nodes", str(nodes), "--repeat", str(repeat)],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--flytekit-python")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.nodes, args.repeat)))
        return
    ours = run_child(sys.executable, "hpcflow", args.nodes, args.repeat)
    theirs = run_child(flytekit_python(args.flytekit_python), "flytekit", args.nodes, args.repeat)
    print(f"in-process execution, {args.nodes} nodes, mean of {args.repeat} calls after a warm-up")
    print(f"{'workflow':<8} {'hpcflow us/node':>16} {'flytekit us/node':>17} {'ratio':>8}   "
          f"{'first call hpcflow / flytekit (s)':>34}")
    for name in ("chain", "map"):
        a, b = ours[name], theirs[name]
        ratio = a["us_per_node"] / b["us_per_node"]
        print(f"{name:<8} {a['us_per_node']:>16.2f} {b['us_per_node']:>17.2f} {ratio:>7.3f}x   "
              f"{a['first_call_s']:>17.4f} / {b['first_call_s']:.4f}")
        print(f"  target <= 0.5x: {'met' if ratio <= 0.5 else 'NOT met'}")
    print(f"(hpcflow {ours['version']}, flytekit {theirs['version']})")


if __name__ == "__main__":
    main()
