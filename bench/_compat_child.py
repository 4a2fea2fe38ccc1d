"""Child process of bench/compat.py: import one example module, run its cases, write their answers.

    python bench/_compat_child.py --lib flytekit|hpcflow --root DIR --module PKG.MOD --out FILE [--plan FILE]

Runs under either library's interpreter (it imports neither itself, only the example does).
The cases are: every call that the module's `if __name__ == "__main__":` blocks make to a
workflow, launch plan or task (recorded as they happen, so the blocks run as written), then
each workflow or launch plan whose inputs all have defaults, called with none, then the
parent's explicit inputs. Under flytekit the child finds those entities itself; under hpcflow
it is given flytekit's list (--plan), so both runs make the same calls.
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import dataclasses
import enum
import hashlib
import importlib
import inspect
import json
import math
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

RECORDER = "__compat_record__"


def first_line(exc: BaseException) -> str:
    """`module.Type: first line of the message`, without the notes a library may add."""
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    text = traceback.format_exception_only(type(exc), exc)[0].strip()
    return text.splitlines()[0] if text else type(exc).__name__


def one_line(exc: BaseException) -> str:
    """The root cause's type and first line, then the outermost error's, as the table shows them."""
    root, seen = exc, {id(exc)}
    while (nxt := root.__cause__ or root.__context__) is not None and id(nxt) not in seen:
        root = nxt
        seen.add(id(nxt))
    text = first_line(root) if root is exc else f"{first_line(root)} [{first_line(exc)}]"
    return text[:400]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def plain(value: Any, depth: int = 0) -> Any:
    """JSON-normalise an answer so that the two libraries' values can be compared."""
    if depth > 20:
        return repr(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, enum.Enum):
        return {"enum": type(value).__name__, "value": plain(value.value, depth + 1)}
    if isinstance(value, os.PathLike):  # FlyteFile / File, FlyteDirectory / Directory: compare the bytes
        return plain_path(Path(os.fspath(value)))
    if type(value).__module__.startswith("flyte.io") and isinstance(getattr(value, "path", None), str):
        # Flyte 2's File and Dir are no PathLike (they are pydantic models): compare their bytes too
        return plain_path(Path(value.path.removeprefix("file://")))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: plain(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)}
        return {"dataclass": type(value).__name__, **fields}
    if isinstance(value, (list, tuple)):  # NamedTuples too: flytekit and hpcflow name their fields alike
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, Iterator):  # an Iterator[...] output: its items
        return [plain(v, depth + 1) for v in value]
    if hasattr(value, "__dict__"):  # a pickled user class: its class name and attributes
        return {"object": type(value).__qualname__, **{k: plain(v, depth + 1) for k, v in vars(value).items()}}
    return {"repr": repr(value)[:200]}


def answer_of(value: Any) -> dict[str, Any]:
    """{"answer": the normalised value}, or {"error": ...} when the value cannot be read back."""
    try:
        return {"answer": plain(value)}
    except Exception as exc:  # e.g. a returned file that cannot be opened
        return {"error": f"reading the answer: {one_line(exc)}"}


def plain_path(path: Path) -> Any:
    """A file by its content hash; a directory by the hashes of its files (names relative to it)."""
    if path.is_file():
        return {"file": digest(path)}
    if path.is_dir():
        return {"dir": {str(p.relative_to(path)): digest(p) for p in sorted(path.rglob("*")) if p.is_file()}}
    return {"missing path": path.name}


def finish(value: Any) -> Any:
    """flytekit's eager workflows are coroutines when called outside a workflow: run them."""
    return asyncio.run(value) if inspect.iscoroutine(value) else value


def make_recorder(calls: list[dict], names: set[str]) -> Callable[..., Any]:
    """The function every recorded call in a __main__ block goes through."""
    def record(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if name not in names:
            return fn(*args, **kwargs)
        entry: dict[str, Any] = {"entity": name, "inputs": plain({**{f"arg{i}": a for i, a in enumerate(args)}, **kwargs}),
                                 "source": "__main__"}
        calls.append(entry)
        try:
            value = finish(fn(*args, **kwargs))
        except BaseException as exc:
            entry["error"] = one_line(exc)
            raise
        entry.update(answer_of(value))
        return value
    return record


class RecordCalls(ast.NodeTransformer):
    """Rewrite `name(...)` as `__compat_record__("name", name, ...)` for the entities' names."""

    def __init__(self, names: set[str]):
        self.names = names

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.names:
            return ast.Call(func=ast.Name(RECORDER, ast.Load()),
                            args=[ast.Constant(node.func.id), ast.Name(node.func.id, ast.Load()), *node.args],
                            keywords=node.keywords)
        return node


def main_blocks(source: str) -> list[ast.If]:
    """The module's top-level `if __name__ == "__main__":` blocks, in order."""
    def is_main(test: ast.expr) -> bool:
        return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
                and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators))
    return [n for n in ast.parse(source).body if isinstance(n, ast.If) and is_main(n.test)]


def run_main_blocks(mod: ModuleType, names: set[str], calls: list[dict]) -> None:
    """Run each __main__ block in the module's namespace, recording the entities' calls."""
    path = Path(mod.__file__ or "")
    mod.__dict__[RECORDER] = make_recorder(calls, names)
    for block in main_blocks(path.read_text()):
        tree = ast.fix_missing_locations(RecordCalls(names).visit(ast.Module(body=block.body, type_ignores=[])))
        before = len(calls)
        try:
            exec(compile(tree, str(path), "exec"), mod.__dict__)
        except BaseException as exc:  # an error not raised by a recorded call is a case of its own
            if not any("error" in c for c in calls[before:]):
                calls.append({"entity": "__main__", "inputs": {}, "source": "__main__", "error": one_line(exc)})


def flytekit_entities(mod: ModuleType) -> tuple[list[str], list[str]]:
    """Names of the module's flytekit entities, and those callable with no inputs (all defaulted)."""
    from flytekit.core.base_task import PythonTask
    from flytekit.core.launch_plan import LaunchPlan
    from flytekit.core.workflow import WorkflowBase

    entities, defaults = [], []
    for name, obj in vars(mod).items():
        if isinstance(obj, (WorkflowBase, LaunchPlan, PythonTask)) and getattr(obj, "__module__", None) != "flytekit":
            entities.append(name)
        if isinstance(obj, WorkflowBase):
            iface = obj.python_interface
            if set(iface.inputs) == set(iface.default_inputs_as_kwargs):
                defaults.append(name)
        elif isinstance(obj, LaunchPlan) and not any(p.required for p in obj.parameters.parameters.values()):
            defaults.append(name)
    return entities, defaults


def call_case(mod: ModuleType, name: str, kwargs: dict, source: str) -> dict:
    """Call one entity of the module with the given inputs and record its answer or its error."""
    entry: dict[str, Any] = {"entity": name, "inputs": plain(kwargs), "source": source}
    try:
        value = finish(getattr(mod, name)(**kwargs))
    except BaseException as exc:
        entry["error"] = one_line(exc)
        return entry
    entry.update(answer_of(value))
    return entry


def run(lib: str, module: str, plan: dict) -> dict:
    """Import the module and run its cases; the result the parent compares."""
    result: dict[str, Any] = {"lib": lib, "module": module, "calls": []}
    try:
        mod = importlib.import_module(module)
    except BaseException as exc:
        result["import_error"] = one_line(exc)
        return result
    if lib == "flytekit":
        entities, defaults = flytekit_entities(mod)
    else:
        entities, defaults = plan["entities"], plan["defaults"]
    result["entities"], result["defaults"] = entities, defaults
    calls: list[dict] = result["calls"]
    run_main_blocks(mod, set(entities), calls)
    done = {(c["entity"], json.dumps(c["inputs"], sort_keys=True)) for c in calls}
    for name in defaults:
        if (name, "{}") not in done:
            calls.append(call_case(mod, name, {}, "defaults"))
    for name, kwargs in plan.get("inputs", {}).items():
        calls.append(call_case(mod, name, kwargs, "bench inputs"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lib", choices=["flytekit", "hpcflow"], required=True)
    parser.add_argument("--root", required=True, help="the folder holding the example's package")
    parser.add_argument("--module", required=True, help="the example's module, e.g. basics.workflow")
    parser.add_argument("--out", required=True, help="where to write the JSON result")
    parser.add_argument("--plan", help="JSON: entities, defaults and inputs to call")
    args = parser.parse_args()
    plan = json.loads(Path(args.plan).read_text()) if args.plan else {}
    sys.path.insert(0, args.root)
    os.chdir(args.root)
    result = run(args.lib, args.module, plan)
    Path(args.out).write_text(json.dumps(result, indent=1, default=repr))


if __name__ == "__main__":
    main()
