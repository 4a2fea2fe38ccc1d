"""Imports user workflow files and finds tasks and workflows in them."""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from hpcflow.core.plan import EntityRef
from hpcflow.errors import LoadError


def load_file(path: str | Path, module_name: str | None = None) -> ModuleType:
    """Import a Python file as a module named after it (its folder goes on sys.path)."""
    file = Path(path).resolve()
    if not file.is_file():
        raise LoadError(f"cannot import {path}: no such file")
    name = module_name or file.stem
    existing = sys.modules.get(name)
    if existing is not None and Path(getattr(existing, "__file__", "") or "").resolve() == file:
        return existing
    if str(file.parent) not in sys.path:
        sys.path.insert(0, str(file.parent))
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[name]
        raise LoadError(f"cannot import {path}: SyntaxError at line {exc.lineno}: {exc.msg}") from None
    except Exception as exc:
        del sys.modules[name]
        raise LoadError(f"cannot import {path}: {type(exc).__name__}: {exc}") from None
    except SystemExit as exc:  # script code run on import; without this hpcflow would exit with no word
        del sys.modules[name]
        raise LoadError(f"cannot import {path}: it called sys.exit({exc.code!r}) while being imported; put its "
                        "script code under `if __name__ == \"__main__\":`") from None
    return module


def runs_in_process(entity: Any) -> bool:
    """True for what `hpcflow run` runs in its own process rather than as a plan of jobs: a Flyte 2 task
    (whose children are known only as its code runs; an @eager workflow runs as jobs, in waves)."""
    from hpcflow.sdk.flyte2.task import AsyncFunctionTaskTemplate

    return isinstance(entity, AsyncFunctionTaskTemplate)


def load_workflow(ref: str) -> tuple[Any, ModuleType]:
    """`FILE.py:NAME` -> (the workflow object, its module); an @eager workflow or a Flyte 2 task too (submitted,
    they run in waves; hpcflow run runs a Flyte 2 task in its own process)."""
    from hpcflow.sdk.workflow import Workflow

    file, sep, name = ref.rpartition(":")
    if not sep or not file or not name:
        raise LoadError(f"expected FILE.py:WORKFLOW (or FILE.py WORKFLOW), got '{ref}'")
    module = load_file(file)
    found = getattr(module, name, None)
    if getattr(found, "kind", None) == "eager":  # its body runs in a job, its children in waves (sdk/waves.py)
        return found, module
    if runs_in_process(found):  # hpcflow run: in this process; hpcflow submit: its body in a job, children in waves
        return found, module
    if not isinstance(found, Workflow):
        names = sorted(k for k, v in vars(module).items() if isinstance(v, Workflow))
        what = "has no workflow" if found is None else "defines something that is not a @workflow as"
        raise LoadError(f"{file} {what} '{name}'; workflows in it: {', '.join(names) or 'none'}")
    return found, module


def resolve_entity(ref: EntityRef) -> Any:
    """The task (or dynamic) object that an EntityRef names."""
    path, _, node_id = ref.qualname.partition("#")  # workflow#node: a conditional of that workflow
    try:
        obj: Any = importlib.import_module(ref.module)
        for part in path.split("."):
            obj = getattr(obj, part)
        if node_id:  # node, then case/node for each conditional nested in a case of the one before
            first, *rest = node_id.split("/")
            obj = obj.graph.node(first).entity
            for case, inner in zip(rest[::2], rest[1::2]):
                obj = obj.cases[int(case)][1].node(inner).entity
    except (ImportError, AttributeError, StopIteration) as exc:
        raise LoadError(f"cannot find {ref.module}.{ref.qualname}: {exc!r}") from None
    return obj
