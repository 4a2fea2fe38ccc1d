"""Workloads for `hpcflow status --efficiency` and the monitoring commands (tests/slurm/test_monitoring.py)."""
import functools
import multiprocessing
import time
from typing import Optional

import numpy as np

from hpcflow import Resources, map_task, task, workflow


def _spin(seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end:
        pass


@task(requests=Resources(cpu="2", mem="2Gi"))
def burn(seconds: float) -> float:
    """Two CPUs busy for `seconds`, holding a 200 MB array."""
    block = np.ones(200 * 2**20 // 8)  # 200 MiB of float64, every page touched
    procs = [multiprocessing.Process(target=_spin, args=(seconds,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return float(block.sum())


@workflow
def burn_wf(seconds: float = 20.0) -> float:
    return burn(seconds=seconds)


@task
def maybe_fail(x: int) -> int:
    if x % 3 == 0:
        raise ValueError(f"x={x} is a multiple of three")
    if x == 4:
        raise KeyError("four")
    print(f"working on {x}")
    return x


@workflow
def some_fail(xs: list[int]) -> list[Optional[int]]:
    return map_task(maybe_fail, min_success_ratio=0.1)(x=xs)


@task
def chatty(lines: int) -> int:
    """Writes a line every half second, as a long computation reports its progress."""
    for i in range(lines):
        print(f"step {i} of {lines}", flush=True)
        time.sleep(0.5)
    return lines


@workflow
def chatty_wf(lines: int = 10) -> int:
    return chatty(lines=lines)


@task
def slow_square(x: int) -> int:
    time.sleep(3)
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def three_stages(xs: list[int]) -> int:
    return total(xs=map_task(slow_square)(x=map_task(slow_square)(x=xs)))


@task
def wait_for(path: str, x: int) -> int:
    """Runs until the file `path` exists (a test creates it): an element a test can catch mid-run."""
    import os

    while not os.path.exists(path):
        time.sleep(0.1)
    return x


@workflow
def waits_for_a_file(path: str, xs: list[int]) -> list[int]:
    return map_task(functools.partial(wait_for, path=path))(x=xs)
