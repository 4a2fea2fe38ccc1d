"""What is recorded about elements: their statuses, the monitor's word on those that could not record
their end (the overlay), and what a submission found in the cache (lookups). Plain records; where
they are kept is the run directory's business (runtime/rundir.py, runtime/records.py)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hpcflow.core.states import State
from hpcflow.errors import DamagedFileError


@dataclass
class ElementStatus:
    """What one element's process recorded about itself."""

    state: State = State.PENDING
    attempts: int = 0
    started: float | None = None
    finished: float | None = None
    host: str = ""
    pid: int | None = None
    error: str = ""
    expanded: bool = False  # a dynamic element that wrote a sub-workflow
    trace_executed: int = 0  # @trace calls that ran
    trace_replayed: int = 0  # @trace calls answered from checkpoints of an earlier attempt
    restarts: int = 0  # times Slurm requeued the element (preemption)
    environment: str = ""  # the Python/hpcflow/packages it ran under (pinning.environment_id)
    ran_in: int | None = None  # the array task that ran it, when not its own (runtime/stealing.py): its log is there

    def to_json(self) -> dict[str, Any]:
        """A JSON object of every field."""
        return {**asdict(self), "state": self.state.value}

    def compact(self) -> dict[str, Any]:
        """The fields that differ from a new status (a task's file holds many of these). Every field is
        a scalar, so no copy is made: asdict's deep copy cost more than a trivial element's call."""
        return {"state": self.state.value,
                **{k: v for k, v in self.__dict__.items() if k != "state" and v != _DEFAULTS[k]}}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "ElementStatus":
        """Read back a JSON object of (some of) the fields (DamagedFileError when it is not one)."""
        try:
            return cls(**{**obj, "state": State(obj["state"])})
        except (KeyError, TypeError, ValueError) as exc:
            raise DamagedFileError(f"an element status is damaged ({exc!r}); rerun the element") from None


_DEFAULTS = {k: (v.value if isinstance(v, State) else v) for k, v in asdict(ElementStatus()).items()}


@dataclass(frozen=True)
class Overlay:
    """The monitor's word on a job's elements that did not record a final state themselves:
    every such element of a task Slurm ended (`tasks`: task -> state, reason), and every element
    that never started once the run failed (`pending`)."""

    tasks: dict[int, tuple[State, str]] = field(default_factory=dict)
    pending: tuple[State, str] | None = None

    def apply(self, status: ElementStatus, task: int) -> ElementStatus:
        """An element's status with this word on it, when its own record is not final."""
        if status.state.finished:
            return status
        if task in self.tasks:
            state, reason = self.tasks[task]
            return ElementStatus(**{**asdict(status), "state": state, "error": status.error or reason})
        if self.pending is not None and status.state is State.PENDING:
            return ElementStatus(self.pending[0], error=self.pending[1])
        return status

    def to_json(self) -> dict[str, Any]:
        """The JSON form kept in overlay.json."""
        return {"tasks": {str(t): [s.value, r] for t, (s, r) in self.tasks.items()},
                "pending": None if self.pending is None else [self.pending[0].value, self.pending[1]]}

    @classmethod
    def from_json(cls, obj: dict[str, Any] | None) -> "Overlay":
        """Read back overlay.json (an empty overlay for none)."""
        if not obj:
            return cls()
        pending = obj.get("pending")
        return cls({int(t): (State(s), r) for t, (s, r) in obj.get("tasks", {}).items()},
                   None if pending is None else (State(pending[0]), pending[1]))


@dataclass(frozen=True)
class Lookups:
    """What the submission found in the cache for a job: outputs of hits, and every key it computed."""

    hits: dict[int, dict[str, Any]] = field(default_factory=dict)
    keys: dict[int, dict[str, Any]] = field(default_factory=dict)  # index -> {"parts": ..., "time": ...}
