"""The two stages bench/floor.py runs as an hpcflow workflow: N items squared, then summed."""
from hpcflow import map_task, task, workflow


@task
def square(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def squares_then_sum(xs: list[int]) -> int:
    return total(xs=map_task(square)(x=xs))
