"""Workflows calling workflows, tuple and NamedTuple outputs, default inputs.

Sources: flytesnacks examples/advanced_composition/advanced_composition/subworkflow.py
and examples/basics/basics/named_outputs.py.
Adaptations: `-> (float, float)` written as `typing.Tuple[float, float]`; the LaunchPlan
("external workflow") part dropped; named_outputs tasks renamed slope_nt/intercept_nt
so both examples fit in one module.
"""
import typing

from hpcflow import task, workflow


@task
def slope(x: list[int], y: list[int]) -> float:
    sum_xy = sum([x[i] * y[i] for i in range(len(x))])
    sum_x_squared = sum([x[i] ** 2 for i in range(len(x))])
    n = len(x)
    return (n * sum_xy - sum(x) * sum(y)) / (n * sum_x_squared - sum(x) ** 2)


@task
def intercept(x: list[int], y: list[int], slope: float) -> float:
    mean_x = sum(x) / len(x)
    mean_y = sum(y) / len(y)
    intercept = mean_y - slope * mean_x
    return intercept


@workflow
def slope_intercept_wf(x: list[int], y: list[int]) -> typing.Tuple[float, float]:
    slope_value = slope(x=x, y=y)
    intercept_value = intercept(x=x, y=y, slope=slope_value)
    return (slope_value, intercept_value)


@task
def regression_line(val: int, slope_value: float, intercept_value: float) -> float:
    return (slope_value * val) + intercept_value


@workflow
def regression_line_wf(val: int = 5, x: list[int] = [-3, 0, 3], y: list[int] = [7, 4, -2]) -> float:
    slope_value, intercept_value = slope_intercept_wf(x=x, y=y)
    return regression_line(val=val, slope_value=slope_value, intercept_value=intercept_value)


@workflow
def nested_regression_line_wf() -> float:
    return regression_line_wf()


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
