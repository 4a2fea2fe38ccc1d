"""Nested parallelism: a map task inside a sub-workflow inside a dynamic workflow."""
from hpcflow import dynamic, map_task, task, workflow


@task
def square(x: int) -> int:
    return x * x


@task
def total(values: list[int]) -> int:
    return sum(values)


@workflow
def sum_of_squares(xs: list[int]) -> int:
    return total(values=map_task(square)(x=xs))


@dynamic
def per_chunk(xs: list[int], chunk: int) -> list[int]:
    return [sum_of_squares(xs=xs[i:i + chunk]) for i in range(0, len(xs), chunk)]


@workflow
def chunked_sum_of_squares(xs: list[int] = [1, 2, 3, 4, 5, 6, 7], chunk: int = 3) -> int:
    return total(values=per_chunk(xs=xs, chunk=chunk))
