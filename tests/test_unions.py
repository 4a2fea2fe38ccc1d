"""typing.Union beyond Optional, as flytekit takes it: a task may return any member, a promise of a
Union may feed a parameter one of its members fits (flytekit checks the value when it crosses),
and values travel as themselves (the codec is self-describing, so nothing is tagged)."""
from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Optional, Union

import pytest

from hpcflow import task, workflow
from hpcflow.errors import TypeMismatchError, WorkflowDefinitionError
from hpcflow.types.check import coerce, type_name


@dataclass
class Point:
    x: int


@task
def pick(k: int) -> Union[Point, int, list[str]]:
    return Point(k) if k == 0 else (k if k == 1 else ["s"] * k)


@task
def show(v: Union[Point, int, list[str]]) -> str:
    return type(v).__name__


@task
def widen(a: int) -> int | str:
    return a if a > 0 else str(a)


@workflow
def picks(k: int) -> str:
    return show(v=pick(k=k))


@workflow
def widened(a: int) -> typing.Union[int, str]:
    return widen(a=a)


def test_each_member_travels_as_itself_in_process():
    assert [picks(k=k) for k in range(3)] == ["Point", "int", "list"]
    assert widened(a=2) == 2 and widened(a=-10) == "-10"


def test_hpcflow_run_carries_each_member_and_takes_them_from_the_command_line(hpcflow):
    for k, name in ((0, "Point"), (1, "int"), (2, "list")):
        res = hpcflow("run", f"{__file__}:picks", "--k", str(k), "--json")
        assert res.code == 0 and res.json["outputs"] == {"o0": name}, res.stderr
    res = hpcflow("run", f"{__file__}:widened", "-i", "a=-3", "--json")
    assert res.json["outputs"] == {"o0": "-3"}


def test_union_checks_and_names():
    assert type_name(Union[Point, int, None]) == "Point | int | None"
    assert coerce(3, Union[int, str]) == 3 and coerce("3", Union[int, str]) == "3"
    assert coerce({"x": 1}, Union[int, Point]) == Point(1)
    with pytest.raises(ValueError, match="expected int | str"):
        coerce([1], Union[int, str])

    @task
    def wants_str(s: str) -> str:
        return s

    def no_member_fits() -> str:
        return wants_str(s=pick(k=1))

    with pytest.raises(TypeMismatchError, match="expected str, got a promise of Point | int | list"):
        workflow(no_member_fits).graph
    with pytest.raises(WorkflowDefinitionError, match="parameter 'x': type Literal"):
        workflow(_bad_union).graph


def _bad_union(x: Union[int, typing.Literal["a"]]) -> int:
    return widen(a=x)


def test_optional_of_a_union():
    @task
    def t(a: Union[int, Optional[list[int]], None] = None) -> Union[int, Optional[list[int]], None]:
        return a

    @workflow
    def wf(a: Optional[int] = 1) -> Optional[int]:
        return t(a=a)

    assert wf() == 1 and wf(a=None) is None
