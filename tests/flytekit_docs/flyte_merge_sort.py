"""Recursive merge sort via dynamic workflows.

Source: flytesnacks examples/advanced_composition/advanced_composition/merge_sort.py
(and the copy at the end of dynamic_workflow.py).
Adaptation: the original `merge_sort` workflow branches with flytekit `conditional(...)`.
That is replaced by a @dynamic `terminal_case` which does the same test with a plain
Python `if` on its (materialized) inputs; `merge_sort` stays a @workflow that calls it,
so the recursion is still workflow -> dynamic -> workflow. Random inputs replaced by fixed lists.
"""
import typing

from hpcflow import task, workflow, dynamic


@task
def split(numbers: list[int]) -> typing.Tuple[list[int], list[int], int, int]:
    return (
        numbers[0 : int(len(numbers) / 2)],
        numbers[int(len(numbers) / 2) :],
        int(len(numbers) / 2),
        int(len(numbers)) - int(len(numbers) / 2),
    )


@task
def merge(sorted_list1: list[int], sorted_list2: list[int]) -> list[int]:
    result = []
    while len(sorted_list1) > 0 and len(sorted_list2) > 0:
        if sorted_list1[0] < sorted_list2[0]:
            result.append(sorted_list1.pop(0))
        else:
            result.append(sorted_list2.pop(0))
    result.extend(sorted_list1)
    result.extend(sorted_list2)
    return result


@task
def sort_locally(numbers: list[int]) -> list[int]:
    return sorted(numbers)


@dynamic
def merge_sort_remotely(numbers: list[int], run_local_at_count: int) -> list[int]:
    split1, split2, new_count1, new_count2 = split(numbers=numbers)
    sorted1 = merge_sort(numbers=split1, numbers_count=new_count1, run_local_at_count=run_local_at_count)
    sorted2 = merge_sort(numbers=split2, numbers_count=new_count2, run_local_at_count=run_local_at_count)
    return merge(sorted_list1=sorted1, sorted_list2=sorted2)


@dynamic
def terminal_case(numbers: list[int], numbers_count: int, run_local_at_count: int) -> list[int]:
    # replaces conditional("terminal_case").if_(numbers_count <= run_local_at_count)...
    if numbers_count <= run_local_at_count:
        return sort_locally(numbers=numbers)
    return merge_sort_remotely(numbers=numbers, run_local_at_count=run_local_at_count)


@workflow
def merge_sort(numbers: list[int], numbers_count: int, run_local_at_count: int = 5) -> list[int]:
    return terminal_case(numbers=numbers, numbers_count=numbers_count, run_local_at_count=run_local_at_count)


EXAMPLE_INPUTS = {
    "merge_sort": {
        "numbers": [1813, 3105, 3260, 2634, 383, 7037, 3291, 2403, 315, 7164,
                    9021, 12, 4477, 815, 6620, 2950, 5008, 77, 3318, 1402],
        "numbers_count": 20,
        "run_local_at_count": 3,
    },
}
