"""Bindings say where a node input comes from: a constant, a workflow input or a node output."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Union

PathStep = Union[str, int]


@dataclass(frozen=True)
class Const:
    """A concrete value known when the workflow is traced."""

    value: Any


@dataclass(frozen=True)
class WorkflowInput:
    """An input of the enclosing workflow, optionally narrowed by attribute/index steps."""

    name: str
    path: tuple[PathStep, ...] = ()


@dataclass(frozen=True)
class NodeOutput:
    """An output of an upstream node, optionally narrowed by attribute/index steps."""

    node: str
    output: str
    path: tuple[PathStep, ...] = ()


@dataclass(frozen=True)
class ListOf:
    """A list built from several bindings, e.g. `[t1(), t2()]`."""

    items: tuple["Binding", ...]


@dataclass(frozen=True)
class DictOf:
    """A dict built from several bindings."""

    items: tuple[tuple[str, "Binding"], ...]


Binding = Union[Const, WorkflowInput, NodeOutput, ListOf, DictOf]


def upstream_nodes(binding: Binding) -> set[str]:
    """Ids of the nodes a binding reads from."""
    if isinstance(binding, NodeOutput):
        return {binding.node}
    if isinstance(binding, ListOf):
        return set().union(*(upstream_nodes(b) for b in binding.items))
    if isinstance(binding, DictOf):
        return set().union(*(upstream_nodes(b) for _, b in binding.items))
    return set()


def follow_path(value: Any, path: tuple[PathStep, ...]) -> Any:
    """Apply attribute names and indices to a concrete value."""
    for step in path:
        value = value[step] if isinstance(step, int) or isinstance(value, dict) else getattr(value, step)
    return value


def extend_path(binding: Binding, path: tuple[PathStep, ...]) -> Binding:
    """A binding that selects `path` inside what `binding` gives."""
    if not path:
        return binding
    if isinstance(binding, (NodeOutput, WorkflowInput)):
        return dataclasses.replace(binding, path=binding.path + path)
    if isinstance(binding, Const):
        return Const(follow_path(binding.value, path))
    if isinstance(binding, ListOf) and isinstance(path[0], int):
        return extend_path(binding.items[path[0]], path[1:])
    if isinstance(binding, DictOf) and isinstance(path[0], str):
        return extend_path(dict(binding.items)[path[0]], path[1:])
    raise ValueError(f"cannot select {path!r} from {binding!r}")


def substitute(binding: Binding, replace: Callable[[Binding], Binding | None]) -> Binding:
    """Rebuild a binding, replacing leaves for which `replace` returns a new binding."""
    if isinstance(binding, ListOf):
        return ListOf(tuple(substitute(b, replace) for b in binding.items))
    if isinstance(binding, DictOf):
        return DictOf(tuple((k, substitute(b, replace)) for k, b in binding.items))
    new = replace(binding)
    return binding if new is None else new


def resolve(binding: Binding, lookup: Callable[[Binding], Any]) -> Any:
    """The concrete value of a binding; `lookup` gives values of NodeOutput/WorkflowInput leaves."""
    if isinstance(binding, Const):
        return binding.value
    if isinstance(binding, ListOf):
        return [resolve(b, lookup) for b in binding.items]
    if isinstance(binding, DictOf):
        return {k: resolve(b, lookup) for k, b in binding.items}
    return follow_path(lookup(binding), binding.path)
