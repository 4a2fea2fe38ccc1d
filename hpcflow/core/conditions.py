"""Conditions of flytekit's `conditional`: comparisons of promises and constants, joined with
`&` and `|`. Built while a workflow is traced; evaluated when the values are known. Pure."""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Callable

from hpcflow.errors import WorkflowDefinitionError

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "is": operator.is_,
}


class Condition:
    """A condition; `&` and `|` join two of them (Python's `and`/`or` cannot: they need a bool now)."""

    def __and__(self, other: "Condition") -> "Condition":
        return Junction("&", self, _condition(other))

    def __or__(self, other: "Condition") -> "Condition":
        return Junction("|", self, _condition(other))

    def __bool__(self) -> bool:
        raise WorkflowDefinitionError("a condition has no value while the workflow is compiled: join conditions with "
                                      "& and | (not `and`/`or`), and compare one value at a time (not a < b < c)")

    def evaluate(self, value: Callable[[Any], Any]) -> bool:
        """The condition's truth, with `value(operand)` giving each operand's value."""
        raise NotImplementedError

    def operands(self) -> list[Any]:
        """Every operand, in order."""
        raise NotImplementedError


@dataclass(eq=False)
class Comparison(Condition):
    """`left op right`; an operand is a promise (until made a binding) or a constant."""

    op: str
    left: Any
    right: Any

    def evaluate(self, value: Callable[[Any], Any]) -> bool:
        return bool(_OPS[self.op](value(self.left), value(self.right)))

    def operands(self) -> list[Any]:
        return [self.left, self.right]


@dataclass(eq=False)
class Junction(Condition):
    """`a & b` or `a | b`."""

    op: str
    a: Condition
    b: Condition

    def evaluate(self, value: Callable[[Any], Any]) -> bool:
        if self.op == "&":
            return self.a.evaluate(value) and self.b.evaluate(value)
        return self.a.evaluate(value) or self.b.evaluate(value)

    def operands(self) -> list[Any]:
        return self.a.operands() + self.b.operands()


def _condition(other: Any) -> Condition:
    if not isinstance(other, Condition):
        raise WorkflowDefinitionError(f"& and | join conditions (comparisons of promises), not {other!r}")
    return other


def rebuild(condition: Condition, operand: Callable[[Any], Any]) -> Condition:
    """The same condition with each operand replaced by `operand(it)` (promises become bindings)."""
    if isinstance(condition, Comparison):
        return Comparison(condition.op, operand(condition.left), operand(condition.right))
    assert isinstance(condition, Junction)
    return Junction(condition.op, rebuild(condition.a, operand), rebuild(condition.b, operand))
