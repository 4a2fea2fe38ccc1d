"""Nested dynamic workflows: a dynamic of dynamics of a two-step sub-workflow.

`outer` fans out over groups, `inner` fans out over the items of one group, and every item
runs the two-step workflow `normalize -> score`.
"""
from hpcflow import dynamic, task, workflow


@task
def normalize(x: int, scale: int) -> float:
    return x / scale


@task
def score(value: float, bonus: float) -> float:
    return round(value * value + bonus, 6)


@workflow
def two_step(x: int, scale: int, bonus: float = 0.5) -> float:
    return score(value=normalize(x=x, scale=scale), bonus=bonus)


@dynamic
def inner(items: list[int], scale: int) -> list[float]:
    # Items are concrete here, so a Python loop builds one sub-workflow per item.
    return [two_step(x=x, scale=scale) for x in items]


@task
def flatten(groups: list[list[float]]) -> list[float]:
    return [v for g in groups for v in g]


@dynamic
def outer(groups: list[list[int]], scale: int) -> list[float]:
    return flatten(groups=[inner(items=g, scale=scale) for g in groups if g])


@workflow
def nested_dynamic(groups: list[list[int]] = [[1, 2], [3], [4, 5, 6]], scale: int = 2) -> list[float]:
    return outer(groups=groups, scale=scale)
