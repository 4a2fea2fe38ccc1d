"""Type checks, coercion of CLI values, and interfaces read from annotations."""
from __future__ import annotations

import dataclasses
import enum
import typing
from typing import NamedTuple, Optional, Union

import numpy as np
import pytest

from hpcflow.errors import WorkflowDefinitionError
from hpcflow.types.check import assignable, coerce, conforms, is_pickled_type, unsupported_reason
from hpcflow.types.interface import interface_of
from type_cases import Color, Crate, Fruit


class Pair(NamedTuple):
    a: int
    b: str


@dataclasses.dataclass
class Config:
    name: str
    weights: list[float]


class Level(enum.Enum):
    LOW = 1


class Plain:
    def __init__(self, v: int):
        self.v = v


@pytest.mark.parametrize("value,tp,ok", [
    (1, int, True), (True, int, False), (1, float, True), (1.5, int, False), ("x", str, True),
    ([1, 2], list[int], True), ([1, "2"], list[int], False), ({"a": 1.0}, dict[str, float], True),
    (None, Optional[int], True), (3, Optional[int], True), (None, int, False),
    (np.zeros(3), np.ndarray, True), ([0.0], np.ndarray, False), (Pair(1, "x"), Pair, True),
    (Color.RED, Color, True), ("red", Color, True), ("green", Color, False), ({1: "a"}, dict[int, str], True),
    ({"1": "a"}, dict[int, str], False), (Plain(1), Plain, True), ({1}, set[int], True), ([Plain(1)], list[Plain], True),
])
def test_conforms(value, tp, ok):
    assert conforms(value, tp) is ok


@pytest.mark.parametrize("src,dst,ok", [
    (int, float, True), (float, int, False), (list[int], list[float], True), (int, Optional[int], True),
    (Optional[int], int, False), (list[Optional[bool]], list[bool], False), (str, list[str], False),
])
def test_assignable(src, dst, ok):
    assert assignable(src, dst) is ok


def test_coerce_builds_records_and_arrays_from_json():
    assert coerce({"name": "x", "weights": [1, 2]}, Config) == Config("x", [1.0, 2.0])
    assert coerce([1, "b"], Pair) == Pair(1, "b")
    np.testing.assert_array_equal(coerce([[1, 2], [3, 4]], np.ndarray), np.array([[1, 2], [3, 4]]))
    with pytest.raises(ValueError, match="expected int, got 'abc'"):
        coerce("abc", int)
    with pytest.raises(ValueError, match="no field"):
        coerce({"name": "x", "weights": [], "extra": 1}, Config)


def test_coerce_builds_enums_and_nested_dataclasses_from_json():
    assert coerce("red", Color) is Color.RED and coerce(Color.BLUE, Color) is Color.BLUE
    assert coerce(["red", "blue"], list[Color]) == [Color.RED, Color.BLUE]
    assert coerce({"a": [{"name": "x", "color": "blue"}]}, dict[str, list[Fruit]]) == {"a": [Fruit("x", Color.BLUE)]}
    assert coerce([{"k": {"name": "y"}}], list[dict[str, Fruit]]) == [{"k": Fruit("y")}]
    assert coerce(None, Optional[Fruit]) is None and coerce({"name": "z"}, Optional[Fruit]) == Fruit("z")
    assert coerce({"fruits": [{"name": "p"}], "best": {"name": "q"}, "shelves": {"2": "p"}}, Crate) == \
        Crate([Fruit("p")], Fruit("q"), {2: "p"})  # JSON keys are strings; dict[int, ...] gets ints
    with pytest.raises(ValueError, match="expected Color, one of 'red', 'blue'; got 'green'"):
        coerce("green", Color)
    with pytest.raises(ValueError, match="Fruit needs field\\(s\\) name"):
        coerce({"fruits": [{"color": "red"}]}, Crate)
    with pytest.raises(ValueError, match="a Plain cannot be made from .* travels as a pickle"):
        coerce({"v": 1}, Plain)


def test_unsupported_types_are_named():
    assert "not supported" in unsupported_reason(Union[int, typing.Literal["a"]])
    assert unsupported_reason(Union[int, str]) is None  # tests/test_unions.py
    assert "only string-valued Enums are supported" in unsupported_reason(list[Level])  # flytekit's rule too
    assert unsupported_reason(list[dict[str, Optional[Config]]]) is None
    assert unsupported_reason(dict[str, list[Crate]]) is None and unsupported_reason(dict[int, str]) is None


def test_classes_without_a_data_form_travel_as_pickles_as_in_flytekit():
    assert all(is_pickled_type(tp) for tp in (Plain, set, set[int], frozenset))
    assert not any(is_pickled_type(tp) for tp in (int, Color, Fruit, list[Plain], dict[str, Plain], Optional[Fruit],
                                                  tuple[int, str]))


def test_tuples_stay_tuples():
    assert coerce([1, "2"], tuple[float, str]) == (1.0, "2") and coerce([1, 2, 3], tuple[int, ...]) == (1, 2, 3)
    with pytest.raises(ValueError, match=r"expected tuple\[int, str\] of 2 items, got 3"):
        coerce([1, "a", 3], tuple[int, str])
    assert unsupported_reason(tuple[int, Union[int, str]]) is None


def test_interface_reads_tuple_and_namedtuple_outputs():
    def f(x: int, y: float = 2.0) -> tuple[int, str]: ...
    def g(x: int) -> Pair: ...
    fi, gi = interface_of(f, "f"), interface_of(g, "g")
    assert fi.output_names == ("o0", "o1") and fi.param("y").default == 2.0
    assert gi.output_names == ("a", "b") and gi.join({"a": 1, "b": "x"}) == Pair(1, "x")


def test_interface_errors_name_the_parameter():
    def no_annotation(x): ...
    def bad_type(x: Union[int, typing.Literal["a"]]) -> int: ...
    def int_enum(x: int) -> Level: ...
    with pytest.raises(WorkflowDefinitionError, match="'x' has no type. Please add a type annotation"):
        interface_of(no_annotation, "task 'no_annotation'")
    with pytest.raises(WorkflowDefinitionError, match="task 'bad_type': parameter 'x': type "):
        interface_of(bad_type, "task 'bad_type'")
    with pytest.raises(WorkflowDefinitionError, match="task 'int_enum': return type: Enum Level has members with "
                                                      "non-string values \\(LOW\\)"):
        interface_of(int_enum, "task 'int_enum'")


def test_enums_and_strs_pass_for_each_other_between_tasks_as_in_flytekit():
    from hpcflow.types.check import adapt

    assert assignable(Color, str) and assignable(str, Color) and assignable(Color, Optional[str])
    assert not assignable(list[Color], list[str]) and not assignable(Color, int)  # only at the top level
    assert adapt(Color.RED, str) == "red" and adapt("blue", Optional[Color]) is Color.BLUE and adapt(None, Optional[Color]) is None
    with pytest.raises(ValueError, match="expected Color, one of 'red', 'blue'; got 'green'"):
        adapt("green", Color)

    def f(c: Color, s: str, n: int) -> str: ...
    assert interface_of(f, "f").adapt({"c": "red", "s": Color.BLUE, "n": 1}) == {"c": Color.RED, "s": "blue", "n": 1}
