"""What one element of a task cost in earlier runs, so the next run of the same task sizes its
batches at submit without timing its first elements again (core/batching.py).

    <cache_dir>/timings/<digest of the task's name and code>.<uid>.json   {"seconds": ..., "elements": ..., "at": ...}

Kept beside the site's cache (an element's cost depends on the cluster's nodes), one file per
task and user: a group shares the cache folder, and a user cannot replace another's file in a
shared folder. These are hints: a file that cannot be read or written is passed over.
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from hpcflow.core.plan import EntityRef
from hpcflow.store import atomic


def _path(cache_dir: str | Path, entity: EntityRef) -> Path:
    name = f"{entity.module}:{entity.qualname}:{_code(entity)}"
    digest = hashlib.sha256(name.encode()).hexdigest()[:24]
    return Path(cache_dir) / "timings" / f"{digest}.{os.getuid()}.json"


def _code(entity: EntityRef) -> str:
    """The fingerprint of the task's code as it is now (the cache's, cache/key.py): a task whose body was
    edited is timed afresh, not batched on what the old body cost. "" when this process cannot tell."""
    from hpcflow.cache.key import source_fingerprint  # (here: every element imports this module's callers)
    from hpcflow.loader import resolve_entity

    try:
        task = resolve_entity(entity)
    except Exception:  # noqa: BLE001 - a hint only: no fingerprint, so no history shared with one
        return ""
    own = getattr(task, "code_fingerprint", None)  # a ShellTask's script
    if callable(own):
        return str(own())
    fn = getattr(task, "fn", None)
    return source_fingerprint(fn) if callable(fn) else ""


def recall(cache_dir: str | Path, entity: EntityRef) -> float | None:
    """Seconds one element of `entity` took when it last ran here (None: never measured)."""
    if not cache_dir:
        return None
    try:
        seconds = (atomic.read_json(_path(cache_dir, entity)) or {}).get("seconds")
    except (OSError, ValueError):
        return None
    return float(seconds) if isinstance(seconds, (int, float)) and seconds > 0 else None


def remember(cache_dir: str | Path, entity: EntityRef, seconds: float, elements: int) -> None:
    """Keep what one element of `entity` took, measured over `elements` elements."""
    if not cache_dir or seconds <= 0:
        return
    try:
        atomic.write_json(_path(cache_dir, entity), {"seconds": seconds, "elements": elements, "at": time.time()})
    except OSError:
        pass  # a read-only or full cache folder: the next run times its first elements again
