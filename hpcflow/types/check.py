"""Checks values and types against the supported annotation subset.

Supported as data: int, float, str, bool, None, list[T], dict[K, T], tuple[T, ...], Optional[T],
Union[A, B, ...] (a value is one of its members; values describe themselves, so none is tagged), string-valued Enums, NamedTuple classes, dataclasses, numpy.ndarray and registered types, nested
in any way. Any other class (a plain class, set, frozenset) and values under typing.Any that are none of
these travel as pickles, as in flytekit (store/codec.py says where pickles may be read from).
"""
from __future__ import annotations

import dataclasses
import enum
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
    members = union_members(tp)
    if members:
        return " | ".join(type_name(m) for m in members)
    origin = typing.get_origin(tp)
    if origin in (list, dict, tuple):
        args = ", ".join("..." if a is Ellipsis else type_name(a) for a in typing.get_args(tp))
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


def union_members(tp: Any) -> tuple[Any, ...]:
    """The members of a Union of more than one type besides None (None among them if it is one),
    else (): Optional[T] is not one of these."""
    origin = typing.get_origin(tp)
    if (origin is typing.Union or origin is types.UnionType) and optional_inner(tp) is None:
        return typing.get_args(tp)
    return ()


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


def is_enum_type(tp: Any) -> bool:
    """True for Enum classes."""
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


def enum_values(tp: type[enum.Enum]) -> list[Any]:
    """The values of an Enum's members, in order."""
    return [m.value for m in tp]


def is_pickled_type(tp: Any) -> bool:
    """True for annotations whose values travel as pickles: classes (and generics of classes, such as
    set[int]) that hpcflow has no data form for. flytekit pickles the same ones."""
    if unsupported_reason(tp) is not None:
        return False
    if tp is Any or tp is NoneType or tp in _PRIMITIVES or is_ndarray_type(tp) or custom_type(tp) \
            or is_enum_type(tp) or is_namedtuple(tp) or (dataclasses.is_dataclass(tp) and isinstance(tp, type)):
        return False
    origin = typing.get_origin(tp)
    if optional_inner(tp) is not None or origin in (list, dict, tuple) or tp in (list, dict, tuple):
        return False
    return True


def is_ndarray_type(tp: Any) -> bool:
    """True for numpy.ndarray and numpy.typing.NDArray[...] annotations."""
    return is_array_type(tp)


def unsupported_reason(tp: Any) -> str | None:
    """None when hpcflow can carry values of this type, else why not."""
    if tp is Any or tp is NoneType or tp in _PRIMITIVES or is_ndarray_type(tp) or custom_type(tp):
        return None
    if is_enum_type(tp):
        bad = [m.name for m in tp if not isinstance(m.value, str)]
        return (f"Enum {tp.__name__} has members with non-string values ({', '.join(bad)}); as in flytekit, "
                f"only string-valued Enums are supported: give each member a str value") if bad else None
    inner = optional_inner(tp)
    if inner is not None:
        return unsupported_reason(inner)
    members = union_members(tp)
    if members:
        return _first(unsupported_reason(m) for m in members)
    origin = typing.get_origin(tp)
    if origin is list or tp is list:
        args = typing.get_args(tp)
        return unsupported_reason(args[0]) if args else None
    if origin is dict or tp is dict:
        args = typing.get_args(tp)
        return _first(unsupported_reason(a) for a in args)
    if origin is tuple:
        return _first(unsupported_reason(a) for a in typing.get_args(tp) if a is not Ellipsis)
    if is_namedtuple(tp):
        return _first(unsupported_reason(t) for t in namedtuple_fields(tp).values())
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _first(unsupported_reason(t) for t in dataclass_fields(tp).values())
    if isinstance(tp, type) or isinstance(typing.get_origin(tp), type):
        return None  # carried as a pickle (is_pickled_type)
    return (f"type {type_name(tp)} is not supported; use int, float, str, bool, list, dict, "
            "Optional, Union, an Enum, a NamedTuple, a dataclass, numpy.ndarray or a class")


def _first(reasons: Any) -> str | None:
    return next((r for r in reasons if r), None)


def conforms(value: Any, tp: Any) -> bool:
    """True when a concrete value may be passed where `tp` is expected."""
    if tp is Any:
        return True
    members = union_members(tp)
    if members:
        return any(conforms(value, m) for m in members)
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
    if is_enum_type(tp):  # flytekit takes a member's value for the member, as pyflyte run does
        return isinstance(value, tp) or (isinstance(value, str) and value in enum_values(tp))
    origin = typing.get_origin(tp) or tp
    args = typing.get_args(tp)
    if origin is list:
        return isinstance(value, list) and (not args or all(conforms(v, args[0]) for v in value))
    if origin is dict:
        return isinstance(value, dict) and (not args or all(
            conforms(k, args[0]) and conforms(v, args[1]) for k, v in value.items()))
    if isinstance(origin, type):
        return isinstance(value, origin)
    return False


def assignable(src: Any, dst: Any) -> bool:
    """True when a promise of type `src` may be bound where `dst` is expected."""
    return _assignable(src, dst) or crosses_enum_and_str(src, dst)


def crosses_enum_and_str(src: Any, dst: Any) -> bool:
    """True when an Enum promise meets a str parameter or a str promise an Enum parameter (maybe
    Optional): flytekit passes one for the other between tasks (an Enum's literal is its value), and
    so does hpcflow, converting at the call (adapt). Only at the top level: list[Color] is no list[str]."""
    dst = optional_inner(dst) or dst
    return (is_enum_type(src) and dst is str) or (src is str and is_enum_type(dst))


def adapt(value: Any, tp: Any) -> Any:
    """The value a parameter of type `tp` receives for `value` where crosses_enum_and_str allowed the
    binding: a member's value for a str, the member with that value for an Enum (ValueError if none)."""
    tp = optional_inner(tp) or tp
    if tp is str and isinstance(value, enum.Enum):
        return value.value
    if is_enum_type(tp) and isinstance(value, str) and not isinstance(value, tp):
        return coerce(value, tp)
    return value


def _assignable(src: Any, dst: Any) -> bool:
    if src is Any or dst is Any or src == dst:
        return True
    if src is int and dst is float:
        return True
    if is_ndarray_type(src) and is_ndarray_type(dst):
        return True
    if _file_kind(src) and _file_kind(src) == _file_kind(dst):  # File["csv"] and File fit each other, as in flytekit
        return not src.default_format or not dst.default_format or src.default_format == dst.default_format
    dst_inner = optional_inner(dst)
    if dst_inner is not None:
        return src is NoneType or _assignable(optional_inner(src) or src, dst_inner)
    if union_members(src):  # as flytekit: one of the values the promise may hold fits (the value is the member it is)
        return any(_assignable(m, dst) for m in union_members(src) if m is not NoneType)
    members = union_members(dst)
    if members:
        src_inner = optional_inner(src)
        if src_inner is not None:  # Optional[T] into a Union: T must fit a member, and None must be one
            return NoneType in members and any(_assignable(src_inner, m) for m in members)
        return any(_assignable(src, m) for m in members)
    s_origin, d_origin = typing.get_origin(src) or src, typing.get_origin(dst) or dst
    if s_origin is list and d_origin is list:
        s_args, d_args = typing.get_args(src), typing.get_args(dst)
        return not s_args or not d_args or _assignable(s_args[0], d_args[0])
    if s_origin is dict and d_origin is dict:
        s_args, d_args = typing.get_args(src), typing.get_args(dst)
        return not s_args or not d_args or _assignable(s_args[1], d_args[1])
    return False


def _file_kind(tp: Any) -> type | None:
    """File or Directory for those classes and their formats (File["csv"]), else None."""
    if isinstance(tp, type):
        return next((k for k in (File, Directory) if issubclass(tp, k)), None)
    return None


def coerce(value: Any, tp: Any) -> Any:
    """Turn a JSON-like value (from the CLI or disk) into a value of type `tp`.

    Raises ValueError with a short reason when it cannot.
    """
    if tp is Any:
        return value
    inner = optional_inner(tp)
    if inner is not None:
        return None if value is None else coerce(value, inner)
    members = union_members(tp)
    if members:  # the member the value already is, else the first it can be made into
        exact = next((m for m in members if conforms(value, m)), None)
        for member in ([exact] if exact is not None else members):
            try:
                return coerce(value, member)
            except (ValueError, TypeError):
                continue
        raise ValueError(f"expected {type_name(tp)}, got {value!r} ({value_type_name(value)})")
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(tp, type) and issubclass(tp, (File, Directory)) and isinstance(value, str):
        return tp(value)
    custom = custom_type(tp)
    if custom is not None:
        return value if isinstance(value, tp) else custom.from_json(value)
    if is_enum_type(tp):
        if isinstance(value, tp):
            return value
        if isinstance(value, str) and value in enum_values(tp):
            return tp(value)
        choices = ", ".join(repr(v) for v in enum_values(tp))
        raise ValueError(f"expected {type_name(tp)}, one of {choices}; got {value!r}")
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
        return {_coerce_key(k, args[0]): coerce(v, args[1]) for k, v in value.items()} if args else dict(value)
    if origin is tuple and not is_namedtuple(tp):
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"expected {type_name(tp)} as a JSON list, got {value!r} ({value_type_name(value)})")
        if args and Ellipsis not in args and len(args) != len(value):
            raise ValueError(f"expected {type_name(tp)} of {len(args)} items, got {len(value)}: {value!r}")
        items = args[:1] * len(value) if Ellipsis in args else args
        return tuple(coerce(v, t) for v, t in zip(value, items)) if args else tuple(value)
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
        missing = [f.name for f in dataclasses.fields(tp) if f.name not in value and f.init
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise ValueError(f"{type_name(tp)} needs field(s) {', '.join(missing)}; got {value!r}")
        return tp(**{k: coerce(v, fields[k]) for k, v in value.items()})
    if is_pickled_type(tp):
        if conforms(value, tp):
            return value
        raise ValueError(f"a {type_name(tp)} cannot be made from {value!r}: it travels as a pickle; "
                         "pass one made in Python (a task's output, or an argument of wf(...))")
    raise ValueError(f"type {type_name(tp)} is not supported")


def _coerce_key(key: Any, tp: Any) -> Any:
    """A dict key of type `tp`; JSON objects have str keys, so '3' becomes 3 for dict[int, ...]."""
    if isinstance(key, str) and tp in (int, float) and not conforms(key, tp):
        try:
            return tp(key)
        except ValueError:
            raise ValueError(f"expected {type_name(tp)} keys, got {key!r}") from None
    return coerce(key, tp)
