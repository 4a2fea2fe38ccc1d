"""flytekit's conditional, from the guide's code (tests/flytekit_docs/flyte_conditional.py),
against the answers flytekit 1.16.31 gave for it (expected_conditional.json): in-process and
through `hpcflow run`, where the untaken branch never runs."""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
from run_records import recorded_states

DOCS = Path(__file__).resolve().parent / "flytekit_docs"
EXPECTED = json.loads((DOCS / "expected_conditional.json").read_text())
CASES = [(key.split("#")[0], case["kwargs"], case["result"]) for key, case in EXPECTED["cases"].items()]
sys.path.insert(0, str(DOCS))


@pytest.mark.parametrize("wf_name,kwargs,expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_in_process_matches_flytekit(wf_name, kwargs, expected):
    wf = getattr(importlib.import_module("flyte_conditional"), wf_name)
    assert wf(**kwargs) == pytest.approx(expected)


def test_the_else_fail_case_fails_with_its_message_as_in_flytekit():
    from hpcflow.errors import HpcflowError

    wf = importlib.import_module("flyte_conditional").shape_properties_with_multiple_branches
    with pytest.raises(HpcflowError, match="The input must be within the range of 0 to 10."):
        wf(radius=20.0)
    assert "The input must be within the range of 0 to 10." in EXPECTED["fails"][wf.name]["message"]


@pytest.mark.parametrize("wf_name,kwargs,expected", [c for c in CASES if c[0] in
                                                      {"nested_conditions", "boolean_wf", "consume_task_output"}])
def test_hpcflow_run_matches_flytekit_and_runs_only_the_branch_taken(hpcflow, runs_dir, wf_name, kwargs, expected):
    args = sum((["-i", f"{k}={json.dumps(v)}"] for k, v in kwargs.items()), [])
    res = hpcflow("run", f"{DOCS / 'flyte_conditional.py'}:{wf_name}", *args, "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"]["o0"] == pytest.approx(expected)
    ran = recorded_states(runs_dir / res.json["run_id"])
    branch_tasks = [p for p in (runs_dir / res.json["run_id"]).rglob("sub/plan.json")]
    assert branch_tasks and all(state == "SUCCEEDED" for state in ran)
    for plan in branch_tasks:  # each conditional's sub-run holds the one branch taken, nothing else
        jobs = json.loads(plan.read_text())["jobs"]
        assert len({j["entity"]["qualname"] for j in jobs if "#" not in j["entity"]["qualname"]}) <= 1
    status = hpcflow("status", res.json["run_id"], "--json")
    assert any(j["note"].startswith("conditional") for j in status.json["jobs"])


def test_a_condition_must_compare_and_cases_may_give_no_outputs():
    from hpcflow import conditional, task, workflow

    calls: list[int] = []

    @task
    def note(x: int) -> None:
        calls.append(x)

    @workflow
    def notes_twice(x: int):
        note(x=x)
        note(x=x)

    @workflow
    def branching(x: int):
        return conditional("b").if_(x == 2).then(note(x=x)).else_().then(notes_twice(x=x))

    @workflow
    def bare(x: int) -> int:
        return conditional("b").if_(None).then(x).else_().then(x)  # type: ignore[arg-type]

    assert branching(x=2) is None and calls == [2]
    assert branching(x=3) is None and calls == [2, 3, 3]
    with pytest.raises(AssertionError, match="a condition compares promises"):
        bare(x=1)


def test_cases_may_give_different_numbers_of_outputs_and_the_conditional_has_those_all_give():
    from hpcflow import conditional, task, workflow

    @task
    def square(n: int) -> int:
        return n * n

    @task
    def sum_diff(a: int, b: int) -> tuple[int, int]:
        return a + b, a - b

    @task
    def double(n: int) -> int:
        return 2 * n

    @workflow
    def first_shorter(x: int) -> int:  # flytekit's test_conditional_asymmetric_return
        res = conditional("s").if_(x > 3).then(square(n=x)).else_().then(sum_diff(a=x, b=x))
        return double(n=res)

    @workflow
    def first_longer(x: int) -> int:
        res = conditional("l").if_(x > 3).then(sum_diff(a=x, b=1)).else_().then(square(n=x))
        return double(n=res)

    assert (first_shorter(x=4), first_shorter(x=2)) == (32, 8)
    assert (first_longer(x=4), first_longer(x=2)) == (10, 8)
    assert [n for n, _ in first_longer.graph.nodes[0].entity.interface.outputs] == ["o0"]
