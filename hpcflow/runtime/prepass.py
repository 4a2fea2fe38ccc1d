"""Before anything is launched: take from the cache every element whose inputs are known now."""
from __future__ import annotations

import sys

from hpcflow.cache.store import CacheStore
from hpcflow.runtime.cached import cache_store_for, lookup
from hpcflow.loader import load_file, resolve_entity
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.values import element_inputs, mapped_element_count


def take_cached(rd: RunDir, store: CacheStore | None = None) -> dict[str, set[int]]:
    """Mark cached elements CACHED (their outputs and every key looked up in the job's cache.json);
    returns job id -> cached indices.

    A job's inputs are known when it reads only constants and jobs that were wholly cached;
    the others look themselves up when they run.
    """
    store = store or cache_store_for(rd)
    cached: dict[str, set[int]] = {}
    if store is None:
        return cached
    if rd.meta.file and rd.meta.module not in sys.modules:  # (the submitting process has it already)
        load_file(rd.meta.file, rd.meta.module)  # from the run's code/, whose folder goes on sys.path
    whole: set[str] = set()
    for job in rd.plan.jobs:
        if not job.cache or job.kind == "dynamic" or not set(job.depends_on) <= whole:
            continue
        size = job.size
        if size is None:
            size = mapped_element_count(rd, job)
            rd.write_size(job.id, size)
        task = resolve_entity(job.entity)
        before = rd.done(job.id)  # done before a resume: their records stay as they are
        hits = set(before)
        found: dict[int, dict] = {}
        keys: dict[int, dict] = {}
        for i in range(size):
            if i in before:
                continue
            keys[i], outputs = lookup(rd, job, task, element_inputs(rd, job, i), store)
            if outputs is not None:
                found[i] = outputs
                hits.add(i)
        rd.write_lookups(job.id, found, keys)  # one file for the job, however many elements it has
        cached[job.id] = hits
        if len(hits) == size:
            whole.add(job.id)
    return cached
