"""flytekit's @eager, in-process: an async workflow that awaits tasks, sub-workflows and other
eager workflows, gathers them, branches on their values and catches their failures as
EagerException. (flytekit 1.16 cannot run these locally at all: its awaited tasks return plain
values; the answers here are the ones the flytekit guide states.)"""
from __future__ import annotations

import asyncio

import pytest

from hpcflow import eager, task, workflow
from hpcflow.errors import InputError, TypeMismatchError, WorkflowDefinitionError
from hpcflow.exceptions.eager import EagerException

CALLS: list[int] = []


@task
def add_one(x: int) -> int:
    CALLS.append(x)
    return x + 1


@task
def double(x: int) -> int:
    return x * 2


@task
def raises_if_not_positive(x: int) -> int:
    if x <= 0:
        raise TypeError("not positive")
    return x


@workflow
def sub(x: int) -> int:
    return double(x=add_one(x=x))


@eager
async def inner(x: int) -> int:
    return await add_one(x=x)


@eager
async def branches_and_gathers(x: int) -> int:
    out = await add_one(x=x)
    if out > 100:
        return 100
    outs = await asyncio.gather(*[add_one(x=i) for i in range(out)])
    return await double(x=sum(outs)) + await sub(x=x) + await inner(x=x)


@eager
async def catches(x: int) -> int:
    try:
        return await raises_if_not_positive(x=x)
    except EagerException as exc:
        assert isinstance(exc.__cause__, TypeError)
        return -1


@eager
async def wrong_return(x: int) -> int:
    return "not an int"  # type: ignore[return-value]


def test_an_eager_workflow_awaits_tasks_workflows_and_eagers_with_python_control_flow():
    # x=2: out=3, gather add_one(0..2)=1+2+3=6, double -> 12; sub(2)=6; inner(2)=3
    assert asyncio.run(branches_and_gathers(x=2)) == 12 + 6 + 3
    assert asyncio.run(branches_and_gathers(x=200)) == 100


def test_calling_an_eager_workflow_gives_a_coroutine_and_nothing_runs_until_it_is_awaited():
    CALLS.clear()
    coroutine = inner(x=5)
    assert asyncio.iscoroutine(coroutine) and CALLS == []
    assert asyncio.run(coroutine) == 6 and CALLS == [5]


def test_a_failed_task_arrives_as_eager_exception_with_its_own_error_as_cause():
    assert asyncio.run(catches(x=3)) == 3
    assert asyncio.run(catches(x=0)) == -1


def test_eager_checks_its_inputs_and_return_and_refuses_what_it_cannot_do():
    with pytest.raises(InputError, match="has no input 'y'; its inputs are: x"):
        asyncio.run(inner(y=1))
    with pytest.raises(TypeMismatchError, match="returned str for output 'o0', which is annotated int"):
        asyncio.run(wrong_return(x=1))
    with pytest.raises(WorkflowDefinitionError, match="async def"):
        eager(lambda x: x)
    with pytest.raises(WorkflowDefinitionError, match="talks to a Flyte cluster"):
        eager(remote=object())


def test_hpcflow_submit_names_what_to_do_with_an_eager_workflow(hpcflow):
    from paths import ROOT

    res = hpcflow("submit", f"{ROOT}/tests/test_eager.py:inner", "--site", "dev-cluster", "-i", "x=1", "--dry-run")
    assert res.code != 0 and "hpcflow run" in res.stderr and "Traceback" not in res.stderr


def test_hpcflow_run_runs_an_eager_workflow_in_process(hpcflow, tmp_path):
    import json

    wf = tmp_path / "eager_wf.py"
    wf.write_text("from hpcflow import eager, task\n\n@task\ndef inc(x: int) -> int:\n    return x + 1\n\n"
                  "@eager\nasync def twice(x: int) -> int:\n    return await inc(x=await inc(x=x))\n")
    res = hpcflow("run", f"{wf}:twice", "-i", "x=1", "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["outputs"] == {"o0": 3}
