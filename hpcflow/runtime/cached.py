"""Using the cache for one element: look up, or compute and publish (once, with cache_serialize).

The cache's modules are imported only for an element that uses the cache: most elements do not.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from hpcflow.cache.store import CacheStore
    from hpcflow.core.plan import JobPlan
    from hpcflow.runtime.rundir import RunDir


def cache_store_for(rd: RunDir) -> CacheStore | None:
    """The cache of a run, or None when it has none."""
    from hpcflow.cache.store import CacheStore

    return CacheStore(Path(rd.meta.cache_dir)) if rd.meta.cache_dir else None


def lookup(rd: RunDir, job: JobPlan, task: Any, inputs: dict[str, Any],
           store: CacheStore) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The element's key (its parts, for the caller to record) and, on a hit, its encoded outputs
    (arrays linked into the run)."""
    from hpcflow.cache.key import cache_key

    key = cache_key(task, job, inputs)
    return key.to_json(), store.fetch_into(key.digest, rd.blobs)


def run_cached(rd: RunDir, job: JobPlan, index: int, task: Any, inputs: dict[str, Any],
               compute: Callable[[], dict[str, Any]], store: CacheStore | None) -> tuple[dict[str, Any], bool]:
    """(encoded outputs, whether they came from the cache). `compute` returns encoded outputs; `store` is
    the run's cache when the job caches (the caller's, opened once for all the elements it runs)."""
    if store is None or not job.cache:
        return compute(), False
    from hpcflow.cache.key import cache_key
    from hpcflow.cache.use import through_cache

    key = cache_key(task, job, inputs)
    rd.write_cache_key(job.id, index, key.to_json())
    return through_cache(store, key, job.cache_serialize, rd.blobs, compute)
