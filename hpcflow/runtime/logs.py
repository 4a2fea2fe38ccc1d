"""Element logs from the shell: the failed elements of a run grouped by their error (`hpcflow logs RUN
--failed`), and one element's log followed while it runs (`hpcflow logs RUN NODE[INDEX] -f`)."""
from __future__ import annotations

import codecs
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from hpcflow.core.states import State
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.runs import RunView
from hpcflow.runtime.summary import find_element

_NUMBER = re.compile(r"\d+")


@dataclass
class FailedElement:
    """One element that did not succeed: its label (n1[3], n0[2]/n1), state, error and log."""

    label: str
    state: State
    error: str
    log: Path


@dataclass
class FailureGroup:
    """Elements that failed the same way: the same error once numbers are set aside (x=3, x=6, ...)."""

    error: str  # the first element's error, as it was
    elements: list[FailedElement] = field(default_factory=list)


def failed_elements(rd: RunDir, view: RunView) -> list[FailureGroup]:
    """The run's failed, timed-out and cancelled elements (dynamic sub-runs included), grouped by error,
    the largest group first."""
    groups: dict[str, FailureGroup] = {}
    for job in view.jobs:
        for index in job.bad_elements:
            label = f"{job.label}[{index}]"
            sub, job_id, i = find_element(rd, label)
            status = sub.status(job_id, i)
            error = last_line(status.error) or f"{status.state.value.lower()} (no error recorded)"
            key = _NUMBER.sub("N", error)
            groups.setdefault(key, FailureGroup(error)).elements.append(
                FailedElement(label, status.state, error, sub.element_log_path(job_id, i, status)))
    return sorted(groups.values(), key=lambda g: -len(g.elements))


def last_line(text: str) -> str:
    """The line of an error that says what it was (a traceback's last)."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def tail(path: Path, lines: int) -> list[str]:
    """The last `lines` lines of a log (it may be large: only its end is read)."""
    if not path.exists():
        return []
    with path.open("rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 64 * 1024 * max(1, lines // 100)))
        text = f.read().decode(errors="replace")
    return text.splitlines()[-lines:] if lines > 0 else []


def follow(path: Path, ended: Callable[[], bool], poll_s: float = 0.5) -> Iterator[str]:
    """The log's text as it grows, until the element has ended and nothing more was written."""
    offset = 0
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # a read may end inside a character
    while True:
        done = ended()  # asked before reading, so the last words written before the end are read
        if path.exists():
            with path.open("rb") as f:
                f.seek(offset)
                chunk = f.read()
            if chunk:
                offset += len(chunk)
                yield decoder.decode(chunk)
                continue
        if done:
            return
        time.sleep(poll_s)


def element_ended(rd: RunDir, label: str, live: Callable[[], object | None], every_s: float = 10.0) -> Callable[[], bool]:
    """Whether an element has ended: its own record says so, or the scheduler does (an element killed
    before it could write), asked at most every `every_s` seconds (`live` gives the backend's view)."""
    sub, job_id, index = find_element(rd, label)
    asked = [0.0]

    def ended() -> bool:
        if sub.status(job_id, index).state.finished:
            return True
        if time.time() - asked[0] < every_s:
            return False
        asked[0] = time.time()
        view = live()
        state = view(sub, job_id, index) if callable(view) else None
        return state is not None and state.finished

    return ended
