"""The retry rule, shared by in-process runs, the local backend and Slurm.

As in flytekit, an exception from user code is a *user error* and is not retried: running the
same code on the same inputs again would fail the same way. An error is *recoverable*, and
retried up to the task's `retries`, when it is:
- a `hpcflow.RecoverableError` (raise it, or a subclass, for transient failures you detect);
- a transient OS-level failure: ConnectionError, TimeoutError, InterruptedError, MemoryError;
- the task's `timeout` expiring (the next attempt gets twice the time: `attempt_timeouts`);
- its Python process being killed (a signal, the OOM killer): the element's script runs it
  again at once in the same allocation, or after an out-of-memory kill submits it alone with
  twice the memory (backends/slurm/recover.py); an interruptible element preempted after its
  last requeue is resubmitted on the normal QoS (backends/slurm/sentinel.py).
"""
from __future__ import annotations

import dataclasses

from hpcflow.core.plan import JobPlan
from hpcflow.errors import ElementTimeout, RecoverableError

TRANSIENT = (RecoverableError, ConnectionError, TimeoutError, InterruptedError, MemoryError)


TIMEOUT_GROWTH = 2  # each attempt after a timeout gets this many times the time of the one before


def attempt_timeouts(timeout_s: float | None, retries: int) -> list[float]:
    """The timeout of each attempt: a task that timed out gets twice the time on its next attempt
    (the same code on the same input needs more time, not another try at the same limit)."""
    if not timeout_s:
        return []
    return [timeout_s * TIMEOUT_GROWTH ** k for k in range(retries + 1)]


def is_recoverable(exc: BaseException) -> bool:
    """True for errors that `retries` applies to."""
    return isinstance(exc, TRANSIENT + (ElementTimeout,))


MEMORY_GROWTH = 2  # a resubmission after an out-of-memory kill gets this many times the memory


def grown(job: JobPlan, reasons: set[str], mem_bytes: int | None = None) -> JobPlan:
    """The job with more memory after OUT_OF_MEMORY (twice `mem_bytes`, what the killed attempt
    had, else twice the plan's) and twice the timeout after TIMEOUT."""
    resources, timeout = job.resources, job.timeout_s
    mem = mem_bytes or resources.mem_bytes
    if "OUT_OF_MEMORY" in reasons and mem:
        resources = dataclasses.replace(resources, mem_bytes=mem * MEMORY_GROWTH)
    if "TIMEOUT" in reasons and timeout:
        timeout = timeout * TIMEOUT_GROWTH
    return dataclasses.replace(job, resources=resources, timeout_s=timeout)
