"""A task call's inputs and outputs as flyte passes them in a local run.

flyte turns every call's values into its literals and back, even in a local run, and its users
count on what that does: a plain dict given for a pydantic model or a dataclass arrives as the
model (its missing fields from their defaults), and a datetime arrives in UTC (a naive one taken
to be UTC already). hpcflow passes values as they are otherwise; this module does those
conversions, and only those, at each call, guided by the function's annotations.
"""
from __future__ import annotations

import dataclasses
import datetime
import types
import typing
from typing import Any, Callable, Optional

_HINTS: dict[Callable[..., Any], Optional[dict[str, Any]]] = {}


def _hints(func: Callable[..., Any]) -> Optional[dict[str, Any]]:
    """The function's resolved annotations (None when they cannot be resolved: then nothing is converted)."""
    if func not in _HINTS:
        try:
            _HINTS[func] = typing.get_type_hints(func)
        except Exception:  # an annotation naming something not importable: the values go as given
            _HINTS[func] = None
    return _HINTS[func]


def passed_inputs(func: Callable[..., Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """The inputs as the function receives them in a flyte run."""
    hints = _hints(func)
    if not hints:
        return inputs
    return {name: passed(value, hints[name]) if name in hints else value for name, value in inputs.items()}


def passed_output(func: Callable[..., Any], value: Any) -> Any:
    """The function's return value as its caller receives it in a flyte run (each of a tuple's values too)."""
    hints = _hints(func)
    if not hints or "return" not in hints:
        return value
    tp = hints["return"]
    if typing.get_origin(tp) is tuple and isinstance(value, tuple) and type(value) is tuple:
        args = typing.get_args(tp)
        if args and Ellipsis not in args and len(args) == len(value):
            return tuple(passed(v, t) for v, t in zip(value, args))
    return passed(value, tp)


def _is_model(tp: Any) -> bool:
    # pydantic is no dependency of hpcflow: a model class is known by its API
    return isinstance(tp, type) and hasattr(tp, "model_validate") and hasattr(tp, "model_fields")


def passed(value: Any, tp: Any) -> Any:
    """`value` as a parameter annotated `tp` receives it through flyte's literals (see the module's doc)."""
    if value is None or tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        members = [m for m in typing.get_args(tp) if m is not type(None)]
        exact = next((m for m in members if typing.get_origin(m) is None and isinstance(m, type)
                      and isinstance(value, m)), None)
        if exact is not None:
            return passed(value, exact)
        return passed(value, members[0]) if len(members) == 1 else value
    if tp is datetime.datetime and isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc)
    if isinstance(value, dict) and _is_model(tp):
        return tp.model_validate(value)
    if isinstance(value, dict) and dataclasses.is_dataclass(tp) and isinstance(tp, type):
        fields = _hints(tp) or {}
        return tp(**{k: passed(v, fields.get(k, Any)) for k, v in value.items()})
    args = typing.get_args(tp)
    if origin is list and args and isinstance(value, list):
        return [passed(v, args[0]) for v in value]
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        return {k: passed(v, args[1]) for k, v in value.items()}
    return value
