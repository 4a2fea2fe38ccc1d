"""Runs as users see them: create, find, refresh from the backend, wait, cancel.

This is the edge between the CLI and the backends; every Slurm call goes through SlurmShell.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from hpcflow.config import default_runs_dir, hpcflow_home
from hpcflow.core.compile import compile_plan
from hpcflow.core.plan import Plan
from hpcflow.core.states import State
from hpcflow.errors import HpcflowError, RunDirError
from hpcflow.runtime.rundir import RunDir, RunMeta, new_run_id
from hpcflow.runtime.summary import JobSummary, overall_state, settle, summarize
from hpcflow.runtime.values import workflow_outputs
from hpcflow.store import atomic

_FINAL = (State.SUCCEEDED, State.FAILED, State.CANCELLED)


@dataclass
class RunView:
    """A run's state, per-job summaries and (once succeeded) outputs."""

    run_id: str
    state: State
    error: str
    jobs: list[JobSummary]
    outputs: dict[str, Any] | None = None


def create_run(wf: Any, module: ModuleType, plan: Plan, runs_dir: Path, *, backend: str = "local",
               site: str = "", cache_dir: Path | None = None) -> RunDir:
    """Write a new run directory for a compiled plan and index it by run id."""
    run_id = new_run_id(wf.name)
    meta = RunMeta(run_id, wf.name, module.__name__, str(Path(module.__file__).resolve()), backend=backend, site=site,
                   cache_dir=str(cache_dir) if cache_dir else "")
    rd = RunDir.create(runs_dir / run_id, plan, meta)
    atomic.write_json(hpcflow_home() / "index" / f"{run_id}.json", {"path": str(rd.path)})
    return rd


def compile_for(wf: Any, inputs: dict[str, Any]) -> Plan:
    """Trace (once) and compile a workflow with concrete inputs."""
    return compile_plan(wf.graph, inputs)


def find_run(run_id: str, runs_dir: Path | None = None) -> RunDir:
    """A run by id: in `runs_dir`, the default runs dir, or wherever the index says it was written."""
    candidates = [Path(run_id)] if Path(run_id).is_absolute() else []
    candidates += [d / run_id for d in (runs_dir, default_runs_dir()) if d is not None]
    indexed = atomic.read_json(hpcflow_home() / "index" / f"{Path(run_id).name}.json")
    if indexed:
        candidates.append(Path(indexed["path"]))
    for path in candidates:
        if (path / "run.json").exists():
            return RunDir(path)
    raise RunDirError(f"no run '{run_id}' found; `hpcflow runs` lists the runs")


def refresh(rd: RunDir, shell: Any = None) -> RunView:
    """The run's current state; once a Slurm run is finished and settled, no Slurm call is needed."""
    recorded, error = rd.state
    slurm = rd.meta.backend == "slurm" and not (recorded in _FINAL and rd.settled)
    live = None
    if slurm:
        from hpcflow.backends.slurm.monitor import live_states, overlay
        from hpcflow.backends.slurm.shell import SlurmShell

        live = overlay(live_states(rd, shell or SlurmShell()))
    jobs = list(summarize(rd, live))
    if slurm:
        if recorded not in _FINAL:
            recorded, error = overall_state(jobs)
            if recorded is State.SUCCEEDED:
                rd.write_final_outputs(workflow_outputs(rd))
            if recorded is State.FAILED:  # Flyte's default policy: a failed run stops its queued work
                _cancel_pending(rd, shell)
                jobs = list(summarize(rd, live))
        if recorded in _FINAL:
            settle(rd, live)  # type: ignore[arg-type]
            unsettled = any(j.counts.get(State.PENDING) or j.counts.get(State.RUNNING) for j in jobs)
            rd.set_state(recorded, error, settled=not unsettled)
    outputs = rd.final_outputs() if recorded is State.SUCCEEDED else None
    return RunView(rd.meta.run_id, recorded, error, jobs, outputs)


def _cancel_pending(rd: RunDir, shell: Any) -> None:
    """scancel the run's jobs that have not started, and record their elements as CANCELLED."""
    from hpcflow.backends.slurm.directives import job_name
    from hpcflow.backends.slurm.shell import SlurmShell
    from hpcflow.runtime.summary import mark_pending

    (shell or SlurmShell()).run(["scancel", f"--name={job_name(rd.meta.run_id)}", "--state=PENDING"])
    mark_pending(rd, State.CANCELLED, "the run failed before this element started")


def wait(rd: RunDir, poll_s: float, timeout_s: float | None = None, shell: Any = None) -> RunView:
    """Poll until the run finishes (each poll: one squeue and one sacct call).

    The interval starts at the site's poll_interval and grows by half each poll up to 20 times
    it, so a long run costs the controller little; it drops back whenever something changed.
    """
    deadline = None if timeout_s is None else time.time() + timeout_s
    interval, last = poll_s, None
    while True:
        view = refresh(rd, shell)
        if view.state in _FINAL:
            return view
        if deadline is not None and time.time() > deadline:
            raise HpcflowError(f"run {view.run_id} still {view.state.value} after {timeout_s:.0f} s")
        progress = [(j.label, sorted(j.counts.items())) for j in view.jobs]
        interval = poll_s if progress != last else min(interval * 1.5, poll_s * 20)
        last = progress
        time.sleep(interval)


def cancel(rd: RunDir, shell: Any = None) -> None:
    """Cancel every queued or running job of a Slurm run and record the run as CANCELLED."""
    if rd.meta.backend != "slurm":
        raise HpcflowError(f"run {rd.meta.run_id} runs locally; stop it with Ctrl-C in its terminal")
    from hpcflow.backends.slurm.directives import job_name
    from hpcflow.backends.slurm.shell import SlurmShell

    (shell or SlurmShell()).scancel(name=job_name(rd.meta.run_id))
    rd.set_state(State.CANCELLED, "cancelled by the user")


def list_runs(runs_dir: Path | None = None) -> list[RunDir]:
    """Runs known to this user, oldest first."""
    paths = {p.parent.resolve() for d in (runs_dir, default_runs_dir()) if d and d.exists() for p in d.glob("*/run.json")}
    for entry in (hpcflow_home() / "index").glob("*.json"):
        path = Path((atomic.read_json(entry) or {}).get("path", ""))
        if (path / "run.json").exists():
            paths.add(path.resolve())
    return sorted((RunDir(p) for p in paths), key=lambda rd: rd.meta.created)
