"""Parsing `-i NAME=VALUE` options: JSON when it parses, else the string itself."""
from __future__ import annotations

import json
from typing import Any, Sequence

from hpcflow.errors import InputError


def parse_input_options(items: Sequence[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Values by name, and for text that looked like JSON but did not parse, the JSON error."""
    values: dict[str, Any] = {}
    json_errors: dict[str, str] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InputError(f"-i expects NAME=VALUE, got '{item}'")
        if name in values:
            raise InputError(f"-i {name} is given twice; give each input once")
        try:
            values[name] = json.loads(text)
        except json.JSONDecodeError as exc:
            values[name] = text
            if text.lstrip()[:1] in ("[", "{", '"'):
                json_errors[name] = f"{exc.msg} at column {exc.colno}"
    return values, json_errors
