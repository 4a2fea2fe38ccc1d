"""Computing through the cache: a hit, or compute and publish (once at a time, with cache_serialize)."""
from __future__ import annotations

import contextlib
from typing import Any, Callable

from hpcflow.cache.key import CacheKey
from hpcflow.cache.store import CacheStore
from hpcflow.store.blobs import BlobStore


def through_cache(store: CacheStore, key: CacheKey, serialize: bool, blobs: BlobStore,
                  compute: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """(encoded outputs, whether they came from the cache). `compute` returns encoded outputs
    whose arrays are in `blobs`; a hit's arrays are linked into `blobs`."""
    hit = store.fetch_into(key.digest, blobs)
    if hit is not None:
        return hit, True
    guard = store.lease(key.digest) if serialize else contextlib.nullcontext()
    with guard:
        if serialize:  # whoever held the lease may have published it meanwhile
            hit = store.fetch_into(key.digest, blobs)
            if hit is not None:
                return hit, True
        outputs = compute()
        store.put(key, outputs, blobs)
    return outputs, False
