"""What one element of a task cost in earlier runs, so the next run of the same task sizes its
batches at submit without timing its first elements again (core/batching.py).

    <cache_dir>/timings/<work key>.<uid>.json   {"seconds": ..., "elements": ..., "at": ...}

The work key is the map's task (its name and code) and where its inputs come from: constants by value, an
upstream task's outputs by that task's own key, so far as the plan says. What an element costs depends on
both: a body edited, or a trial on small inputs followed by the real ones, is timed afresh, never batched
on what other work cost.

Kept beside the site's cache (an element's cost depends on the cluster's nodes), one file per
task and user: a group shares the cache folder, and a user cannot replace another's file in a
shared folder. These are hints: a file that cannot be read or written is passed over.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from hpcflow.core.bindings import Binding, Const, DictOf, ListOf, NodeOutput
from hpcflow.core.plan import EntityRef, JobPlan, Plan
from hpcflow.store import atomic


def work_key(plan: Plan, job: JobPlan) -> str | None:
    """The key a map's element cost is kept under (see the module's docstring); None when this process
    cannot tell (a task it cannot fingerprint, a constant it cannot write down): then nothing is kept."""
    try:
        lineage = _lineage(plan, job, {})
        text = json.dumps(lineage, sort_keys=True, default=_unknown)
    except (LookupError, TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _lineage(plan: Plan, job: JobPlan, memo: dict[str, Any]) -> Any:
    if job.id not in memo:
        code = _code(job.entity)
        if not code:
            raise LookupError(job.id)
        memo[job.id] = [job.entity.module, job.entity.qualname, code,
                        [[name, _source(plan, binding, memo)] for name, binding in job.inputs]]
    return memo[job.id]


def _source(plan: Plan, binding: Binding, memo: dict[str, Any]) -> Any:
    if isinstance(binding, Const):
        return ["const", binding.value]
    if isinstance(binding, NodeOutput):  # (KeyError, a LookupError, for a node of another plan)
        return ["output", _lineage(plan, plan.job(binding.node), memo), binding.output, list(binding.path)]
    if isinstance(binding, ListOf):
        return ["list", [_source(plan, b, memo) for b in binding.items]]
    if isinstance(binding, DictOf):
        return ["dict", [[k, _source(plan, b, memo)] for k, b in binding.items]]
    raise TypeError(f"no key for {binding!r}")


def _unknown(value: Any) -> str:
    """A constant JSON cannot hold (a File, a dataclass...): its type and repr, enough for a hint."""
    return f"{type(value).__module__}.{type(value).__qualname__}:{value!r}"


def _code(entity: EntityRef) -> str:
    """The fingerprint of the task's code as it is now (the cache's, cache/key.py): a task whose body was
    edited is timed afresh, not batched on what the old body cost. "" when this process cannot tell."""
    from hpcflow.cache.key import code_fingerprint  # (here: every element imports this module's callers)
    from hpcflow.loader import resolve_entity

    try:
        return str(code_fingerprint(resolve_entity(entity)))
    except Exception:  # noqa: BLE001 - a hint only (a dynamic has no fn): no fingerprint, so no history
        return ""


def _path(cache_dir: str | Path, key: str) -> Path:
    return Path(cache_dir) / "timings" / f"{key}.{os.getuid()}.json"


def recall(cache_dir: str | Path, plan: Plan, job: JobPlan) -> float | None:
    """Seconds one element of `job` took when the same work last ran here (None: never measured)."""
    key = work_key(plan, job) if cache_dir else None
    if key is None:
        return None
    try:
        seconds = (atomic.read_json(_path(cache_dir, key)) or {}).get("seconds")
    except (OSError, ValueError):
        return None
    return float(seconds) if isinstance(seconds, (int, float)) and seconds > 0 else None


def remember(cache_dir: str | Path, plan: Plan, job: JobPlan, seconds: float, elements: int) -> None:
    """Keep what one element of `job` took, measured over `elements` elements."""
    key = work_key(plan, job) if cache_dir and seconds > 0 else None
    if key is None:
        return
    try:
        atomic.write_json(_path(cache_dir, key), {"seconds": seconds, "elements": elements, "at": time.time()})
    except OSError:
        pass  # a read-only or full cache folder: the next run times its first elements again
