"""Workflows for max_parallelism (tests/test_compile.py, tests/slurm/test_max_parallelism.py)."""
import time

from hpcflow import map_task, task, workflow


@task
def slow_inc(x: int) -> int:
    time.sleep(1)
    return x + 1


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def two_maps_chained(xs: list[int]) -> int:
    """Element i of the second map needs only element i of the first: they overlap (aftercorr)."""
    return total(xs=map_task(slow_inc)(x=map_task(slow_inc)(x=xs)))


@workflow
def two_maps_apart(xs: list[int]) -> int:
    """The second map waits for a reduce of the first: they never overlap."""
    first = total(xs=map_task(slow_inc)(x=xs))
    return total(xs=map_task(slow_inc)(x=[first]))
