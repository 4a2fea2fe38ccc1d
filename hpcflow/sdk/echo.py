"""flytekit's Echo: a task that returns its inputs, for a branch of a conditional that passes a
value through (`from flytekit.core.task import Echo` becomes `from hpcflow import Echo`)."""
from __future__ import annotations

import sys
from typing import Any, Mapping

from hpcflow.errors import WorkflowDefinitionError
from hpcflow.sdk.spec import check_declared, make_spec
from hpcflow.sdk.task import Task, bound_name
from hpcflow.types.check import unsupported_reason
from hpcflow.types.interface import Interface, Param


class Echo(Task):
    """Outputs named and typed as its inputs, holding their values."""

    def __init__(self, name: str, inputs: Mapping[str, Any] | None = None, **options: Any):
        where = f"Echo '{name}'"
        if options:
            raise WorkflowDefinitionError(f"{where}: Echo takes name= and inputs= only, not {sorted(options)[0]}=")
        if not isinstance(inputs, Mapping) or not inputs:
            raise WorkflowDefinitionError(f"{where}: inputs= takes the names and types it echoes, e.g. {{'x': float}}")
        for key, tp in inputs.items():
            reason = unsupported_reason(tp)
            if reason:
                raise WorkflowDefinitionError(f"{where}: input '{key}': {reason}")
        self.name, self.fn, self.spec = name, self._echo, make_spec()
        check_declared("Echo", name, self.spec)
        self.module = sys._getframe(1).f_globals.get("__name__", "__main__")  # its maker's module
        self._names = tuple(inputs)
        self._interface = Interface(tuple(Param(n, tp) for n, tp in inputs.items()), tuple(inputs.items()),
                                    "single" if len(inputs) == 1 else "tuple")

    @property
    def qualname(self) -> str:  # type: ignore[override]
        """The module-level name it is bound to, so that job processes can import it."""
        return bound_name(self, self.module) or f"<locals>.{self.name}"

    def _echo(self, **values: Any) -> Any:
        return values[self._names[0]] if len(self._names) == 1 else tuple(values[n] for n in self._names)
