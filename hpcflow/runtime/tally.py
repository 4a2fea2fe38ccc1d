"""A job's element counts, kept between looks so that `status` reads only what may have changed.

    jobs/<job>/tally.json   counts of the array tasks whose elements have all ended, and which those are

Records are per array task (runtime/records.py) and a task's ended elements never change again
(only a resume resets them, and it drops the tally), so a look adds the tasks that ended since
the last one and keeps them. What is left to read on each look is the tasks that run now, or ended
since: not the tasks Slurm still holds queued, nor those already counted. Once every task has
ended, a look reads this one file, however many elements the job has.

The run's owner's monitor (status, wait, outputs) is the one writer; a look by anyone else
(who may not write here) counts without keeping. Two looks at once write the same counts, or
one that knows fewer tasks ended, which the next look adds again.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from hpcflow.core.states import State
from hpcflow.store import atomic

KEEP = 100  # element indices kept per list (bad ones, ones run under another environment)


@dataclass
class Tally:
    """Counts by state of the elements of the tasks in `final` (all their elements ended)."""

    size: int
    batch: int | None
    final: set[int] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)
    bad: list[int] = field(default_factory=list)
    # elements by the environment they ran under (pinning.environment_id): which are "another" is
    # decided when read, against what run.json says the run was submitted under
    ran_under: dict[str, list[int]] = field(default_factory=dict)

    def add(self, task: int, counts: Counter, bad: Iterable[int], ran_under: dict[str, list[int]]) -> None:
        """Count one more task whose elements have all ended."""
        self.final.add(task)
        self.counts.update(counts)
        self.bad = sorted({*self.bad, *bad})[:KEEP]
        for env, indices in ran_under.items():
            self.ran_under[env] = sorted({*self.ran_under.get(env, []), *indices})[:KEEP]

    def other(self, submitted_under: str) -> list[int]:
        """The elements counted that ran under another environment than `submitted_under` ('' : none)."""
        if not submitted_under:
            return []
        return sorted(i for env, indices in self.ran_under.items() if env != submitted_under for i in indices)[:KEEP]

    def to_json(self) -> dict[str, Any]:
        """The JSON form kept in tally.json (the final tasks as ranges)."""
        return {"size": self.size, "batch": self.batch, "final": _ranges(sorted(self.final)),
                "counts": {s.value: n for s, n in self.counts.items()}, "bad": self.bad, "ran_under": self.ran_under}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "Tally":
        """Read back tally.json."""
        final = {t for lo, hi in obj.get("final", []) for t in range(lo, hi + 1)}
        return cls(obj["size"], obj.get("batch"), final, Counter({State(s): n for s, n in obj["counts"].items()}),
                   list(obj.get("bad", [])), {e: list(ix) for e, ix in obj.get("ran_under", {}).items()})


def load_tally(path: Any, size: int, batch: int | None) -> Tally:
    """The kept tally of a job of `size` elements in tasks of `batch`; a new one when none fits."""
    obj = atomic.read_json(path)
    if obj and obj.get("size") == size and obj.get("batch") == batch:
        try:
            return Tally.from_json(obj)
        except (KeyError, ValueError, TypeError):
            pass  # an older form: counted again
    return Tally(size, batch)


def save_tally(path: Any, tally: Tally) -> None:
    """Keep a tally (not when the run directory is someone else's: their monitor keeps theirs)."""
    try:
        atomic.write_json_compact(path, tally.to_json())
    except OSError:
        pass


def _ranges(values: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return runs
