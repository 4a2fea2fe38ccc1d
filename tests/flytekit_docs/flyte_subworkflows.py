"""NamedTuple outputs.

Source: flytesnacks examples/basics/basics/named_outputs.py (Apache-2.0). Adaptation: its tasks
are named slope_nt/intercept_nt. The subworkflow guide's code is flyte_subworkflow_guide.py.
"""
import typing

from hpcflow import task, workflow


# ---- Named outputs (NamedTuple) -----------------------------------------------
slope_value = typing.NamedTuple("slope_value", [("slope", float)])
intercept_value = typing.NamedTuple("intercept_value", [("intercept", float)])
slope_and_intercept_values = typing.NamedTuple(
    "slope_and_intercept_values", [("slope", float), ("intercept", float)]
)


@task
def slope_nt(x: list[int], y: list[int]) -> slope_value:
    sum_xy = sum([x[i] * y[i] for i in range(len(x))])
    sum_x_squared = sum([x[i] ** 2 for i in range(len(x))])
    n = len(x)
    return (n * sum_xy - sum(x) * sum(y)) / (n * sum_x_squared - sum(x) ** 2)


@task
def intercept_nt(x: list[int], y: list[int], slope: float) -> intercept_value:
    mean_x = sum(x) / len(x)
    mean_y = sum(y) / len(y)
    intercept = mean_y - slope * mean_x
    return intercept


@workflow
def simple_wf_with_named_outputs(x: list[int] = [-3, 0, 3], y: list[int] = [7, 4, -2]) -> slope_and_intercept_values:
    sv = slope_nt(x=x, y=y)
    iv = intercept_nt(x=x, y=y, slope=sv.slope)
    return slope_and_intercept_values(slope=sv.slope, intercept=iv.intercept)


EXAMPLE_INPUTS = {
    "slope_intercept_wf": {"x": [1, 2, 3, 4], "y": [2, 4, 5, 9]},
    "regression_line_wf": {},
    "nested_regression_line_wf": {},
    "simple_wf_with_named_outputs": {},
}
