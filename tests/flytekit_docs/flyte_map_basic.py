"""Map tasks, basics.

Source: flytesnacks examples/advanced_composition/advanced_composition/map_task.py
and docs.flyte.org user_guide/advanced_composition/map_tasks.md (the
with_overrides / concurrency / min_success_ratio snippets), plus the
min_success_ratio-with-failures pattern from a public gist (sabrinalui).
Adaptations: TaskMetadata example dropped; map_workflow_with_additional_params
return type changed to list[Optional[bool]] (see note there); `retries=1` removed from with_overrides.
"""
import typing

from hpcflow import task, workflow, map_task, Resources

threshold = 11


@task
def detect_anomalies(data_point: int) -> bool:
    return data_point > threshold


@workflow
def map_workflow(data: list[int] = [10, 12, 11, 10, 13, 12, 100, 11, 12, 10]) -> list[bool]:
    return map_task(detect_anomalies)(data_point=data)


@workflow
def map_workflow_with_resource_overrides(data: list[int] = [10, 12, 11, 10, 13, 12, 100, 11, 12, 10]) -> list[bool]:
    return map_task(detect_anomalies)(data_point=data).with_overrides(requests=Resources(mem="2Gi"))


@workflow
def map_workflow_with_additional_params(
    data: list[int] = [10, 12, 11, 10, 13, 12, 100, 11, 12, 10]
) -> list[typing.Optional[bool]]:
    # NOTE: the docs annotate this as -> list[bool]; flytekit 1.16.31 rejects that because
    # min_success_ratio < 1 makes the map output typing.List[typing.Optional[bool]].
    return map_task(detect_anomalies, concurrency=1, min_success_ratio=0.75)(data_point=data)


@task
def a_mappable_task(a: int) -> str:
    inc = a + 2
    stringified = str(inc)
    return stringified


@task
def coalesce(b: list[str]) -> str:
    coalesced = "".join(b)
    return coalesced


@workflow
def my_map_workflow(a: list[int]) -> str:
    mapped_out = map_task(a_mappable_task)(a=a).with_overrides(
        requests=Resources(mem="300Mi"),
        limits=Resources(mem="500Mi"),
    )
    coalesced = coalesce(b=mapped_out)
    return coalesced


# min_success_ratio with real failures: failed elements come back as None.
@task
def maybe_fail(should_succeed: bool) -> bool:
    if should_succeed:
        return should_succeed
    raise ValueError("This is a failure")


@task
def count_successes(results: list[typing.Optional[bool]]) -> int:
    return len([r for r in results if r is not None])


@workflow
def min_success_workflow(inputs: list[bool] = [True, True, False, True]) -> int:
    results = map_task(maybe_fail, min_success_ratio=0.5)(should_succeed=inputs)
    return count_successes(results=results)


@workflow
def min_success_raw_workflow(inputs: list[bool] = [True, False, True]) -> list[typing.Optional[bool]]:
    return map_task(maybe_fail, min_success_ratio=0.5, concurrency=2)(should_succeed=inputs)


EXAMPLE_INPUTS = {
    "map_workflow": {},
    "map_workflow_with_resource_overrides": {"data": [5, 20, 11, 12]},
    "map_workflow_with_additional_params": {},
    "my_map_workflow": {"a": [1, 2, 3, 4, 5]},
    "min_success_workflow": {"inputs": [True, True, False, True]},
    "min_success_raw_workflow": {},
}
