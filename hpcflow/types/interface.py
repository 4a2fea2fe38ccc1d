"""Typed interfaces of tasks and workflows, read from Python annotations."""
from __future__ import annotations

import collections.abc
import inspect
import os
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

from hpcflow.errors import CallArgumentsError, InvalidValueError, TypeMismatchError, WorkflowDefinitionError
from hpcflow.types.files import Directory, File
from hpcflow.types.check import (
    NoneType, adapt, conforms, is_enum_type, is_namedtuple, namedtuple_fields, optional_inner, type_name, unsupported_reason,
    value_type_name,
)

OutputKind = Literal["none", "single", "tuple", "namedtuple"]


class _Missing:
    def __repr__(self) -> str:
        return "<no default>"


NO_DEFAULT: Any = _Missing()


@dataclass(frozen=True)
class Param:
    """One input: its name, annotated type and default (NO_DEFAULT when required)."""

    name: str
    type: Any
    default: Any = NO_DEFAULT

    @property
    def required(self) -> bool:
        """True when the caller must supply this input."""
        return self.default is NO_DEFAULT


@dataclass(frozen=True)
class Interface:
    """Inputs and named outputs of a task or workflow."""

    inputs: tuple[Param, ...]
    outputs: tuple[tuple[str, Any], ...]
    output_kind: OutputKind
    output_class: type | None = None
    # Derived once, as plain fields: tracing reads them on every task call.
    input_names: tuple[str, ...] = field(init=False, compare=False, repr=False)  # in declaration order
    output_names: tuple[str, ...] = field(init=False, compare=False, repr=False)  # o0, o1, ... or the NamedTuple's
    # inputs that may receive an Enum for a str or a str for an Enum (check.crosses_enum_and_str)
    enum_or_str: tuple[tuple[str, Any], ...] = field(init=False, compare=False, repr=False)
    # inputs that cannot be None (a record's Optional field may feed them, as in flytekit: None fails at the call)
    not_none: tuple[tuple[str, Any], ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_names", tuple(p.name for p in self.inputs))
        object.__setattr__(self, "output_names", tuple(n for n, _ in self.outputs))
        object.__setattr__(self, "enum_or_str", tuple(
            (p.name, p.type) for p in self.inputs if (optional_inner(p.type) or p.type) is str
            or is_enum_type(optional_inner(p.type) or p.type)))
        object.__setattr__(self, "not_none", tuple(
            (p.name, p.type) for p in self.inputs if p.default is not None and not conforms(None, p.type)))

    def adapt(self, args: dict[str, Any]) -> dict[str, Any]:
        """The arguments a call gets: an Enum member where a str is declared becomes its value, a str
        where an Enum is declared the member, as flytekit passes them between tasks. None for an input that
        cannot be None (from a record's Optional field) is a TypeMismatchError, as flytekit fails to convert it."""
        for name, tp in self.not_none:
            if name in args and args[name] is None:
                raise TypeMismatchError(f"input '{name}' is None, which its type {type_name(tp)} does not allow; "
                                        f"annotate it Optional[{type_name(tp)}] or pass a value")
        if not self.enum_or_str:
            return args
        return {**args, **{n: adapt(args[n], tp) for n, tp in self.enum_or_str if n in args}}

    def call_arguments(self, args: tuple, kwargs: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Positional and keyword arguments of a call, by input name (flytekit takes both, in order)."""
        names = self.input_names
        if len(args) > len(names):
            raise CallArgumentsError(f"{where}: Received more arguments than expected: {len(args)} given, it takes "
                                     f"{len(names)} ({', '.join(names) or 'none'})")
        unknown = [k for k in kwargs if k not in names]
        if unknown:
            raise CallArgumentsError(f"{where}: Received unexpected keyword argument '{unknown[0]}'; its inputs are: "
                                     f"{', '.join(names) or 'none'}")
        given = dict(zip(names, args))
        twice = [k for k in kwargs if k in given]
        if twice:
            raise CallArgumentsError(f"{where}: Got multiple values for argument '{twice[0]}' (by position and by name)")
        return {**given, **kwargs}

    def param(self, name: str) -> Param | None:
        """The input called `name`, or None."""
        return next((p for p in self.inputs if p.name == name), None)

    def output_type(self, name: str) -> Any:
        """The annotated type of output `name`."""
        return dict(self.outputs)[name]

    def split(self, result: Any, where: str) -> dict[str, Any]:
        """Name the pieces of a function's return value according to the interface; a value that is not
        of its output's type is a TypeMismatchError (a TypeError, as flytekit raises when it cannot convert it)."""
        if self.output_kind == "none":
            return {}
        names = self.output_names
        if self.output_kind == "single" or (len(names) == 1 and not (isinstance(result, tuple) and len(result) == 1)):
            values = [result]  # o0 (or an imperative workflow's name); flytekit lets a one-field NamedTuple task return the bare value
        elif not isinstance(result, tuple) or len(result) != len(names):
            got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
            raise TypeMismatchError(f"{where} must return {len(names)} outputs "
                                    f"({', '.join(names)}), but returned {got}")
        else:
            values = list(result)
        outputs = {n: v if type(v) is tp and tp in _SCALARS else _as_file(v, tp, where)
                   for (n, tp), v in zip(self.outputs, values)}
        for name, tp in self.outputs:
            if not (type(outputs[name]) is tp and tp in _SCALARS) and not conforms(outputs[name], tp):
                raise TypeMismatchError(f"{where} returned {value_type_name(outputs[name])} for output '{name}', "
                                        f"which is annotated {type_name(tp)}; return a {type_name(tp)}")
        return outputs

    def join(self, outputs: dict[str, Any]) -> Any:
        """The caller-facing value for named outputs: None, a value, a tuple or a NamedTuple."""
        if self.output_kind == "none":
            return None
        if self.output_kind == "single":
            return outputs[self.output_names[0]]
        values = [outputs[n] for n in self.output_names]
        if self.output_kind == "namedtuple" and self.output_class is not None:
            return self.output_class(*values)
        return tuple(values)


_SCALARS = frozenset({int, float, str})  # a value of exactly such a type conforms as it is: no general check per call


def _as_file(value: Any, tp: Any, where: str) -> Any:
    """A path returned for a File or Directory output is that file (flytekit takes str and pathlib
    paths; a directory's path for a File is a ValueError, as in flytekit); an iterator returned for an
    Iterator[T] output (a list[T] here) is the list of its items."""
    if typing.get_origin(tp) is list and isinstance(value, collections.abc.Iterator):
        return list(value)
    if isinstance(tp, type) and issubclass(tp, (File, Directory)) and isinstance(value, (str, os.PathLike)) \
            and not isinstance(value, (File, Directory)):
        path = os.fspath(value)
        if issubclass(tp, File) and os.path.isdir(path):
            raise InvalidValueError(f"{where} returned the directory {path} for a File output; return a file's "
                                    "path, or declare the output a Directory")
        return tp(path)
    return value


def interface_of(fn: Callable[..., Any], where: str, untyped_any: bool = False) -> Interface:
    """Read the interface of `fn` from its annotations; `where` names it in errors. With
    `untyped_any` (flytekit's pickle_untyped=True), a parameter or return value without an
    annotation is typing.Any, which is pickled."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception as exc:
        raise WorkflowDefinitionError(f"{where}: cannot resolve annotations: {exc}") from None
    params = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise WorkflowDefinitionError(
                f"{where}: *{p.name} parameters are not supported; declare each input by name")
        if p.name not in hints and not untyped_any:
            raise _missing_type(where, p.name)
        tp = _as_file_type(_iterator_as_list(hints.get(p.name, Any)))
        _require_supported(tp, f"{where}: parameter '{p.name}'")
        default = NO_DEFAULT if p.default is inspect.Parameter.empty else p.default
        params.append(Param(p.name, tp, default))
    untyped_return = Any if untyped_any and "return" not in getattr(fn, "__annotations__", {}) else NoneType
    kind, outputs, cls = _outputs_of(_as_file_type(_iterator_as_list(hints.get("return", untyped_return))), where)
    return Interface(tuple(params), outputs, kind, cls)


def _iterator_as_list(tp: Any) -> Any:
    """Iterator[T] (or Generator[T, ...]) as list[T]: flytekit passes what a task yields as a
    list. (Annotated metadata such as flytekit's BatchSize is already gone: get_type_hints drops it.)"""
    if typing.get_origin(tp) in (collections.abc.Iterator, collections.abc.Generator) and typing.get_args(tp):
        return list[typing.get_args(tp)[0]]  # type: ignore[valid-type]
    return tp


def _missing_type(where: str, name: str) -> Exception:
    from hpcflow.exceptions.user import FlyteMissingTypeException  # flytekit's exceptions: only to raise one

    return FlyteMissingTypeException(f"{where}: '{name}' has no type. Please add a type annotation to the input "
                                     f"parameter, e.g. {name}: int (or pickle_untyped=True, as flytekit takes)")


def require_annotations(fn: Callable[..., Any], where: str, untyped_any: bool = False) -> None:
    """Where a task or workflow is declared, as flytekit does: every parameter has an annotation (or
    `untyped_any`). Cheap: the annotations themselves are resolved on first use (interface_of)."""
    if untyped_any:
        return
    for p in inspect.signature(fn).parameters.values():
        if p.annotation is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise _missing_type(where, p.name)


def _as_file_type(tp: Any) -> Any:
    """os.PathLike is a File, as flytekit reads it (the function gets a File, which is PathLike)."""
    return File if tp is os.PathLike else tp


def _outputs_of(ret: Any, where: str) -> tuple[OutputKind, tuple[tuple[str, Any], ...], type | None]:
    if ret is None or ret is NoneType:
        return "none", (), None
    if isinstance(ret, tuple) and ret:  # `-> (float, float)`, as flytekit accepts: tuple[float, float]
        ret = tuple[ret]  # type: ignore[valid-type]
    if is_namedtuple(ret):
        fields = namedtuple_fields(ret)
        for name, tp in fields.items():
            _require_supported(tp, f"{where}: output '{name}'")
        return "namedtuple", tuple(fields.items()), ret
    if typing.get_origin(ret) is tuple:
        args = typing.get_args(ret)
        if not args or Ellipsis in args:
            raise WorkflowDefinitionError(
                f"{where}: return type {ret} needs fixed element types, e.g. tuple[int, str]")
        for i, tp in enumerate(args):
            _require_supported(tp, f"{where}: output 'o{i}'")
        return "tuple", tuple((f"o{i}", tp) for i, tp in enumerate(args)), None
    _require_supported(ret, f"{where}: return type")
    return "single", (("o0", ret),), None


def _require_supported(tp: Any, where: str) -> None:
    reason = unsupported_reason(tp)
    if reason:
        raise WorkflowDefinitionError(f"{where}: {reason}")


__all__ = ["Interface", "Param", "NO_DEFAULT", "interface_of", "require_annotations", "type_name"]
