"""flytekit's imperative workflow: `Workflow(name=...)` built call by call instead of traced
from a function body.

    wb = Workflow(name="my_workflow")
    wb.add_workflow_input("in1", str)
    node = wb.add_entity(t1, a=wb.inputs["in1"])
    wb.add_workflow_output("from_n0t1", node.outputs["o0"])
    wb(in1="hello")

Each `add_*` records into one Builder, the one that traces a @workflow's body, so the Graph it
freezes to is compiled, pinned and run like any workflow's (and the loader takes it for
`hpcflow run|submit FILE.py:wb`, as it is a sdk.workflow.Workflow). As in flytekit, a workflow
with several outputs returns a NamedTuple of them (DefaultNamedTupleOutput), one output its value.
"""
from __future__ import annotations

import collections
import dataclasses
import sys
from typing import Any

from hpcflow.core.graph import Graph
from hpcflow.core.node_creation import CallNode, Named, create_node
from hpcflow.core.trace import ACTIVE_BUILDER, Builder, Promise, contains_promise, promise_type, to_binding
from hpcflow.core.bindings import WorkflowInput
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.exceptions.user import FlyteValidationException
from hpcflow.sdk.failure import FailureHandler, policy_name
from hpcflow.sdk.workflow import Workflow
from hpcflow.types.check import unsupported_reason
from hpcflow.types.interface import Interface, Param


class ImperativeWorkflow(Workflow):
    """A workflow whose inputs, nodes and outputs are added one at a time."""

    def __init__(self, name: str, failure_policy: Any = None, interruptible: bool = False):
        if not isinstance(name, str) or not name:
            raise WorkflowDefinitionError(f"Workflow(name=...) takes a non-empty name, not {name!r}")
        if interruptible:
            raise WorkflowDefinitionError(f"Workflow '{name}': interruptible=True is set per task: "
                                          "@task(interruptible=True)")
        self.fn = None
        self.name = self.__name__ = name
        self.module: str = sys._getframe(1).f_globals.get("__name__", "__main__")
        self.qualname = name
        self.__doc__ = f"imperative workflow {name}"
        self._builder = Builder(f"workflow '{name}'")
        self._inputs: dict[str, tuple[Param, Promise]] = {}
        self._outputs: dict[str, tuple[Any, Any]] = {}  # name -> (what it is bound to, its type)
        self._nodes: list[CallNode] = []
        self._interface: Interface | None = None
        self._graph: Graph | None = None
        self.failure_policy = policy_name(failure_policy, f"Workflow '{name}'")
        self.failure_handler: FailureHandler | None = None

    def add_workflow_input(self, input_name: str, python_type: Any) -> Promise:
        """Declare an input; the promise of its value (also `self.inputs[input_name]`)."""
        if input_name in self._inputs:
            raise FlyteValidationException(f"Input {input_name} has already been specified for wf {self.name}; "
                                           "give this one another name")
        if not input_name.isidentifier():
            raise WorkflowDefinitionError(f"workflow '{self.name}': input name {input_name!r} must be a Python "
                                          "identifier, e.g. in1")
        reason = unsupported_reason(python_type)
        if reason:
            raise WorkflowDefinitionError(f"workflow '{self.name}': input '{input_name}': {reason}")
        promise = Promise(WorkflowInput(input_name), python_type, self._builder)
        self._inputs[input_name] = (Param(input_name, python_type), promise)
        self._changed()
        return promise

    def add_entity(self, entity: Any, **kwargs: Any) -> CallNode:
        """Call a task, map task, workflow or launch plan with these inputs; the node."""
        with self._builder.active():
            node = create_node(entity, **kwargs)
        self._nodes.append(node)
        self._changed()
        return node

    add_task = add_launch_plan = add_subwf = add_entity  # flytekit's names for the same thing

    def add_workflow_output(self, output_name: str, p: Any, python_type: Any = None) -> None:
        """Bind an output to a promise (or a list or dict of them, with `python_type` saying its type)."""
        if output_name in self._outputs:
            raise FlyteValidationException(f"Output {output_name} already exists in workflow {self.name}; "
                                           "give this one another name")
        if not output_name.isidentifier():
            raise WorkflowDefinitionError(f"workflow '{self.name}': output name {output_name!r} must be a Python "
                                          "identifier, e.g. o0")
        if not isinstance(p, Promise):
            if not contains_promise(p):
                raise WorkflowDefinitionError(f"workflow '{self.name}': add_workflow_output('{output_name}', ...) takes "
                                              "a promise: an input (wb.inputs[...]) or a node's output "
                                              f"(node.outputs[...]), not {p!r}")
            if python_type is None:
                raise FlyteValidationException(f"workflow '{self.name}': output '{output_name}' is a list or dict of "
                                               "promises; give its type too, e.g. python_type=list[int]")
        tp = promise_type(p) if python_type is None else python_type
        to_binding(p, tp, f"workflow '{self.name}', output '{output_name}'", self._builder)  # check the type now
        self._outputs[output_name] = (p, tp)
        self._changed()

    @property
    def inputs(self) -> dict[str, Promise]:
        """The promise of each input, by name."""
        return Named({name: promise for name, (_, promise) in self._inputs.items()}, f"workflow '{self.name}'", "input")

    @property
    def nodes(self) -> list[CallNode]:
        """The nodes added so far, in order."""
        return list(self._nodes)

    def add_on_failure_handler(self, entity: Any) -> None:
        """Run `entity` (a task or workflow taking this workflow's inputs, and optionally
        `err: Optional[FlyteError]`) when the workflow fails; add the inputs first."""
        self.failure_handler = FailureHandler(self, entity)
        self._graph = None

    def ready(self) -> bool:
        """True once it has a node to run (flytekit's check before it runs one)."""
        return bool(self._nodes)

    @property
    def interface(self) -> Interface:
        """The inputs and outputs declared so far."""
        if self._interface is None:
            outputs = tuple((name, tp) for name, (_, tp) in self._outputs.items())
            if len(outputs) > 1:  # flytekit returns its DefaultNamedTupleOutput
                cls = collections.namedtuple("DefaultNamedTupleOutput", [n for n, _ in outputs])  # type: ignore[misc]
                self._interface = Interface(tuple(p for p, _ in self._inputs.values()), outputs, "namedtuple", cls)
            else:
                self._interface = Interface(tuple(p for p, _ in self._inputs.values()), outputs,
                                            "single" if outputs else "none")
        return self._interface

    @property
    def graph(self) -> Graph:
        """The Graph of what was added, frozen again after each change."""
        if self._graph is None:
            if not self.ready():
                raise FlyteValidationException(f"workflow '{self.name}' is not ready: it has no nodes; add one with "
                                               "add_entity(task, ...) before running it")
            values = tuple(p for p, _ in self._outputs.values())
            result = None if not values else values[0] if len(values) == 1 else values
            self._graph = dataclasses.replace(self._builder.freeze(self.name, self.interface, result),
                                              on_failure=self.failure_handler, failure_policy=self.failure_policy)
        return self._graph

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and ACTIVE_BUILDER.get() is None:  # flytekit takes the inputs in order, too, when run
            names = self.interface.input_names
            if len(args) > len(names):
                raise WorkflowDefinitionError(f"workflow '{self.name}' takes {len(names)} input(s) "
                                              f"({', '.join(names) or 'none'}), got {len(args)} positional")
            kwargs = {**dict(zip(names, args)), **kwargs}
            args = ()
        self.graph  # a workflow without nodes is refused before its inputs are looked at, as in flytekit
        return super().__call__(*args, **kwargs)

    def _changed(self) -> None:
        self._interface = self._graph = None

    def __repr__(self) -> str:
        return f"<imperative workflow {self.module}.{self.name}: {len(self._nodes)} node(s)>"
