"""flytekit's on_failure and failure_policy, in-process and on the local backend (`hpcflow run`):
the handler runs once per failed workflow with its inputs and the error, the error is raised
again, and the handler never runs for a workflow that succeeds. (On Slurm: tests/slurm/test_failure_node.py.)"""
from __future__ import annotations

import typing

import pytest

from hpcflow import WorkflowFailurePolicy, task, workflow
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.types.error.error import FlyteError
from hpcflow.loader import load_workflow
from paths import ROOT

CASES = f"{ROOT}/tests/workflows/failure_cases.py"


class cases:  # noqa: N801 - the test workflows, by name
    fails_fast, outer, succeeds = (load_workflow(f"{CASES}:{name}")[0] for name in ("fails_fast", "outer", "succeeds"))


def _lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_in_process_the_handler_gets_the_inputs_and_error_then_the_error_is_raised_again(tmp_path):
    log, gate = tmp_path / "log", tmp_path / "gate"
    gate.touch()
    with pytest.raises(ValueError, match="broken on purpose"):
        cases.fails_fast(path=str(log), gate=str(gate))
    assert _lines(log)[-1] == "clean_up n1 ValueError: broken on purpose"
    assert _lines(log).count("breaks") == 1 and sum(line.startswith("clean_up") for line in _lines(log)) == 1


def test_in_process_a_failed_sub_workflow_runs_its_handler_and_then_the_outer_one(tmp_path):
    log = tmp_path / "log"
    with pytest.raises(ValueError):
        cases.outer(path=str(log), gate="")
    assert _lines(log) == ["works", "breaks", "clean_up n0 ValueError: broken on purpose",
                           "clean_up n0 ValueError: broken on purpose"]


def test_in_process_the_handler_never_runs_when_the_workflow_succeeds(tmp_path):
    log = tmp_path / "log"
    assert cases.succeeds(path=str(log), gate="") == 3
    assert _lines(log) == ["works", "after_slow"]


def test_hpcflow_run_runs_each_handler_after_the_failure_and_reports_the_failure(hpcflow, tmp_path):
    log = tmp_path / "log"
    res = hpcflow("run", f"{CASES}:outer", "-i", f"path={log}", "-i", "gate=x")
    assert res.code == 1 and "breaks" in res.stderr and "broken on purpose" in res.stderr, res.stderr
    lines = _lines(log)
    # the sub-workflow's handler names its own node n1.n0 (the flat plan's label), the outer one too
    assert sorted(lines) == sorted(["works", "breaks", "clean_up n1.n0 ValueError: broken on purpose",
                                    "clean_up n1.n0 ValueError: broken on purpose"]), lines
    assert lines.index("breaks") < min(i for i, line in enumerate(lines) if line.startswith("clean_up"))


def test_hpcflow_run_of_a_workflow_that_succeeds_never_runs_its_handler(hpcflow, tmp_path):
    log = tmp_path / "log"
    res = hpcflow("run", f"{CASES}:succeeds", "-i", f"path={log}", "-i", "gate=x", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": 3}, res.stderr
    assert _lines(log) == ["works", "after_slow"]


def test_hpcflow_run_with_a_workflow_as_handler(hpcflow, tmp_path):
    log, gate = tmp_path / "log", tmp_path / "gate"
    gate.touch()
    res = hpcflow("run", f"{CASES}:fails_after_the_rest", "-i", f"path={log}", "-i", f"gate={gate}")
    assert res.code == 1
    lines = _lines(log)
    assert lines[-1] == "clean_up n1 ValueError: broken on purpose" and "after_slow" in lines


@task
def _t(a: int) -> int:
    return a


def test_a_handler_that_cannot_take_the_workflows_inputs_is_refused_when_the_workflow_is_defined():
    @task
    def missing(b: int) -> None: ...

    @task
    def wrong_type(a: str) -> None: ...

    @task
    def required_extra(a: int, err: FlyteError) -> None: ...

    @task
    def fine(a: int, err: typing.Optional[FlyteError] = None) -> None: ...

    for handler, words in ((missing, "has no input 'a'"), (wrong_type, "must have the workflow's type int"),
                           (required_extra, "must be Optional"), (print, "takes a @task or a @workflow")):
        with pytest.raises(WorkflowDefinitionError, match=words):
            workflow(on_failure=handler)(_wf)
    assert workflow(on_failure=fine)(_wf).failure_handler.takes_err


def _wf(a: int) -> int:
    return _t(a=a)


def test_failure_policy_takes_only_the_enum():
    with pytest.raises(WorkflowDefinitionError, match="takes a WorkflowFailurePolicy"):
        workflow(failure_policy="FAIL_IMMEDIATELY")(_wf)
    wf = workflow(failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)(_wf)
    assert wf.graph.failure_policy == "FAIL_AFTER_EXECUTABLE_NODES_COMPLETE"
