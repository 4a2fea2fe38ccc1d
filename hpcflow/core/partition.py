"""Picking the partition a job fits in (pure)."""
from __future__ import annotations

from hpcflow.core.plan import ResourceRequest
from hpcflow.errors import HpcflowError
from hpcflow.site.config import Partition, SiteConfig


class NoPartitionFits(HpcflowError):
    """No partition of the site can hold a job's request."""


def fits(p: Partition, req: ResourceRequest, time_s: float | None) -> bool:
    """True when one node of `p` can hold the request for the time asked."""
    return not misfit(p, req, time_s)


def misfit(p: Partition, req: ResourceRequest, time_s: float | None) -> str:
    """Why `p` cannot hold the request ('' when it can): the first limit it is over."""
    if req.cpus > p.cpus:
        return f"{p.cpus} cpus per node < {req.cpus}"
    if (req.mem_bytes or 0) > p.mem_bytes:
        return f"{p.mem_bytes / 2**30:.1f} GiB per node < {(req.mem_bytes or 0) / 2**30:.1f} GiB"
    if req.gpus > p.gpus:
        return f"{p.gpus} gpus per node < {req.gpus}"
    if req.gpus and req.gpu_type and gpu_type_of(p, req.gpu_type) is None:
        return f"GPU types {', '.join(p.gpu_types)}, not {req.gpu_type}" if p.gpu_types else \
            f"no GPU types listed (gpu_types), not {req.gpu_type}"
    if time_s is not None and p.max_time_s is not None and time_s > p.max_time_s:
        return f"MaxTime {_hours(p.max_time_s)}"
    return ""


def gpu_type_of(p: Partition, wanted: str) -> str | None:
    """The partition's own spelling of GPU type `wanted` (A100 is the site's a100), or None if it has none."""
    return next((t for t in p.gpu_types if t.lower() == wanted.lower()), None)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def pick_partition(site: SiteConfig, req: ResourceRequest, time_s: float | None, what: str) -> Partition:
    """The partition for a job: the default first, GPU partitions only for GPU jobs, else the smallest fit."""
    candidates = [p for p in site.partitions if fits(p, req, time_s)]
    if req.gpus == 0:
        candidates = sorted(candidates, key=lambda p: (p.gpus > 0, not p.default))
    else:
        candidates = sorted(candidates, key=lambda p: (not p.default, p.gpus))
    if not candidates:
        asked = [f"{req.cpus} cpus", *([f"{req.mem_bytes / 2**30:.1f} GiB"] if req.mem_bytes else []),
                 *([f"{req.gpus} {req.gpu_type + ' ' if req.gpu_type else ''}gpus"] if req.gpus else [])]
        why = "; ".join(f"{p.name}: {misfit(p, req, time_s)}" for p in site.partitions)
        raise NoPartitionFits(f"{what} asks for {', '.join(asked)}"
                              f"{'' if time_s is None else f' for {_hours(time_s)} (every attempt and the margin)'}; no partition of site "
                              f"'{site.name}' fits ({why}); lower the request or the timeout, or add a partition")
    return candidates[0]


def named_partition(site: SiteConfig, name: str, req: ResourceRequest, time_s: float | None, what: str) -> Partition:
    """The partition a task names itself (sbatch_conf's partition), checked against the site and the request."""
    found = next((p for p in site.partitions if p.name == name), None)
    if found is None:
        known = ", ".join(p.name for p in site.partitions) or "none"
        raise NoPartitionFits(f"{what}: sbatch_conf names partition '{name}', which site '{site.name}' ({site.path}) "
                              f"does not have; its partitions: {known}; name one of them, or add it to the site config")
    why = misfit(found, req, time_s)
    if why:
        mem = f"{(req.mem_bytes or 0) / 2**30:.1f} GiB"
        asked = f"{req.cpus} cpus, {mem}, {req.gpus} gpus" + ("" if time_s is None else f" for {_hours(time_s)}")
        raise NoPartitionFits(f"{what} asks for {asked}; partition '{name}' of site '{site.name}' cannot hold it "
                              f"({why}); lower the request, or name another partition")
    return found
