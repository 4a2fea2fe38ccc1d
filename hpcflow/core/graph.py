"""The typed DAG that tracing a workflow produces. Pure data."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from hpcflow.core.bindings import Binding, upstream_nodes
from hpcflow.types.interface import Interface

NodeKind = Literal["task", "map", "dynamic", "workflow"]


@dataclass(frozen=True)
class Node:
    """One call inside a workflow: a task, a map over a task, a dynamic or a sub-workflow."""

    id: str
    kind: NodeKind
    entity: Any  # the sdk object: Task, MapTask, Dynamic or Workflow
    inputs: Mapping[str, Binding]
    overrides: Mapping[str, Any] = field(default_factory=dict)
    after: tuple[str, ...] = ()  # nodes it runs after without reading their outputs (flytekit's a >> b)

    @property
    def name(self) -> str:
        """A readable label: the override name, else the entity's name."""
        return self.overrides.get("name") or self.entity.name

    @property
    def upstream(self) -> set[str]:
        """Ids of the nodes whose outputs this node reads, and those it is ordered after."""
        return set(self.after).union(*(upstream_nodes(b) for b in self.inputs.values()))


@dataclass(frozen=True)
class Graph:
    """A traced workflow: nodes in a topological (call) order and its output bindings."""

    name: str
    interface: Interface
    nodes: tuple[Node, ...]
    outputs: tuple[tuple[str, Binding], ...]
    on_failure: Any = None  # the workflow's failure watch (sdk/failure.py): a dynamic run when a node failed
    failure_policy: str = "FAIL_IMMEDIATELY"  # or FAIL_AFTER_EXECUTABLE_NODES_COMPLETE (flytekit's names)

    def node(self, node_id: str) -> Node:
        """The node with id `node_id`."""
        return next(n for n in self.nodes if n.id == node_id)
