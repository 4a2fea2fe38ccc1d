"""flytekit's FlyteContextManager.current_context().compilation_state: the calls a workflow body
has recorded so far, so a decorator can order its own calls around the body's (the pattern of
flytekit's guide on decorating workflows)."""
from __future__ import annotations

from functools import wraps

from hpcflow import FlyteContextManager, create_node, task, workflow

CALLS: list[str] = []


@task
def setup() -> None:
    CALLS.append("setup")


@task
def teardown() -> None:
    CALLS.append("teardown")


@task
def double(x: int) -> int:
    CALLS.append("double")
    return 2 * x


def around(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        ctx = FlyteContextManager.current_context()
        before = create_node(setup)
        outputs = fn(*args, **kwargs)
        after = create_node(teardown)
        nodes = ctx.compilation_state.nodes
        before >> nodes[1]
        nodes[-2] >> after
        return outputs
    return wrapper


@workflow
@around
def wrapped(x: int) -> int:
    return double(x=double(x=x))


def test_compilation_state_lists_the_calls_in_order_and_orders_around_the_body():
    graph = wrapped.graph
    assert [n.name for n in graph.nodes] == ["setup", "double", "double", "teardown"]
    assert graph.nodes[1].after == ("n0",) and graph.nodes[3].after == ("n2",)
    CALLS.clear()
    assert wrapped(x=3) == 12 and CALLS == ["setup", "double", "double", "teardown"]


def test_outside_a_workflow_body_there_is_no_compilation_state():
    assert FlyteContextManager.current_context().compilation_state is None
    assert FlyteContextManager.current_context().user_space_params.execution_id.name
