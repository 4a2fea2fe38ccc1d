"""The one interface between the runtime (and the CLI) and whoever launches elements.

Both backends implement it: `local` (processes on this machine) and `slurm`. The runtime
and the CLI reach a backend only through `backend_named` / `backend_of`, which import it by
name, so no layer below `backends` imports a backend's internals.
"""
from __future__ import annotations

import importlib
from typing import Any, Protocol

from hpcflow.core.efficiency import TaskRecord, TaskUsage
from hpcflow.core.plan import JobPlan
from hpcflow.core.states import State
from hpcflow.errors import HpcflowError
from hpcflow.runtime.rundir import RunDir



class LiveView(Protocol):
    """The scheduler's view of a run's elements right now, for summaries of the run directory (a backend
    with no scheduler to ask gives none). Its word is per array task: the elements of one task share it."""

    def __call__(self, rd: RunDir, job_id: str, index: int) -> State | None:
        """The scheduler's state of the latest array task that runs element `index` (None: it knows none)."""

    def queued(self, rd: RunDir, job_id: str, index: int) -> bool:
        """True when the scheduler holds the latest array task of element `index` pending (it has not started)."""

    def pending_reason(self, job_ids: tuple[int, ...]) -> str:
        """Why the first of these scheduler jobs that is pending waits ('' when none is, or it does not say)."""

_BACKENDS = {
    "local": "hpcflow.backends.local:LocalBackend",
    "slurm": "hpcflow.backends.slurm.backend:SlurmBackend",
}


class Backend(Protocol):
    """What the runtime and the CLI ask of a backend."""

    name: str
    poll_interval_s: float

    def submit(self, rd: RunDir) -> list[int]:
        """Start every job of a run that has work left (locally: run it to the end); scheduler ids."""

    def resume(self, rd: RunDir) -> list[int]:
        """Submit again what did not succeed (already reset to PENDING in the run directory)."""

    def live(self, rd: RunDir) -> LiveView | None:
        """The scheduler's view of the run's elements right now (None: the run directory is all)."""

    def cancel(self, rd: RunDir) -> None:
        """Stop every queued or running job of the run."""

    def usage(self, rd: RunDir, job_ids: list[int]) -> dict[int, list[TaskUsage]] | None:
        """What the scheduler accounted for these jobs' tasks (None: it keeps no accounts)."""

    def history(self, rd: RunDir, job_ids: list[int]) -> list[TaskRecord] | None:
        """Every record the scheduler kept of these jobs' tasks, a requeued task's earlier runs included
        (None: it keeps none; the elements' own records are all there is)."""

    def settle_abandoned(self, rd: RunDir) -> str:
        """If the process that drives the run died (a local run's driver, killed), stop what it left running
        and record the run CANCELLED; what was done ('' when nothing was abandoned)."""

    def cancel_pending(self, rd: RunDir) -> None:
        """Stop the run's jobs that have not started (a failed run stops its queued work)."""

    def submit_subrun(self, rd: RunDir, job: JobPlan, index: int) -> None:
        """From inside a dynamic element: submit its sub-workflow and re-point the dynamic's dependents."""

    def element_done(self, rd: RunDir, job: JobPlan, index: int) -> None:
        """From inside an element that just finished: submit the maps it feeds, once all their
        producers' elements have finished (the producer sizes its consumer; no job waits for it)."""

    def probed(self, rd: RunDir, job: JobPlan) -> None:
        """From inside a map's probe (runtime/probe.py) that has decided the map's batch size: submit its
        other array tasks, and make the map's dependents wait for them too."""

    def drop_stolen(self, rd: RunDir, job: JobPlan, indices: list[int]) -> None:
        """From inside an array task that ran these elements of its map for their own tasks, which they
        ended well in (runtime/stealing.py): have the scheduler not start those tasks (those already
        started end at once on their own)."""

    def cancel_own_job(self) -> None:
        """From inside an element that ran nothing (an upstream element failed): end the scheduler job that
        runs it as cancelled, not failed."""

    def last_requeue(self, rd: RunDir, restarts: int) -> None:
        """From inside an interruptible element requeued `restarts` times: past the site's allowed
        preemptions, let a further preemption end the element instead of requeueing it."""


def backend_named(name: str, **options: Any) -> Backend:
    """The backend called `name`, built with `options` (e.g. site=..., max_workers=...)."""
    try:
        module, _, cls = _BACKENDS[name].partition(":")
    except KeyError:
        raise HpcflowError(f"unknown backend '{name}'; use one of: {', '.join(_BACKENDS)}") from None
    return getattr(importlib.import_module(module), cls)(**options)


def backend_of(rd: RunDir, **options: Any) -> Backend:
    """The backend that a run was started with."""
    module, _, cls = _BACKENDS.get(rd.meta.backend, _BACKENDS["local"]).partition(":")
    return getattr(importlib.import_module(module), cls).for_run(rd, **options)
