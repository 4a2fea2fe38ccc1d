"""`{inputs.x}` and `{outputs.y}` in a ShellTask's script and output locations (pure).

Python's str.format syntax, as flytekit's ShellTask uses: a File or Directory stands for its
path, a datetime for its ISO form, anything else for str(value). A name the task does not
have is an error naming it and the names it has.
"""
from __future__ import annotations

import datetime
import os
import string
from typing import Any, Mapping

from hpcflow.errors import WorkflowDefinitionError


class _Names:
    """`inputs` or `outputs` in a template: attribute access to the values, errors that name the rest."""

    def __init__(self, kind: str, values: Mapping[str, Any], where: str):
        self._kind, self._values, self._where = kind, dict(values), where

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in self._values:
            known = ", ".join(sorted(self._values)) or "none"
            raise WorkflowDefinitionError(f"{self._where}: {{{self._kind}.{name}}} names no {self._kind[:-1]} of "
                                          f"the task; its {self._kind} are: {known}")
        return self._values[name]


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, os.PathLike):  # File, Directory, pathlib paths: the path itself
            return format(os.fspath(value), format_spec)
        if isinstance(value, datetime.datetime):
            return value.isoformat()
        return super().format_field(value, format_spec)

    def get_value(self, key: Any, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if key not in kwargs:
            raise WorkflowDefinitionError(f"{kwargs['inputs']._where}: {{{key}}} is not a template name; use "
                                          "{inputs.NAME} or {outputs.NAME} (write {{ and }} for literal braces)")
        return kwargs[key]


def interpolate(template: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any], where: str) -> str:
    """`template` with every `{inputs.NAME}` / `{outputs.NAME}` replaced by its value."""
    try:
        return _Formatter().format(template, inputs=_Names("inputs", inputs, where),
                                   outputs=_Names("outputs", outputs, where))
    except (ValueError, IndexError) as exc:  # unbalanced braces, {0}, ...
        raise WorkflowDefinitionError(f"{where}: cannot fill in the script's {{...}} names: {exc}; "
                                      "write {{ and }} for literal braces (e.g. ${{HOME}})") from None
