"""max_parallelism: at most N elements of a run running at once, with no process to count them.

Slurm has no per-run limit, but each array has a throttle (`--array=...%N`). Two jobs of a
plan can run at the same time unless one must end before the other starts: an edge that is
not element-wise (afterok, afterany) orders them, and so does any path through one; element-wise
chains of maps (aftercorr, task i after task i) overlap. Every set of jobs that can all run at
once is a clique of that relation; each of its single-element jobs runs one element and each
map at most its throttle, so one throttle t for every map with, for every maximal clique C,
t * maps(C) + singles(C) <= N keeps the whole run at N or fewer. Pure; chosen at compile time.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from hpcflow.core.layout import only_elementwise
from hpcflow.core.plan import JobPlan
from hpcflow.errors import WorkflowDefinitionError


def _element_wise(job: JobPlan, up: JobPlan) -> bool:
    """True when an edge up -> job may be aftercorr (both maps, job reading up element by element:
    the layout's own rule, so this bound never assumes an order the layout does not make)."""
    return job.kind == "map" and up.kind == "map" and only_elementwise(job, up.id)


def concurrent_pairs(jobs: tuple[JobPlan, ...]) -> set[frozenset[str]]:
    """Pairs of jobs that can be running at the same time."""
    by_id = {j.id: j for j in jobs}
    before_all: dict[str, set[str]] = {}  # every ancestor
    before_strict: dict[str, set[str]] = {}  # ancestors that must end before it starts
    for job in jobs:  # topological order
        every, strict = set(), set()
        for up_id in job.depends_on:
            every |= before_all[up_id] | {up_id}
            strict |= before_strict[up_id] if _element_wise(job, by_id[up_id]) else before_all[up_id] | {up_id}
        before_all[job.id], before_strict[job.id] = every, strict
    ids = [j.id for j in jobs]
    return {frozenset((a, b)) for i, a in enumerate(ids) for b in ids[i + 1:]
            if a not in before_strict[b] and b not in before_strict[a]}


def _cliques(nodes: set[str], adjacent: dict[str, set[str]]) -> Iterable[set[str]]:
    """Maximal cliques (Bron-Kerbosch with a pivot): plans have tens of jobs, not thousands."""
    def expand(r: set[str], p: set[str], x: set[str]) -> Iterable[set[str]]:
        if not p and not x:
            yield r
            return
        pivot = max(p | x, key=lambda v: len(adjacent[v] & p))
        for v in list(p - adjacent[pivot]):
            yield from expand(r | {v}, p & adjacent[v], x & adjacent[v])
            p = p - {v}
            x = x | {v}
    yield from expand(set(), set(nodes), set())


def map_throttle(jobs: tuple[JobPlan, ...], max_parallelism: int) -> int:
    """The largest throttle for every map that keeps the run at `max_parallelism` running elements."""
    running = [j for j in jobs if j.kind in ("task", "map")]
    if any(j.kind == "dynamic" for j in jobs):
        raise WorkflowDefinitionError("max_parallelism with a @dynamic is not enforced yet (its sub-workflow is "
                                      "planned at run time); limit its maps with map_task(..., concurrency=N)")
    pairs = concurrent_pairs(tuple(running))
    adjacent = {j.id: {o.id for o in running if frozenset((j.id, o.id)) in pairs} for j in running}
    kinds = {j.id: j.kind for j in running}
    throttle = max_parallelism
    for clique in _cliques(set(adjacent), adjacent):
        maps = sum(kinds[j] == "map" for j in clique)
        singles = len(clique) - maps
        if singles + maps > max_parallelism:
            raise WorkflowDefinitionError(
                f"max_parallelism={max_parallelism}, but {len(clique)} jobs can run at once "
                f"({', '.join(sorted(clique))}); raise it to at least {len(clique)}")
        if maps:
            throttle = min(throttle, (max_parallelism - singles) // maps)
    return throttle


def with_max_parallelism(jobs: tuple[JobPlan, ...], max_parallelism: int | None) -> tuple[JobPlan, ...]:
    """The jobs, each map throttled (its concurrency lowered) so the run keeps to `max_parallelism`."""
    if max_parallelism is None:
        return jobs
    if max_parallelism < 1:
        raise WorkflowDefinitionError(f"max_parallelism={max_parallelism} must be at least 1")
    throttle = map_throttle(jobs, max_parallelism)
    return tuple(replace(j, concurrency=min(j.concurrency or throttle, throttle)) if j.kind == "map" else j
                 for j in jobs)
