"""What `hpcflow cache ls|info|explain` print."""
from __future__ import annotations

import re
import time
from collections import defaultdict

from hpcflow.cache.key import CacheKey
from hpcflow.cache.store import CacheStore
from hpcflow.errors import InputError
from hpcflow.runtime.rundir import RunDir

_AGE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_age(text: str) -> float:
    """Seconds in an age such as 30m, 12h or 7d."""
    match = _AGE.match(text.strip())
    if not match:
        raise InputError(f"age '{text}' is not understood; use e.g. 30m, 12h, 7d")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def per_task(store: CacheStore) -> list[str]:
    """One line per task: entries, bytes, age of the newest and oldest entry, last use."""
    groups: dict[str, list] = defaultdict(list)
    for info, _ in store.entries():
        groups[info.task].append(info)
    now = time.time()
    rows = [f"{'TASK':<40} {'ENTRIES':>7} {'SIZE':>10} {'NEWEST':>8} {'OLDEST':>8} {'LAST USED':>9}"]
    for task, infos in sorted(groups.items()):
        rows.append(f"{task:<40} {len(infos):>7} {sum(i.bytes for i in infos) / 2**20:>8.2f}Mi "
                    f"{_age(now - max(i.created for i in infos)):>8} {_age(now - min(i.created for i in infos)):>8} "
                    f"{_age(now - max(i.used for i in infos)):>9}")
    return rows


def summary(store: CacheStore) -> str:
    """Where the cache is, how many entries and bytes."""
    infos = [info for info, _ in store.entries()]
    blobs = sum(p.stat().st_size for pattern in ("*/*.npy", "*/*.pkl") for p in (store.root / "blobs").glob(pattern))
    return (f"cache {store.root}: {len(infos)} entries for {len({i.task for i in infos})} task(s), "
            f"{sum(i.bytes for i in infos) / 2**20:.2f} MiB in entries, {blobs / 2**20:.2f} MiB of arrays and pickles")


def explain(rd: RunDir, job_id: str, index: int, store: CacheStore) -> str:
    """Why element `index` of `job_id` was (not) taken from the cache."""
    job = rd.plan.job(job_id)
    if not job.cache:
        return f"{job_id} ({job.name}) is not cached: declare @task(cache=True, cache_version=...) to cache it"
    parts = rd.cache_key_parts(job_id, index)
    if parts is None:
        return f"{job_id}[{index}] has not looked itself up yet (its inputs were not known): it has not run"
    key = CacheKey.from_json(parts)
    state = rd.status(job_id, index).state.value
    if state == "CACHED":
        return f"{job_id}[{index}] hit the cache (key {key.digest[:12]})"
    looked = (rd.cache_key(job_id, index) or {}).get("time", time.time())
    others = [(info, k) for info, k in store.entries()
              if k.task == key.task and info.key != key.digest and info.created <= looked]
    if not others:
        return f"{job_id}[{index}] missed: the cache held no earlier result of {key.task}"
    info, previous = min(others, key=lambda ik: _distance(ik[1], key) + (-ik[0].created / 1e12,))
    return f"{job_id}[{index}] missed; against the latest earlier entry ({_age(time.time() - info.created)} old): " \
        + "; ".join(_differences(previous, key))


def _distance(old: CacheKey, new: CacheKey) -> tuple[int, int]:
    """Closest first: the same inputs under another version or source, then the fewest changed inputs."""
    old_in, new_in = dict(old.inputs), dict(new.inputs)
    changed_inputs = sum(old_in.get(n) != new_in.get(n) for n in set(old_in) | set(new_in))
    return (changed_inputs > 0, changed_inputs + (old.version != new.version) + (old.source != new.source))


def _differences(old: CacheKey, new: CacheKey) -> list[str]:
    changes = []
    if old.version != new.version:
        changes.append(f"cache_version changed from '{old.version}' to '{new.version}'")
    if old.source != new.source:
        changes.append("the task's source code changed")
    old_in, new_in = dict(old.inputs), dict(new.inputs)
    changed = sorted(n for n in set(old_in) | set(new_in) if old_in.get(n) != new_in.get(n))
    if changed:
        changes.append(f"input(s) changed: {', '.join(changed)}")
    return changes or ["nothing differs from it (it was written after this element looked)"]
