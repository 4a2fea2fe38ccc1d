"""flytekit's conditional: `conditional(name).if_(c).then(...).elif_(c).then(...).else_().then(...)`
(or `.else_().fail(message)`), inside a @workflow.

Each branch's task calls are traced into a graph of their own; the conditional is one node of
the workflow that, once the values its conditions and branches read are known, picks the first
branch whose condition holds and runs only that one, as a @dynamic runs its sub-workflow (on
Slurm: one small job that submits the branch's jobs and exits). The branches not taken never
run, and nothing waits. Conditions compare promises and constants (`==`, `<`, ..., `is_true()`,
`is_false()`, `is_none()`) and are joined with `&` and `|`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpcflow.core.bindings import Binding, Const, WorkflowInput, extend_path, resolve, substitute
from hpcflow.core.building import ACTIVE_BUILDER
from hpcflow.core.conditions import Condition, rebuild
from hpcflow.errors import ConditionFailedError, DefinitionAssertionError, TaskFailedError, WorkflowDefinitionError
from hpcflow.sdk.spec import TaskSpec
from hpcflow.types.interface import Interface, Param

if TYPE_CHECKING:  # the tracer is imported where a workflow is traced: a task's element never loads it
    from hpcflow.core.graph import Graph
    from hpcflow.core.trace import Builder


class Branches:
    """The node a conditional becomes: its cases, each a condition and a graph (or a failure)."""

    kind = "dynamic"

    def __init__(self, name: str, owner: tuple[str, str], interface: Interface,
                 cases: list[tuple[Condition | None, Graph | str]], within: "tuple[ConditionalSection, int] | None"):
        self.name, self.interface, self.cases, self.spec = name, interface, cases, TaskSpec()
        self.module, self._owner_qualname = owner
        self.within = within  # a conditional in a case of another: that one, and the case's index
        self.node_id = ""  # set when the builder records the node

    @property
    def qualname(self) -> str:
        """`workflow#node` (`workflow#node/case/node` when nested): how a job process finds this
        conditional again (loader.resolve_entity)."""
        if self.within is not None:
            section, case = self.within
            assert section.entity is not None
            return f"{section.entity.qualname}/{case}/{self.node_id}"
        return f"{self._owner_qualname}#{self.node_id}"

    def trace(self, inputs: dict[str, Any]) -> Graph:
        """The graph of the first case whose condition holds, with its inputs as constants."""
        from hpcflow.core.graph import Graph

        value = lambda operand: resolve(operand, lambda b: inputs[b.name]) if isinstance(operand, Binding) \
            else operand  # noqa: E731
        for condition, then in self.cases:
            if condition is None or condition.evaluate(value):
                if isinstance(then, str):
                    raise ConditionFailedError(f"conditional '{self.name}': {then}")
                bound = lambda b: extend_path(Const(inputs[b.name]), b.path) if isinstance(b, WorkflowInput) \
                    else None  # noqa: E731
                nodes = tuple(type(n)(n.id, n.kind, n.entity, {k: substitute(v, bound) for k, v in n.inputs.items()},
                                      n.overrides) for n in then.nodes)
                return Graph(then.name, then.interface, nodes,
                             tuple((k, substitute(v, bound)) for k, v in then.outputs))
        raise TaskFailedError(f"conditional '{self.name}': no case holds and it has no else_()")

    def __repr__(self) -> str:
        return f"<conditional {self.name}>"


class ConditionalSection:
    """The chain `conditional(name).if_(...).then(...)...`."""

    def __init__(self, name: str):
        builder = ACTIVE_BUILDER.get()
        if builder is None:
            raise WorkflowDefinitionError(f"conditional('{name}') is used inside a @workflow's body")
        if builder.owner is None:
            raise WorkflowDefinitionError(f"{builder.where}: conditional('{name}') inside a @dynamic: its inputs "
                                          "are values there, so use Python's if/else")
        self.name, self.outer = name, builder
        self.within = getattr(builder, "section", None)  # (section, case index) when inside another's case
        self.entity: Branches | None = None
        self.captures: dict[str, tuple[str, Binding, Any]] = {}
        self.cases: list[tuple[Condition | None, Graph | str]] = []
        self._closed: list[tuple[Condition | None, Builder, tuple[Any, ...]]] = []  # frozen once all are known
        self._case: Builder | None = None
        self._token: Any = None
        self._condition: Condition | None = None

    def _open(self, condition: Condition | None, is_else: bool = False) -> None:
        if self._case is not None:
            raise WorkflowDefinitionError(f"conditional '{self.name}': .then(...) is missing before the next case")
        if not is_else and not isinstance(condition, Condition):
            raise DefinitionAssertionError(f"conditional '{self.name}': a condition compares promises, e.g. "
                                          f".if_(x > 0), not {condition!r}")
        from hpcflow.core.trace import Builder

        self._condition = None if condition is None else rebuild(condition, self._operand)
        self._case = Builder(f"{self.outer.where}, conditional '{self.name}' case {len(self._closed) + 1}",
                             owner=self.outer.owner, outer=self.outer, captures=self.captures)
        self._case.section = (self, len(self._closed))  # type: ignore[attr-defined]
        self._token = ACTIVE_BUILDER.set(self._case)

    def _operand(self, operand: Any) -> Any:
        from hpcflow.core.trace import Builder, Promise

        if isinstance(operand, Promise):
            case = Builder("", owner=self.outer.owner, outer=self.outer, captures=self.captures)
            return case.capture(operand)
        return operand

    def _close(self, result: Any) -> None:
        from hpcflow.core.trace import NodeOutputs, is_no_output

        case, self._case = self._case, None
        ACTIVE_BUILDER.reset(self._token)
        assert case is not None
        none = result is None or is_no_output(result)  # a case that calls a task or workflow without outputs
        values = () if none else tuple(result) if isinstance(result, (tuple, NodeOutputs)) else (result,)
        self._closed.append((self._condition, case, values))

    def _freeze(self) -> Interface:
        """The conditional's outputs and each case's graph. As in flytekit, the outputs are those every case
        gives: cases may give more (a tuple where another gives one value), and the extra ones are dropped."""
        from hpcflow.core.trace import Promise

        given = [values for _, _, values in self._closed]
        count = min(len(v) for v in given)
        types = tuple(v._type if isinstance(v, Promise) else type(v) for v in given[0][:count])
        kind = "none" if count == 0 else "single" if count == 1 else "tuple"
        interface = Interface((), tuple((f"o{i}", t) for i, t in enumerate(types)), kind)
        for condition, case, values in self._closed:
            result = None if count == 0 else values[0] if count == 1 else values[:count]
            self.cases.append((condition, case.freeze(self.name, interface, result)))
        return interface

    def if_(self, condition: Condition) -> "_Then":
        """The first case."""
        if self._closed:
            raise WorkflowDefinitionError(f"conditional '{self.name}': if_ comes first; use elif_")
        self._open(condition)
        return _Then(self)

    def elif_(self, condition: Condition) -> "_Then":
        """Another case, tried when those before do not hold."""
        self._open(condition)
        return _Then(self)

    def else_(self) -> "_Else":
        """The case when none before holds."""
        self._open(None, is_else=True)
        return _Else(self)

    def _node(self) -> Any:
        """The conditional's node in the workflow; its outputs."""
        outputs = self._freeze()
        inputs = {name: binding for name, binding, _ in self.captures.values()}
        params = tuple(Param(name, tp) for name, _, tp in self.captures.values())
        interface = Interface(params, outputs.outputs, outputs.output_kind)
        self.entity = Branches(self.name, self.outer.owner, interface, self.cases, self.within)  # type: ignore[arg-type]
        return self.outer.add_node("dynamic", self.entity, inputs, interface)


class _Then:
    def __init__(self, section: ConditionalSection):
        self._section = section

    def then(self, result: Any) -> ConditionalSection:
        """What this case gives: the promise(s) of the calls made for it."""
        self._section._close(result)
        return self._section


class _Else:
    def __init__(self, section: ConditionalSection):
        self._section = section

    def then(self, result: Any) -> Any:
        """What the else case gives; the conditional's output promise(s)."""
        self._section._close(result)
        return self._section._node()

    def fail(self, message: str) -> Any:
        """The else case fails the run with `message`."""
        section = self._section
        ACTIVE_BUILDER.reset(section._token)
        section._case = None
        if not section._closed:
            raise WorkflowDefinitionError(f"conditional '{section.name}': a case before else_().fail() must give outputs")
        node = section._node()
        section.cases.append((None, str(message)))
        return node


def conditional(name: str) -> ConditionalSection:
    """Start a conditional, as in flytekit."""
    return ConditionalSection(name)


__all__ = ["conditional", "Branches"]
