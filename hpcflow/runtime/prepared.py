"""What every element of one job shares within one process, worked out once per job, not per element.

A batched array task runs thousands of elements in one warm process; what does not change from one
element to the next (the user's module, the job's plan and function, this host's name and
environment, whether the job caches, whether its elements must tell the backend they ended) is
found here once, so an element costs little more than its function call. Nothing here touches the
filesystem per element, and nothing is kept that an element may change: statuses, outputs and
records stay per element (runtime/entry.py).
"""
from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpcflow.core.sizing import sized_by_producers, window_of
from hpcflow.loader import load_file, resolve_entity
from hpcflow.runtime.cached import cache_store_for
from hpcflow.runtime.pinning import environment_digest, environment_id
from hpcflow.runtime.rundir import RunDir

if TYPE_CHECKING:  # an element imports this module; the cache's modules only an element that caches loads
    from hpcflow.cache.store import CacheStore
    from hpcflow.core.plan import JobPlan

_PREPARED: "weakref.WeakKeyDictionary[RunDir, dict[str, PreparedJob]]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class ProcessFacts:
    """What an element records about the process that runs it, beyond its pid (a forked worker has its own)."""

    host: str
    restarts: int  # times Slurm requeued this process's job
    environment: str  # pinning.environment_id


@lru_cache(maxsize=1)
def process_facts() -> ProcessFacts:
    """This process's ProcessFacts (the same for every element it runs)."""
    return ProcessFacts(os.uname().nodename, int(os.environ.get("SLURM_RESTART_COUNT", "0")),
                        environment_id(environment_digest()))


@dataclass
class PreparedJob:
    """One job's facts for its elements in this process (it holds no RunDir: the RunDir keys it, weakly)."""

    job: JobPlan
    job_dir: Path  # the job's folder: an element's is job_dir / str(index), one path join rather than three
    cache: CacheStore | None  # the cache its elements look up and publish to (None: the job does not cache)
    # whether an ended element must tell the backend (it may be the last of a window, or of the producers
    # of a map sized at run time): known by the first element, as a map is sized, and so windowed or not,
    # before any of its elements runs
    notifies: bool
    requeue_checked: bool = field(default=False)  # last_requeue is about the Slurm job: asked once
    last_call_s: float = 0.0  # what the user's call of the latest element took (its attempts), not its start

    @cached_property
    def entity(self) -> Any:
        """The job's task (or dynamic) object; resolved when the first element needs it, so a name
        that no longer resolves fails each element as it did, after its RUNNING status is recorded."""
        return resolve_entity(self.job.entity)

    @property
    def urgent_start(self) -> bool:
        """Whether an element's start is published at once: where a kill must find that the attempt
        started (the recover step and the sentinel count attempts from it)."""
        return self.job.retries > 0 or self.job.interruptible


def prepared(rd: RunDir, job_id: str) -> PreparedJob:
    """The job's PreparedJob for `rd` (made by the first of its elements this process runs). The user's
    module is loaded first: the plan's constants may be its own types."""
    jobs = _PREPARED.setdefault(rd, {})
    found = jobs.get(job_id)
    if found is None:
        meta = rd.meta
        if meta.file:
            load_file(meta.file, meta.module)
        job = rd.plan.job(job_id)
        notifies = (any(job.id in other.depends_on and sized_by_producers(rd.plan, other) for other in rd.plan.jobs)
                    or bool(window_of(rd.plan, job.id)) or (job.size is None and rd.windows_dir(job.id).is_dir()))
        found = PreparedJob(job, rd.job_dir(job.id), cache_store_for(rd) if job.cache else None, notifies)
        jobs[job_id] = found  # only once it is whole: a module that fails to load fails every element
    return found


def prepared_already(rd: RunDir, job_id: str) -> PreparedJob | None:
    """The job's PreparedJob for `rd` if an element has made it (None: none could, or none ran)."""
    return _PREPARED.get(rd, {}).get(job_id)
