"""Laying a plan out on a site: every sbatch call a run makes, as records. Pure.

The same functions decide the calls made at submit time (`lay_out`) and those a job makes at
run time (a sizing job's array, a resubmission with more memory, a proxy's pool), so `--dry-run`, the
submission and the jobs that submit more all agree on batching, chunking, directives and
dependencies.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from hpcflow.core.batching import (TARGET_FACTOR, BatchChoice, batch_of, batch_size_for, batches, choose_batch,
                                   sized_by_work, small_by_work, steals)
from hpcflow.core.bindings import NodeOutput, upstream_nodes
from hpcflow.core.directives import Chunk, chunks, rank_launch, sbatch_directives
from hpcflow.core.plan import DependencyKind, Edge, JobPlan, Plan, Role, SbatchCall
from hpcflow.core.sizing import sized_by_producers
from hpcflow.site.config import SiteConfig

ELEMENT_ENTRY = "hpcflow.runtime.entry"
SPAWN_RANKS_ENTRY = "hpcflow.runtime.spawn_ranks"
SIZING_ENTRY = "hpcflow.backends.slurm.expand"
PROBE_ENTRY = "hpcflow.runtime.probe"
SENTINEL_ENTRY = "hpcflow.backends.slurm.sentinel"
PROXY_ENTRY = "hpcflow.backends.slurm.pool proxy"
POOL_ENTRY = "hpcflow.backends.slurm.pool serve"


@dataclass(frozen=True)
class RunPlace:
    """Where a run lives, known before its directory exists: its id and path."""

    run_id: str
    run_dir: str


def lay_out(plan: Plan, site: SiteConfig, place: RunPlace, done: Mapping[str, frozenset[int]] | None = None,
            sizes: Mapping[str, int] | None = None, window: int = 0, recorded: Mapping[str, int] | None = None,
            seconds: Mapping[str, float] | None = None) -> tuple[SbatchCall, ...]:
    """Every sbatch call of a plan, in submission order.

    `done` holds the elements already finished (cache hits, or succeeded before a resume):
    a map submits only the array tasks of the others, and a wholly finished job nothing.
    `sizes` holds the sizes of maps decided since compile time (by a sizing job or a lookup).
    `window`: submit at most this many array tasks of each map now; the last of them to finish
    submits the next window (core/fitting.py decides it, under a cap on queued jobs).
    `recorded` holds the batch sizes an earlier submission (or a probe) decided, which the maps'
    records follow; `seconds` what one element of a map's task took in an earlier run.
    """
    done, sizes, recorded, seconds = done or {}, sizes or {}, recorded or {}, seconds or {}
    windowed = frozenset(job.id for job in plan.jobs if window and job.is_array)  # no aftercorr across windows
    by_work = frozenset(job.id for job in plan.jobs if job.id in recorded  # their batches may differ: no aftercorr
                        or by_its_work(job, job.size if job.size is not None else sizes.get(job.id, 0), site,
                                       seconds.get(job.id)))
    partial = frozenset(job_id for job_id, hits in done.items() if hits) | windowed | by_work
    paired = {j for job in plan.jobs for up in job.depends_on  # element-wise chains keep running task by task
              if dependency_kind(plan, job, up, site, partial) == "aftercorr" for j in (job.id, up)}
    choices = {job.id: map_choice(job, size, site, recorded.get(job.id), seconds.get(job.id)) for job in plan.jobs
               if (size := job.size if job.size is not None else sizes.get(job.id)) is not None}
    stealing = frozenset(job.id for job in plan.jobs if job.size is not None and not window and not done.get(job.id)
                         and job.id not in paired and steals_whole(job, job.size, site, recorded.get(job.id),
                                                                   seconds.get(job.id), choices[job.id]))
    partial |= stealing
    calls: list[SbatchCall] = []
    for job in plan.jobs:
        hits = done.get(job.id, frozenset())
        size = job.size if job.size is not None else sizes.get(job.id)
        if size is not None and len(hits) >= size:
            continue  # cached, finished before a resume, or an empty map
        after = tuple(Edge(up, dependency_kind(plan, job, up, site, partial, stealing)) for up in job.depends_on
                      if not _finished(plan.job(up), done, sizes))  # nothing to wait for
        if job.pool:
            calls.append(proxy_call(job, site, place, after))
            continue
        if size is None:
            if not sized_by_producers(plan, job):
                calls.append(sizing_call(job, site, place, after))
            continue  # else the last of its producers' elements submits the array before it exits
        todo = sorted(set(range(size)) - hits) if hits else None
        choice = choices[job.id]
        if choice.probe and not window:
            calls.append(probe_call(job, site, place, size, after))
            continue
        calls += element_calls(job, site, place, size, after=after, todo=todo, window=window, batch=choice.batch,
                               why=choice.why, steal_s=site.task_start_s if job.id in stealing else 0.0)
        if needs_sentinel(job):
            calls.append(sentinel_call(job, site, place, 1))
    return tuple(calls)


def map_choice(job: JobPlan, size: int, site: SiteConfig, recorded: int | None = None,
               seconds: float | None = None) -> BatchChoice:
    """A job's batching: the one its records already follow, else chosen (core/batching.py)."""
    if not job.is_array:
        return BatchChoice(None)
    if recorded:
        return BatchChoice(recorded)
    return choose_batch(job, size, site, seconds)


def steals_whole(job: JobPlan, size: int, site: SiteConfig, recorded: int | None, seconds: float | None,
                 choice: BatchChoice) -> bool:
    """True for a map whose array tasks may steal each other's elements (runtime/stealing.py): one that
    core/batching.py's `steals` picks, submitted whole in one array (a task steals within its array).
    The tasks of the elements stolen are cancelled before they start, so what waits on the map waits for
    its array's end in any state (afterany) and its own elements check their inputs (runtime/values.py),
    and its elements wait for the whole of what they read (no aftercorr: a task may run any element); a
    map that aftercorr would join to another keeps it, and runs its own elements (lay_out). `choice`: its
    map_choice."""
    return (job.is_array and not recorded and size <= site.max_array_size and steals(job, size, site, seconds)
            and choice.batch is None)


def by_its_work(job: JobPlan, size: int, site: SiteConfig, seconds: float | None) -> bool:
    """True when a map's batches come from what its elements cost, so two maps of one size may be
    batched differently (and aftercorr, which pairs their tasks, cannot join them): a large map's
    always, a small map's when an earlier run's cost batched it."""
    if sized_by_work(job, size, site):
        return True
    return (seconds is not None and small_by_work(job, size, site)
            and choose_batch(job, size, site, seconds).batch != batch_size_for(size, None, site.max_fanout))


def _finished(job: JobPlan, done: Mapping[str, frozenset[int]], sizes: Mapping[str, int]) -> bool:
    size = job.size if job.size is not None else sizes.get(job.id)
    return size is not None and len(done.get(job.id, ())) >= size


def element_calls(job: JobPlan, site: SiteConfig, place: RunPlace, size: int, *, after: tuple[Edge, ...] = (),
                  todo: list[int] | None = None, qos: str | None = None, prefix: str = "",
                  batch: int | None = None, window: int = 0, tasks: list[int] | None = None,
                  why: str = "", steal_s: float = 0.0) -> list[SbatchCall]:
    """The calls that run a job's elements: one for a task, one per chunk of a map's array.

    A map above the site's max_fanout runs in batches; `todo` (element indices), or `tasks`
    (array task indices), limits the array to those tasks; `batch` keeps the batching of an
    earlier submission; `window` keeps only the first `window` of the tasks (a windowed map); `steal_s`:
    what a task may spend on other tasks' elements (runtime/stealing.py).
    """
    if not job.is_array:
        return [_call(job, site, place, Role.SINGLE, f"{prefix}job.sh" if prefix else "job.sh",
                      None, after, qos=qos)]
    batch = batch or batch_size_for(size, job.batch_size, site.max_fanout)
    count = batches(size, batch) if batch else size
    if tasks is None and todo is not None:
        tasks = sorted({batch_of(i, batch) for i in todo})
    if window and count:
        tasks = (list(range(count)) if tasks is None else tasks)[:window]
    calls, parts = [], chunks(count, site.max_array_size, tasks)
    if job.concurrency and len(parts) > 1:  # the chunks run at the same time: they share the map's concurrency
        job = replace(job, concurrency=max(1, job.concurrency // len(parts)))
    for n, chunk in enumerate(parts):
        name = f"{prefix}job-chunk{n}.sh" if prefix else ("job.sh" if n == 0 else f"job-chunk{n}.sh")
        calls.append(replace(_call(job, site, place, Role.ARRAY, name, chunk, after, qos=qos, batch=batch),
                             window=window, why=why, steal_s=steal_s))
    return calls


def local_call(job: JobPlan, size: int) -> SbatchCall:
    """The script the local backend runs for every element of a job (no directives)."""
    ranks = f"$PYTHON -m {SPAWN_RANKS_ENTRY} {job.ranks} {job.launcher} --" if job.launcher else ""
    return SbatchCall(job=job.id, role=Role.ARRAY if job.is_array else Role.SINGLE, script=f"jobs/{job.id}/job.sh",
                      log=f"jobs/{job.id}/logs/$INDEX.log", entry=ELEMENT_ENTRY, target=job.id, arg="$INDEX",
                      directives=(), count=size, ranks=ranks)


def sizing_call(job: JobPlan, site: SiteConfig, place: RunPlace, after: tuple[Edge, ...]) -> SbatchCall:
    """The small job that sizes a map from its upstream outputs and submits the array."""
    return _helper(job, site, place, Role.SIZING, "expand.sh", "expand.log", SIZING_ENTRY, "$INDEX", after)


def probe_call(job: JobPlan, site: SiteConfig, place: RunPlace, size: int, after: tuple[Edge, ...]) -> SbatchCall:
    """Array task 0 of a map whose elements' cost is not known yet, submitted alone: it times the
    map's first elements, decides the batch size, submits the other array tasks and finishes its
    own batch (runtime/probe.py). Until it decides, it holds every element's records (batch = size)."""
    directives = sbatch_directives(job, site, run_id=place.run_id, log_dir=f"{place.run_dir}/jobs/{job.id}/logs",
                                   chunk=None, extra_time_s=2 * TARGET_FACTOR * site.task_start_s)
    return SbatchCall(job=job.id, role=Role.PROBE, script=f"jobs/{job.id}/probe.sh", log=f"jobs/{job.id}/logs/$INDEX.log",
                      entry=PROBE_ENTRY, target=job.id, arg="$INDEX", directives=tuple(directives), after=after,
                      batch=size, why="timing the first elements")


def sentinel_call(job: JobPlan, site: SiteConfig, place: RunPlace, round_: int) -> SbatchCall:
    """The small job that runs once the job's element calls just before it have all ended."""
    call = _helper(job, site, place, Role.SENTINEL, f"sentinel{round_}.sh", "sentinel.log", SENTINEL_ENTRY,
                   str(round_), ())
    return replace(call, after_own=True)


def proxy_call(job: JobPlan, site: SiteConfig, place: RunPlace, after: tuple[Edge, ...]) -> SbatchCall:
    """The small job that stands for a pooled task node (see backends/slurm/pool.py)."""
    return _helper(job, site, place, Role.PROXY, "proxy.sh", "proxy.log", PROXY_ENTRY, "", after)


def pool_call(job: JobPlan, site: SiteConfig, place: RunPlace) -> SbatchCall:
    """The job that runs the Dask scheduler of `job.pool`'s warm workers (one per run)."""
    folder = f"pools/{job.pool}"
    directives = sbatch_directives(job, site, run_id=place.run_id, log_dir=f"{place.run_dir}/{folder}",
                                   chunk=None, small=True)
    return SbatchCall(job=job.id, role=Role.POOL, script=f"{folder}/serve.sh", log=f"{folder}/serve.log",
                      entry=POOL_ENTRY, target=job.pool, arg="", directives=tuple(directives))


def array_tasks(calls: list[SbatchCall]) -> list[int]:
    """The array task indices (offset included) that element calls run, in order."""
    return [c.offset + i for c in calls for i in (c.indices if c.indices is not None else range(c.count))]


def needs_sentinel(job: JobPlan) -> bool:
    """Interruptible jobs: an element cannot outlive its own preemption, so after the site's
    allowed requeues a small job resubmits what was preempted on the normal QoS."""
    return job.kind in ("task", "map") and job.interruptible


def recovers_in_job(job: JobPlan) -> bool:
    """Jobs with retries whose element scripts retry what kills their Python process themselves:
    at once in the same allocation after a kill, in a new job with more memory after an
    out-of-memory kill (backends/slurm/recover.py). No extra job, no wait for the whole array.
    A multi-node task's ranks are job steps of their own already: its retries run in its element."""
    return job.kind in ("task", "map") and job.retries > 0 and not job.interruptible and not job.launcher


def dependency_kind(plan: Plan, job: JobPlan, upstream_id: str, site: SiteConfig,
                    partial: frozenset[str] = frozenset(), stealing: frozenset[str] = frozenset()) -> DependencyKind:
    """afterany past a map that tolerates failures, aftercorr for element-wise chains of two
    full arrays (task i of one waits for task i of the other), else afterok. A failure watch
    waits for the end of what it watches, in any state (afterany), as does what waits on a map
    whose tasks steal (`stealing`: the tasks of stolen elements are cancelled)."""
    if job.on_failure or upstream_id in stealing:
        return "afterany"
    up = plan.job(upstream_id)
    if needs_sentinel(up) or up.pool:
        return "afterok"  # on its sentinel or proxy, which check min_success_ratio too
    if up.kind == "map" and up.min_success_ratio < 1.0:
        return "afterany"
    if (job.kind == "map" and up.kind == "map" and job.size is not None and job.size == up.size
            and not partial & {job.id, upstream_id} and _batch(job, site) == _batch(up, site)
            and 0 < job.size <= site.max_array_size and only_elementwise(job, upstream_id)):
        return "aftercorr"
    return "afterok"


def only_elementwise(job: JobPlan, upstream_id: str) -> bool:
    """True when element i of `job` reads only element i of the upstream map (False when it reads
    none of it: an ordering (`>>`) waits for all of it)."""
    reads = False
    for name, binding in job.inputs:
        if upstream_id not in upstream_nodes(binding):
            continue
        reads = True
        if name not in job.mapped or not (isinstance(binding, NodeOutput) and not binding.path):
            return False
    return reads


def _batch(job: JobPlan, site: SiteConfig) -> int | None:
    """Elements per array task of a map of known size (aftercorr pairs tasks, not elements)."""
    return batch_size_for(job.size or 0, job.batch_size, site.max_fanout)


def _call(job: JobPlan, site: SiteConfig, place: RunPlace, role: Role, script: str, chunk: Chunk | None,
          after: tuple[Edge, ...],
          *, qos: str | None = None, batch: int | None = None) -> SbatchCall:
    directives = sbatch_directives(job, site, run_id=place.run_id, log_dir=f"{place.run_dir}/jobs/{job.id}/logs",
                                   chunk=chunk, qos=qos, batch=batch)
    offset, count = (chunk.offset, chunk.count) if chunk else (0, 1)
    return SbatchCall(job=job.id, role=role, script=f"jobs/{job.id}/{script}", log=f"jobs/{job.id}/logs/$INDEX.log",
                      entry=ELEMENT_ENTRY, target=job.id, arg="$INDEX", directives=tuple(directives), after=after,
                      offset=offset, count=count, indices=chunk.indices if chunk else None, batch=batch,
                      recover=recovers_in_job(job), ranks=rank_launch(job, site.mpi) if job.launcher else "")


def _helper(job: JobPlan, site: SiteConfig, place: RunPlace, role: Role, script: str, log: str, entry: str,
            arg: str, after: tuple[Edge, ...]) -> SbatchCall:
    directives = sbatch_directives(job, site, run_id=place.run_id, log_dir=f"{place.run_dir}/jobs/{job.id}/logs",
                                   chunk=None, small=True)
    return SbatchCall(job=job.id, role=role, script=f"jobs/{job.id}/{script}", log=f"jobs/{job.id}/logs/{log}",
                      entry=entry, target=job.id, arg=arg, directives=tuple(directives), after=after)
