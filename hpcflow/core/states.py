"""One enum of element and run states; each scheduler translates its own states to it."""
from __future__ import annotations

from enum import Enum


class State(str, Enum):
    """The state of an element, a job or a whole run."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMEOUT = "TIMEOUT"
    CANCELLED = "CANCELLED"
    CACHED = "CACHED"  # outputs taken from the cache; nothing ran
    PREEMPTED = "PREEMPTED"  # stopped by a higher-priority job; requeued or resubmitted, not over
    UNKNOWN = "UNKNOWN"  # the scheduler said something hpcflow does not know; asked again next time

    @property
    def finished(self) -> bool:
        """True once nothing more will happen to it."""
        return self not in (State.PENDING, State.RUNNING, State.PREEMPTED, State.UNKNOWN)

    @property
    def ok(self) -> bool:
        """True when it produced its outputs."""
        return self in (State.SUCCEEDED, State.CACHED)
