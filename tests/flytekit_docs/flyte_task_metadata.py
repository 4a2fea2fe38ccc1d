"""TaskMetadata for map tasks, min_success_ratio=None, and the Resources forms flytekit 1.16
takes: single values in requests=/limits=, (request, limit) pairs in resources=, also in
with_overrides. hpcflow's own code (no flytekit source); only the import lines would change.
"""
import datetime
import os

from hpcflow import Resources, TaskMetadata, map_task, task, workflow
from hpcflow.exceptions.user import FlyteRecoverableException


@task
def flaky_square(x: int) -> int:
    # fails once per element (a mark file per element) when FLAKY_DIR is set, then succeeds
    marks = os.environ.get("FLAKY_DIR")
    if marks:
        mark = os.path.join(marks, f"seen-{x}")
        if not os.path.exists(mark):
            open(mark, "w").close()
            raise FlyteRecoverableException(f"first attempt at {x} fails")
    return x * x


@task(requests=Resources(cpu="1", mem="1Gi"), limits=Resources(cpu="2", mem="2Gi"))
def sized(x: int) -> int:
    return x + 1


@task(resources=Resources(cpu=("1", "2"), mem=("1Gi", "2Gi")))
def paired(x: int) -> int:
    return x * 10


@workflow
def retried_map(xs: list[int]) -> list[int]:
    return map_task(flaky_square, metadata=TaskMetadata(retries=1, cache=True, cache_version="1",
                                                        timeout=datetime.timedelta(minutes=5)))(x=xs)


@workflow
def default_ratio_map(xs: list[int]) -> list[int]:
    return map_task(flaky_square, min_success_ratio=None)(x=xs)


@workflow
def resources_wf(x: int) -> int:
    a = sized(x=x)
    b = paired(x=a).with_overrides(resources=Resources(cpu=("2", "4"), mem="3Gi"))
    return sized(x=b).with_overrides(requests=Resources(cpu="2"), limits=Resources(cpu="3"))


# Bodies that flytekit refuses to compile (record_flytekit.py's REFUSALS wrap them in workflow(...)).
def plain_function(x: int) -> int:
    return x


def resources_override_with_requests(x: int) -> int:
    return sized(x=x).with_overrides(resources=Resources(cpu=("1", "2")), requests=Resources(cpu="1"))


def requests_pair_override(x: int) -> int:
    return sized(x=x).with_overrides(requests=Resources(cpu=("2", "4")))
