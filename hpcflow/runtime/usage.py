"""The efficiency of a run's jobs (`hpcflow status RUN --efficiency`): what the scheduler accounted for each
job's array tasks against what they asked for, dynamic sub-runs included."""
from __future__ import annotations

from hpcflow.core.efficiency import Efficiency, combine
from hpcflow.runtime.backend import Backend, backend_of
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.summary import summarize


def efficiency(rd: RunDir, backend: Backend | None = None) -> list[Efficiency] | None:
    """Per job that ran elements in jobs of its own (pooled tasks run in the pool's workers), its tasks'
    efficiency; None when the backend keeps no accounts (a local run)."""
    jobs = [j for j in summarize(rd) if j.element_ids]
    usage = (backend or backend_of(rd)).usage(rd, sorted({i for j in jobs for i in j.element_ids}))
    if usage is None:
        return None
    return [combine(j.label, [u for i in j.element_ids for u in usage.get(i, [])]) for j in jobs]
