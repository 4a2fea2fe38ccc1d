"""Checks values and types against the supported annotation subset.

Supported: int, float, str, bool, None, list[T], dict[str, T], Optional[T],
NamedTuple classes, dataclasses, numpy.ndarray and typing.Any.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from hpcflow.types.custom import custom_type
from hpcflow.types.files import Directory, File
from hpcflow.types.lazy_numpy import is_array, is_array_type, loaded_numpy

NoneType = type(None)
_PRIMITIVES = (int, float, str, bool)


def type_name(tp: Any) -> str:
    """A short, readable name for an annotation, for error messages."""
    if tp is NoneType:
        return "None"
    if tp is Any:
        return "Any"
    inner = optional_inner(tp)
    if inner is not None:
        return f"Optional[{type_name(inner)}]"
    origin = typing.get_origin(tp)
    if origin in (list, dict):
        args = ", ".join(type_name(a) for a in typing.get_args(tp))
        return f"{origin.__name__}[{args}]" if args else origin.__name__
    if is_array_type(tp):
        return "numpy.ndarray"
    return getattr(tp, "__name__", repr(tp))


def value_type_name(value: Any) -> str:
    """The type name of a concrete value, for error messages."""
    return "None" if value is None else type(value).__name__


def optional_inner(tp: Any) -> Any | None:
    """T for Optional[T] (or T | None), else None."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not NoneType]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0]
    return None


def is_namedtuple(tp: Any) -> bool:
    """True for classes made by typing.NamedTuple or collections.namedtuple."""
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


def namedtuple_fields(tp: type) -> dict[str, Any]:
    """Field names and annotations of a NamedTuple class (Any where unannotated)."""
    hints = typing.get_type_hints(tp) if getattr(tp, "__annotations__", None) else {}
    return {f: hints.get(f, Any) for f in tp._fields}


def dataclass_fields(tp: type) -> dict[str, Any]:
    """Field names and resolved annotations of a dataclass."""
    hints = typing.get_type_hints(tp)
    return {f.name: hints.get(f.name, Any) for f in dataclasses.fields(tp)}


def is_ndarray_type(tp: Any) -> bool:
    """True for numpy.ndarray and numpy.typing.NDArray[...] annotations."""
    return is_array_type(tp)


def unsupported_reason(tp: Any) -> str | None:
    """None when hpcflow can carry values of this type, else why not."""
    if tp is Any or tp is NoneType or tp in _PRIMITIVES or is_ndarray_type(tp) or custom_type(tp):
        return None
    inner = optional_inner(tp)
    if inner is not None:
        return unsupported_reason(inner)
    origin = typing.get_origin(tp)
    if origin is list or tp is list:
        args = typing.get_args(tp)
        return unsupported_reason(args[0]) if args else None
    if origin is dict or tp is dict:
        args = typing.get_args(tp)
        if args and args[0] is not str:
            return f"dict keys must be str, not {type_name(args[0])}"
        return unsupported_reason(args[1]) if args else None
    if is_namedtuple(tp):
        return _first(unsupported_reason(t) for t in namedtuple_fields(tp).values())
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _first(unsupported_reason(t) for t in dataclass_fields(tp).values())
    return (f"type {type_name(tp)} is not supported; use int, float, str, bool, list, dict, "
            "Optional, a NamedTuple, a dataclass or numpy.ndarray")


def _first(reasons: Any) -> str | None:
    return next((r for r in reasons if r), None)


def conforms(value: Any, tp: Any) -> bool:
    """True when a concrete value may be passed where `tp` is expected."""
    if tp is Any:
        return True
    if value is None:
        return tp is NoneType or optional_inner(tp) is not None
    inner = optional_inner(tp)
    if inner is not None:
        return conforms(value, inner)
    if tp is bool:
        np = loaded_numpy()
        return isinstance(value, bool) or (np is not None and isinstance(value, np.bool_))
    if tp is int:
        np = loaded_numpy()
        return (isinstance(value, int) or (np is not None and isinstance(value, np.integer))) \
            and not isinstance(value, bool)
    if tp is float:
        np = loaded_numpy()
        numbers = (int, float) if np is None else (int, float, np.integer, np.floating)
        return isinstance(value, numbers) and not isinstance(value, bool)
    if tp is str:
        return isinstance(value, str)
    if is_ndarray_type(tp):
        return is_array(value)
    origin = typing.get_origin(tp) or tp
    args = typing.get_args(tp)
    if origin is list:
        return isinstance(value, list) and (not args or all(conforms(v, args[0]) for v in value))
    if origin is dict:
        return isinstance(value, dict) and (not args or all(
            isinstance(k, str) and conforms(v, args[1]) for k, v in value.items()))
    if isinstance(tp, type):
        return isinstance(value, tp)
    return False


def assignable(src: Any, dst: Any) -> bool:
    """True when a promise of type `src` may be bound where `dst` is expected."""
    if src is Any or dst is Any or src == dst:
        return True
    if src is int and dst is float:
        return True
    if is_ndarray_type(src) and is_ndarray_type(dst):
        return True
    dst_inner = optional_inner(dst)
    if dst_inner is not None:
        return src is NoneType or assignable(optional_inner(src) or src, dst_inner)
    s_origin, d_origin = typing.get_origin(src) or src, typing.get_origin(dst) or dst
    if s_origin is list and d_origin is list:
        s_args, d_args = typing.get_args(src), typing.get_args(dst)
        return not s_args or not d_args or assignable(s_args[0], d_args[0])
    if s_origin is dict and d_origin is dict:
        s_args, d_args = typing.get_args(src), typing.get_args(dst)
        return not s_args or not d_args or assignable(s_args[1], d_args[1])
    return False


def coerce(value: Any, tp: Any) -> Any:
    """Turn a JSON-like value (from the CLI or disk) into a value of type `tp`.

    Raises ValueError with a short reason when it cannot.
    """
    if tp is Any:
        return value
    inner = optional_inner(tp)
    if inner is not None:
        return None if value is None else coerce(value, inner)
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp in (File, Directory) and isinstance(value, str):
        return tp(value)
    custom = custom_type(tp)
    if custom is not None:
        return value if isinstance(value, tp) else custom.from_json(value)
    if tp in _PRIMITIVES or tp is NoneType:
        if conforms(value, tp):
            return value
        raise ValueError(f"expected {type_name(tp)}, got {value!r} ({value_type_name(value)})")
    if is_ndarray_type(tp):
        try:
            import numpy as np  # a list from the CLI becomes an array: now numpy is needed

            return value if isinstance(value, np.ndarray) else np.asarray(value)
        except Exception as exc:  # numpy's own message is the useful part
            raise ValueError(f"cannot make a numpy array from {value!r}: {exc}") from None
    origin = typing.get_origin(tp) or tp
    args = typing.get_args(tp)
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"expected {type_name(tp)}, got {value!r} ({value_type_name(value)})")
        return [coerce(v, args[0]) for v in value] if args else list(value)
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"expected {type_name(tp)}, got {value!r} ({value_type_name(value)})")
        return {k: coerce(v, args[1]) for k, v in value.items()} if args else dict(value)
    if is_namedtuple(tp):
        if isinstance(value, tp):
            return value
        fields = namedtuple_fields(tp)
        items = value if isinstance(value, dict) else dict(zip(fields, value))
        return tp(**{k: coerce(items[k], t) for k, t in fields.items() if k in items})
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"expected {type_name(tp)} as a JSON object, got {value!r}")
        fields = dataclass_fields(tp)
        unknown = set(value) - set(fields)
        if unknown:
            raise ValueError(f"{type_name(tp)} has no field(s) {', '.join(sorted(unknown))}")
        return tp(**{k: coerce(v, fields[k]) for k, v in value.items()})
    raise ValueError(f"type {type_name(tp)} is not supported")
