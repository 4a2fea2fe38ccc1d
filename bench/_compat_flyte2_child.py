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
import datetime
import importlib
import json
import os
import re
import runpy
import sys
from pathlib import Path
from typing import Any

from _compat_child import answer_of, one_line, plain  # bench/ is on sys.path: this file's folder


TMP_NAMES: list[str] = []  # names in TMPDIR that the runs' inputs held, in order (the files may be gone at the end)


def note_tmp_names(values: Any) -> None:
    tmpdir = os.environ.get("TMPDIR", "").rstrip("/")
    if tmpdir:
        TMP_NAMES.extend(n for n in re.findall(re.escape(tmpdir) + r"/([^/\"'\s,)]+)", repr(values))
                         if n not in TMP_NAMES)


def recorder(calls: list[dict], run: Any) -> Any:
    """`run` (flyte.run, or a with_runcontext runner's run) with each call recorded."""
    def record(task: Any, *args: Any, **kwargs: Any) -> Any:
        note_tmp_names((args, kwargs))
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


ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?")
REPR_TIME = re.compile(r"datetime\.datetime\((\d+), (\d+), (\d+), (\d+), (\d+)(?:, (\d+))?(?:, (\d+))?")


def this_run_only(text: str, tmpdir: str, start: datetime.datetime, end: datetime.datetime) -> str:
    """The recorded runs without what differs only because this is another process at another moment,
    so that the two libraries' runs compare on behaviour: the run's temp folder (TMPDIR), the random
    names tempfile gave the files and folders made in it (numbered in order of first appearance) and
    the clock's readings taken while the script ran (datetime.now() passed as an input, and echoed
    back). Other times, and time zones, are left as they are."""
    made = {p.name for p in Path(tmpdir).iterdir() if not p.name.startswith(".")}  # the script's, not the bench's
    made |= set(re.findall(re.escape(tmpdir) + r"/([^/\"'\s]+)", text)) | set(TMP_NAMES)  # and those gone by now
    names = sorted((n for n in made if n in text), key=text.index)
    text = text.replace(tmpdir, "$TMPDIR")
    for i, name in enumerate(names):
        text = text.replace(name, f"<tmp{i}>")
    utc_offset = datetime.datetime.now() - datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    slack = datetime.timedelta(seconds=2)

    def clock(moment: datetime.datetime) -> bool:  # read from the clock during the run, local or UTC
        return any(start - slack <= moment - shift <= end + slack for shift in (datetime.timedelta(0), utc_offset))

    def iso(m: re.Match) -> str:
        try:
            return "<now>" if clock(datetime.datetime.fromisoformat(m.group(0).replace(" ", "T"))) else m.group(0)
        except ValueError:
            return m.group(0)

    def rep(m: re.Match) -> str:
        try:
            moment = datetime.datetime(*(int(g) for g in m.groups() if g is not None))
        except ValueError:
            return m.group(0)
        return "datetime.datetime(<now>" if clock(moment) else m.group(0)

    return REPR_TIME.sub(rep, ISO_TIME.sub(iso, text))


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
    start = datetime.datetime.now()
    try:
        wrap(importlib.import_module(args.lib), result["calls"])
        runpy.run_path(str(script), run_name="__main__")
    except BaseException as exc:  # an error not raised by a recorded run is a case of its own
        if not any("error" in c for c in result["calls"]):
            result["calls"].append({"entity": "__main__", "inputs": {}, "error": one_line(exc)})
    text = json.dumps(result, indent=1, default=repr)
    if os.environ.get("TMPDIR"):
        text = this_run_only(text, os.environ["TMPDIR"].rstrip("/"), start, datetime.datetime.now())
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
