"""Tracing: calling tasks inside a workflow body records nodes and returns promises."""
from __future__ import annotations

import contextlib
import dataclasses
import typing
from typing import Any, Iterator, Mapping

from hpcflow.core.building import ACTIVE_BUILDER
from hpcflow.core.bindings import Binding, Const, DictOf, ListOf, NodeOutput, WorkflowInput, extend_path
from hpcflow.core.graph import Graph, Node, NodeKind
from hpcflow.errors import CallArgumentsError, DefinitionAssertionError, TypeMismatchError, WorkflowDefinitionError
from hpcflow.exceptions.user import FlyteMissingReturnValueException, PromiseBindingError, UndeclaredOutputsError
from hpcflow.types.check import (
    assignable, coerce, conforms, dataclass_fields, is_namedtuple, namedtuple_fields,
    optional_inner, type_name, value_type_name,
)
from hpcflow.core.conditions import Comparison
from hpcflow.types.interface import Interface
from hpcflow.text import name_problem
from hpcflow.core.map_options import check_map_options

OVERRIDABLE = frozenset({
    "name", "node_name", "requests", "limits", "resources", "retries", "timeout", "interruptible",
    "cache", "cache_version", "cache_serialize", "concurrency", "min_success_ratio", "batch_size",
    "container_image",
    "aliases",  # flytekit's display names of a node's outputs: checked, and shown by nothing here
})


class Promise:
    """The future value of a workflow input or node output, while a workflow is traced."""

    __slots__ = ("_binding", "_type", "_builder", "_node")

    def __init__(self, binding: Binding, tp: Any, builder: "Builder", node: str | None = None):
        self._binding, self._type, self._builder, self._node = binding, tp, builder, node

    def __getattr__(self, name: str) -> "Promise":
        if name.startswith("_"):
            raise AttributeError(name)
        tp = optional_inner(self._type) or self._type
        fields = (namedtuple_fields(tp) if is_namedtuple(tp)
                  else dataclass_fields(tp) if dataclasses.is_dataclass(tp) else {})
        if name not in fields:
            raise WorkflowDefinitionError(
                f"{self._builder.where}: a promise of type {type_name(self._type)} has no field '{name}'")
        return Promise(extend_path(self._binding, (name,)), fields[name], self._builder, self._node)

    def __getitem__(self, key: int | str) -> "Promise":
        origin, args = typing.get_origin(self._type), typing.get_args(self._type)
        if origin is list and isinstance(key, int):
            return Promise(extend_path(self._binding, (key,)), args[0] if args else Any, self._builder)
        if origin is dict and isinstance(key, str):
            return Promise(extend_path(self._binding, (key,)), args[1] if args else Any, self._builder)
        raise WorkflowDefinitionError(
            f"{self._builder.where}: cannot index a promise of type {type_name(self._type)} with {key!r}")

    def with_overrides(self, **overrides: Any) -> "Promise":
        """Change resources, retries, timeout, ... of the node that produces this promise."""
        self._builder.override(self._node, overrides)
        return self

    # Comparisons make the conditions of flytekit's `conditional(...).if_(...)` (core/conditions.py).
    __hash__ = object.__hash__

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return Comparison("==", self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return Comparison("!=", self, other)

    def __lt__(self, other: Any) -> "Comparison":
        return Comparison("<", self, other)

    def __le__(self, other: Any) -> "Comparison":
        return Comparison("<=", self, other)

    def __gt__(self, other: Any) -> "Comparison":
        return Comparison(">", self, other)

    def __ge__(self, other: Any) -> "Comparison":
        return Comparison(">=", self, other)

    def is_true(self) -> "Comparison":
        """The condition that this (bool) value is True."""
        return Comparison("==", self, True)

    def is_false(self) -> "Comparison":
        """The condition that this (bool) value is False."""
        return Comparison("==", self, False)

    def is_none(self) -> "Comparison":
        """The condition that this value is None."""
        return Comparison("is", self, None)

    def __bool__(self) -> bool:
        raise WorkflowDefinitionError(
            f"{self._builder.where}: a promise has no value while the workflow is compiled, so it "
            "cannot drive a Python if/and/or; move that logic into a @dynamic workflow")

    def __iter__(self) -> Iterator[Any]:
        raise WorkflowDefinitionError(
            f"{self._builder.where}: cannot iterate over a promise while the workflow is compiled; "
            "use map_task over it, or a @dynamic workflow")

    def __repr__(self) -> str:
        return f"Promise({self._binding!r}: {type_name(self._type)})"

    def __rshift__(self, other: Any) -> Any:
        return self._builder.order(self._node, other)


class NodeOutputs:
    """The outputs of a multi-output node: unpack or index it, or read NamedTuple fields by name.

    Not a tuple subclass, so that fields called `count` or `index` are not shadowed.
    """

    def __init__(self, promises: list[Promise], names: tuple[str, ...], builder: "Builder", node: str):
        self._promises, self._names, self._builder, self._node = tuple(promises), names, builder, node

    def __rshift__(self, other: Any) -> Any:
        return self._builder.order(self._node, other)

    def __getattr__(self, name: str) -> Promise:
        if not name.startswith("_") and name in self._names:
            return self._promises[self._names.index(name)]
        raise AttributeError(name)

    def __getitem__(self, index: int) -> Promise:
        return self._promises[index]

    def __iter__(self) -> Iterator[Promise]:
        return iter(self._promises)

    def __len__(self) -> int:
        return len(self._promises)

    def with_overrides(self, **overrides: Any) -> "NodeOutputs":
        """Change resources, retries, timeout, ... of the node that produces these outputs."""
        self._builder.override(self._node, overrides)
        return self


class Builder:
    """Collects the nodes of one workflow (or dynamic) body while it is traced."""

    def __init__(self, where: str, owner: tuple[str, str] | None = None, outer: "Builder | None" = None,
                 captures: dict[str, tuple[str, Binding, Any]] | None = None):
        self.where = where
        self.owner = owner  # (module, qualname) of the module-level workflow being traced, if it is one
        self.outer = outer  # a branch of a conditional: the builder of the workflow it is in
        self.captures = captures if captures is not None else {}  # a branch's inputs from `outer`: key -> (name, binding, type)
        self._nodes: list[Node] = []
        self._overrides: dict[str, dict[str, Any]] = {}
        self._after: dict[str, set[str]] = {}  # node -> the nodes `>>` put before it

    def capture(self, promise: "Promise") -> Binding:
        """The binding of an enclosing workflow's promise inside this branch (one input per value)."""
        if self.outer is None:
            raise WorkflowDefinitionError(f"{self.where}: a promise of another workflow is used here; pass it in as an input")
        binding = promise._binding if promise._builder is self.outer else self.outer.capture(promise)
        key = repr(binding)
        if key not in self.captures:
            self.captures[key] = (f"_c{len(self.captures)}", binding, promise._type)
        return WorkflowInput(self.captures[key][0])

    def add_node(self, kind: NodeKind, entity: Any, inputs: Mapping[str, Binding], interface: Interface) -> Any:
        """Record a node whose input bindings are already made (a conditional); promises for its outputs."""
        node_id = f"n{len(self._nodes)}"
        self._nodes.append(Node(node_id, kind, entity, dict(inputs)))
        entity.node_id = node_id
        return self.promises_for(node_id, interface)

    @contextlib.contextmanager
    def active(self) -> Iterator["Builder"]:
        """Make this builder the target of task calls in the current context."""
        token = ACTIVE_BUILDER.set(self)
        try:
            yield self
        finally:
            ACTIVE_BUILDER.reset(token)

    def add_call(self, kind: NodeKind, entity: Any, args: tuple, kwargs: Mapping[str, Any],
                 interface: Interface) -> Any:
        """Record a call of `entity` and return promises for its outputs."""
        node_id = f"n{len(self._nodes)}"
        where = f"{self.where}, node '{node_id}' ({entity.name})"
        kwargs = interface.call_arguments(args, kwargs, where) if args else kwargs
        unknown = [k for k in kwargs if k not in interface.input_names]
        if unknown:
            raise CallArgumentsError(f"{where}: unknown input '{unknown[0]}'; its inputs are: "
                                     f"{', '.join(interface.input_names) or 'none'}")
        inputs: dict[str, Binding] = {}
        for p in interface.inputs:
            if p.name in kwargs:
                inputs[p.name] = to_binding(kwargs[p.name], p.type, f"{where}, parameter '{p.name}'", self)
            elif p.required:
                raise WorkflowDefinitionError(f"{where}: missing input '{p.name}' ({type_name(p.type)})")
            else:
                inputs[p.name] = Const(p.default)
        self._nodes.append(Node(node_id, kind, entity, inputs))
        return self.promises_for(node_id, interface)

    def recorded(self) -> list[Node]:
        """The nodes recorded so far, in call order."""
        return list(self._nodes)

    @property
    def last_node_id(self) -> str:
        """The id of the node recorded last (create_node reads it after the call it makes)."""
        if not self._nodes:
            raise WorkflowDefinitionError(f"{self.where}: no call has been recorded yet")
        return self._nodes[-1].id

    def outputs_of(self, node_id: str, interface: Interface) -> dict[str, "Promise"]:
        """A promise per output of a node, by output name (flytekit's `node.outputs`)."""
        return {n: Promise(NodeOutput(node_id, n, ()), t, self, node_id) for n, t in interface.outputs}

    def promises_for(self, node_id: str, interface: Interface) -> Any:
        """What a call returns inside a trace: None, one promise, or a tuple of promises."""
        promises = [Promise(NodeOutput(node_id, n, ()), t, self, node_id) for n, t in interface.outputs]
        if interface.output_kind == "none":
            return _NoOutput(self, node_id)
        if interface.output_kind == "single":
            return promises[0]
        return NodeOutputs(promises, interface.output_names, self, node_id)

    def override(self, node_id: str | None, overrides: Mapping[str, Any]) -> None:
        """Record `.with_overrides(...)` for a node."""
        if node_id is None:
            raise WorkflowDefinitionError(f"{self.where}: with_overrides applies to a node's output, not a workflow input")
        unknown = set(overrides) - OVERRIDABLE
        if unknown:
            raise WorkflowDefinitionError(
                f"{self.where}: with_overrides got unknown option(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(OVERRIDABLE))}")
        promised = sorted(k for k, v in overrides.items() if contains_promise(v))
        if promised:  # flytekit's AssertionError: options are fixed when the workflow is compiled
            raise DefinitionAssertionError(f"{self.where}: with_overrides({promised[0]}=...) got a promise; options "
                                           "take values known when the workflow is compiled, not workflow inputs "
                                           "or task outputs")
        for key in ("name", "node_name"):  # written into jobscripts and logs: one printable line
            problem = name_problem(overrides[key]) if key in overrides else None
            if problem:
                raise WorkflowDefinitionError(f"{self.where}: with_overrides({key}=...) of node '{node_id}' "
                                              f"({self.node(node_id).entity.name}): {problem}")
        if getattr(self.node(node_id).entity, "kind", "") == "map":
            check_map_options(f"{self.where}: with_overrides of node '{node_id}'", dict(overrides))
        if "aliases" in overrides:
            outputs = self.node(node_id).entity.interface.output_names
            aliases = overrides["aliases"]
            wrong = [k for k in aliases if k not in outputs] if isinstance(aliases, dict) else [repr(aliases)]
            if wrong:
                raise WorkflowDefinitionError(f"{self.where}: with_overrides(aliases=...) renames outputs, a dict "
                                              f"from output name to alias; {wrong[0]} is not one of "
                                              f"{', '.join(outputs) or 'its outputs (none)'}")
        merged = dict(self._overrides.get(node_id, {}))
        if "resources" in overrides or {"requests", "limits"} & set(overrides):  # as in flytekit, the
            for key in ("resources", "requests", "limits"):                      # later call's resources win
                merged.pop(key, None)
        merged.update(overrides)
        spec = getattr(self.node(node_id).entity, "spec", None)
        if spec is not None:  # check the options now, where they are written, not at compile time
            spec.with_overrides(merged)
        self._overrides[node_id] = merged

    def node(self, node_id: str) -> Node:
        """The recorded node with id `node_id`."""
        return next(n for n in self._nodes if n.id == node_id)

    def input_promises(self, interface: Interface) -> dict[str, Promise]:
        """A promise for each input of a workflow being traced."""
        return {p.name: Promise(WorkflowInput(p.name), p.type, self) for p in interface.inputs}

    def order(self, before: str | None, after: Any) -> Any:
        """`before_call >> after_call`: the second runs once the first has succeeded; returns the
        second, so that `a >> b >> c` chains."""
        node = getattr(after, "_node", None)
        if before is None or node is None or getattr(after, "_builder", None) is not self:
            raise WorkflowDefinitionError(f"{self.where}: >> orders two calls made in this workflow "
                                          "(the values they return), e.g. t1() >> t2()")
        self._after.setdefault(node, set()).add(before)
        return after

    def freeze(self, name: str, interface: Interface, result: Any) -> Graph:
        """The finished Graph, with `result` (what the body returned) bound to the outputs."""
        nodes = [dataclasses.replace(n, overrides=self._overrides.get(n.id, {}), after=tuple(sorted(self._after.get(n.id, ()))))
                 for n in self._nodes]
        return Graph(name, interface, self._in_order(nodes), self._bind_outputs(interface, result))

    def _in_order(self, nodes: list[Node]) -> tuple[Node, ...]:
        """The nodes in call order, except that `>>` may move a node after one called later."""
        if not self._after:
            return tuple(nodes)
        placed: list[Node] = []
        done: set[str] = set()
        waiting = list(nodes)
        while waiting:
            ready = next((n for n in waiting if n.upstream <= done), None)
            if ready is None:
                raise WorkflowDefinitionError(f"{self.where}: the >> orderings make a cycle (among "
                                              f"{', '.join(n.name for n in waiting)}); each call can only run after the others once")
            placed.append(ready)
            done.add(ready.id)
            waiting.remove(ready)
        return tuple(placed)

    def _bind_outputs(self, interface: Interface, result: Any) -> tuple[tuple[str, Binding], ...]:
        if isinstance(result, _NoOutput):
            result = None
        if isinstance(result, NodeOutputs):
            result = tuple(result)
        if interface.output_kind == "none":
            if result is not None:
                raise UndeclaredOutputsError(
                    f"{self.where} returns a value but declares no outputs; annotate its return type, e.g. -> float")
            return ()
        names = interface.output_names
        if result is None and not (interface.output_kind == "single" and conforms(None, interface.outputs[0][1])):
            raise FlyteMissingReturnValueException(
                f"{self.where} declares {len(names)} output(s) ({', '.join(names)}) but its body returns nothing; "
                "return the promise(s), e.g. return t1(a=3)")
        values = (result,) if interface.output_kind == "single" else result
        if not isinstance(values, tuple) or len(values) != len(names):
            got = len(values) if isinstance(values, tuple) else (0 if values is None else 1)
            raise WorkflowDefinitionError(
                f"{self.where} returns {got} output(s) but its return annotation declares "
                f"{len(names)} ({', '.join(names)})")
        return tuple((n, to_binding(v, interface.output_type(n), f"{self.where}, output '{n}'", self))
                     for n, v in zip(names, values))


class _NoOutput:
    """What a call of a task without outputs returns: only good for with_overrides."""

    def __init__(self, builder: Builder, node: str):
        self._builder, self._node = builder, node

    def with_overrides(self, **overrides: Any) -> "_NoOutput":
        """Change resources, retries, timeout, ... of this node."""
        self._builder.override(self._node, overrides)
        return self

    def __rshift__(self, other: Any) -> Any:
        return self._builder.order(self._node, other)


def is_no_output(value: Any) -> bool:
    """True for what a call of a task or workflow without outputs returns inside a trace."""
    return isinstance(value, _NoOutput)


def promise_type(promise: Promise) -> Any:
    """The type of a promise's value (a function, as a promise's attributes are its value's fields)."""
    return promise._type


def contains_promise(value: Any) -> bool:
    """True when a value is, or holds, a promise."""
    if isinstance(value, Promise):
        return True
    if isinstance(value, (list, tuple)):
        return any(contains_promise(v) for v in value)
    if isinstance(value, dict):
        return any(contains_promise(v) for v in value.values())
    return False


def _optional_field_fits(promise: Promise, tp: Any) -> bool:
    """A record's Optional[T] field (`dc.inner`) feeds a T parameter, as flytekit resolves the field's
    value (None there fails at the call: Interface.adapt)."""
    inner = optional_inner(promise._type)
    return inner is not None and bool(getattr(promise._binding, "path", ())) and assignable(inner, tp)


def to_binding(value: Any, tp: Any, where: str, builder: Builder) -> Binding:
    """Bind a call argument to a parameter of type `tp`, checking the type now."""
    if isinstance(value, Promise):
        if value._builder is not builder and builder.outer is None:
            raise WorkflowDefinitionError(f"{where}: a promise of another workflow is used here; pass it in as an input")
        if value._type != tp and not assignable(value._type, tp) and not _optional_field_fits(value, tp):
            raise TypeMismatchError(
                f"{where}: expected {type_name(tp)}, got a promise of {type_name(value._type)}")
        return value._binding if value._builder is builder else builder.capture(value)
    if contains_promise(value):
        inner = optional_inner(tp) or tp
        origin, args = typing.get_origin(inner) or inner, typing.get_args(inner)
        if isinstance(value, (list, tuple)) and (origin is list or tp is Any):
            item_tp = args[0] if args else Any
            return ListOf(tuple(to_binding(v, item_tp, f"{where}[{i}]", builder) for i, v in enumerate(value)))
        if isinstance(value, dict) and (origin is dict or tp is Any):
            item_tp = args[1] if args else Any
            return DictOf(tuple((k, to_binding(v, item_tp, f"{where}[{k!r}]", builder)) for k, v in value.items()))
        raise PromiseBindingError(f"{where}: expected {type_name(tp)}, got {value_type_name(value)} of promises")
    if isinstance(value, _NoOutput):
        raise PromiseBindingError(f"{where}: expected {type_name(tp)}, got the result of a task with no outputs")
    if isinstance(value, NodeOutputs):
        raise PromiseBindingError(f"{where}: expected {type_name(tp)}, got all {len(value)} outputs of a node "
                                f"({', '.join(value._names)}); pass one of them")
    if not conforms(value, tp):
        raise TypeMismatchError(f"{where}: expected {type_name(tp)}, got {value!r} ({value_type_name(value)})")
    return Const(coerce(value, tp))
