"""Workflows for bench/faults.py: the same interruptible work with and without @trace."""
import functools
import os
import time

from hpcflow import Resources, map_task, task, trace, workflow

STEP_SECONDS = 4.0
STEPS = 6


def _step(folder: str, x: int, step: int) -> int:
    with open(os.path.join(folder, f"x{x}-step{step}"), "a") as fh:
        fh.write("x")
    time.sleep(STEP_SECONDS)
    return step


traced_step = trace(_step)


@task(interruptible=True, requests=Resources(cpu="2"))
def with_trace(x: int, folder: str) -> int:
    return sum(traced_step(folder, x, s) for s in range(STEPS))


@task(interruptible=True, requests=Resources(cpu="2"))
def without_trace(x: int, folder: str) -> int:
    return sum(_step(folder, x, s) for s in range(STEPS))


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def traced_map(xs: list[int], folder: str) -> int:
    return total(xs=map_task(functools.partial(with_trace, folder=folder))(x=xs))


@workflow
def untraced_map(xs: list[int], folder: str) -> int:
    return total(xs=map_task(functools.partial(without_trace, folder=folder))(x=xs))
