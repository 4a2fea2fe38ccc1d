"""The head of an array task's records file: what its elements' statuses add up to, readable
without parsing the elements. runtime/records.py writes it first in the file, with every publication:

    {"head": {"states": {"SUCCEEDED": [[0, 997], 999], "FAILED": [998]}, "env": {"3fa9c2": [[0, 999]]}},
     "parts": [...], "elements": {...}}

(element indices as runs: `[lo, hi]`, or one index alone). A status look (runtime/summary.py) needs a
task's counts by state, not its elements' outputs and tracebacks: it reads the first kilobytes of
the file instead of parsing all of it (a few hundred kilobytes at a thousand elements a task). The
head is published in the same file, by the same atomic replace, as the records it sums up, so it is
never stale, whoever wrote the file (the task, the recover step, a sentinel, a resume, the local
backend); and it costs no second file per task to create, rename and keep in step.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from hpcflow.core.states import State
from hpcflow.errors import DamagedFileError
from hpcflow.store import atomic

CHUNK = 16384  # bytes read first: a head is well under this unless a task's states interleave finely
_PREFIX = '{"head":'
_PARTS = ',"parts":'
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class TaskSummary:
    """Which of a task's elements have a status on record, by state and by the environment they ran under."""

    states: dict[State, tuple[range, ...]] = field(default_factory=dict)
    env: dict[str, tuple[range, ...]] = field(default_factory=dict)

    def counts(self) -> Counter:
        """Elements on record by state."""
        return Counter({s: sum(map(len, runs)) for s, runs in self.states.items()})

    def within(self, elements: range) -> bool:
        """True when every element on record is one of `elements`."""
        runs = [r for rs in self.states.values() for r in rs]
        return all(r.start >= elements.start and r.stop <= elements.stop for r in runs)

    def by_index(self) -> dict[int, State]:
        """Each element on record -> its state."""
        found: dict[int, State] = {}
        for state, runs in self.states.items():
            for run in runs:
                found.update(dict.fromkeys(run, state))
        return found

    def indices(self, state: State) -> Iterator[int]:
        """The elements on record in `state`, in order."""
        for run in self.states.get(state, ()):
            yield from run

    def ran_under(self, limit: int) -> dict[str, list[int]]:
        """Elements by the environment they ran under, at most `limit` of each."""
        return {env: _first(runs, limit) for env, runs in self.env.items()}

    def merged(self, newer: "TaskSummary") -> "TaskSummary":
        """This summary with `newer`'s elements taking the place of its own (a part's records over its task's)."""
        replaced = newer.by_index()  # an element's newer status replaces its older one whole, environment too
        states = {**self.by_index(), **replaced}
        env = {i: e for i, e in _by_index(self.env).items() if i not in replaced}
        env.update(_by_index(newer.env))
        return TaskSummary(_grouped(states), _grouped(env))

    def to_json(self) -> dict[str, Any]:
        """The head's JSON form."""
        return {"states": {s.value: _runs_json(r) for s, r in self.states.items()},
                "env": {e: _runs_json(r) for e, r in self.env.items()}}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "TaskSummary":
        """A head back from its JSON form (ValueError, KeyError or TypeError when it is not one)."""
        return cls({State(s): _runs(r) for s, r in obj["states"].items()},
                   {str(e): _runs(r) for e, r in obj.get("env", {}).items()})


def summary_of(elements: dict[int, dict[str, Any]]) -> TaskSummary:
    """The summary of a task's records (index -> field -> JSON value)."""
    states: dict[int, str] = {}
    env: dict[int, str] = {}
    for index, fields in elements.items():
        status = fields.get("status")
        if isinstance(status, dict) and "state" in status:
            states[index] = status["state"]
            if status.get("environment"):
                env[index] = status["environment"]
    try:
        return TaskSummary({State(s): r for s, r in _grouped(states).items()}, _grouped(env))
    except ValueError as exc:
        raise DamagedFileError(f"an element status is damaged ({exc!r}); rerun the element") from None


def read_head(path: Path) -> tuple[TaskSummary, list[str]] | None:
    """The summary and the parts listed at the head of a task's file; None when it has no head (written by
    an older hpcflow: its records must be read). FileNotFoundError when there is no file."""
    with open(path, "rb") as fh:
        data = fh.read(CHUNK)
        if not data.startswith(_PREFIX.encode()):
            return None
        try:
            return _decode(data.decode("utf-8", "ignore"))
        except ValueError:  # the head goes on past the first chunk: parse the file
            data += fh.read()
    try:
        obj = json.loads(data)
        return TaskSummary.from_json(obj["head"]), list(obj.get("parts", []))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise atomic.damaged(path, f"no summary at its head: {exc!r}") from None


def _decode(text: str) -> tuple[TaskSummary, list[str]]:
    head, end = _DECODER.raw_decode(text, len(_PREFIX))
    if not text.startswith(_PARTS, end):
        raise ValueError("no parts after the head")
    parts, _ = _DECODER.raw_decode(text, end + len(_PARTS))
    try:
        return TaskSummary.from_json(head), [str(p) for p in parts]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(repr(exc)) from None


def _grouped(values: dict[int, Any]) -> dict[Any, tuple[range, ...]]:
    """index -> value, as value -> runs of consecutive indices."""
    indices: dict[Any, list[int]] = {}
    for index in sorted(values):
        indices.setdefault(values[index], []).append(index)
    return {value: tuple(_runs_of(ix)) for value, ix in indices.items()}


def _runs_of(indices: list[int]) -> Iterator[range]:
    start = prev = indices[0]
    for index in indices[1:]:
        if index != prev + 1:
            yield range(start, prev + 1)
            start = index
        prev = index
    yield range(start, prev + 1)


def _by_index(groups: dict[Any, tuple[range, ...]]) -> dict[int, Any]:
    return {i: value for value, runs in groups.items() for run in runs for i in run}


def _first(runs: Iterable[range], limit: int) -> list[int]:
    found: list[int] = []
    for run in runs:
        found += run[:limit - len(found)]
        if len(found) >= limit:
            break
    return found


def _runs_json(runs: Iterable[range]) -> list[Any]:
    return [r.start if len(r) == 1 else [r.start, r.stop - 1] for r in runs]


def _runs(obj: list[Any]) -> tuple[range, ...]:
    return tuple(range(r, r + 1) if isinstance(r, int) else range(int(r[0]), int(r[1]) + 1) for r in obj)
