"""Workflows for bench/batch_items.py: a map of trivial items (the batch size is recorded per run)."""
from hpcflow import map_task, task, workflow


@task
def square(x: int) -> int:
    return x * x


@workflow
def squares(xs: list[int]) -> list[int]:
    """One trivial element per item."""
    return map_task(square)(x=xs)


@task(retries=1)
def square_retried(x: int) -> int:
    return x * x


@workflow
def squares_retried(xs: list[int]) -> list[int]:
    """The same with retries: each item's start is published at once (a kill must count its attempt)."""
    return map_task(square_retried)(x=xs)
