"""Workflows for bench/scale.py: a trivial map over n items and a reduce."""
from hpcflow import map_task, task, workflow


@task
def items(n: int) -> list[int]:
    return list(range(n))


@task
def ident(x: int) -> int:
    return x


@task
def count(xs: list[int]) -> int:
    return len(xs)


@workflow
def trivial(n: int) -> int:
    """n trivial elements, batched as the site's max_fanout decides, then one reduce."""
    return count(xs=map_task(ident)(x=items(n=n)))
