"""Child process of bench/compat.py's Flyte 2 part: run one example script, record its runs.

    python bench/_compat_flyte2_child.py --script FILE --out FILE

Runs under either library's interpreter: the flyte SDK's (the script as published) or
hpcflow's (the script after `import flyte` -> `import hpcflow as flyte`). Before the script runs
as `__main__`, `flyte.run` and `flyte.with_runcontext(...).run` are wrapped so that every run
the script starts is recorded with its task, inputs and outputs (or its error). The library is
whatever the script's own `import flyte` gives; this file imports it only to wrap it.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any

from _compat_child import answer_of, one_line, plain  # bench/ is on sys.path: this file's folder


def recorder(calls: list[dict], run: Any) -> Any:
    """`run` (flyte.run, or a with_runcontext runner's run) with each call recorded."""
    def record(task: Any, *args: Any, **kwargs: Any) -> Any:
        entry: dict[str, Any] = {"entity": str(getattr(task, "name", task)),
                                 "inputs": plain({**{f"arg{i}": a for i, a in enumerate(args)}, **kwargs})}
        calls.append(entry)
        try:
            result = run(task, *args, **kwargs)
            outputs = result.outputs()
        except BaseException as exc:
            entry["error"] = one_line(exc)
            raise
        entry.update(answer_of(tuple(outputs)))
        return result

    record.aio = getattr(run, "aio", None)  # type: ignore[attr-defined]
    return record


def wrap(lib: Any, calls: list[dict]) -> None:
    """Record every run the script starts through `lib.run` or `lib.with_runcontext(...).run`."""
    lib.run = recorder(calls, lib.run)
    with_runcontext = lib.with_runcontext

    def recorded_context(*args: Any, **kwargs: Any) -> Any:
        runner = with_runcontext(*args, **kwargs)

        class Recorded:
            run = staticmethod(recorder(calls, runner.run))

            def __getattr__(self, name: str) -> Any:
                return getattr(runner, name)

        return Recorded()

    lib.with_runcontext = recorded_context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", required=True)
    parser.add_argument("--lib", choices=["flyte", "hpcflow"], required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    script = Path(args.script).resolve()
    sys.path.insert(0, str(script.parent))
    os.chdir(script.parent)
    result: dict[str, Any] = {"calls": []}
    try:
        wrap(importlib.import_module(args.lib), result["calls"])
        runpy.run_path(str(script), run_name="__main__")
    except BaseException as exc:  # an error not raised by a recorded run is a case of its own
        if not any("error" in c for c in result["calls"]):
            result["calls"].append({"entity": "__main__", "inputs": {}, "error": one_line(exc)})
    Path(args.out).write_text(json.dumps(result, indent=1, default=repr))


if __name__ == "__main__":
    main()
