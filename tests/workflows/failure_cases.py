"""Workflows with on_failure handlers (tests/test_on_failure.py, tests/slurm/test_failure_node.py).

Each task appends a line to the file `path`, so a test reads what ran and in which order. `slow`
waits for the file `gate` to appear (a test creates it once it has seen what it looks for), so
no test depends on how long anything takes.
"""
import time
import typing
from pathlib import Path

from hpcflow import WorkflowFailurePolicy, task, workflow
from hpcflow.types.error.error import FlyteError


def _note(path: str, line: str) -> None:
    with open(path, "a") as fh:
        fh.write(line + "\n")


@task
def slow(path: str, gate: str) -> int:
    deadline = time.time() + 600
    while not Path(gate).exists() and time.time() < deadline:
        time.sleep(0.2)
    _note(path, "slow")
    return 1


@task
def breaks(path: str) -> int:
    _note(path, "breaks")
    raise ValueError("broken on purpose")


@task
def works(path: str) -> int:
    _note(path, "works")
    return 2


@task
def after_slow(path: str, x: int) -> int:
    _note(path, "after_slow")
    return x + 1


@task
def clean_up(path: str, gate: str, err: typing.Optional[FlyteError] = None) -> None:
    _note(path, f"clean_up {err.failed_node_id if err else None} {err.message if err else None}")


@workflow
def clean_up_wf(path: str, gate: str) -> None:
    clean_up(path=path, gate=gate)


@workflow(on_failure=clean_up)
def fails_fast(path: str, gate: str) -> int:
    """breaks fails while slow waits at its gate; after_slow needs slow, not breaks."""
    done = slow(path=path, gate=gate)
    breaks(path=path)
    return after_slow(path=path, x=done)


@workflow(on_failure=clean_up, failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
def fails_after_the_rest(path: str, gate: str) -> int:
    done = slow(path=path, gate=gate)
    breaks(path=path)
    return after_slow(path=path, x=done)


@workflow(on_failure=clean_up_wf)
def succeeds(path: str, gate: str) -> int:
    return after_slow(path=path, x=works(path=path))


@workflow(on_failure=clean_up)
def inner(path: str, gate: str) -> int:
    return breaks(path=path)


@workflow(on_failure=clean_up)
def outer(path: str, gate: str) -> int:
    """A failing sub-workflow: its handler runs, and then the outer one's."""
    works(path=path)
    return inner(path=path, gate=gate)
