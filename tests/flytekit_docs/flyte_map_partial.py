"""Map tasks with several inputs: functools.partial and multiple lists.

Source: flytesnacks examples/advanced_composition/advanced_composition/map_task.py
(multi_input_task, multiple_inputs_map_workflow, map_workflow_partial_with_task_output,
map_workflow_with_lists). No adaptation needed.
"""
import functools

from hpcflow import task, workflow, map_task


@task
def multi_input_task(quantity: int, price: float, shipping: float) -> float:
    return quantity * price * shipping


@workflow
def multiple_inputs_map_workflow(list_q: list[int] = [1, 2, 3, 4, 5], p: float = 6.0, s: float = 7.0) -> list[float]:
    partial_task = functools.partial(multi_input_task, price=p, shipping=s)
    return map_task(partial_task)(quantity=list_q)


@task
def get_price() -> float:
    return 7.0


@workflow
def map_workflow_partial_with_task_output(list_q: list[int] = [1, 2, 3, 4, 5], s: float = 6.0) -> list[float]:
    p = get_price()
    partial_task = functools.partial(multi_input_task, price=p, shipping=s)
    return map_task(partial_task)(quantity=list_q)


@workflow
def map_workflow_with_lists(
    list_q: list[int] = [1, 2, 3, 4, 5], list_p: list[float] = [6.0, 9.0, 8.7, 6.5, 1.2], s: float = 6.0
) -> list[float]:
    partial_task = functools.partial(multi_input_task, shipping=s)
    return map_task(partial_task)(quantity=list_q, price=list_p)


EXAMPLE_INPUTS = {
    "multiple_inputs_map_workflow": {},
    "map_workflow_partial_with_task_output": {"list_q": [3, 1, 4], "s": 2.5},
    "map_workflow_with_lists": {},
}
