"""Flyte 2's cache for local runs, on hpcflow's cache store: a task's result is stored under the
same key a flytekit-style task of the same function would get (its dotted name, version, source
fingerprint and the content hashes of its inputs), so `hpcflow cache ls|explain` show it too."""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Awaitable, Callable

from hpcflow.cache.key import call_key, source_fingerprint
from hpcflow.cache.store import CacheStore
from hpcflow.config import default_cache_dir
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.sdk.flyte2.task import AsyncFunctionTaskTemplate
from hpcflow.store.codec import decode, encode
from hpcflow.types.custom import register_type

OUTPUT = "o0"  # a task's value is stored whole, as its one output


def _task_identity(task: AsyncFunctionTaskTemplate) -> str:
    """A task passed as an input is keyed by what it is: its name, cache version and source."""
    return f"{task.name}|{task.spec.cache_version}|{source_fingerprint(task.func)}"


def _no_task_from_data(data: Any) -> Any:
    # decoding never imports what stored data names (DESIGN.md): a task is not made from its name
    raise TypeError(f"a Flyte 2 task ({data!r}) cannot be read back from stored data; pass the task itself")


register_type(AsyncFunctionTaskTemplate, to_json=lambda task: {"flyte2_task": task.name},
              from_json=_no_task_from_data, hash=_task_identity)


async def cached(task: Any, inputs: dict[str, Any], lookup: bool, compute: Callable[[], Awaitable[Any]]) -> Any:
    """The task's value for these inputs: from the cache when `lookup` finds it, else computed and stored.
    With cache serialize=True, identical calls running at once compute once (the others wait on a lease)."""
    store = CacheStore(default_cache_dir())
    try:
        key = call_key(task, task.spec, inputs)
    except TypeError as exc:
        raise WorkflowDefinitionError(f"task '{task.name}' is cached, but an input cannot be hashed ({exc}); "
                                      "register_type(...) its class or leave cache off") from None
    if lookup and (hit := store.fetch_into(key.digest, store.blobs)) is not None:
        return decode(hit[OUTPUT], store.blobs)
    guard = store.lease(key.digest) if task.spec.cache_serialize else contextlib.nullcontext()
    await asyncio.to_thread(guard.__enter__)  # a lease may wait for another writer: not on the event loop
    try:
        if lookup and task.spec.cache_serialize and (hit := store.fetch_into(key.digest, store.blobs)) is not None:
            return decode(hit[OUTPUT], store.blobs)
        value = await compute()
        store.put(key, {OUTPUT: encode(value, store.blobs)}, store.blobs)
        return value
    finally:
        guard.__exit__(None, None, None)
