"""The retry rule, shared by in-process runs, the local backend and Slurm.

As in flytekit, an exception from user code is a *user error* and is not retried: running the
same code on the same inputs again would fail the same way. An error is *recoverable*, and
retried up to the task's `retries`, when it is:
- a `hpcflow.RecoverableError` (raise it, or a subclass, for transient failures you detect);
- a transient OS-level failure: ConnectionError, TimeoutError, InterruptedError, MemoryError;
- the task's `timeout` expiring (the next attempt gets twice the time: `attempt_timeouts`);
- a failure that Slurm reports for the element's job (NODE_FAIL, OUT_OF_MEMORY, TIMEOUT,
  PREEMPTED): the element is resubmitted in a new array of only the failed indices.
"""
from __future__ import annotations

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
