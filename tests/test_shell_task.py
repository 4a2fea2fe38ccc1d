"""flytekit's ShellTask: the guide's example and hpcflow's own (tests/flytekit_docs/flyte_shell_*.py)
give flytekit 1.16.31's answers (expected_shell.json) in-process and through `hpcflow run`."""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

from hpcflow import RecoverableError, workflow
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.extras.tasks.shell import OutputLocation, ShellTask
from hpcflow.sdk.shell_template import interpolate
from hpcflow.types.file import FlyteFile

DOCS = Path(__file__).resolve().parent / "flytekit_docs"
EXPECTED = json.loads((DOCS / "expected_shell.json").read_text())
# flytekit's local execution runs every element of a map in one cwd, so the relative square.txt
# of each is the last one's; Flyte's pods, like hpcflow's element folders, keep them apart.
DIFFERS = {"map_shell_wf": [1, 4, 9, 16]}
CASES = [(m[:-3], wf, case["kwargs"], DIFFERS.get(wf, case["result"]))
         for m, wfs in EXPECTED["cases"].items() for wf, case in wfs.items()]
sys.path.insert(0, str(DOCS))


@pytest.mark.parametrize("module,wf_name,kwargs,expected", CASES, ids=[c[1] for c in CASES])
def test_in_process_matches_flytekit(module, wf_name, kwargs, expected):
    assert getattr(importlib.import_module(module), wf_name)(**kwargs) == expected


@pytest.mark.parametrize("module,wf_name,kwargs,expected", CASES, ids=[c[1] for c in CASES])
def test_cli_run_matches_flytekit(hpcflow, module, wf_name, kwargs, expected):
    res = hpcflow("run", str(DOCS / f"{module}.py:{wf_name}"), "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"]["o0"] == expected


def test_flytekit_recorded_a_recoverable_failure_with_stderr():
    assert EXPECTED["failing_wf"] == {"error_type": "FlyteRecoverableException", "recoverable": True,
                                      "stderr_in_message": True, "status_in_message": True}


def test_a_failing_script_is_a_recoverable_error_with_its_stderr():
    more = importlib.import_module("flyte_shell_more")
    with pytest.raises(RecoverableError, match=r"ShellTask 'fails': the script exited with status 3; "
                                               r"stderr: no such input: missing.csv"):
        more.failing_wf()


def test_a_failing_script_fails_the_run_with_its_stderr(hpcflow):
    res = hpcflow("run", str(DOCS / "flyte_shell_more.py:failing_wf"), "--json")
    assert res.code != 0 and res.json["state"] == "FAILED"
    assert "exited with status 3; stderr: no such input: missing.csv" in res.json["error"]


def test_templates_fill_paths_and_name_what_is_missing():
    assert interpolate("cp {inputs.f} {outputs.o}", {"f": FlyteFile("/a b")}, {"o": "x.out"}, "t") == "cp /a b x.out"
    assert interpolate("echo ${{HOME}} {inputs.n}", {"n": 3}, {}, "t") == "echo ${HOME} 3"
    with pytest.raises(WorkflowDefinitionError, match=r"\{inputs.y\} names no input of the task; its inputs are: n"):
        interpolate("{inputs.y}", {"n": 1}, {}, "t")
    with pytest.raises(WorkflowDefinitionError, match=r"\{HOME\} is not a template name"):
        interpolate("echo {HOME}", {}, {}, "t")


def test_a_missing_output_names_where_it_was_expected():
    t = ShellTask(name="lazy", script="true", output_locs=[OutputLocation("o", FlyteFile, "never.txt")])
    with pytest.raises(RecoverableError, match=r"output 'o' is not at .*never.txt after the script ran"):
        t()


@pytest.mark.parametrize("kwargs,message", [
    ({}, r"give the script to run"),
    ({"script": "x", "script_file": "y"}, r"not both"),
    ({"script_file": "/no/such.sh"}, r"script_file /no/such.sh does not exist"),
    ({"script": "x", "output_locs": [OutputLocation("o", int, "x")]}, r"output 'o' has type int"),
    ({"script": "x", "cache_versoin": "1"}, r"unknown option cache_versoin="),
    ({"script": "x", "task_config": object()}, r"task_config=.* is not supported"),
])
def test_bad_definitions_say_what_to_do(kwargs, message):
    with pytest.raises(WorkflowDefinitionError, match=message):
        ShellTask(name="bad", **kwargs)


def test_a_shell_task_defined_in_a_function_must_move_to_module_level():
    from hpcflow.core.compile import compile_plan

    t = ShellTask(name="inner", script="true")

    @workflow
    def wf():
        t()

    with pytest.raises(WorkflowDefinitionError, match=r"ShellTask|inner.*define it at module level"):
        compile_plan(wf.graph, {})
