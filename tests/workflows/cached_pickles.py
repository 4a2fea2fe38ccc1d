"""Cached tasks whose values travel as pickles (a plain class), for the cache tests."""
import os
from pathlib import Path

from hpcflow import map_task, task, workflow


class Tally:
    def __init__(self, count: int):
        self.count = count


@task(cache=True, cache_version="1")
def make(n: int) -> Tally:
    with open(Path(os.environ["COUNTS_DIR"]) / "make", "a") as fh:
        fh.write("x")
    return Tally(n)


@task(cache=True, cache_version="1")
def double(tally: Tally) -> int:
    return 2 * tally.count


@workflow
def tallies(ns: list[int]) -> list[int]:
    return map_task(double)(tally=map_task(make)(n=ns))
