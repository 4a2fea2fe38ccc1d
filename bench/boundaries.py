"""How often one `hpcflow submit` crosses package boundaries inside hpcflow.

    .venv/bin/python bench/boundaries.py [--target FILE.py:WORKFLOW] [-i NAME=VALUE ...]
                                         [--site dev-cluster] [--dry-run] [--json]

Runs `hpcflow submit` in this process (the click group's `main`) under sys.setprofile and
threading.setprofile, recording every 'call' event of code in the hpcflow package. A module's
package is the module itself for an __init__.py, else its parent (hpcflow.backends.slurm.submit
-> hpcflow.backends.slurm, hpcflow.loader -> hpcflow). A package switch is a call whose package
differs from that of the calling hpcflow frame (the nearest one up f_back; calls from outside
hpcflow, e.g. click, are none); an immediate bounce is a switch B -> A right after a switch A -> B.
Lazy imports count (a module body is a call), as in a real CLI process; so do generator resumptions.

The default target is examples/partitioned_mean.py with n=1000, parts=4. The submit uses a copy
of the site config with runs_dir and cache_dir in a fresh directory under /var/tmp (which jobs
can read; HPCFLOW_HOME and HPCFLOW_*_DIR point there too) and --hold, so that no job runs; the
run's jobs are then scancelled and the directory removed.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from types import FrameType
from typing import Any, Callable

import hpcflow
from hpcflow.cli.main import cli
from submit import site_copy  # bench/submit.py: the site config with other runs/cache dirs

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TARGET = f"{ROOT / 'examples' / 'partitioned_mean.py'}:partitioned_mean"
DEFAULT_INPUTS = ["n=1000", "parts=4"]
PKG_DIR = Path(hpcflow.__file__).resolve().parent
Where = tuple[str, str]  # (module, package)
Event = tuple[Where | None, Where]  # (the calling hpcflow frame's, the called frame's)
LABELS = {"calls": "hpcflow calls", "modules": "distinct modules entered", "packages": "distinct packages entered",
          "switches": "package switches", "bounces": "immediate bounces (B->A right after A->B)"}


@functools.lru_cache(maxsize=None)  # every call event looks its file up: once per file
def module_of(filename: str) -> Where | None:
    """(dotted module, package) of a file inside the hpcflow package; None outside it."""
    path = Path(os.path.realpath(filename))  # co_filename need not be the resolved path
    if path.suffix != ".py" or PKG_DIR not in path.parents:
        return None
    parts = ("hpcflow", *path.relative_to(PKG_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), ".".join(parts[:-1])
    return ".".join(parts), ".".join(parts[:-1])


def recorder(events: list[Event]) -> Callable[[FrameType, str, Any], None]:
    """A profile function appending one Event per call of hpcflow code to `events`, in call order."""
    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or (callee := module_of(frame.f_code.co_filename)) is None:
            return
        caller, parent = None, frame.f_back
        while parent is not None and (caller := module_of(parent.f_code.co_filename)) is None:
            parent = parent.f_back
        events.append((caller, callee))  # list.append is atomic, so threads need no lock
    return profile


def analyse(events: list[Event]) -> dict[str, Any]:
    """The figures of LABELS, and top_pairs: [caller's package, callee's package, switches] x 10."""
    pairs: Counter[tuple[str, str]] = Counter()
    bounces, last = 0, None
    for caller, (_, package) in events:
        if caller is not None and caller[1] != package:
            switch = (caller[1], package)
            bounces += int(last == switch[::-1])
            pairs[switch] += 1
            last = switch
    return {"calls": len(events), "modules": len({m for _, (m, _) in events}),
            "packages": len({p for _, (_, p) in events}), "switches": sum(pairs.values()), "bounces": bounces,
            "top_pairs": [[a, b, n] for (a, b), n in pairs.most_common(10)]}


def profiled(argv: list[str]) -> tuple[list[Event], str]:
    """Run `hpcflow <argv>` here under a recorder(); its events and what it printed."""
    events: list[Event] = []
    profile, out = recorder(events), StringIO()
    with redirect_stdout(out):
        threading.setprofile(profile)
        sys.setprofile(profile)
        try:
            cli.main(argv, prog_name="hpcflow", standalone_mode=False)
        finally:
            sys.setprofile(None)
            threading.setprofile(None)  # type: ignore[arg-type]
    return events, out.getvalue()


def cancel(run_ids: set[str], timeout_s: float = 60.0) -> None:
    """scancel the runs' jobs by name (which jobs submitted later share too) until none is queued."""
    names = [f"hf-{run_id}" for run_id in sorted(run_ids)]
    deadline = time.time() + timeout_s
    while names:
        for name in names:  # scancel takes one --name
            subprocess.run(["scancel", f"--name={name}"], check=True)
        squeue = ["squeue", "-h", "-o", "%i", f"--name={','.join(names)}"]
        if not subprocess.run(squeue, capture_output=True, text=True, check=True).stdout.strip():
            return
        if time.time() > deadline:
            raise RuntimeError(f"jobs of {', '.join(names)} still queued {timeout_s:.0f} s after scancel")
        time.sleep(0.5)


def measure(args: argparse.Namespace, tmp: Path) -> tuple[dict[str, Any], str | None]:
    """Profile one submit (or dry run) with every hpcflow directory in `tmp`; cancel what it queued."""
    for var, sub in (("HPCFLOW_HOME", "home"), ("HPCFLOW_RUNS_DIR", "runs"), ("HPCFLOW_CACHE_DIR", "cache")):
        os.environ[var] = str(tmp / sub)
    site = tmp / "site.toml"  # submit takes runs_dir from the site config, not from HPCFLOW_RUNS_DIR
    site.write_text(site_copy(args.site, tmp / "runs", tmp / "cache", hold=True))
    argv = ["submit", args.target, "--site", str(site), *(a for i in args.inputs or DEFAULT_INPUTS for a in ("-i", i)),
            "--dry-run" if args.dry_run else "--json"]
    run_id = None
    try:
        events, stdout = profiled(argv)
        run_id = None if args.dry_run else json.loads(stdout.strip().splitlines()[-1])["run_id"]
    finally:  # a failed submit may have left a run too: every run directory in tmp is ours
        cancel({p.parent.name for p in (tmp / "runs").glob("*/run.json")} | ({run_id} if run_id else set()))
    return analyse(events), run_id


def report(figures: dict[str, Any], args: argparse.Namespace, run_id: str | None) -> None:
    if args.json:
        print(json.dumps({"target": args.target, "dry_run": args.dry_run, "run_id": run_id, **figures}))
        return
    print(f"{'hpcflow submit --dry-run' if args.dry_run else f'hpcflow submit (run {run_id})'}: {args.target}")
    for key, label in LABELS.items():
        print(f"{label + ':':<44}{figures[key]}")
    print("top package pairs (caller -> callee: switches):")
    for a, b, n in figures["top_pairs"]:
        print(f"  {a} -> {b}: {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--target", default=DEFAULT_TARGET, help="FILE.py:WORKFLOW [examples/partitioned_mean.py]")
    parser.add_argument("-i", "--input", dest="inputs", action="append", metavar="NAME=VALUE",
                        help=f"a workflow input, repeated [{' '.join(DEFAULT_INPUTS)}]")
    parser.add_argument("--site", default="dev-cluster", help="site config, name or path [dev-cluster]")
    parser.add_argument("--dry-run", action="store_true", help="measure `submit --dry-run` instead")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hpcflow-bench-boundaries-", dir="/var/tmp"))
    try:
        figures, run_id = measure(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(figures, args, run_id)


if __name__ == "__main__":
    main()
