"""One enum of element and run states; each scheduler translates its own states to it."""
from __future__ import annotations

from enum import Enum


class State(str, Enum):
    """The state of an element, a job or a whole run.

    Each member carries `finished` (nothing more will happen to it) and `ok` (it produced its
    outputs) as plain attributes: they are read once per element on every status check."""

    finished: bool
    ok: bool

    def __new__(cls, value: str, finished: bool, ok: bool) -> "State":
        member = str.__new__(cls, value)
        member._value_ = value
        member.finished, member.ok = finished, ok
        return member

    PENDING = ("PENDING", False, False)
    RUNNING = ("RUNNING", False, False)
    SUCCEEDED = ("SUCCEEDED", True, True)
    FAILED = ("FAILED", True, False)
    TIMEOUT = ("TIMEOUT", True, False)
    CANCELLED = ("CANCELLED", True, False)
    CACHED = ("CACHED", True, True)  # outputs taken from the cache; nothing ran
    PREEMPTED = ("PREEMPTED", False, False)  # stopped by a higher-priority job; requeued or resubmitted, not over
    UNKNOWN = ("UNKNOWN", False, False)  # the scheduler said something hpcflow does not know; asked again next time
