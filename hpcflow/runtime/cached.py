"""Using the cache for one element: look up, or compute and publish (once, with cache_serialize)."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Callable

from hpcflow.cache.key import CacheKey, cache_key
from hpcflow.cache.store import CacheStore
from hpcflow.core.plan import JobPlan
from hpcflow.runtime.rundir import RunDir


def cache_store_for(rd: RunDir) -> CacheStore | None:
    """The cache of a run, or None when it has none."""
    return CacheStore(Path(rd.meta.cache_dir)) if rd.meta.cache_dir else None


def lookup(rd: RunDir, job: JobPlan, index: int, task: Any, inputs: dict[str, Any],
           store: CacheStore) -> tuple[CacheKey, dict[str, Any] | None]:
    """Record the element's key; the key, and on a hit its encoded outputs (arrays linked into the run)."""
    key = cache_key(task, job, inputs)
    rd.write_cache_key(job.id, index, key.to_json())
    return key, store.fetch_into(key.digest, rd.blobs)


def run_cached(rd: RunDir, job: JobPlan, index: int, task: Any, inputs: dict[str, Any],
               compute: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """(encoded outputs, whether they came from the cache). `compute` returns encoded outputs."""
    store = cache_store_for(rd)
    if store is None or not job.cache:
        return compute(), False
    key, hit = lookup(rd, job, index, task, inputs, store)
    if hit is not None:
        return hit, True
    guard = store.lease(key.digest) if job.cache_serialize else contextlib.nullcontext()
    with guard:
        if job.cache_serialize:  # whoever held the lease may have published it meanwhile
            hit = store.fetch_into(key.digest, rd.blobs)
            if hit is not None:
                return hit, True
        outputs = compute()
        store.put(key, outputs, rd.blobs)
    return outputs, False
