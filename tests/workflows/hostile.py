"""Workflows that hostile or careless input is tried against (tests/test_hostile_input.py)."""
from __future__ import annotations

from typing import List

from hpcflow import dynamic, map_task, task, workflow
from hpcflow.types.files import Directory, File


@task
def square(x: int) -> int:
    return x * x


@dynamic
def process_all(samples: List[str]) -> List[int]:
    # the node name is built from an input, as a user might: it must not reach a shell line
    return [square(x=len(s)).with_overrides(name=f"process {s}") for s in samples]


@workflow
def named(samples: List[str]) -> List[int]:
    return process_all(samples=samples)


@workflow
def plain(x: int) -> int:
    return square(x=x)


@workflow
def map_concurrency(xs: List[int]) -> List[int]:
    return map_task(square)(x=xs).with_overrides(concurrency=-1)


@workflow
def map_batch(xs: List[int]) -> List[int]:
    return map_task(square)(x=xs).with_overrides(batch_size=-2)


@workflow
def map_ratio(xs: List[int]) -> List[int]:
    return map_task(square)(x=xs).with_overrides(min_success_ratio=7)


@task(cache=True, cache_version="1")
def file_size(f: File) -> int:
    with open(f, "rb") as fh:
        return len(fh.read())


@workflow
def sized(f: File) -> int:
    return file_size(f=f)


@task(cache=True, cache_version="1")
def count_files(d: Directory) -> int:
    return len(d.files())


@workflow
def counted(d: Directory) -> int:
    return count_files(d=d)
