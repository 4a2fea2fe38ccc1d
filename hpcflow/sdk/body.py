"""Tracing a workflow's or a dynamic's body: call it under a Builder, which records its calls."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:  # names for the annotations only: a process that never traces never loads the tracer
    from hpcflow.core.graph import Graph
    from hpcflow.core.trace import Builder
    from hpcflow.types.interface import Interface


def traced(builder: Builder, name: str, fn: Callable[..., Any], interface: Interface,
           inputs: Mapping[str, Any] | None = None) -> Graph:
    """The Graph of what `fn` calls, given `inputs` (by default a promise per input of `interface`).
    The body runs here, in the sdk, so that the tasks it calls are called from the sdk too."""
    with builder.active():
        result = fn(**(builder.input_promises(interface) if inputs is None else inputs))
    return builder.freeze(name, interface, result)
