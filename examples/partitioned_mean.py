"""A partitioned mean: split the data, sum each part in a map task, combine the parts.

Every task is cached, so a re-run with the same inputs runs nothing.

Run it:  hpcflow run examples/partitioned_mean.py:partitioned_mean -i n=1000000 -i parts=8
"""
from typing import NamedTuple

import numpy as np

from hpcflow import Resources, map_task, task, workflow


class PartialSum(NamedTuple):
    total: float
    count: int


@task(cache=True, cache_version="1")
def make_data(n: int, seed: int) -> np.ndarray:
    """n uniform samples on [0, 100)."""
    return np.random.default_rng(seed).uniform(0.0, 100.0, size=n)


@task(cache=True, cache_version="1")
def partition(data: np.ndarray, parts: int) -> list[np.ndarray]:
    """Split the data into `parts` nearly equal pieces."""
    return list(np.array_split(data, parts))


@task(cache=True, cache_version="1", requests=Resources(cpu="1", mem="500Mi"))
def partial_sum(part: np.ndarray) -> PartialSum:
    """Sum and count of one piece: one array element per piece on a cluster."""
    return PartialSum(total=float(part.sum()), count=int(part.size))


@task(cache=True, cache_version="1")
def combine(totals: list[float], counts: list[int]) -> float:
    """The overall mean from the per-piece sums."""
    return sum(totals) / sum(counts)


@workflow
def partitioned_mean(n: int = 1_000_000, parts: int = 8, seed: int = 42) -> float:
    """Mean of n samples, computed piecewise."""
    data = make_data(n=n, seed=seed)
    pieces = partition(data=data, parts=parts)
    sums = map_task(partial_sum, concurrency=4)(part=pieces)
    return combine(totals=sums.total, counts=sums.count)
