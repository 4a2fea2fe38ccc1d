"""Workflows for bench/submit.py: one trivial task mapped over a list."""
from __future__ import annotations

from hpcflow import map_task, task, workflow


@task
def noop(x: int) -> int:
    return x


@workflow
def wide(xs: list[int]) -> list[int]:
    return map_task(noop)(x=xs)
