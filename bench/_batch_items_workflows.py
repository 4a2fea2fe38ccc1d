"""Workflows for bench/batch_items.py: a map of trivial items (the batch size is recorded per run)."""
from hpcflow import map_task, task, workflow


@task
def square(x: int) -> int:
    return x * x


@workflow
def squares(xs: list[int]) -> list[int]:
    """One trivial element per item."""
    return map_task(square)(x=xs)
