"""Type checks, coercion of CLI values, and interfaces read from annotations."""
from __future__ import annotations

import dataclasses
from typing import NamedTuple, Optional

import numpy as np
import pytest

from hpcflow.errors import WorkflowDefinitionError
from hpcflow.types.check import assignable, coerce, conforms, unsupported_reason
from hpcflow.types.interface import interface_of


class Pair(NamedTuple):
    a: int
    b: str


@dataclasses.dataclass
class Config:
    name: str
    weights: list[float]


@pytest.mark.parametrize("value,tp,ok", [
    (1, int, True), (True, int, False), (1, float, True), (1.5, int, False), ("x", str, True),
    ([1, 2], list[int], True), ([1, "2"], list[int], False), ({"a": 1.0}, dict[str, float], True),
    (None, Optional[int], True), (3, Optional[int], True), (None, int, False),
    (np.zeros(3), np.ndarray, True), ([0.0], np.ndarray, False), (Pair(1, "x"), Pair, True),
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


def test_unsupported_types_are_named():
    assert "not supported" in unsupported_reason(set)
    assert "dict keys must be str" in unsupported_reason(dict[int, int])
    assert unsupported_reason(list[dict[str, Optional[Config]]]) is None


def test_interface_reads_tuple_and_namedtuple_outputs():
    def f(x: int, y: float = 2.0) -> tuple[int, str]: ...
    def g(x: int) -> Pair: ...
    fi, gi = interface_of(f, "f"), interface_of(g, "g")
    assert fi.output_names == ("o0", "o1") and fi.param("y").default == 2.0
    assert gi.output_names == ("a", "b") and gi.join({"a": 1, "b": "x"}) == Pair(1, "x")


def test_interface_errors_name_the_parameter():
    def no_annotation(x): ...
    def bad_type(x: set) -> int: ...
    with pytest.raises(WorkflowDefinitionError, match="parameter 'x' has no type annotation"):
        interface_of(no_annotation, "task 'no_annotation'")
    with pytest.raises(WorkflowDefinitionError, match="task 'bad_type': parameter 'x': type set"):
        interface_of(bad_type, "task 'bad_type'")
