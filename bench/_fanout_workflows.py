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


BATCH = 25_000  # 100,000 items in 4 array tasks of 2 CPUs: the 8 CPUs of the dev cluster


@workflow
def batched(n: int) -> int:
    """n items in array tasks of BATCH, each spread over 2 CPUs by Dask."""
    return count(xs=map_task(ident, batch_size=BATCH)(x=items(n=n)))


@task
def ident1(x: int) -> int:
    return x


@workflow
def one_per_item(n: int) -> int:
    """One array task per item."""
    return count(xs=map_task(ident1)(x=items(n=n)))
