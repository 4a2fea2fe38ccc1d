"""Workflows for the Slurm tests."""
import datetime
import functools
import os
import time
from typing import NamedTuple, Optional

from hpcflow import Environment, Resources, ReusePolicy, map_task, task, trace, workflow


@task
def inc(x: int) -> int:
    return x + 1


@workflow
def three_stages(xs: list[int]) -> list[int]:
    a = map_task(inc)(x=xs)
    b = map_task(inc)(x=a)
    return map_task(inc)(x=b)


@task(requests=Resources(gpu="1"))
def gpu_probe() -> str:
    return f"{os.environ.get('SLURM_JOB_PARTITION')}|{os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}"


@workflow
def gpu_wf() -> str:
    return gpu_probe()


@task
def nap(seconds: int) -> int:
    time.sleep(seconds)
    return seconds


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def naps(xs: list[int]) -> int:
    return total(xs=map_task(nap)(seconds=xs))


@task(requests=Resources(gpu="8"))
def greedy() -> int:
    return 8


@workflow
def cpu_then_greedy(x: int = 1) -> int:
    return total(xs=[inc(x=x), greedy()])


@task
def fails_on_multiples_of_three(x: int) -> int:
    if x % 3 == 0:
        raise ValueError(f"{x} is a multiple of three")
    return x


@task
def survivors(xs: list[Optional[int]]) -> list[int]:
    return [x for x in xs if x is not None]


@workflow
def tolerant(xs: list[int], ratio: float = 0.5) -> list[int]:
    return survivors(xs=map_task(fails_on_multiples_of_three, min_success_ratio=0.5)(x=xs))


@workflow
def intolerant(xs: list[int]) -> list[int]:
    return survivors(xs=map_task(fails_on_multiples_of_three, min_success_ratio=0.9)(x=xs))


@task
def counted_nap(seconds: int, folder: str) -> int:
    """Sleeps, then records that it ran (one file per input, appended once per run)."""
    time.sleep(seconds)
    with open(os.path.join(folder, f"ran-{seconds}-{os.environ.get('SLURM_ARRAY_TASK_ID', '0')}"), "a") as fh:
        fh.write("x")
    return seconds


@workflow
def resumable(xs: list[int], folder: str) -> int:
    return total(xs=map_task(functools.partial(counted_nap, folder=folder), concurrency=3)(seconds=xs))


@task(retries=1)
def dies_once(x: int, folder: str) -> int:
    """Element 1 loses its process (SIGKILL, as an out-of-memory kill would) on its first attempt."""
    marker = os.path.join(folder, f"died-{x}")
    if x == 1 and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), 9)
    return x * 10


@workflow
def killed_and_retried(xs: list[int], folder: str) -> int:
    return total(xs=map_task(functools.partial(dies_once, folder=folder))(x=xs))


@trace
def slow_step(folder: str, x: int, step: int) -> int:
    with open(os.path.join(folder, f"x{x}-step{step}"), "a") as fh:
        fh.write("x")
    time.sleep(4)
    return step


@task(interruptible=True, requests=Resources(cpu="2"))
def preemptible_steps(x: int, folder: str) -> int:
    return sum(slow_step(folder, x, s) for s in range(6)) + x


@workflow
def preemptible_map(xs: list[int], folder: str) -> int:
    return total(xs=map_task(functools.partial(preemptible_steps, folder=folder))(x=xs))


@task(cache=True, cache_version="1")
def cube(x: int) -> int:
    if x == 13:
        raise ValueError("unlucky")
    return x ** 3


@workflow
def batched_cubes(xs: list[int]) -> list[Optional[int]]:
    return map_task(cube, batch_size=4, min_success_ratio=0.9)(x=xs)


@workflow
def unbatched_cubes(xs: list[int]) -> list[Optional[int]]:
    return map_task(cube, min_success_ratio=0.9)(x=xs)


@task(requests=Resources(cpu="4"))
def pid_of(x: int) -> int:
    time.sleep(0.5)
    return os.getpid()


@workflow
def batched_pids(xs: list[int]) -> list[int]:
    return map_task(pid_of, batch_size=8)(x=xs)


WARM = Environment("warm", reuse=ReusePolicy(replicas=1, concurrency=2, idle_ttl=5))


class Squared(NamedTuple):
    value: int
    pid: int


@task(environment=WARM)
def warm_square(x: int) -> Squared:
    return Squared(x * x, os.getpid())


@task(environment=WARM)
def warm_sum(values: list[int]) -> Squared:
    return Squared(sum(values), os.getpid())


@workflow
def warm_pipeline(xs: list[int]) -> tuple[int, list[int], int]:
    squares = map_task(warm_square)(x=xs)
    total = warm_sum(values=squares.value)
    return total.value, squares.pid, total.pid


@workflow
def cold_pipeline(xs: list[int]) -> int:
    return total(xs=map_task(cube)(x=xs))


@workflow
def squares_summed(xs: list[int]) -> int:
    """A map and a reduce: 61 jobs unbatched, more than a cap of 20 queued jobs allows."""
    return total(xs=map_task(square)(x=xs))


@workflow
def squares_one_per_task(xs: list[int]) -> int:
    """The same with batch_size=1: every element an array task of its own, whatever the cap."""
    return total(xs=map_task(square, batch_size=1)(x=xs))


@task
def square(x: int) -> int:
    return x * x


@workflow
def squares_in_fours(xs: list[int]) -> int:
    """Four elements per array task: 5,000 elements need 1,250 array tasks, more than one array
    of a cluster whose MaxArraySize is 1001 may index."""
    return total(xs=map_task(square, batch_size=4)(x=xs))


@task(timeout=datetime.timedelta(days=3))
def three_days(x: int) -> int:
    return x


@workflow
def longer_than_any_partition(x: int = 1) -> int:
    """Its task may run 3 days; the test cluster's partitions allow 2 (cpu) and 1 (gpu, preempt)."""
    return three_days(x=x)


@task
def count_to(n: int) -> list[int]:
    return list(range(n))


@workflow
def squares_of_a_made_list(n: int) -> int:
    """A map sized at run time (by count_to's output), an array task per element, and a reduce."""
    return total(xs=map_task(square, batch_size=1)(x=count_to(n=n)))
