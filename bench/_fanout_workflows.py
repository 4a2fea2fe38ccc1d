"""Workflows for bench/fanout.py: a trivial function over many items."""
from hpcflow import Resources, map_task, task, workflow


@task(requests=Resources(cpu="2"))
def ident(x: int) -> int:
    return x


@task
def items(n: int) -> list[int]:
    return list(range(n))


@task
def count(xs: list[int]) -> int:
    return len(xs)


@workflow
def batched(n: int, batch: int = 25_000) -> int:
    """n items in array tasks of `batch`, each spread over 2 CPUs by Dask."""
    return count(xs=map_task(ident, batch_size=batch)(x=items(n=n)))


@task
def ident1(x: int) -> int:
    return x


@workflow
def one_per_item(n: int) -> int:
    """One array task per item."""
    return count(xs=map_task(ident1)(x=items(n=n)))
