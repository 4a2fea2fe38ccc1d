"""flytekit's create_node: a call inside a workflow that gives back the node, not its outputs.

`n1 = create_node(t1, a=3)` records the call as any call does (so the entity's own checks,
a map's bound partials or a launch plan's fixed inputs, apply) and returns a CallNode:
its outputs are `n1.o0` or `n1.outputs["o0"]`, and `n1 >> n2` orders it before another call.
The entity is duck-typed (anything the sdk makes that a workflow can call), so this module
stays in the pure core and is importable as `hpcflow.core.node_creation`, the path flytekit has.
"""
from __future__ import annotations

from typing import Any

from hpcflow.core.trace import ACTIVE_BUILDER, Builder, Promise
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.exceptions.user import FlyteValidationException


class NodeCreationError(WorkflowDefinitionError, RuntimeError):
    """create_node used outside a workflow (flytekit raises RuntimeError there)."""


class Named(dict):
    """A dict of promises whose missing key is a KeyError (as in flytekit) that lists the names there are."""

    def __init__(self, values: dict[str, Promise], owner: str, kind: str):
        super().__init__(values)
        self.owner, self.kind = owner, kind  # e.g. "workflow 'wf'", "input"

    def __missing__(self, key: str) -> Promise:
        raise KeyError(f"{self.owner} has no {self.kind} {key!r}; its {self.kind}s are: {', '.join(self) or 'none'}")


class CallNode:
    """One recorded call of a workflow: its id, its outputs by name, and `>>` to order it."""

    def __init__(self, builder: Builder, node_id: str, entity: Any, outputs: dict[str, Promise]):
        self._builder, self._node, self._entity, self._outputs = builder, node_id, entity, outputs

    @property
    def id(self) -> str:
        """The node's id in its workflow (n0, n1, ...)."""
        return self._node

    @property
    def outputs(self) -> dict[str, Promise]:
        """A promise per output, by name (o0, o1, ... or the NamedTuple's fields); empty for none."""
        return Named(self._outputs, f"node '{self._node}' ({self._entity.name})", "output")

    def __getattr__(self, name: str) -> Promise:
        if not name.startswith("_") and name in self._outputs:
            return self._outputs[name]
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(f"node '{self._node}' ({self._entity.name}) has no output '{name}'; its outputs "
                             f"are: {', '.join(self._outputs) or 'none'}")

    def __rshift__(self, other: Any) -> Any:
        return self._builder.order(self._node, other)

    def runs_before(self, other: Any) -> None:
        """flytekit's spelling of `self >> other`."""
        self._builder.order(self._node, other)

    def with_overrides(self, **overrides: Any) -> "CallNode":
        """Change resources, retries, timeout, ... of this node."""
        self._builder.override(self._node, overrides)
        return self

    def __repr__(self) -> str:
        return f"<node {self._node} ({self._entity.name}): {', '.join(self._outputs) or 'no outputs'}>"


def create_node(entity: Any, *args: Any, **kwargs: Any) -> CallNode:
    """Call `entity` (a task, map task, workflow or launch plan) with keyword inputs inside the
    workflow being traced; the node, whose outputs are `node.o0` / `node.outputs["o0"]`."""
    builder = ACTIVE_BUILDER.get()
    if builder is None:
        raise NodeCreationError(f"create_node({getattr(entity, 'name', entity)!r}, ...) is used inside a @workflow "
                                "(or on an imperative Workflow with add_entity); outside one, call the task itself")
    interface = getattr(entity, "interface", None)
    if interface is None or not callable(entity) or not hasattr(entity, "kind"):
        raise FlyteValidationException(f"create_node takes a @task, map_task, @workflow or LaunchPlan, not {entity!r}")
    if args:
        raise WorkflowDefinitionError(f"{builder.where}: create_node({entity.name}, ...) takes the inputs by "
                                      f"keyword, e.g. create_node({entity.name}, "
                                      f"{', '.join(n + '=...' for n in interface.input_names[:len(args)])})")
    entity(**kwargs)
    node_id = builder.last_node_id
    return CallNode(builder, node_id, entity, builder.outputs_of(node_id, entity.interface))
