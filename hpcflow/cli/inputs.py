"""Parsing `-i NAME=VALUE` options: JSON when it parses, else the string itself."""
from __future__ import annotations

import json
from typing import Any, Sequence

from hpcflow.errors import InputError

MAX_DEPTH = 100  # lists in dicts in lists...: deeper than any real input, shallow enough for every recursive reader


def parse_input_options(items: Sequence[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Values by name, and for text that looked like JSON but did not parse, the JSON error."""
    values: dict[str, Any] = {}
    json_errors: dict[str, str] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InputError(f"-i expects NAME=VALUE, got {item!r}")
        if name in values:
            raise InputError(f"-i {name} is given twice; give each input once")
        try:
            values[name] = json.loads(text)
        except json.JSONDecodeError as exc:
            values[name] = text
            if text.lstrip()[:1] in ("[", "{", '"'):
                json_errors[name] = f"{exc.msg} at column {exc.colno}"
        except RecursionError:
            raise InputError(f"-i {name}: the value is nested more than {MAX_DEPTH} levels deep; "
                             "pass a flatter value, or a File") from None
        except ValueError as exc:  # an integer past Python's digit limit
            raise InputError(f"-i {name}: {str(exc).split(';')[0]}; pass it as a string (\"...\") or a float") from None
        if _depth(values[name]) > MAX_DEPTH:
            raise InputError(f"-i {name}: the value is nested more than {MAX_DEPTH} levels deep; "
                             "pass a flatter value, or a File")
    return values, json_errors


def _depth(value: Any) -> int:
    """How deeply lists and dicts nest in `value` (iteratively: the value may be too deep to recurse into)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            todo.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def split_target(target: str, words: Sequence[str]) -> tuple[str, list[str]]:
    """`FILE.py:WORKFLOW`, or pyflyte's `FILE.py WORKFLOW`: the target in the first form, and
    the words after it (the workflow's own flags)."""
    if ":" not in target and words and not words[0].startswith("-"):
        return f"{target}:{words[0]}", list(words[1:])
    return target, list(words)


def parse_workflow_flags(words: Sequence[str], flags: set[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """pyflyte run's form of inputs, `--n 3 --xs '[1,2]'` or `--n=3`, parsed as -i values are;
    a name in `flags` (a bool input) may stand alone (`--verbose`, `--no-verbose`)."""
    items: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("--") or len(word) == 2:
            raise InputError(f"expected a workflow input as --NAME VALUE, got '{word}'")
        name, sep, text = word[2:].partition("=")
        if not sep and (name in flags or (name.startswith("no-") and name[3:] in flags)) and (
                i + 1 == len(words) or words[i + 1].startswith("--")):
            items.append(f"{name[3:]}=false" if name not in flags else f"{name}=true")
            i += 1
            continue
        if not sep:
            if i + 1 == len(words):
                raise InputError(f"--{name} needs a value: --{name} VALUE")
            text, i = words[i + 1], i + 1
        items.append(f"{name.replace('-', '_')}={text}")
        i += 1
    return parse_input_options(items)


def inputs_help(name: str, params: Sequence[Any]) -> str:
    """The inputs of a workflow as flags, with their types and defaults (`... WORKFLOW --help`)."""
    from hpcflow.types.check import type_name

    lines = [f"Inputs of workflow '{name}' (--NAME VALUE, or -i NAME=VALUE; VALUE is JSON when it parses):"]
    for p in params:
        default = "required" if p.required else f"default: {json.dumps(p.default, default=repr)}"
        lines.append(f"  --{p.name:<20} {type_name(p.type):<24} [{default}]")
    return "\n".join(lines if params else lines[:1] + ["  (none)"])
