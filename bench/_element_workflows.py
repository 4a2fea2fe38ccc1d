"""The workflow bench/element_start.py runs one element of: its task's first line is the user code."""
import time

from hpcflow import task, workflow


@task
def first_line(x: int) -> list[float]:
    """When the user's code started running: wall clock, and the CPU its process had used by then."""
    return [time.time(), time.process_time()]


@workflow
def one(x: int = 0) -> list[float]:
    """One element of first_line."""
    return first_line(x=x)
