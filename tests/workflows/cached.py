"""A workflow whose every task is cached, for cache tests (copied to a temp dir and edited there)."""
import functools
import os
import time
from pathlib import Path

import numpy as np

from hpcflow import map_task, task, workflow


def _count(name: str) -> None:
    """Append to $COUNTS_DIR/<name> so tests can see how often a task really ran."""
    folder = os.environ.get("COUNTS_DIR")
    if folder:
        with open(Path(folder) / name, "a") as fh:
            fh.write("x")


@task(cache=True, cache_version="1")
def scale(x: int, factor: int) -> int:
    _count("scale")
    return x * factor


@task(cache=True, cache_version="1")
def square(x: int) -> int:
    _count("square")
    return x * x


@task(cache=True, cache_version="1")
def add_up(xs: list[int]) -> int:
    _count("add_up")
    return sum(xs)


@workflow
def pipeline(xs: list[int], factor: int = 2) -> int:
    scaled = map_task(functools.partial(scale, factor=factor))(x=xs)
    return add_up(xs=map_task(square)(x=scaled))


@task(cache=True, cache_version="1", cache_serialize=True)
def slow_once(x: int) -> np.ndarray:
    _count("slow_once")
    time.sleep(3)
    return np.full(4, float(x))


@workflow
def serialized(x: int = 7) -> float:
    return float_sum(a=slow_once(x=x))


@task
def float_sum(a: np.ndarray) -> float:
    return float(a.sum())


@workflow
def two_identical(x: int = 5) -> list[np.ndarray]:
    return map_task(slow_once)(x=[x, x])
