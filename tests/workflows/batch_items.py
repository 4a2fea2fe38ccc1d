"""Workflows for tests/test_batch_items.py and the batch tests on the cluster: maps of trivial items."""
import functools
from typing import Optional

from hpcflow import current_context, map_task, task, workflow


@task
def square(x: int) -> int:
    if x == 13:
        raise ValueError("unlucky")
    return x * x


@task(retries=2)
def square_retried(x: int) -> int:
    return x * x


@task(cache=True, cache_version="1")
def square_cached(x: int) -> int:
    return x * x


@task
def in_folder(x: int) -> str:
    """Uses its element's working directory only for some items."""
    return current_context().working_directory if x % 1000 == 0 else ""


@workflow
def squares(xs: list[int]) -> list[Optional[int]]:
    return map_task(square, min_success_ratio=0.5)(x=xs)


@workflow
def squares_retried(xs: list[int]) -> list[int]:
    return map_task(square_retried)(x=xs)


@workflow
def squares_cached(xs: list[int]) -> list[int]:
    return map_task(square_cached)(x=xs)


@workflow
def folders(xs: list[int]) -> list[str]:
    return map_task(in_folder)(x=xs)


@task
def pid_after(x: int) -> int:
    """Slow enough that a batch of them pays for worker processes."""
    import os
    import time

    time.sleep(0.3)
    return os.getpid()


@task
def pid_now(x: int) -> int:
    import os

    return os.getpid()


@workflow
def slow_pids(xs: list[int]) -> list[int]:
    return map_task(pid_after)(x=xs)


@workflow
def quick_pids(xs: list[int]) -> list[int]:
    return map_task(pid_now)(x=xs)


@task(retries=1)
def dies_once_in_a_batch(x: int, folder: str) -> int:
    """Item 4 loses its process (SIGKILL, as an out-of-memory kill would) on its first attempt."""
    import os

    marker = os.path.join(folder, f"died-{x}")
    if x == 4 and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), 9)
    return x * 10


@workflow
def killed_in_a_batch(xs: list[int], folder: str) -> list[int]:
    return map_task(functools.partial(dies_once_in_a_batch, folder=folder), batch_size=6)(x=xs)
