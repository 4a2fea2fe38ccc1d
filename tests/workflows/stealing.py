"""Small maps of trivial elements whose array tasks steal each other's elements (runtime/stealing.py).
Each map runs at most two array tasks at a time (concurrency=2, Slurm's %2), so that when the first task
has run its own element, the top of the map has not started: what it steals is certain, not a race."""
import functools
import os
import time

from hpcflow import map_task, task, workflow


@task
def square(x: int) -> int:
    return x * x


@task
def square_but(x: int, bad: int) -> int:
    if x == bad:
        raise ValueError(f"element {x} refuses")
    return x * x


@task
def square_stuck_once(x: int, slow: int, flag: str) -> int:
    """Element `slow` hangs the first time it runs (it leaves `flag`, with its pid): a killed thief's element."""
    if x == slow and not os.path.exists(flag):
        with open(flag, "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(600)
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def two_at_a_time(xs: list[int]) -> int:
    return total(xs=map_task(square, concurrency=2)(x=xs))


@workflow
def one_refuses(xs: list[int], bad: int) -> int:
    return total(xs=map_task(functools.partial(square_but, bad=bad), concurrency=2)(x=xs))


@workflow
def one_stuck_once(xs: list[int], slow: int, flag: str) -> int:
    return total(xs=map_task(functools.partial(square_stuck_once, slow=slow, flag=flag), concurrency=2)(x=xs))
