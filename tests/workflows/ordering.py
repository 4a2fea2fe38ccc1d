"""flytekit's `>>`: calls that run one after another without passing data.

After flytesnacks' advanced_composition/chain_entities.py (Apache-2.0,
https://github.com/flyteorg/flytesnacks/blob/master/examples/advanced_composition/advanced_composition/chain_entities.py),
with each task noting its name in a log so that the order can be checked."""
import os

from hpcflow import map_task, task, workflow


def note(name: str) -> None:
    with open(os.environ["ORDERING_LOG"], "a") as fh:
        fh.write(name + "\n")


@task
def t2():
    note("t2")


@task
def t1():
    note("t1")


@task
def t0():
    note("t0")


@task
def noted_square(x: int) -> int:
    note(f"square{x}")
    return x * x


@workflow
def chain_tasks_wf():
    t2_promise = t2()
    t1_promise = t1()
    t0_promise = t0()
    t0_promise >> t1_promise
    t1_promise >> t2_promise


@workflow
def sub_workflow_1():
    t1()


@workflow
def sub_workflow_0():
    t0()


@workflow
def chain_workflows_wf():
    sub_wf1 = sub_workflow_1()
    sub_wf0 = sub_workflow_0()
    sub_wf0 >> sub_wf1


@workflow
def map_after_task(xs: list[int]) -> list[int]:
    squares = map_task(noted_square)(x=xs)
    t0() >> squares
    return squares


@workflow
def cycle():
    a, b = t0(), t1()
    a >> b
    b >> a
