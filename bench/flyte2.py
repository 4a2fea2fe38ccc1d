"""Flyte 2's batched dataset (the issue's code: N items in batches of 1,000) under the flyte SDK and on hpcflow.

    python bench/flyte2.py [--n 10000] [--site dev-cluster] [--flyte-python /tmp/flyte2-venv/bin/python] [--repeat 1]

The code is bench/_flyte2_workflows.py. Run as root on an otherwise idle cluster (sdiag's counters are reset).
In this process's machine, in-process (`flyte.run` with no endpoint: a local run):
  - flyte:   the real flyte SDK (a scratch venv; flyte is no dependency of hpcflow), `import flyte` put back;
  - hpcflow: the same file under hpcflow.
On the cluster, `hpcflow submit --wait` of:
  - process_dataset: the guide's code as written; its environment has a reuse_policy, so the batches go to a
    warm pool (a pool job and its worker jobs, submitted by dask-jobqueue) through one proxy job;
  - plain_dataset:   the same code without reuse_policy: the batches are one array;
  - dynamic_form:    flytekit's @dynamic form of the same work (an array of batches compiled in a job);
  - static_form:     flytekit's static map-task form (compiled at submit: batches, array, flatten).
Each: makespan (submit to the end of `hpcflow wait`), REQUEST_SUBMIT_BATCH_JOB (sdiag), jobs Slurm created (sacct
by the run's job name) and, for the Flyte 2 forms, waves (the root's replays). Targets (issue "Flyte 2's
programming model on Slurm"): sbatch RPCs = waves x tasks (+ the root's job and a continuation per wave);
makespan within 1.5x of the static form's.
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

WORKFLOWS = BENCH / "_flyte2_workflows.py"
SLURM_FORMS = ["static_form", "dynamic_form", "plain_dataset", "process_dataset"]
# Run by both interpreters: load the file, time flyte.run of the guide's root, print the figures as JSON
LOCAL_DRIVER = """
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("flyte2_bench", sys.argv[1])
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
items = [{"id": i} for i in range(int(sys.argv[2]))]
mod.flyte.init()
start = time.perf_counter()
out = mod.flyte.run(mod.process_dataset, items=items).outputs()
seconds = time.perf_counter() - start
value = out[0] if isinstance(out, tuple) else out
print(json.dumps({"seconds": seconds, "ok": value == [{"processed": i} for i in range(len(items))]}))
"""
# Submit one form as its users would: a Flyte 2 root through flyte.run in mode "remote" (the site from
# $HPCFLOW_SITE), a flytekit workflow through hpcflow.submit; wait for it and check its answer
SLURM_DRIVER = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("_flyte2_workflows", sys.argv[1])
mod = importlib.util.module_from_spec(spec); sys.modules[spec.name] = mod; spec.loader.exec_module(mod)
import hpcflow
form, items = sys.argv[2], [{"id": i} for i in range(int(sys.argv[3]))]
if form.endswith("dataset"):
    run = mod.flyte.with_runcontext(mode="remote").run(getattr(mod, form), items=items)
else:
    run = hpcflow.submit(getattr(mod, form), site=sys.argv[4], items=items)
view = run.wait()
ok = view.state.value == "SUCCEEDED" and view.outputs == {"o0": [{"processed": i} for i in range(len(items))]}
print(json.dumps({"run_id": run.run_id, "ok": ok, "state": view.state.value, "error": view.error}))
"""


def local(python: str, source: Path, n: int, tmp: Path) -> dict:
    """flyte.run of the guide's root in a fresh process of `python`."""
    out = subprocess.run([python, "-c", LOCAL_DRIVER, str(source), str(n)], capture_output=True, text=True,
                         cwd=tmp, env={**os.environ, "HPCFLOW_HOME": str(tmp / "home")}, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"{python} failed: {out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["ok"]:
        raise SystemExit(f"{python} gave a wrong answer")
    return result


def on_slurm(form: str, n: int, site: Path, env: dict[str, str]) -> dict:
    """One form submitted and waited for in a fresh process, as its users would; its figures."""
    reset_stats()
    start = time.time()
    out = subprocess.run([sys.executable, "-c", SLURM_DRIVER, str(WORKFLOWS), form, str(n), str(site)],
                         capture_output=True, text=True, env={**env, "HPCFLOW_SITE": str(site)}, timeout=3600)
    makespan = time.time() - start
    if out.returncode != 0:
        raise SystemExit(f"{form} failed: {out.stdout}{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["ok"]:
        raise SystemExit(f"{form} gave a wrong answer: {result}")
    ctld, _ = read_stats()
    status = json.loads(subprocess.run([sys.executable, "-m", "hpcflow.cli.main", "status", result["run_id"], "--json"],
                                       capture_output=True, text=True, env=env, check=True).stdout)
    # the root's replays: its dynamic node at the top and the continuation at the end of each wave
    waves = sum(1 for j in status["jobs"] if j["kind"] == "dynamic" and j["name"].endswith(form)) - 1
    # a pool outlives the run by a few seconds at most (it ends once its run has no job left): cancel it anyway
    name = f"hf-{result['run_id']}"
    subprocess.run(["scancel", f"--name={name}"], check=False)
    jobs = sacct_ended(name, ctld["REQUEST_SUBMIT_BATCH_JOB"], timeout=60, since="now-1hour").jobs
    return {"makespan_s": makespan, "sbatch": ctld["REQUEST_SUBMIT_BATCH_JOB"], "jobs": len(jobs),
            "waves": waves if form.endswith("dataset") else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--site", default="dev-cluster")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--flyte-python", default="/tmp/flyte2-venv/bin/python",
                        help="an interpreter with the flyte SDK (pip install flyte in a scratch venv)")
    parser.add_argument("--skip-local", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hpcflow-bench-flyte2-", dir="/var/tmp"))
    os.chmod(tmp, 0o755)
    local_rows: dict[str, list[dict]] = {"flyte (SDK)": [], "hpcflow": []}
    rows: dict[str, list[dict]] = {form: [] for form in SLURM_FORMS}
    try:
        as_flyte = tmp / "flyte2_bench_flyte.py"
        # the guide spells it reuse_policy=, the SDK (2.6) reusable=: hpcflow takes both, flyte only its own
        as_flyte.write_text(WORKFLOWS.read_text().replace("import hpcflow as flyte  # was: import flyte", "import flyte")
                            .replace("reuse_policy=flyte.ReusePolicy", "reusable=flyte.ReusePolicy"))
        site = tmp / "site.toml"
        site.write_text(site_copy(args.site, tmp / "runs", tmp / "cache", hold=False))
        env = {**os.environ, "HPCFLOW_HOME": str(tmp / "home")}
        for _ in range(args.repeat):
            if not args.skip_local:
                if Path(args.flyte_python).exists():
                    local_rows["flyte (SDK)"].append(local(args.flyte_python, as_flyte, args.n, tmp))
                local_rows["hpcflow"].append(local(sys.executable, WORKFLOWS, args.n, tmp))
            for form in SLURM_FORMS:
                rows[form].append(on_slurm(form, args.n, site, env))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{args.n} items in batches of 1,000, best of {args.repeat}")
    if not args.skip_local:
        print("\nin-process (flyte.run, a local run):")
        for who, runs in local_rows.items():
            print(f"  {who:<14}{min(r['seconds'] for r in runs):>9.2f} s" if runs else
                  f"  {who:<14}  (no interpreter at {args.flyte_python})")
    best = {form: min(runs, key=lambda r: r["makespan_s"]) for form, runs in rows.items()}
    static = best["static_form"]["makespan_s"]
    print("\non the cluster (hpcflow submit --wait):")
    print(f"  {'form':<17}{'makespan s':>11}{'vs static':>11}{'sbatch':>8}{'jobs':>6}{'waves':>7}")
    for form, m in best.items():
        waves = "-" if m["waves"] is None else str(m["waves"])
        print(f"  {form:<17}{m['makespan_s']:>11.2f}{m['makespan_s'] / static:>10.2f}x{m['sbatch']:>8}{m['jobs']:>6}"
              f"{waves:>7}")


if __name__ == "__main__":
    main()
