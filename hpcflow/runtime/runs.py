"""Runs as users see them: create, find, refresh from the backend, wait, cancel.

This is the edge between the CLI and the backends, which it reaches only through the runtime's
Backend interface.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

from hpcflow.config import default_runs_dir, hpcflow_home
from hpcflow.core.compile import compile_plan
from hpcflow.core.layout import RunPlace
from hpcflow.core.plan import Plan
from hpcflow.core.states import State
from hpcflow.loader import load_file
from hpcflow.errors import HpcflowError, RunDirError
from hpcflow.runtime.backend import Backend, backend_of
from hpcflow.runtime.container import container_for_run
from hpcflow.runtime.input_paths import check_input_paths
from hpcflow.runtime.pinning import CODE_DIR, environment_digest, pin_code
from hpcflow.runtime.resume import check_resumable, reset_unfinished
from hpcflow.runtime.rundir import ElementStatus, RunDir, RunMeta, new_run_id
from hpcflow.runtime.summary import JobSummary, overall_state, settle, summarize
from hpcflow.runtime.values import workflow_outputs
from hpcflow.site.config import SiteConfig
from hpcflow.store import atomic

_FINAL = (State.SUCCEEDED, State.FAILED, State.CANCELLED)
FAILING = "failing: "  # the error of a failed run that is not over yet (failing())
IMMEDIATELY = "FAIL_IMMEDIATELY"  # Flyte's default failure policy (sdk/failure.py)


@dataclass
class RunView:
    """A run's state, per-job summaries and (once succeeded) outputs."""

    run_id: str
    state: State
    error: str
    jobs: list[JobSummary]
    outputs: dict[str, Any] | None = None


def create_run(wf: Any, module: ModuleType, plan: Plan, runs_dir: Path, *, backend: str = "local",
               site: str = "", cache_dir: Path | None = None, run_id: str = "", index: bool = True,
               site_config: SiteConfig | None = None) -> RunDir:
    """Write a new run directory for a compiled plan, with a copy of the code its elements will
    import (runtime/pinning.py), and (unless `index` is False) index it by run id. The container
    runtime of `site_config` (else, for a local run that needs one, the first on PATH) is kept in
    it, once every container_image of the plan is found there (runtime/container.py)."""
    check_input_paths(plan)  # before anything is made: a bad path leaves no run behind
    container = container_for_run(plan, site_config.container if site_config else None,
                                  str(site_config.path) if site_config else "")
    run_id = run_id or new_run_id(wf.name)
    source = Path(module.__file__).resolve()
    meta = RunMeta(run_id, wf.name, module.__name__, str((runs_dir / run_id / CODE_DIR / source.name).resolve()),
                   backend=backend, site=site, cache_dir=str(cache_dir) if cache_dir else "", source=str(source),
                   environment=environment_digest(), container=container.to_json() if container else {})
    rd = RunDir.create(runs_dir / run_id, plan, meta)
    pin_code(module, rd.path)
    if index:
        atomic.write_json(hpcflow_home() / "index" / f"{run_id}.json", {"path": str(rd.path)})
    return rd


def dry_run(wf: Any, module: ModuleType, plan: Plan, site: SiteConfig, backend: Any) -> tuple[Plan, RunPlace]:
    """The plan that `submit` would walk for a new run, laid out in a scratch copy of the run
    (cache hits included), and where that run would live. Nothing is submitted or kept."""
    run_id = new_run_id(wf.name)
    place = RunPlace(run_id, str(site.runs_dir / run_id))
    with tempfile.TemporaryDirectory(prefix="hpcflow-dry-run-") as scratch:
        rd = create_run(wf, module, plan, Path(scratch), backend="slurm", site=str(site.path.resolve()),
                        cache_dir=site.cache_dir, run_id=run_id, index=False, site_config=site)
        return backend.dry_run(rd, place), place


def compile_for(wf: Any, inputs: dict[str, Any], max_parallelism: int | None = None) -> Plan:
    """Trace (once) and compile a workflow with concrete inputs; `max_parallelism` (else a launch
    plan's own) bounds the elements running at once (core/parallelism.py)."""
    return compile_plan(wf.graph, inputs, max_parallelism=max_parallelism or getattr(wf, "max_parallelism", None))


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


def refresh(rd: RunDir, backend: Backend | None = None) -> RunView:
    """The run's current state; once a run is finished and settled, the backend is not asked.

    Only the run's owner records what it learns (state, outputs, the final word on elements):
    anyone else (root, a colleague) looking at a run reads it and writes nothing into it."""
    recorded, error = rd.state
    live = None
    if not (recorded in _FINAL and rd.settled):
        backend = backend or backend_of(rd)
        live = backend.live(rd)
    jobs = list(summarize(rd, live))
    if live is not None and not owns(rd):
        if recorded not in _FINAL:
            recorded, error = failing(rd, *overall_state(jobs), jobs)
        written = (rd.path / "outputs.json").exists()
        return RunView(rd.meta.run_id, recorded, error, jobs, rd.final_outputs() if written else None)
    if live is not None:  # the scheduler knows more than the run directory
        if recorded not in _FINAL:
            was_failing = error.startswith(FAILING)
            recorded, error = overall_state(jobs)
            if recorded is State.SUCCEEDED:
                load_run_code(rd)  # the outputs may be records of the workflow's own classes
                rd.write_final_outputs(workflow_outputs(rd))
            if recorded is State.FAILED and rd.plan.failure_policy == IMMEDIATELY and not was_failing:
                backend.cancel_pending(rd)  # type: ignore[union-attr]  # Flyte's default: stop the queued work
                jobs = list(summarize(rd, live))
            recorded, error = failing(rd, recorded, error, jobs)
            if error.startswith(FAILING) and not was_failing:
                rd.set_state(recorded, error)  # what is queued is cancelled once
        if recorded in _FINAL:
            settle(rd, live)
            unsettled = any(j.counts.get(State.PENDING) or j.counts.get(State.RUNNING) for j in jobs)
            rd.set_state(recorded, error, settled=not unsettled)
    outputs = rd.final_outputs() if recorded is State.SUCCEEDED else None
    return RunView(rd.meta.run_id, recorded, error, jobs, outputs)


def element_now(rd: RunDir, sub: RunDir, job_id: str, index: int, backend: Backend | None = None) -> ElementStatus:
    """Element `index` of `job_id` in `sub` (the run `rd`, or one of its sub-runs) as `hpcflow status RUN node[i]`
    shows it: its own record when that is final or the run has settled; else, what the scheduler says of its
    array task, if it knows (an element alone in its task may publish its start only with its end under Slurm,
    whose squeue shows it running meanwhile: runtime/entry.py); else its record with the monitor's word."""
    task = sub.task_of(job_id, index)
    own = sub.resolve(job_id, index, task, sub.records.read_for(job_id, task, index), overlay=False)
    status = sub.overlay(job_id).apply(own, task)  # (sub.status, from the one read)
    if own.state.finished or rd.settled:
        return status
    said = (backend or backend_of(rd)).live(rd)
    state = said(sub, job_id, index) if said is not None else None
    if state is None or state is State.PENDING:
        return status
    error = own.error or (f"Slurm reports {state.value}" if state.finished else "")
    return dataclasses.replace(own, state=state, error=error)


def failing(rd: RunDir, state: State, error: str, jobs: list[JobSummary]) -> tuple[State, str]:
    """A failed run whose other work goes on (FAIL_AFTER_EXECUTABLE_NODES_COMPLETE) or whose
    on_failure handler has yet to run is RUNNING, 'failing: ...', until nothing of it is left."""
    if state is not State.FAILED:
        return state, error
    goes_on = rd.plan.failure_policy != IMMEDIATELY or any(j.handles_failure for j in jobs)
    if goes_on and any(j.counts.get(State.PENDING) or j.counts.get(State.RUNNING) or j.counts.get(State.PREEMPTED)
                       or j.counts.get(State.UNKNOWN) for j in jobs):
        return State.RUNNING, FAILING + error
    return state, error


def owns(rd: RunDir) -> bool:
    """True when the run directory belongs to the user running this process."""
    return rd.path.stat().st_uid == os.geteuid()


def load_run_code(rd: RunDir) -> None:
    """Import the run's pinned workflow module (its own user's code) if this process has not."""
    if rd.meta.file and rd.meta.module not in sys.modules:
        load_file(rd.meta.file, rd.meta.module)


def wait(rd: RunDir, poll_s: float | None = None, timeout_s: float | None = None,
         backend: Backend | None = None) -> RunView:
    """Poll until the run finishes (each poll: one squeue and one sacct call), at intervals
    from next_poll_interval()."""
    deadline = None if timeout_s is None else time.time() + timeout_s
    for view in views(rd, backend, poll_s):
        if view.state in _FINAL:
            return view
        if deadline is not None and time.time() > deadline:
            raise HpcflowError(f"run {view.run_id} still {view.state.value} after {timeout_s:.0f} s")
    raise AssertionError("views() ends only with a finished run")


def views(rd: RunDir, backend: Backend | None = None, poll_s: float | None = None,
          idle_s: float | None = None) -> Iterator[RunView]:
    """The run's view at each poll until it has finished (its last view is the final one). Polls back
    off while nothing changes, up to `idle_s` apart (default 20 polling intervals)."""
    backend = backend or backend_of(rd)
    poll_s = poll_s or backend.poll_interval_s
    interval, last = poll_s, None
    while True:
        view = refresh(rd, backend)
        yield view
        if view.state in _FINAL:
            return
        interval = next_poll_interval(interval, poll_s, last, view.jobs, idle_s)
        last = view.jobs
        time.sleep(interval)


def next_poll_interval(interval: float, poll_s: float, before: list[JobSummary] | None,
                       now: list[JobSummary], idle_s: float | None = None) -> float:
    """The wait before the next poll: back to `poll_s` when a job has entered a new phase (it
    started, it ended, or an element of it failed), else half as
    long again as the last, up to 4 times `poll_s` while elements move (so the end of a steadily
    progressing run is seen soon after it) and up to `idle_s` (20 times `poll_s`) while nothing changes."""
    if before is None or _phases(before) != _phases(now):
        return poll_s
    moving = _counts(before) != _counts(now)
    return min(interval * 1.5, poll_s * 4 if moving else (idle_s or poll_s * 20))


def _phases(jobs: list[JobSummary]) -> list[tuple[str, bool, bool, bool]]:
    """Per job: whether any element has started, whether all have finished, whether any failed."""
    return [(j.label, *_phase([s for s, n in j.counts.items() if n])) for j in jobs]


def _phase(states: list[State]) -> tuple[bool, bool, bool]:
    return (any(s is not State.PENDING for s in states), all(s.finished for s in states),
            any(s.finished and not s.ok for s in states))


def _counts(jobs: list[JobSummary]) -> list[tuple[str, list[tuple[State, int]]]]:
    return [(j.label, sorted(j.counts.items())) for j in jobs]


def cancel(rd: RunDir, backend: Backend | None = None) -> None:
    """Cancel every queued or running job of a run and record the run as CANCELLED."""
    (backend or backend_of(rd)).cancel(rd)
    rd.set_state(State.CANCELLED, "cancelled by the user")


def resume(rd: RunDir, backend: Backend | None = None) -> list[int]:
    """Submit again what did not succeed, and what depends on it; every output already written is kept.

    The one resume path: the run directory is reset here, the backend submits what is left.
    """
    backend = backend or backend_of(rd)
    backend.settle_abandoned(rd)  # a run whose driver was killed is resumable once its orphans are stopped
    check_resumable(rd)
    running = [j.label for j in refresh(rd, backend).jobs if j.counts.get(State.RUNNING)]
    if running:  # resubmitting them would run them twice at once
        raise HpcflowError(f"run {rd.meta.run_id} still has running elements (in {', '.join(running)}); "
                           f"wait until `hpcflow status {rd.meta.run_id}` shows none, or `hpcflow cancel "
                           f"{rd.meta.run_id}`, then resume")
    if rd.meta.file:  # fail on a broken workflow file before anything is reset
        load_file(rd.meta.file, rd.meta.module)
    reset_unfinished(rd)
    rd.set_state(State.PENDING)
    return backend.resume(rd)


def list_runs(runs_dir: Path | None = None) -> list[RunDir]:
    """Runs known to this user, oldest first."""
    paths = {p.parent.resolve() for d in (runs_dir, default_runs_dir()) if d and d.exists() for p in d.glob("*/run.json")}
    for entry in (hpcflow_home() / "index").glob("*.json"):
        try:
            path = Path((atomic.read_object(entry) or {}).get("path", ""))
        except HpcflowError:  # a damaged index entry hides only its own run
            continue
        if (path / "run.json").exists():
            paths.add(path.resolve())
    return sorted((rd for rd in map(RunDir, paths) if _readable(rd)), key=lambda rd: rd.meta.created)


def damaged_runs(runs_dir: Path | None = None) -> list[tuple[Path, str]]:
    """The run folders list_runs leaves out, each with why: one damaged run must not hide the others."""
    paths = {p.parent.resolve() for d in (runs_dir, default_runs_dir()) if d and d.exists() for p in d.glob("*/run.json")}
    found = []
    for path in sorted(paths):
        try:
            RunDir(path).meta
        except HpcflowError as exc:
            found.append((path, str(exc)))
    return found


def _readable(rd: RunDir) -> bool:
    try:
        rd.meta
    except HpcflowError:
        return False
    return True
