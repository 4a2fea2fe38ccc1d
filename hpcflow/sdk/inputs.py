"""Binding concrete workflow inputs to an interface: defaults, unknown names, types."""
from __future__ import annotations

from typing import Any, Mapping

from hpcflow.errors import InputError
from hpcflow.types.check import coerce, type_name
from hpcflow.types.interface import Interface


def bind_inputs(interface: Interface, given: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Check `given` against the interface and fill in defaults; raises InputError."""
    unknown = [k for k in given if k not in interface.input_names]
    if unknown:
        raise InputError(f"{where} has no input '{unknown[0]}'; its inputs are: "
                         f"{', '.join(interface.input_names) or 'none'}")
    bound: dict[str, Any] = {}
    for p in interface.inputs:
        if p.name in given:
            try:
                bound[p.name] = coerce(given[p.name], p.type)
            except ValueError as exc:
                raise InputError(f"{where}: input '{p.name}': {exc}") from None
        elif p.required:
            raise InputError(f"{where}: missing input '{p.name}' ({type_name(p.type)})")
        else:
            bound[p.name] = p.default
    return bound
