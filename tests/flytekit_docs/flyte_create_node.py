"""create_node and `>>` inside @workflow, as flytekit code uses them (the cache guide's
serial pattern, `t1_node >> t2_node`, and the setup/teardown decorator pattern of
decorating_workflows.py). hpcflow's own code (no flytekit source); only the import lines would
change for flytekit. The guide's own files need pandas or FlyteContextManager's compilation
state, which these leave out.
"""
import functools
import os
import typing

from hpcflow import map_task, task, workflow
from hpcflow.core.node_creation import create_node


def _log(message: str) -> None:
    path = os.environ.get("CREATE_NODE_LOG")
    if path:
        with open(path, "a") as f:
            f.write(message + "\n")


@task
def setup() -> None:
    _log("setup")


@task
def teardown() -> None:
    _log("teardown")


@task
def double(x: float) -> float:
    _log("double")
    return 2 * x


@task
def stats(xs: list[int]) -> typing.NamedTuple("Stats", [("low", int), ("high", int)]):
    return min(xs), max(xs)


@task
def inc(x: int) -> int:
    return x + 1


@workflow
def serial_wf(x: float) -> float:
    t1_node = create_node(double, x=x)
    t2_node = create_node(double, x=t1_node.o0)
    t1_node >> t2_node
    return t2_node.o0


@workflow
def setup_teardown_wf(x: float) -> float:
    before = create_node(setup)
    work = create_node(double, x=x)
    after = create_node(teardown)
    before >> work
    work >> after
    return work.o0


@workflow
def named_outputs_wf(xs: list[int]) -> typing.Tuple[int, int]:
    s = create_node(stats, xs=xs)
    return s.low, s.high  # flytekit runs the body again locally, where a node has no .outputs


@workflow
def map_node_wf(xs: list[int]) -> list[int]:
    m = create_node(map_task(functools.partial(inc)), x=xs)
    return m.o0

