"""Submitting a wide map to Slurm: hpcflow against submitit, on a live cluster.

    python bench/submit.py [--elements 1000] [--makespan-elements 200] [--site dev-cluster]
                           [--repeat 3] [--no-loop] [--keep]

The same trivial function (`noop(x) -> x`, see bench/_submit_workflows.py) is mapped over
0..N-1 by each library. Three figures, each against a target:

(a) Submit time and sbatch RPCs for an --elements map (default 1,000), jobs submitted held
    (--hold) so that no element runs while others are being measured:
      - `hpcflow submit` without --wait: the CLI process end to end, and the library calls
        (load_workflow, bind_inputs, compile_for, create_run, submit) timed inside a process,
      - submitit `executor.map_array` (one array job), timed the same two ways,
      - a loop of submitit `executor.submit` (one job per element; run once, it is slow:
        submitit sleeps 0.2 s between submissions).
    "in-process" excludes interpreter start-up and imports; "process" is the wall time of a fresh
    process doing the whole submission, as a user at a shell sees it. Fast methods run --repeat
    times; the median is shown. sbatch RPCs are the controller's REQUEST_SUBMIT_BATCH_JOB count
    (`sdiag`, reset with `sdiag -r` before each section). Targets: hpcflow <= 1.2x map_array's
    submit time, and exactly 1 sbatch RPC.

(b) Makespan of a --makespan-elements map (default 200): from the start of the submitting process
    until every result is available, i.e. `hpcflow submit --wait` against submitit
    `map_array` + `[j.result() for j in jobs]`. Target <= 1.0x. The dev cluster has 8 CPUs on one
    node, so 8 elements run at once.

(c) Controller RPCs of the whole run of (b), polling included: the sum over all message types of
    `sdiag` (reset before the run). Target: hpcflow no more than submitit. Note that `sacct` talks
    to slurmdbd, not slurmctld, so its queries are not in sdiag; they are shown separately
    (DBD_GET_JOBS_COND from `sacctmgr show stats`, reset with `sacctmgr clear stats`).

submitit runs each element through `srun` (its default), which costs the controller three more
RPCs per element (REQUEST_HET_JOB_ALLOC_INFO, REQUEST_JOB_STEP_CREATE, REQUEST_STEP_COMPLETE);
hpcflow's jobscript runs Python directly (a job with retries runs it in a step, for the OOM retry). hpcflow polls with one squeue (REQUEST_JOB_INFO and
REQUEST_PARTITION_INFO) and one sacct per poll; submitit polls with sacct, backing off.

sdiag counts every RPC of the controller, so anything else using the cluster at the same time
(e.g. tests) adds to them. Between measurements the script cancels its jobs and waits until they
have left the queue (and, for up to a minute, until the queue is empty). All run directories,
submitit folders and the site config used live in a temporary directory, removed at the end
unless --keep. hpcflow's run directories go there through a copy of the site config whose
runs_dir points into it; the copy used for (a) also adds `--hold` to extra_directives.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

HERE = Path(__file__).resolve().parent
WORKFLOW_FILE = HERE / "_submit_workflows.py"
WORKFLOW = f"{WORKFLOW_FILE}:wide"
HPCFLOW_CLI = [sys.executable, "-m", "hpcflow.cli.main"]
RPC_HEADER = "Remote Procedure Call statistics by message type"
SUBMIT_RPC = "REQUEST_SUBMIT_BATCH_JOB"
SACCT_RPC = "DBD_GET_JOBS_COND"
STATS_RPC = "REQUEST_STATS_INFO"
SUBMIT_TARGET, MAKESPAN_TARGET, RPC_TARGET = 1.2, 1.0, 1.0


def noop(x: int) -> int:
    """The submitit side's task (hpcflow's is the same function in bench/_submit_workflows.py)."""
    return x


# --- Slurm statistics -----------------------------------------------------------------------

def run(argv: Sequence[str], timeout: float = 120.0) -> str:
    """Run a command, return its stdout; raise with its stderr when it fails."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} ... failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def parse_rpc_counts(text: str) -> Counter[str]:
    """Counts by message type from the "RPC statistics by message type" section of sdiag or
    `sacctmgr show stats`, e.g. `REQUEST_SUBMIT_BATCH_JOB ( 4003) count:3 ave_time:...`."""
    counts: Counter[str] = Counter()
    lines = iter(text.splitlines())
    for line in lines:
        if line.strip().startswith(RPC_HEADER):
            break
    for line in lines:
        if not line.strip():
            break
        name, _, rest = line.strip().partition("(")
        count = rest.split("count:", 1)[1].split()[0] if "count:" in rest else "0"
        counts[name.strip()] = int(count)
    return counts


def reset_stats() -> None:
    """Zero the controller's and slurmdbd's RPC counters."""
    run(["sdiag", "-r"])
    run(["sacctmgr", "-i", "clear", "stats"])


def read_stats() -> tuple[Counter[str], Counter[str]]:
    """(slurmctld RPCs, slurmdbd RPCs) by message type since the last reset."""
    ctld = parse_rpc_counts(run(["sdiag"]))
    ctld[STATS_RPC] -= 1  # this very sdiag call
    return +ctld, parse_rpc_counts(run(["sacctmgr", "show", "stats"]))


@dataclass(frozen=True)
class SacctJobs:
    """What sacct keeps of the jobs of one name: each array task's (or job's) row, and whether it had them all."""

    rows: list[dict[str, str]]  # JobID, Submit, End (End is "Unknown" while a job runs)
    complete: bool  # at least the jobs expected, each with its end

    @property
    def jobs(self) -> set[str]:
        """The Slurm job ids (an array's tasks count once)."""
        return {r["JobID"].split("_")[0] for r in self.rows}


def sacct_ended(name: str, expect_jobs: int, timeout: float = 120, since: str = "now-2hours") -> SacctJobs:
    """Poll sacct until it lists at least `expect_jobs` jobs called `name` and the end of every one (its
    accounting lags behind the jobs); what it lists by then, whether complete or not."""
    deadline = time.time() + timeout
    while True:
        out = run(["sacct", "-n", "-X", "-P", "-o", "JobID,Submit,End", f"--name={name}", "-S", since])
        rows = [dict(zip(("JobID", "Submit", "End"), line.split("|"))) for line in out.splitlines() if line.strip()]
        found = SacctJobs(rows, False)
        if len(found.jobs) >= expect_jobs and all(r.get("End") not in (None, "", "Unknown") for r in rows):
            return SacctJobs(rows, True)
        if time.time() >= deadline:
            return found
        time.sleep(1)


# --- measurements ---------------------------------------------------------------------------

@dataclass
class Measurement:
    """One submission (or one whole run) of one method."""

    method: str
    process_s: float                      # wall time of the whole process, seen from outside
    inner_s: float | None = None          # time inside the process after imports
    ctld: Counter[str] = field(default_factory=Counter)   # slurmctld RPCs (sdiag)
    dbd: Counter[str] = field(default_factory=Counter)    # slurmdbd RPCs (sacctmgr show stats)
    commands: Counter[str] = field(default_factory=Counter)  # Slurm commands the client ran
    outputs_ok: bool | None = None

    @property
    def sbatch_rpcs(self) -> int:
        return self.ctld[SUBMIT_RPC]

    @property
    def total_rpcs(self) -> int:
        return sum(self.ctld.values())


@dataclass
class Bench:
    """Temporary files, site configs, and the job names to cancel."""

    tmp: Path
    site: str
    partition: str
    timeout_s: float
    names: set[str] = field(default_factory=set)

    @property
    def runs_dir(self) -> Path:
        return self.tmp / "runs"

    def site_config(self, hold: bool) -> Path:
        """A copy of the site config with runs/cache dirs in tmp (and --hold for held submissions)."""
        path = self.tmp / f"site-{'hold' if hold else 'run'}.toml"
        if not path.exists():
            path.write_text(site_copy(self.site, self.runs_dir, self.tmp / "cache", hold))
        return path

    def env(self, label: str) -> dict[str, str]:
        (self.tmp / "calls").mkdir(parents=True, exist_ok=True)
        return {**os.environ, "HPCFLOW_HOME": str(self.tmp / "home"),
                "HPCFLOW_SLURM_CALL_LOG": str(self.tmp / "calls" / f"{label}-{uuid.uuid4().hex[:8]}.jsonl")}

    def job_names(self) -> set[str]:
        """Our submitit job names and the Slurm job name of every hpcflow run under runs_dir."""
        from hpcflow.core.directives import job_name

        runs = [p.name for p in self.runs_dir.iterdir()] if self.runs_dir.exists() else []
        return self.names | {job_name(r) for r in runs}

    def cancel_all(self) -> None:
        """scancel every job of ours, then wait until they have left the queue."""
        names = sorted(self.job_names())
        if not names:
            return
        for name in names:  # scancel takes one --name
            run(["scancel", f"--name={name}"])
        wait_for_queue(names, self.timeout_s)


def site_copy(site: str, runs_dir: Path, cache_dir: Path, hold: bool) -> str:
    """The TOML text of `site` with other runs/cache dirs (and --hold added to extra_directives)."""
    import tomllib

    from hpcflow.site.config import resolve_site_path

    raw = tomllib.loads(resolve_site_path(site).read_text())
    raw["runs_dir"], raw["cache_dir"] = str(runs_dir), str(cache_dir)
    if hold:
        raw["extra_directives"] = [*raw.get("extra_directives", []), "--hold"]
    return "\n".join(to_toml(raw)) + "\n"


def to_toml(table: dict[str, Any], prefix: str = "") -> list[str]:
    """Enough TOML for a site config: scalars, lists of scalars and nested tables."""
    lines = [f"{_key(key)} = {json.dumps(value)}" for key, value in table.items() if not isinstance(value, dict)]
    for key, value in table.items():
        if isinstance(value, dict):
            lines += ["", f"[{prefix}{_key(key)}]", *to_toml(value, f"{prefix}{_key(key)}.")]
    return lines


def _key(key: str) -> str:
    """A TOML key: bare when it can be, else quoted (an image name such as "ghcr.io/org/image:tag")."""
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def wait_for_queue(names: Sequence[str], timeout_s: float, idle_s: float = 60.0) -> None:
    """Wait until no job called one of `names` is queued; then, briefly, for an empty queue."""
    deadline = time.time() + timeout_s
    while run(["squeue", "-h", "-o", "%i", f"--name={','.join(names)}"]).strip():
        if time.time() > deadline:
            raise RuntimeError(f"our jobs still queued {timeout_s:.0f} s after scancel")
        time.sleep(0.5)
    deadline = time.time() + idle_s
    while run(["squeue", "-h", "-o", "%i"]).strip():
        if time.time() > deadline:
            print(f"  (note: other jobs still queued after {idle_s:.0f} s; measuring anyway)", file=sys.stderr)
            return
        time.sleep(0.5)


def slurm_commands(log: Path) -> Counter[str]:
    """Slurm commands hpcflow ran, by name, from its HPCFLOW_SLURM_CALL_LOG."""
    if not log.exists():
        return Counter()
    return Counter(json.loads(line)["argv"][0] for line in log.read_text().splitlines() if line.strip())


def measured(bench: Bench, method: str, argv: list[str], label: str) -> tuple[Measurement, str]:
    """Run `argv` between a stats reset and a stats read; the Measurement and the process's stdout."""
    env = bench.env(label)
    reset_stats()
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=bench.timeout_s)
    elapsed = time.perf_counter() - start
    ctld, dbd = read_stats()
    if proc.returncode != 0:
        raise RuntimeError(f"{method} failed ({proc.returncode}):\n{proc.stderr.strip()[-3000:]}")
    commands = slurm_commands(Path(env["HPCFLOW_SLURM_CALL_LOG"]))
    return Measurement(method, elapsed, ctld=ctld, dbd=dbd, commands=commands), proc.stdout


def last_json(stdout: str) -> dict[str, Any]:
    return json.loads(stdout.strip().splitlines()[-1])


def hpcflow_cli(bench: Bench, n: int, wait: bool, label: str) -> Measurement:
    """`hpcflow submit` (--wait or not) in a fresh process."""
    site = bench.site_config(hold=not wait)
    argv = [*HPCFLOW_CLI, "submit", WORKFLOW, "--site", str(site), "-i", f"xs={json.dumps(list(range(n)))}", "--json"]
    method = "hpcflow submit --wait (CLI)" if wait else "hpcflow submit (CLI)"
    m, stdout = measured(bench, method, argv + (["--wait"] if wait else []), label)
    if wait:
        m.outputs_ok = last_json(stdout).get("outputs", {}).get("o0") == list(range(n))
    return m


def child(bench: Bench, mode: str, n: int, wait: bool, label: str) -> Measurement:
    """One method run by this script in a fresh process (see child_main)."""
    name = f"bench-{label}-{uuid.uuid4().hex[:8]}"
    bench.names.add(name)
    folder = bench.tmp / "submitit" / label
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--elements", str(n),
            "--site", str(bench.site_config(hold=not wait)), "--partition", bench.partition,
            "--job-name", name, "--folder", str(folder)] + (["--wait"] if wait else ["--hold"])
    method = {"hpcflow-api": "hpcflow library calls", "submitit-array": "submitit map_array",
              "submitit-loop": "submitit submit loop"}[mode] + (" + wait" if wait else "")
    m, stdout = measured(bench, method, argv, label)
    reply = last_json(stdout)
    m.inner_s, m.outputs_ok = reply["seconds"], reply.get("outputs_ok")
    m.commands += Counter(reply.get("commands", {}))
    return m


# --- the child process: one submission, timed after imports -----------------------------------

def child_main(args: argparse.Namespace) -> None:
    """Submit (and with --wait, collect) one map; print {"seconds", "outputs_ok", "commands"}."""
    if args.child == "hpcflow-api":
        reply = hpcflow_api(args.elements, Path(args.site), args.wait)
    else:
        reply = submitit_run(args.child, args.elements, args)
    print(json.dumps(reply))


def hpcflow_api(n: int, site_path: Path, wait: bool) -> dict[str, Any]:
    """The calls `hpcflow submit` makes, without the CLI's start-up."""
    from hpcflow.loader import load_workflow
    from hpcflow.runtime.runs import compile_for, create_run, wait as wait_run
    from hpcflow.runtime.backend import backend_named
    from hpcflow.sdk.inputs import bind_inputs
    from hpcflow.site.config import load_site

    start = time.perf_counter()
    site = load_site(str(site_path))
    wf, module = load_workflow(WORKFLOW)
    plan = compile_for(wf, bind_inputs(wf.interface, {"xs": list(range(n))}, f"workflow '{wf.name}'"))
    rd = create_run(wf, module, plan, site.runs_dir, backend="slurm", site=str(site.path.resolve()))
    backend = backend_named("slurm", site=site)
    backend.submit(rd)
    ok = None
    if wait:
        view = wait_run(rd, backend=backend)
        ok = (view.outputs or {}).get("o0") == list(range(n))
    return {"seconds": time.perf_counter() - start, "outputs_ok": ok}


def submitit_run(mode: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    """map_array (one array job) or a loop of submit (one job each) with submitit."""
    import submitit

    start = time.perf_counter()
    executor = submitit.SlurmExecutor(folder=args.folder)
    executor.update_parameters(partition=args.partition, time=5, cpus_per_task=1, array_parallelism=n,
                               job_name=args.job_name, additional_parameters={"hold": True} if args.hold else {})
    if mode == "submitit-array":
        jobs = executor.map_array(noop, list(range(n)))
    else:
        jobs = [executor.submit(noop, i) for i in range(n)]
    ok, sacct = None, 0
    if args.wait:
        ok = [j.result() for j in jobs] == list(range(n))
        sacct = jobs[0].watcher.num_calls
    return {"seconds": time.perf_counter() - start, "outputs_ok": ok, "commands": {"sacct": sacct} if sacct else {}}


# --- the sections ---------------------------------------------------------------------------

def repeated(bench: Bench, times: int, measure: Callable[..., Measurement], *args: Any) -> Measurement:
    """Measure `times` times (cancelling in between); the run with the median process time,
    with the median in-process time."""
    results = []
    for _ in range(times):
        try:
            results.append(measure(bench, *args))
        finally:
            bench.cancel_all()
    results.sort(key=lambda m: m.process_s)
    chosen = results[len(results) // 2]
    inner = [m.inner_s for m in results if m.inner_s is not None]
    chosen.inner_s = statistics.median(inner) if inner else None
    return chosen


def section_submit(bench: Bench, n: int, repeat: int, loop: bool) -> list[Measurement]:
    print(f"(a) submitting {n} elements, held ...", file=sys.stderr)
    results = [
        repeated(bench, repeat, hpcflow_cli, n, False, "a-hpcflow-cli"),
        repeated(bench, repeat, child, "hpcflow-api", n, False, "a-hpcflow-api"),
        repeated(bench, repeat, child, "submitit-array", n, False, "a-submitit-array"),
    ]
    if loop:
        print(f"    submitit loop of {n} submits (about {0.2 * n:.0f} s) ...", file=sys.stderr)
        results.append(repeated(bench, 1, child, "submitit-loop", n, False, "a-submitit-loop"))
    return results


def section_makespan(bench: Bench, n: int) -> list[Measurement]:
    print(f"(b) running {n} elements to completion ...", file=sys.stderr)
    return [
        repeated(bench, 1, hpcflow_cli, n, True, "b-hpcflow-cli"),
        repeated(bench, 1, child, "hpcflow-api", n, True, "b-hpcflow-api"),
        repeated(bench, 1, child, "submitit-array", n, True, "b-submitit-array"),
    ]


# --- printing -------------------------------------------------------------------------------

def fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def verdict(value: float | None, target: float) -> str:
    return "n/a" if value is None else ("met" if value <= target else "NOT met")


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def print_table(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
    for row in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))


def print_submit(results: list[Measurement], n: int, repeat: int) -> None:
    print_table(f"(a) submit {n} elements (held; median of {repeat} for all but the loop)",
                ["method", "in-process s", "process s", "sbatch RPCs", "all ctld RPCs", "sbatch cmds"],
                [[m.method, fmt_s(m.inner_s), fmt_s(m.process_s), m.sbatch_rpcs, m.total_rpcs,
                  m.commands.get("sbatch", "-")] for m in results])


def print_makespan(results: list[Measurement], n: int) -> None:
    print_table(f"(b) makespan of {n} elements (submit start -> all results)",
                ["method", "in-process s", "process s", "outputs ok", "client Slurm cmds"],
                [[m.method, fmt_s(m.inner_s), fmt_s(m.process_s), m.outputs_ok,
                  " ".join(f"{k}={v}" for k, v in sorted(m.commands.items())) or "-"] for m in results])
    types = sorted({t for m in results for t in m.ctld}, key=lambda t: -max(m.ctld[t] for m in results))
    rows = [[t, *(m.ctld[t] for m in results)] for t in types]
    rows.append(["TOTAL slurmctld RPCs", *(m.total_rpcs for m in results)])
    rows.append([f"slurmdbd {SACCT_RPC} (sacct)", *(m.dbd[SACCT_RPC] for m in results)])
    rows.append(["slurmdbd RPCs, all types", *(sum(m.dbd.values()) for m in results)])
    print_table("(c) controller RPCs during each run of (b), by message type (sdiag)",
                ["message type", *(m.method for m in results)], rows)


def print_summary(submit: list[Measurement], makespan: list[Measurement]) -> None:
    cli, api, array = submit[0], submit[1], submit[2]
    run_cli, run_api, run_sub = makespan
    rows = []
    for what, a, b in [("submit time, in-process (library / map_array)", api.inner_s, array.inner_s),
                       ("submit time, process (CLI / map_array script)", cli.process_s, array.process_s)]:
        r = ratio(a, b)
        rows.append([what, fmt_s(a), fmt_s(b), fmt_ratio(r), f"<= {SUBMIT_TARGET}x", verdict(r, SUBMIT_TARGET)])
    sbatch = max(cli.sbatch_rpcs, api.sbatch_rpcs)
    rows.append(["sbatch RPCs (hpcflow / map_array)", sbatch, array.sbatch_rpcs, "-", "= 1",
                 "met" if sbatch == 1 else "NOT met"])
    calls = max(cli.commands["sbatch"], api.commands["sbatch"])
    rows.append(["sbatch commands hpcflow ran (its call log)", calls, "-", "-", "= 1",
                 "met" if calls == 1 else "NOT met"])
    for what, a, b in [("makespan, process (CLI --wait / script)", run_cli.process_s, run_sub.process_s),
                       ("makespan, in-process (library / submitit)", run_api.inner_s, run_sub.inner_s)]:
        r = ratio(a, b)
        rows.append([what, fmt_s(a), fmt_s(b), fmt_ratio(r), f"<= {MAKESPAN_TARGET}x", verdict(r, MAKESPAN_TARGET)])
    for what, a, b in [("controller RPCs per run (CLI / submitit)", run_cli.total_rpcs, run_sub.total_rpcs),
                       ("controller RPCs per run (library / submitit)", run_api.total_rpcs, run_sub.total_rpcs)]:
        r = ratio(a, b)
        rows.append([what, a, b, fmt_ratio(r), f"<= {RPC_TARGET}x", verdict(r, RPC_TARGET)])
    print_table("summary: hpcflow against submitit", ["figure", "hpcflow", "submitit", "ratio", "target", "verdict"],
                rows)


# --- main -----------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--elements", type=int, default=1000, help="map size for (a) [1000]")
    parser.add_argument("--makespan-elements", type=int, default=200, help="map size for (b) and (c) [200]")
    parser.add_argument("--site", default="dev-cluster", help="hpcflow site config, name or path [dev-cluster]")
    parser.add_argument("--partition", default="cpu", help="partition for submitit's jobs [cpu]")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each fast submission in (a) [3]")
    parser.add_argument("--no-loop", dest="loop", action="store_false", help="skip the submitit submit loop")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per measurement [1800]")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    # internal: one measured submission in a fresh process
    parser.add_argument("--child", choices=["hpcflow-api", "submitit-array", "submitit-loop"], help=argparse.SUPPRESS)
    parser.add_argument("--job-name", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--wait", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--hold", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def check_cluster() -> None:
    if "UP" not in run(["scontrol", "ping"]):
        raise SystemExit("slurmctld is not up; start it with scripts/dev-cluster.sh")


def main() -> None:
    args = parse_args()
    if args.child:
        child_main(args)
        return
    check_cluster()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` cancels our jobs
    tmp = Path(tempfile.mkdtemp(prefix="hpcflow-bench-submit-"))
    bench = Bench(tmp, args.site, args.partition, args.timeout)
    try:
        submit = section_submit(bench, args.elements, args.repeat, args.loop)
        makespan = section_makespan(bench, args.makespan_elements)
    finally:
        bench.cancel_all()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_submit(submit, args.elements, args.repeat)
    print_makespan(makespan, args.makespan_elements)
    print_summary(submit, makespan)


if __name__ == "__main__":
    main()
