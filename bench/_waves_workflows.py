"""The same work in three forms, for bench/waves.py: N items through a task, then their sum; and the same twice
in a row (two dependent stages)."""
import asyncio

from hpcflow import dynamic, eager, map_task, task, workflow


@task
def work(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def static_form(xs: list[int]) -> int:
    """What a flytekit user writes today: a map and a reduce, compiled to two arrays at submit."""
    return total(xs=map_task(work)(x=map_task(work)(x=xs)))


@dynamic
def dynamic_inner(xs: list[int]) -> int:
    return total(xs=map_task(work)(x=map_task(work)(x=xs)))


@workflow
def dynamic_form(xs: list[int]) -> int:
    """The @dynamic form: a job that compiles the same two maps at run time."""
    return dynamic_inner(xs=xs)


@eager
async def eager_form(xs: list[int]) -> int:
    """Tasks that call tasks: two waves of gathered children, then the sum (a third wave of one)."""
    squares = await asyncio.gather(*[work(x=x) for x in xs])
    fourths = await asyncio.gather(*[work(x=y) for y in squares])
    return await total(xs=list(fourths))
