"""Records flytekit's answers for the data-type examples into expected_types.json.

Run with a Python that has flytekit (never a dependency of hpcflow), from anywhere:
    /tmp/flytekit-venv/bin/python tests/flytekit_docs/record_types.py
Each module is copied to a temporary folder with its import line turned back into flytekit's,
imported, and its workflows called in-process (after the import: flytekit's pickling thread
would deadlock on the import lock otherwise). Values are recorded in their plain JSON form
(plain() below, which the tests apply to hpcflow's answers too).
"""
from __future__ import annotations

import dataclasses
import enum
import importlib
import json
import sys
import tempfile
import typing
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FRUITS = [{"name": "apple", "weight": 1.5, "color": "red"}, {"name": "lime", "weight": 0.5, "color": "green"},
          {"name": "plum", "weight": 0.75, "color": "blue"}, {"name": "cherry", "weight": 0.125}]
# (module, workflow, inputs as they are given on the command line: JSON, Enums by value)
CASES = [
    ("flyte_enum_type", "coffee_maker", {"coffee": "latte"}),
    ("flyte_enum_type", "coffee_maker_enum", {"coffee_enum": "latte"}),
    ("flyte_enum_type", "coffee_maker_enum", {"coffee_enum": "cappucccino"}),
    ("flyte_dataclass", "dataclass_wf", {"x": 10, "y": 20}),
    ("flyte_pickle_type", "superhero_wf", {}),
    ("flyte_pickle_type", "superhero_wf", {"name": "Storm", "power": "Weather"}),
    ("flyte_types_extra", "color_wf", {"color": "red"}),
    ("flyte_types_extra", "default_color_wf", {}),
    ("flyte_types_extra", "enum_str_wf", {"name": "green"}),
    ("flyte_types_extra", "map_colors", {"colors": ["red", "green", "blue", "red"]}),
    ("flyte_types_extra", "map_hues", {"fruits": FRUITS}),
    ("flyte_types_extra", "basket_wf", {"fruits": FRUITS, "name": "plum"}),
    ("flyte_types_extra", "basket_wf", {"fruits": FRUITS, "name": "kiwi"}),
    ("flyte_types_extra", "groups_input_wf", {"groups": {"red": FRUITS[:1] + FRUITS[3:], "green": FRUITS[1:2]}}),
    ("flyte_types_extra", "crate_wf", {"label": "mixed", "fruits": FRUITS}),
    ("flyte_types_extra", "crate_input_wf", {"crate": {"label": "c", "fruits": FRUITS[:2], "best": None}}),
    ("flyte_types_extra", "pickle_wf", {"start": 3, "by": 4, "xs": [1, 2, 2, 3, 3, 3]}),
    ("flyte_types_extra", "map_pickles", {"starts": [5, 6, 7]}),
    ("flyte_types_extra", "pickled_list_wf", {"starts": [5, 6, 7]}),
    ("flyte_types_extra", "tuple_wf", {"xs": [4, 9, 2]}),
]
FAILS = [  # inputs flytekit refuses before anything runs
    ("flyte_enum_type", "coffee_maker_enum", {"coffee_enum": "mocha"}),
    ("flyte_types_extra", "color_wf", {"color": "purple"}),
]


def plain(value: Any) -> Any:
    """The JSON form of a workflow's answer: records as objects, Enums as their values, tuples as lists."""
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    return value


def build(value: Any, tp: Any) -> Any:
    """The Python value for a JSON-form input of type `tp` (flytekit's in-process call wants objects:
    an Enum member, not its value, inside a dataclass), as pyflyte run builds it from the command line."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if value is None:
        return None
    if origin is typing.Union:
        return build(value, next(a for a in args if a is not type(None)))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(value)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(**{k: build(v, hints[k]) for k, v in value.items()})
    if origin is list:
        return [build(v, args[0]) for v in value]
    if origin is dict:
        return {build(k, args[0]) if args[0] is not int else int(k): build(v, args[1]) for k, v in value.items()}
    return value


def case_key(module: str, wf: str, seen: dict[str, int]) -> str:
    """`module:wf`, then `module:wf#1`, ... for further cases of the same workflow."""
    key = f"{module}:{wf}"
    n = seen.get(key, 0)
    seen[key] = n + 1
    return key if n == 0 else f"{key}#{n}"


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="flytekit-record-"))
    for module in sorted({m for m, _, _ in CASES + FAILS}):
        text = (HERE / f"{module}.py").read_text().replace("from hpcflow import", "from flytekit import")
        (tmp / f"{module}.py").write_text(text)
    sys.path.insert(0, str(tmp))
    import flytekit

    out: dict[str, Any] = {"flytekit": flytekit.__version__, "cases": {}, "fails": {}}
    seen: dict[str, int] = {}
    for module, wf, kwargs in CASES:
        entity = getattr(importlib.import_module(module), wf)
        hints = typing.get_type_hints(entity._workflow_function)
        result = entity(**{k: build(v, hints[k]) for k, v in kwargs.items()})
        out["cases"][case_key(module, wf, seen)] = {"kwargs": kwargs, "result": plain(result)}
    for module, wf, kwargs in FAILS:
        try:
            getattr(importlib.import_module(module), wf)(**kwargs)
        except Exception as exc:  # noqa: BLE001 - what flytekit says is what is recorded
            out["fails"][case_key(module, wf, seen)] = {"kwargs": kwargs, "error": type(exc).__name__,
                                                        "message": str(exc).splitlines()[0]}
        else:
            raise SystemExit(f"{module}:{wf}({kwargs}) was expected to fail under flytekit")
    (HERE / "expected_types.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"recorded {len(out['cases'])} cases and {len(out['fails'])} failures from flytekit {flytekit.__version__}")


if __name__ == "__main__":
    main()
