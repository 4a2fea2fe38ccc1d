"""flytekit's FlyteContextManager, for the one thing user code reads from it: the workflow being
compiled (`current_context().compilation_state.nodes`, the calls recorded so far, in order), so
that decorators that wrap a workflow body can order their own calls around the body's, as in
the flytekit guide on decorating workflows. Outside a workflow body it is None, as in flytekit.
"""
from __future__ import annotations

from dataclasses import dataclass

from hpcflow.core.node_creation import CallNode
from hpcflow.core.trace import ACTIVE_BUILDER, Builder
from hpcflow.sdk.context import ExecutionParameters, current_context


class CompilationState:
    """The workflow body being traced now."""

    def __init__(self, builder: Builder):
        self._builder = builder

    @property
    def nodes(self) -> list[CallNode]:
        """Every call recorded so far, in call order; `a >> b` orders two of them."""
        return [CallNode(self._builder, node.id, node.entity, self._builder.outputs_of(node.id, node.entity.interface))
                for node in self._builder.recorded()]

    @property
    def prefix(self) -> str:
        """flytekit's node-id prefix: hpcflow's node ids have none."""
        return ""


@dataclass(frozen=True)
class FlyteContext:
    """What flytekit code asks the context for: the compilation state, and the task's parameters."""

    compilation_state: CompilationState | None

    @property
    def user_space_params(self) -> ExecutionParameters:
        """The running task's current_context()."""
        return current_context()

    @staticmethod
    def current_context() -> "FlyteContext":
        """The context now (flytekit's FlyteContext.current_context())."""
        return FlyteContextManager.current_context()


class FlyteContextManager:
    """flytekit's FlyteContextManager.current_context()."""

    @staticmethod
    def current_context() -> FlyteContext:
        """The context now: inside a workflow body being traced, its compilation state; else None there."""
        builder = ACTIVE_BUILDER.get()
        return FlyteContext(CompilationState(builder) if builder is not None else None)
