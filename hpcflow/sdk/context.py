"""flytekit's `current_context()`: what a running task may ask about its execution.

The runtime sets it for every element (runtime/entry.py: the working directory and checkpoint
live in the element's own folder of the run directory, so a checkpoint outlives a retry, a
requeue after preemption and a resubmission); an in-process call gets a scratch one, as
flytekit's local execution does.
"""
from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime
    import logging

# shutil, tempfile, datetime and logging are imported where they are used: every element sets a
# context, and few of them copy a checkpoint, log through it or ask for its date.


class Checkpoint:
    """flytekit's SyncCheckpoint: bytes or files an attempt leaves for the next one of the same element."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)  # the element's: every attempt reads what the one before wrote

    def read(self) -> bytes | None:
        """What the last write() of an earlier attempt (or of this one) saved, or None."""
        path = self.folder / "checkpoint"
        return path.read_bytes() if path.is_file() else None

    def write(self, data: bytes) -> None:
        """Save `data` for the next attempt (atomically: a kill mid-write leaves the last one)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / ".checkpoint.tmp"
        tmp.write_bytes(data)
        tmp.replace(self.folder / "checkpoint")

    def restore(self, path: str | Path | None = None) -> Path | None:
        """Copy what an earlier attempt saved into `path` (a new folder when None); None when nothing was."""
        if not self.folder.is_dir() or not any(self.folder.iterdir()):
            return None
        import shutil
        import tempfile

        target = Path(path) if path is not None else Path(tempfile.mkdtemp(prefix="hpcflow-restore-"))
        shutil.copytree(self.folder, target, dirs_exist_ok=True)
        return target

    def save(self, path: str | Path) -> None:
        """Save a file or a folder's files for the next attempt."""
        import shutil

        source = Path(path)
        self.folder.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, self.folder, dirs_exist_ok=True)
        else:
            shutil.copy2(source, self.folder / source.name)


@dataclass(frozen=True)
class ExecutionId:
    """Which execution this is: the run id as its name (project and domain mean nothing on Slurm)."""

    name: str
    project: str = "hpcflow"
    domain: str = "development"


@dataclass
class ExecutionParameters:
    """flytekit's ExecutionParameters, for what Slurm runs can honour."""

    execution_id: ExecutionId
    folder: Path | None = None  # the element's folder; None: a scratch one, made when first asked for
    started: float = field(default_factory=time.time)  # when the execution began, in seconds since the epoch

    @property
    def execution_date(self) -> datetime.datetime:
        """When the execution began (UTC), as flytekit's execution_date."""
        import datetime

        return datetime.datetime.fromtimestamp(self.started, datetime.timezone.utc)

    @property
    def logging(self) -> logging.Logger:
        """The tasks' logger, as flytekit's."""
        import logging

        return logging.getLogger("hpcflow.task")

    @cached_property
    def _folder(self) -> Path:
        if self.folder is not None:
            return self.folder
        import tempfile

        return Path(tempfile.mkdtemp(prefix="hpcflow-task-"))

    @property
    def working_directory(self) -> str:
        """A folder of this element's own, on the shared filesystem when under Slurm."""
        path = self._folder / "work"
        path.mkdir(parents=True, exist_ok=True)
        return str(path)

    @cached_property
    def checkpoint(self) -> Checkpoint:
        """This element's checkpoint, kept in its folder across attempts."""
        return Checkpoint(self._folder / "checkpoint")

    @property
    def raw_output_prefix(self) -> str:
        """Where flytekit would put raw outputs: here, the working directory."""
        return self.working_directory


CURRENT: ContextVar[ExecutionParameters | None] = ContextVar("hpcflow_current_context", default=None)
_LOCAL: list[ExecutionParameters] = []  # one scratch context per process for calls outside any task


def current_context() -> ExecutionParameters:
    """The context of the task running now (in-process, a scratch one), as flytekit's current_context()."""
    ctx = CURRENT.get()
    if ctx is not None:
        return ctx
    if not _LOCAL:
        _LOCAL.append(ExecutionParameters(ExecutionId(f"local-{time.strftime('%Y%m%d-%H%M%S')}")))
    return _LOCAL[0]
