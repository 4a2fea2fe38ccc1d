"""Nested parallelism: dynamics inside dynamics, and map tasks inside sub-workflows.

Source: docs.flyte.org user_guide/advanced_composition/nested_parallelization.md
("Nested dynamic workflows" and "Mixed parallelism").
Adaptations: the two examples reuse the names level1/level2/reduce/multi_wf, so the mixed
example's ones get a `_mixed` suffix.
"""
import typing

from hpcflow import LaunchPlan, task, workflow, dynamic, map_task

# ---- Nested dynamic workflows -------------------------------------------------
# multi_wf -> level1 -> level2 -> core_wf -> step1 -> step2  (per chunk / item)


@task
def step1(a: int) -> int:
    return a + 1


@task
def step2(a: int) -> int:
    return a + 2


@workflow
def core_wf(a: int) -> int:
    return step2(a=step1(a=a))


core_wf_lp = LaunchPlan.get_or_create(core_wf)


@dynamic
def level2(l: typing.List[int]) -> typing.List[int]:
    return [core_wf_lp(a=a) for a in l]


@task
def reduce(l: typing.List[typing.List[int]]) -> typing.List[int]:
    f = []
    for i in l:
        f.extend(i)
    return f


@dynamic
def level1(l: typing.List[int], chunk: int) -> typing.List[int]:
    v = []
    for i in range(0, len(l), chunk):
        v.append(level2(l=l[i : i + chunk]))
    return reduce(l=v)


@workflow
def multi_wf(l: typing.List[int], chunk: int) -> typing.List[int]:
    return level1(l=l, chunk=chunk)


# ---- Mixed parallelism: dynamic -> sub-workflow -> map_task ---------------------


@task
def mappable(a: int) -> int:
    return a + 2


@workflow
def level2_mixed(l: typing.List[int]) -> typing.List[int]:
    return map_task(mappable)(a=l)


@task
def reduce_mixed(l: typing.List[typing.List[int]]) -> typing.List[int]:
    f = []
    for i in l:
        f.extend(i)
    return f


@dynamic
def level1_mixed(l: typing.List[int], chunk: int) -> typing.List[int]:
    v = []
    for i in range(0, len(l), chunk):
        v.append(level2_mixed(l=l[i : i + chunk]))
    return reduce_mixed(l=v)


@workflow
def multi_wf_mixed(l: typing.List[int], chunk: int) -> typing.List[int]:
    return level1_mixed(l=l, chunk=chunk)


EXAMPLE_INPUTS = {
    "multi_wf": {"l": [0, 1, 2, 3, 4, 5], "chunk": 2},
    "multi_wf_mixed": {"l": [0, 1, 2, 3, 4, 5, 6], "chunk": 3},
}
