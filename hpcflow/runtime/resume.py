"""Preparing a finished run for `hpcflow resume`: keep every output already written, reset the rest."""
from __future__ import annotations

import shutil

from hpcflow.core.states import State
from hpcflow.errors import HpcflowError
from hpcflow.runtime.rundir import ElementStatus, RunDir


def reset_unfinished(rd: RunDir) -> int:
    """Mark every element that did not succeed PENDING again (sub-runs included); returns how many."""
    reset = 0
    for job in rd.plan.jobs:
        (rd.job_dir(job.id) / "state.json").unlink(missing_ok=True)
        with rd.records.deferring():  # each task's records written once
            reset += _reset_job(rd, job.id, job.kind)
        rd.clear_overlay(job.id)
        rd.forget_tally(job.id)
    return reset


def _reset_job(rd: RunDir, job_id: str, kind: str) -> int:
    reset = 0
    for i, status in enumerate(rd.statuses(job_id)):
        if status.state.ok:
            if kind == "dynamic" and (rd.sub_path(job_id, i) / "plan.json").exists():
                reset += reset_unfinished(RunDir(rd.sub_path(job_id, i)))
            continue
        if kind == "dynamic":
            shutil.rmtree(rd.sub_path(job_id, i), ignore_errors=True)
        # a fresh retry budget; trace checkpoints stay, so finished steps are not redone
        rd.write_status(job_id, i, ElementStatus(State.PENDING, trace_executed=status.trace_executed))
        reset += 1
    return reset


def check_resumable(rd: RunDir) -> None:
    """Refuse to resume a run that is still queued or running."""
    state, _ = rd.state
    if state in (State.PENDING, State.RUNNING):
        raise HpcflowError(f"run {rd.meta.run_id} is {state.value}; `hpcflow cancel {rd.meta.run_id}` "
                           "or wait for it to finish before resuming")
    if state is State.SUCCEEDED:
        raise HpcflowError(f"run {rd.meta.run_id} already SUCCEEDED; there is nothing to resume")
