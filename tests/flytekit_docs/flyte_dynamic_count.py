"""Dynamic workflow: count common characters of two strings.

Source: flytesnacks examples/advanced_composition/advanced_composition/dynamic_workflow.py
(docs.flyte.org user_guide/advanced_composition/dynamic_workflows.md).
Adaptation: unused `conditional` import dropped (merge sort part lives in merge_sort.py).
"""
from hpcflow import task, workflow, dynamic


@task
def return_index(character: str) -> int:
    if character.islower():
        return ord(character) - ord("a")
    else:
        return ord(character) - ord("A")


@task
def update_list(freq_list: list[int], list_index: int) -> list[int]:
    freq_list[list_index] += 1
    return freq_list


@task
def derive_count(freq1: list[int], freq2: list[int]) -> int:
    count = 0
    for i in range(26):
        count += min(freq1[i], freq2[i])
    return count


@dynamic
def count_characters(s1: str, s2: str) -> int:
    freq1 = [0] * 26
    freq2 = [0] * 26
    for i in range(len(s1)):
        index = return_index(character=s1[i])
        freq1 = update_list(freq_list=freq1, list_index=index)
    for i in range(len(s2)):
        index = return_index(character=s2[i])
        freq2 = update_list(freq_list=freq2, list_index=index)
    return derive_count(freq1=freq1, freq2=freq2)


@workflow
def dynamic_wf(s1: str, s2: str) -> int:
    return count_characters(s1=s1, s2=s2)


EXAMPLE_INPUTS = {
    "dynamic_wf": {"s1": "Pear", "s2": "Earth"},
}
