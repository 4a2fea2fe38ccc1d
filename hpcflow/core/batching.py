"""How many map elements go into one array task (pure).

The guides' rule for batching fine-grained work on Slurm: an array task must run at least ten
times what starting it costs, or the cluster spends its time starting tasks. What an element
costs is learned, not guessed: from the same task in an earlier run (runtime/timings.py), or,
the first time, from the map's first elements (runtime/probe.py runs them in array task 0 and
decides from their times). Within the site's limits: never more array tasks than max_fanout.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # an element imports this module; the site's loader (tomllib, ...) it does not need
    from hpcflow.core.plan import JobPlan
    from hpcflow.site.config import SiteConfig

TARGET_FACTOR = 10  # an array task runs at least this many times its start-up


@dataclass(frozen=True)
class BatchChoice:
    """Elements per array task (None: one each), why, and whether the map's first elements must be timed first."""

    batch: int | None
    why: str = ""
    probe: bool = False


def batch_size_for(size: int, requested: int | None, max_fanout: int | None) -> int | None:
    """`requested` (map_task's batch_size) if given; else, above the fanout limit, the smallest
    batch that keeps the array at most `max_fanout` tasks; else None (one element per task)."""
    if requested:
        return requested
    if max_fanout and size > max_fanout:
        return math.ceil(size / max_fanout)
    return None


def sized_by_work(job: JobPlan, size: int, site: SiteConfig) -> bool:
    """True for a map whose batch size hpcflow chooses from what its elements cost: large enough
    (above the site's auto_batch_above), with no batch_size of its own, and of a kind whose
    array tasks are plain batches (not preemptible, pooled or multi-node)."""
    return (job.kind == "map" and not job.batch_size and site.auto_batch_above > 0 and size > site.auto_batch_above
            and not job.interruptible and not job.pool and not job.launcher)


def choose_batch(job: JobPlan, size: int, site: SiteConfig, seconds: float | None = None) -> BatchChoice:
    """The batching of a map of `size` elements, given what one element took before (`seconds`)."""
    if job.batch_size:
        return BatchChoice(job.batch_size, f"batch_size={job.batch_size} given")
    if sized_by_work(job, size, site):
        if seconds is not None:
            return from_work(size, seconds, site, 1, f"an element of {job.name} took {_secs(seconds)} in an earlier run")
        if not job.retries:  # a probe killed mid-way is not retried by its own job: such maps keep the fanout rule
            return BatchChoice(batch_size_for(size, None, site.max_fanout), "timing the first elements", probe=True)
    batch = batch_size_for(size, None, site.max_fanout)
    return BatchChoice(batch, f"the site's max_fanout is {site.max_fanout}" if batch else "")


def from_work(size: int, seconds: float, site: SiteConfig, at_least: int, measured: str) -> BatchChoice:
    """The batch that makes each array task run TARGET_FACTOR times its start-up (the site's
    task_start), given one element's `seconds`; at least `at_least` (what array task 0 holds already)."""
    target = TARGET_FACTOR * site.task_start_s
    by_work = math.ceil(target / max(seconds, 1e-9))
    by_fanout = math.ceil(size / site.max_fanout)
    batch = min(size, max(at_least, by_work, by_fanout, 1))
    tasks = math.ceil(size / batch)
    why = (f"{measured}; so {tasks} array task(s) of {batch} element(s), each running at least "
           f"{_secs(target)} ({TARGET_FACTOR}x a task's {_secs(site.task_start_s)} start-up)")
    if by_fanout > max(at_least, by_work):
        why = f"{measured}; {tasks} array tasks of {batch}: the site's max_fanout is {site.max_fanout}"
    return BatchChoice(batch if batch > 1 else None, why)


def _secs(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def batches(size: int, batch: int) -> int:
    """Array tasks needed for `size` elements in batches of `batch`."""
    return math.ceil(size / batch)


def batch_of(index: int, batch: int | None) -> int:
    """The array task that runs element `index`."""
    return index // batch if batch else index
