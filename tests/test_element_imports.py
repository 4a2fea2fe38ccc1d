"""An element costs what its work costs: its process imports only what a plain element runs.

Every element of a map is a fresh Python (`python -m hpcflow.runtime.entry RUN_DIR JOB INDEX`), and
its user module does `from hpcflow import task, workflow`. Checked without timing, by what each of
those leaves in sys.modules (bench/element_start.py times them)."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import hpcflow
from hpcflow.loader import load_file
from hpcflow.runtime.runs import compile_for, create_run

# What no plain element needs: the Flyte 2 SDK, the CLI, the backends, the cache, the tracer and compiler,
# site configs, the third-party packages of other paths, and the heavier standard modules.
NOT_NEEDED = (
    "hpcflow.cli", "hpcflow.backends", "hpcflow.cache", "hpcflow.site", "hpcflow.io", "hpcflow.report",
    "hpcflow.notify", "hpcflow.models", "hpcflow.artifacts", "hpcflow.core.trace", "hpcflow.core.graph",
    "hpcflow.core.compile", "hpcflow.core.layout", "hpcflow.runtime.backend", "hpcflow.runtime.handle",
    "hpcflow.sdk.resources", "hpcflow.sdk.local_execution",
    "rich", "dask", "distributed", "click", "h5py", "pydantic", "numpy", "submitit", "cloudpickle", "filelock",
    "asyncio", "logging", "socket", "ssl", "subprocess", "tempfile", "shutil", "pickle", "uuid", "tomllib",
    "threading", "datetime", "unicodedata", "platform", "secrets",
    "hashlib", "_hashlib",  # OpenSSL: only an element that caches or stores a blob hashes
)
FLYTE2_HAND_OFF = {"hpcflow.sdk.flyte2", "hpcflow.sdk.flyte2.remote"}  # the one part of it the root imports


def unneeded(modules: list[str]) -> list[str]:
    """The modules of `modules` that a plain element does not need."""
    return sorted(m for m in modules if m.startswith(tuple(f"{n}." for n in NOT_NEEDED)) or m in NOT_NEEDED
                  or (m.startswith("hpcflow.sdk.flyte2") and m not in FLYTE2_HAND_OFF))


def modules_after(code: str) -> list[str]:
    """sys.modules of a fresh interpreter after `code`."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_hpcflow_loads_only_its_root():
    loaded = {m for m in modules_after("import hpcflow") if m.startswith("hpcflow")}
    assert loaded == {"hpcflow", "hpcflow.sdk"} | FLYTE2_HAND_OFF


def test_a_flytekit_style_module_loads_no_flyte2_sdk_cli_or_tracer():
    code = textwrap.dedent("""
        import functools
        from hpcflow import conditional, current_context, dynamic, map_task, task, workflow, LaunchPlan

        @task
        def double(x: int, k: int = 2) -> int:
            return k * x

        triple = map_task(functools.partial(double, k=3))  # at module level, as flytekit's docs make them

        @workflow
        def wf(xs: list[int]) -> list[int]:
            return conditional("c").if_(xs[0] > 0).then(triple(x=xs)).else_().then(map_task(double)(x=xs))
    """)
    assert unneeded(modules_after(code)) == []


def test_the_entry_point_loads_only_what_an_element_runs():
    assert unneeded(modules_after("import hpcflow.runtime.entry")) == []


def test_an_element_runs_its_user_code_with_only_what_it_needs(tmp_path: Path):
    source = tmp_path / "loaded_modules.py"
    source.write_text(textwrap.dedent("""
        import sys

        from hpcflow import task, workflow


        @task
        def loaded(x: int) -> list[str]:
            import gc

            return sorted(sys.modules) + (["(the collector is on)"] if gc.isenabled() else [])


        @workflow
        def wf(x: int = 1) -> list[str]:
            return loaded(x=x)
    """))
    module = load_file(source)
    rd = create_run(module.wf, module, compile_for(module.wf, {"x": 1}), tmp_path / "runs", index=False)
    subprocess.run([sys.executable, "-m", "hpcflow.runtime.entry", str(rd.path), "n0", "0"], check=True,
                   capture_output=True, text=True)
    modules = rd.raw_outputs("n0", 0)["o0"]
    assert "hpcflow.runtime.rundir" in modules  # the list is the element's own
    assert "(the collector is on)" in modules  # off for the entry point's imports only, never for user code
    assert unneeded(modules) == []


def test_only_element_0_of_an_unbatched_map_loads_the_timings_to_keep_its_cost(tmp_path: Path):
    """Element 0 of a map remembers what its call cost, for the next run's batches (core/batching.py);
    the others pay nothing for it."""
    source = tmp_path / "loaded_by_map.py"
    source.write_text(textwrap.dedent("""
        import sys

        from hpcflow import map_task, task, workflow


        @task
        def loaded(x: int) -> list[str]:
            return sorted(sys.modules)


        @workflow
        def wf(xs: list[int]) -> list[list[str]]:
            return map_task(loaded)(x=xs)
    """))
    module = load_file(source)
    rd = create_run(module.wf, module, compile_for(module.wf, {"xs": [1, 2]}), tmp_path / "runs", index=False)
    for index in (1, 0):
        subprocess.run([sys.executable, "-m", "hpcflow.runtime.entry", str(rd.path), "n0", str(index)], check=True,
                       capture_output=True, text=True)
    other = set(rd.raw_outputs("n0", 1)["o0"])
    assert "hpcflow.runtime.rundir" in other and unneeded(sorted(other)) == []
    # (the timings would bring hashlib, which store/hashing is losing from a plain element's imports)
    assert "hpcflow.runtime.timings" not in other
    assert unneeded(rd.raw_outputs("n0", 0)["o0"]) == []  # (what it loads to remember, it loads after its call)


def test_every_public_name_is_reached_lazily():
    code = textwrap.dedent("""
        import hpcflow as flyte
        missing = [n for n in flyte.__all__ if getattr(flyte, n, None) is None]
        attributes = [flyte.run, flyte.map, flyte.init, flyte.group, flyte.ctx, flyte.logger, flyte.errors.RuntimeUserError,
                      flyte.io.File, flyte.models, flyte.notify, flyte.report, flyte.artifacts]
        assert not missing, missing
        assert set(flyte.__all__) <= set(dir(flyte)) and {"run", "map", "logger", "io"} <= set(dir(flyte))
        assert flyte.FlyteFile is flyte.File and flyte.TaskTemplate is flyte.AsyncFunctionTaskTemplate
        import builtins
        from hpcflow import *  # noqa: F403 - every name of __all__, and not map
        assert task is flyte.task and map is builtins.map
        try:
            flyte.no_such_name
        except AttributeError as exc:
            assert "no_such_name" in str(exc)
        else:
            raise AssertionError("an unknown name must raise AttributeError")
    """)
    modules_after(code)


def test_the_flyte2_remote_hand_off_is_in_place_before_the_sdk_can_look_for_it():
    code = textwrap.dedent("""
        from hpcflow.sdk.flyte2.runs import submit_remote  # a deep import, no name of the root touched
        from hpcflow.sdk.flyte2.remote import remote_submitter
        assert remote_submitter() is not None and remote_submitter().__module__ == "hpcflow"
    """)
    modules_after(code)


def test_what_type_checkers_see_is_what_the_root_loads():
    """The root's TYPE_CHECKING imports (for type checkers and editors) name each public name's home as
    its __getattr__ does (_HOMES), so neither drifts from the other."""
    tree = ast.parse(Path(hpcflow.__file__).read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {(n.module, a.name) for n in block.body if isinstance(n, ast.ImportFrom) and n.module != "hpcflow"
            for a in n.names}
    homes = {(module, name) for module, names in hpcflow._HOMES.items() for name in names}
    assert seen == homes
    aliased = {t.id: v.id for n in block.body if isinstance(n, ast.Assign) for t, v in [(n.targets[0], n.value)]}
    assert aliased == hpcflow._ALIASES
