"""Iterator outputs and flytekit's BatchSize annotation (flytesnacks' pickle_type.py uses both)."""
from typing import Annotated, Iterator

from hpcflow import BatchSize, map_task, task, workflow


class Hero:
    def __init__(self, name: str):
        self.name = name


@task
def heroes(names: list[str]) -> Annotated[list[Hero], BatchSize(2)]:
    return [Hero(n) for n in names]


@task
def greet(hs: list[Hero]) -> Iterator[str]:
    for h in hs:
        yield f"hello {h.name}"


@task
def shout(s: str) -> str:
    return s.upper()


@workflow
def greetings(names: list[str]) -> Iterator[str]:
    return greet(hs=heroes(names=names))


@workflow
def shouted(names: list[str]) -> list[str]:
    return map_task(shout)(s=greet(hs=heroes(names=names)))
