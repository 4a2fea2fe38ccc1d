"""A trivial map over many items, for the scale tests (tests/test_scale.py, tests/slurm/test_scale_slurm.py)."""
from typing import Optional

import numpy as np

from hpcflow import map_task, task, workflow

UNLUCKY = 4321  # the one element that fails: its record, traceback and log must be found among thousands


@task
def items(n: int) -> list[int]:
    return list(range(n))


@task
def ident(x: int) -> int:
    if x == UNLUCKY:
        raise ValueError(f"unlucky {x}")
    return x


@task
def count(xs: list[Optional[int]]) -> int:
    return sum(x is not None for x in xs)


@workflow
def thousands(n: int) -> int:
    """n items in array tasks of 1,000; one fails, which min_success_ratio tolerates."""
    return count(xs=map_task(ident, batch_size=1000, min_success_ratio=0.99)(x=items(n=n)))


@workflow
def site_batched(n: int) -> int:
    """n items batched as the site's defaults decide."""
    return count(xs=map_task(ident, min_success_ratio=0.99)(x=items(n=n)))


@task
def vector(x: int) -> np.ndarray:
    return np.full(1000, float(x))


@task
def total(vs: list[np.ndarray]) -> float:
    return float(sum(v.sum() for v in vs))


@workflow
def vectors(n: int) -> float:
    """n elements that each return 1,000 float64s, in array tasks of 1,000, and a reduce over them."""
    return total(vs=map_task(vector, batch_size=1000)(x=items(n=n)))



@task
def nap(x: int) -> int:
    import time

    time.sleep(0.01)
    return x


@workflow
def napping(n: int) -> int:
    """n elements of 10 ms each, batched by what they cost (the site's defaults), then a count."""
    return count(xs=map_task(nap)(x=items(n=n)))


@task
def dies_once(x: int, folder: str) -> int:
    """Element 150 loses its process (SIGKILL, as an out-of-memory kill would) the first time it runs."""
    import os

    marker = os.path.join(folder, "died")
    if x == 150 and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), 9)
    return x


@workflow
def killed_once(n: int, folder: str) -> int:
    """n items in array tasks of 100, one of which is killed part way through on its first run."""
    import functools

    return count(xs=map_task(functools.partial(dies_once, folder=folder), batch_size=100)(x=items(n=n)))
