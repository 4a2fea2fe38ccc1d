"""Workflows for the fault-injection tests on the real cluster (tests/slurm/test_chaos.py)."""
import functools
import os
import time

from hpcflow import Resources, map_task, task, workflow


@task(retries=2)
def steady(x: int, seconds: int) -> int:
    time.sleep(seconds)
    return x * 10


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def retried_map(xs: list[int], seconds: int = 8) -> int:
    return total(xs=map_task(functools.partial(steady, seconds=seconds))(x=xs))


@task
def first_fails_once(x: int, folder: str) -> int:
    """On its first run, element 0 fails once the others are running; they then take 20 s more."""
    marker = os.path.join(folder, "failed-once")
    if x != 0:
        open(os.path.join(folder, f"running-{x}"), "w").close()
        time.sleep(20)
        return x
    if not os.path.exists(marker):
        deadline = time.time() + 120
        while time.time() < deadline and not all(os.path.exists(os.path.join(folder, f"running-{i}")) for i in (1, 2)):
            time.sleep(0.2)
        open(marker, "w").close()
        raise ValueError("element 0 fails the first time")
    return x


@workflow
def fails_while_others_run(xs: list[int], folder: str) -> int:
    return total(xs=map_task(functools.partial(first_fails_once, folder=folder))(x=xs))


@task
def inc(x: int) -> int:
    return x + 1


@workflow
def three_steps(x: int = 1) -> int:
    return inc(x=inc(x=inc(x=x)))


@task(requests=Resources(mem="128Mi"), retries=1)
def needs_180_mib(x: int) -> int:
    """Over its first --mem=128M (a real OUT_OF_MEMORY); the retry gets twice the memory."""
    block = bytearray(180 * 2**20)
    for i in range(0, len(block), 4096):  # touch every page, so the memory is really used
        block[i] = 1
    return x + len(block) // 2**20


@workflow
def out_of_memory_then_more(x: int = 0) -> int:
    return needs_180_mib(x=x)


@task(retries=2)
def plus_one(x: int) -> int:
    return x + 1


@workflow
def retried_chain(x: int = 0) -> int:
    """Four nodes, each with retries=2: with nothing failing, four jobs and nothing else."""
    return plus_one(x=plus_one(x=plus_one(x=plus_one(x=x))))


@task(requests=Resources(mem="128Mi"), retries=1)
def map_needs_180_mib(x: int) -> int:
    """Element 1 goes over its first --mem=128M; the others fit."""
    if x == 1:
        block = bytearray(180 * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
    return x * 10


@workflow
def out_of_memory_in_a_chain(xs: list[int]) -> list[int]:
    """Element 1 of the first map is resubmitted with more memory; element 1 of the second, which
    waits on it element-wise (aftercorr), must wait for that resubmission, not start early."""
    return map_task(inc)(x=map_task(map_needs_180_mib)(x=xs))
