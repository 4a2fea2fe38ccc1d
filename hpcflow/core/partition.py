"""Picking the partition a job fits in (pure)."""
from __future__ import annotations

from hpcflow.core.plan import ResourceRequest
from hpcflow.errors import HpcflowError
from hpcflow.site.config import Partition, SiteConfig


class NoPartitionFits(HpcflowError):
    """No partition of the site can hold a job's request."""


def fits(p: Partition, req: ResourceRequest, time_s: float | None) -> bool:
    """True when one node of `p` can hold the request for the time asked."""
    return (req.cpus <= p.cpus and (req.mem_bytes or 0) <= p.mem_bytes and req.gpus <= p.gpus
            and (time_s is None or p.max_time_s is None or time_s <= p.max_time_s))


def pick_partition(site: SiteConfig, req: ResourceRequest, time_s: float | None, what: str) -> Partition:
    """The partition for a job: the default first, GPU partitions only for GPU jobs, else the smallest fit."""
    candidates = [p for p in site.partitions if fits(p, req, time_s)]
    if req.gpus == 0:
        candidates = sorted(candidates, key=lambda p: (p.gpus > 0, not p.default))
    else:
        candidates = sorted(candidates, key=lambda p: (not p.default, p.gpus))
    if not candidates:
        mem = f"{(req.mem_bytes or 0) / 2**30:.1f} GiB"
        limits = "; ".join(f"{p.name}: {p.cpus} cpus, {p.mem_bytes / 2**30:.1f} GiB, {p.gpus} gpus" for p in site.partitions)
        raise NoPartitionFits(f"{what} asks for {req.cpus} cpus, {mem}, {req.gpus} gpus"
                              f"{'' if time_s is None else f', {time_s:.0f} s'}; no partition of site "
                              f"'{site.name}' fits ({limits}); lower the request or add a partition")
    return candidates[0]
