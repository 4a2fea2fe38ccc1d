"""How many map elements go into one array task (pure).

The guides' rule for batching fine-grained work on Slurm: an array task must run at least ten
times what starting it costs, or the cluster spends its time starting tasks. What an element
costs is learned, not guessed: from the same task in an earlier run (runtime/timings.py), or,
the first time, from the map's first elements (runtime/probe.py runs them in array task 0 and
decides from their times). Within the site's limits: never more array tasks than max_fanout.

That rule is for large maps (above the site's auto_batch_above), where throughput matters. A
small map is about latency: on a cluster with room for all its tasks at once, unbatched, it ends
one start-up plus one element after it starts. So a small map is batched only from a cost known
from an earlier run (never probed: a probe would hold back elements that may be long), and only
so far that a task's work stays within one start-up: batched, it then ends no later than
unbatched, and the cluster starts far fewer tasks (see `within_start_up`).
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


def work_sizable(job: JobPlan) -> bool:
    """True for a map whose batches hpcflow may choose from what its elements cost, at any size: one
    with no batch_size of its own, whose array tasks are plain batches (not preemptible, pooled or
    multi-node). Its unbatched element 0 records what it cost (runtime/entry.py)."""
    return job.kind == "map" and not job.batch_size and not job.interruptible and not job.pool and not job.launcher


def sized_by_work(job: JobPlan, size: int, site: SiteConfig) -> bool:
    """True for a map whose batch size hpcflow chooses from what its elements cost, timing them
    first when no earlier run did: work_sizable and large (above the site's auto_batch_above)."""
    return work_sizable(job) and site.auto_batch_above > 0 and size > site.auto_batch_above


def small_by_work(job: JobPlan, size: int, site: SiteConfig) -> bool:
    """True for a map batched from what its elements cost only when an earlier run measured it (never
    probed), and only within one start-up a task (`within_start_up`): work_sizable, at most auto_batch_above."""
    return work_sizable(job) and 0 < size <= site.auto_batch_above


def steals(job: JobPlan, size: int, site: SiteConfig, seconds: float | None) -> bool:
    """True for a small map whose elements' cost no earlier run measured, so that it runs one element per
    array task: its tasks may run each other's elements once they find them trivial (runtime/stealing.py),
    within one start-up each, as a batch would be sized from a known cost (`within_start_up`). Not a map with
    retries: its tasks retry a killed element in their own allocation (backends/slurm/recover.py), which a
    stolen element, killed in another task, would miss (as a probe's elements would: `choose_batch`)."""
    return seconds is None and size >= 2 and not job.retries and small_by_work(job, size, site)


def choose_batch(job: JobPlan, size: int, site: SiteConfig, seconds: float | None = None) -> BatchChoice:
    """The batching of a map of `size` elements, given what one element took before (`seconds`): a large
    map's from its work (probed when unknown), a small map's within a start-up (when known), else the fanout rule's."""
    if job.batch_size:
        return BatchChoice(job.batch_size, f"batch_size={job.batch_size} given")
    if sized_by_work(job, size, site):
        if seconds is not None:
            return from_work(size, seconds, site, 1, f"an element of {job.name} took {_secs(seconds)} in an earlier run")
        if not job.retries:  # a probe killed mid-way is not retried by its own job: such maps keep the fanout rule
            return BatchChoice(batch_size_for(size, None, site.max_fanout), "timing the first elements", probe=True)
    elif seconds is not None and small_by_work(job, size, site):
        measured = f"an element of {job.name} took {_secs(seconds)} in an earlier run"
        choice = within_start_up(size, seconds, site, measured)
        if choice.batch:
            return choice
    batch = batch_size_for(size, None, site.max_fanout)
    return BatchChoice(batch, f"the site's max_fanout is {site.max_fanout}" if batch else "")


def from_work(size: int, seconds: float, site: SiteConfig, at_least: int, measured: str) -> BatchChoice:
    """The batch that makes each array task run TARGET_FACTOR times its start-up (the site's
    task_start), given one element's `seconds`; at least `at_least` (what array task 0 holds already)."""
    target = TARGET_FACTOR * site.task_start_s
    batch, tasks, by_fanout = _fitted(size, max(at_least, math.ceil(target / max(seconds, 1e-9))), site)
    why = (f"{measured}; so {tasks} array task(s) of {batch} element(s), each running at least "
           f"{_secs(target)} ({TARGET_FACTOR}x a task's {_secs(site.task_start_s)} start-up)")
    if by_fanout:
        why = f"{measured}; {tasks} array tasks of {batch}: the site's max_fanout is {site.max_fanout}"
    return BatchChoice(batch if batch > 1 else None, why)


def within_start_up(size: int, seconds: float, site: SiteConfig, measured: str) -> BatchChoice:
    """The batching of a small map whose element takes `seconds`, that never makes it slower than one
    element per task where the cluster has room for all of them: each task's work is at most one
    start-up (the site's task_start), so a batch ends by the time a lone element would have started
    and run. Batched only when at least 2 elements fit (else batch None: the caller keeps the fanout rule)."""
    # (a hair over the quotient: 0.3 / 0.1 is 2.999... in floats, and 3 elements of 0.1 s fit in 0.3 s)
    by_work = math.floor(site.task_start_s / max(seconds, 1e-9) * (1 + 1e-9))
    if by_work < 2:
        return BatchChoice(None)
    batch, tasks, by_fanout = _fitted(size, by_work, site)
    why = (f"{measured}; so {_count(tasks, 'array task')} of {_count(batch, 'element')}, each running at most "
           f"{_secs(site.task_start_s)} (a task's start-up)")
    if by_fanout:
        why = f"{measured}; {_count(tasks, 'array task')} of {batch}: the site's max_fanout is {site.max_fanout}"
    return BatchChoice(batch if batch > 1 else None, why if batch > 1 else "")


def _fitted(size: int, by_work: int, site: SiteConfig) -> tuple[int, int, bool]:
    """A batch of `by_work` elements (at least 1, at most the map) raised to keep the array within the
    site's max_fanout: (batch, array tasks, whether max_fanout set it)."""
    by_fanout = math.ceil(size / site.max_fanout)
    batch = min(size, max(by_work, by_fanout, 1))
    return batch, math.ceil(size / batch), by_fanout > by_work


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _secs(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def batches(size: int, batch: int) -> int:
    """Array tasks needed for `size` elements in batches of `batch`."""
    return math.ceil(size / batch)


def batch_of(index: int, batch: int | None) -> int:
    """The array task that runs element `index`."""
    return index // batch if batch else index
