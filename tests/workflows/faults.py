"""Workflows that exercise the local backend: concurrency, retries, timeouts, failures."""
import functools
import os
import time
from pathlib import Path
from typing import NamedTuple, Optional

from hpcflow import RecoverableError, map_task, task, trace, workflow


class Span(NamedTuple):
    start: float
    end: float
    pid: int


@task
def hold(x: int, seconds: float) -> Span:
    start = time.time()
    time.sleep(seconds)
    return Span(start, time.time(), os.getpid())


@workflow
def spans(xs: list[int], seconds: float = 0.4) -> tuple[list[float], list[float]]:
    s = map_task(functools.partial(hold, seconds=seconds), concurrency=2)(x=xs)
    return s.start, s.end


@task(retries=2)
def flaky(marker: str) -> int:
    """Fails on its first two attempts; counts attempts in a file so the test can see them."""
    path = Path(marker)
    attempts = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(attempts))
    if attempts < 3:
        raise RecoverableError(f"transient failure on attempt {attempts}")
    return attempts


@workflow
def retried(marker: str) -> int:
    return flaky(marker=marker)


@task(timeout=1)
def slow(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@task
def after(x: float) -> float:
    return x


@workflow
def timed_out(seconds: float = 30.0) -> float:
    return after(x=slow(seconds=seconds))


@task
def check(x: int) -> int:
    if x == 2:
        raise ValueError(f"bad element {x}")
    return x


@task
def total(xs: list[Optional[int]]) -> int:
    return sum(x for x in xs if x is not None)


@workflow
def one_bad_element(xs: list[int] = [0, 1, 2, 3]) -> int:
    return total(xs=map_task(check)(x=xs))


@workflow
def tolerated_bad_element(xs: list[int] = [0, 1, 2, 3]) -> int:
    return total(xs=map_task(check, min_success_ratio=0.75)(x=xs))


def _bump(path: Path) -> int:
    n = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(n))
    return n


@trace
def step(folder: str, i: int) -> int:
    _bump(Path(folder) / f"step{i}")
    return i * 10


@task(retries=1)
def stepper(folder: str) -> int:
    total = step(folder, 1) + step(folder, 2)
    if _bump(Path(folder) / "attempt") == 1:
        raise RecoverableError("lost the node after two steps")
    return total + step(folder, 3)


@workflow
def traced(folder: str) -> int:
    return stepper(folder=folder)


@task(timeout=2, retries=1)
def needs_three_seconds(x: int) -> int:
    """Overruns its first attempt's 2 s; the retry gets 4 s and finishes the same work."""
    time.sleep(3)
    return x + 1


@workflow
def timeout_then_more_time(x: int = 1) -> int:
    return needs_three_seconds(x=x)
