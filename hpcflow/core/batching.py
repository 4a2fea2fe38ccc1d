"""How many map elements go into one array task (pure)."""
from __future__ import annotations

import math


def batch_size_for(size: int, requested: int | None, max_fanout: int | None) -> int | None:
    """`requested` (map_task's batch_size) if given; else, above the fanout limit, the smallest
    batch that keeps the array at most `max_fanout` tasks; else None (one element per task)."""
    if requested:
        return requested
    if max_fanout and size > max_fanout:
        return math.ceil(size / max_fanout)
    return None


def batches(size: int, batch: int) -> int:
    """Array tasks needed for `size` elements in batches of `batch`."""
    return math.ceil(size / batch)


def batch_of(index: int, batch: int | None) -> int:
    """The array task that runs element `index`."""
    return index // batch if batch else index
