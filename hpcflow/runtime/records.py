"""Records per array task: what the elements of one array task recorded (status, small outputs,
traceback, cache key), in one file of the task's own, not in files per element.

    jobs/<job>/tasks/<task>.json          the task's records, and the parts being written now
    jobs/<job>/tasks/<task>.<part>.json   one worker process's records, while a batch runs on several
    jobs/<job>/tasks/<name>.journal       what a writer recorded since its file was last published, while
                                          the task runs elements whose starts are urgent (below)

Parallel filesystems pay per file and per metadata operation, so a map of a million elements
in array tasks of a thousand makes a thousand files here, not a million. Every file has one
writer at a time, so no file is locked:
- while an array task runs, its process writes the task's file (a batch spread over worker
  processes: each worker its part, which the task's file lists; the task folds them in when
  the workers are done). Writes are buffered and published at most once a `FLUSH_S` (and when
  the writer closes), so a batch of trivial elements costs a few writes, not two per element;
  under a scheduler, whose squeue says meanwhile that the task runs, an element alone in its
  task publishes its start and its end in one write, when it ends (runtime/entry.py), and a
  batch's first publication waits FLUSH_S as the later ones do (one write, if it ends sooner).
  An element whose start must be published at once (a kill must find that its attempt began:
  the recover step counts attempts from it) appends what was recorded since the last publication
  to the writer's journal, which its file lists with the offset its lines start to be newer
  from, instead of publishing every record of the task again: one small append per element;
- when no process of the task runs (the recover step after its Python process was killed, a
  sentinel after its array ended, a resume, the local backend after reaping it), one process
  edits it: read, change, publish.
A reader merges the task's file with the parts it lists, published atomically (store/atomic.py):
one element's record is one or a few reads, whatever the size of its map. Each file starts with a
summary of its statuses (runtime/heads.py), published with it, which a status look reads instead of
the elements.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from hpcflow.runtime.heads import TaskSummary, read_head, summary_of
from hpcflow.store import atomic

FLUSH_S = 1.0  # at most one publication per writer per second: a killed task re-runs at most that much work
# ... and at most this share of a writer's time goes to publishing: a task of many elements publishes
# more records each time, so its publications are further apart (a killed task re-runs a bit more)
SPEND = 0.05
FIELDS = ("status", "outputs", "error", "key")  # what an element records; each a JSON value
_OK = ("SUCCEEDED", "CACHED")


@dataclass
class TaskRecord:
    """The records of one array task's elements: index -> field -> JSON value; and its parts."""

    elements: dict[int, dict[str, Any]] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)
    journal: list[Any] = field(default_factory=list)  # [name, offset]: the journal's lines from offset on are newer

    def ok(self, index: int) -> bool:
        """True when the element's own record says it ended well (then none of it changes again)."""
        return (self.get(index, "status") or {}).get("state") in _OK

    def get(self, index: int, name: str, default: Any = None) -> Any:
        """One field of one element's record."""
        return self.elements.get(index, {}).get(name, default)

    def put(self, index: int, name: str, value: Any) -> None:
        """Set one field of one element's record."""
        self.elements.setdefault(index, {})[name] = value

    def update(self, other: "TaskRecord") -> None:
        """Take every field `other` recorded (it is newer)."""
        for index, fields in other.elements.items():
            self.elements.setdefault(index, {}).update(fields)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the task's file: its head first (heads.py reads it without the rest; the head
        counts what the file holds, not the newer lines of a journal it lists, which its next publication folds in)."""
        obj = {"head": summary_of(self.elements).to_json(), "parts": self.parts}
        if self.journal:
            obj["journal"] = self.journal
        obj["elements"] = {str(i): f for i, f in self.elements.items()}
        return obj

    @classmethod
    def from_json(cls, obj: dict[str, Any] | None) -> "TaskRecord":
        """A record back from its file's JSON (an empty one for no file)."""
        if not obj:
            return cls()
        return cls({int(i): dict(f) for i, f in obj.get("elements", {}).items()}, list(obj.get("parts", [])),
                   list(obj.get("journal", [])))


def _journal_lines(path: Path, offset: int) -> Iterator[tuple[int, str, Any]]:
    """The (index, field, value) lines of a journal from byte `offset` on; a line cut short by a kill is left out."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            text = fh.read()
    except FileNotFoundError:  # its writer published everything and removed it since its file was read
        return
    for line in text.split(b"\n"):
        try:
            index, name, value = json.loads(line)
        except ValueError:
            continue
        yield int(index), name, value


class _Writer:
    """This process's buffered writes to one file (the task's, or one of its parts)."""

    def __init__(self, path: Path, record: TaskRecord, stale: list[Path], before: Callable[[], None] | None = None,
                 base: TaskRecord | None = None, mine: set[int] | None = None):
        self.path, self.record, self.stale = path, record, stale
        # what this process answers from memory: the elements it runs (`mine`; None: all of the task's),
        # from `base` (the task's records when it began; the record itself, for the task's own writer)
        self.base, self.mine = (record if base is None else base), mine
        self.before = before  # publishes what the records name (the task's HDF5 pack) ahead of them
        self.dirty, self.last, self.interval = False, 0.0, FLUSH_S
        self.hold = False  # publish only when asked (flush, log) and at close, however long since the last time
        self.journal: Any = None  # the open journal, once a write was urgent
        self.journal_path: Path | None = None
        self.journal_size = 0
        self.unlogged: list[tuple[int, str, Any]] = []  # put since the file or the journal last had them

    def view(self, index: int) -> TaskRecord:
        """Element `index`'s record as this process knows it (for an element it runs: all there is)."""
        fields = {**self.base.elements.get(index, {}), **self.record.elements.get(index, {})}
        return TaskRecord({index: fields} if fields else {})

    def put(self, index: int, name: str, value: Any, urgent: bool) -> None:
        self.record.put(index, name, value)
        self.dirty = True
        if self.journal is not None:
            self.unlogged.append((index, name, value))
        if urgent:
            self.log()
        if not self.hold and time.monotonic() - self.last >= self.interval:
            self.flush()

    def log(self) -> None:
        """Publish what was put since the last publication at once: appended to this writer's journal (one
        small write, where publishing the file would write every record of the task again)."""
        if self.journal is None:  # the first time: publish the file, which lists the journal from here on
            self.journal_path = self.path.with_name(f"{self.path.stem}.{os.urandom(3).hex()}.journal")
            self.flush()
            self.journal = open(self.journal_path, "ab")  # noqa: SIM115 - open until close()
            return
        if not self.unlogged:
            return
        if self.before is not None and any(name == "outputs" for _, name, _ in self.unlogged):
            self.before()  # arrays the outputs name are published ahead of them
        data = b"".join(json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in self.unlogged)
        self.journal.write(data)
        self.journal.flush()
        self.journal_size += len(data)
        self.unlogged = []

    def flush(self) -> None:
        if self.dirty:
            start = time.monotonic()
            if self.before is not None:
                self.before()
            if self.journal_path is not None:  # what the journal has so far is in the file too
                self.record.journal = [self.journal_path.name, self.journal_size]
            atomic.write_json_compact(self.path, self.record.to_json())
            self.dirty, self.last, self.unlogged = False, time.monotonic(), []
            self.interval = max(FLUSH_S, (self.last - start) / SPEND)
            for path in self.stale:  # parts already folded into the task's file
                path.unlink(missing_ok=True)
            self.stale = []

    def close(self) -> None:
        """Publish what is left; the file then holds everything, and the journal goes."""
        path, self.journal_path = self.journal_path, None
        if self.journal is not None:
            self.journal.close()
            self.journal, self.record.journal, self.dirty = None, [], True
        self.flush()
        if path is not None:
            path.unlink(missing_ok=True)


class TaskRecords:
    """The per-task record files of one run directory: read, write as the task, edit as anyone else."""

    def __init__(self, job_dir: Callable[[str], Path]):
        self.job_dir = job_dir
        self.writers: dict[tuple[str, int], _Writer] = {}  # the tasks (or parts) this process writes
        self.deferred: dict[tuple[str, int], TaskRecord] | None = None  # edits held until `deferring` ends
        self.done_cache: dict[tuple[str, int], TaskRecord] = {}  # records read whose elements all ended well

    def path(self, job_id: str, task: int, part: str = "") -> Path:
        """The file of a task (or of one of its parts)."""
        return self.job_dir(job_id) / "tasks" / (f"{task}.{part}.json" if part else f"{task}.json")

    # --- reading ---------------------------------------------------------------------------
    def read(self, job_id: str, task: int) -> TaskRecord:
        """What the task recorded: its file, the parts it lists, and this process's unpublished writes."""
        return self._mine(job_id, task, self._published(job_id, task)[0])

    def _published(self, job_id: str, task: int) -> tuple[TaskRecord, list[Path]]:
        """What the task's files say (its file and the parts and journals it lists, merged), and the
        files other than its own that were merged (they go once the merged record is published)."""
        head = TaskRecord.from_json(atomic.read_json(self.path(job_id, task)))
        more: list[Path] = []
        self._replay(job_id, head, more)
        for part in head.parts:
            more.append(self.path(job_id, task, part))
            record = TaskRecord.from_json(atomic.read_json(more[-1]))
            self._replay(job_id, record, more)
            head.update(record)
        head.parts = []
        return head, more

    def _replay(self, job_id: str, record: TaskRecord, more: list[Path]) -> None:
        """Apply to a file's record what its journal has that is newer."""
        if record.journal:
            name, offset = record.journal
            more.append(self.job_dir(job_id) / "tasks" / name)
            for index, field_name, value in _journal_lines(more[-1], offset):
                record.put(index, field_name, value)
            record.journal = []

    def _mine(self, job_id: str, task: int, head: TaskRecord) -> TaskRecord:
        """`head` with this process's writes to the task that are not published yet."""
        writer = self.writers.get((job_id, task))
        if writer is not None:
            head.update(writer.record)
        if self.deferred is not None and (job_id, task) in self.deferred:
            head.update(self.deferred[(job_id, task)])
        return head

    def summary(self, job_id: str, task: int) -> TaskSummary:
        """What the task's elements' statuses add up to: from the heads of its file and of the parts it lists
        (a few kilobytes each, whatever the task's size); from its records where a file has no head (an older
        hpcflow wrote it) or this process holds writes of the task not yet published."""
        key = (job_id, task)
        if key in self.writers or (self.deferred is not None and key in self.deferred):
            return summary_of(self.read(job_id, task).elements)
        found = self._from_heads(job_id, task)
        if found is not None and found[1]:  # a part it lists is missing: folded in since, or not published yet
            found = self._from_heads(job_id, task)  # (a part still missing now has not been published)
        return found[0] if found is not None else summary_of(self.read(job_id, task).elements)

    def _from_heads(self, job_id: str, task: int) -> tuple[TaskSummary, bool] | None:
        """The task's summary from the heads of its file and its parts, and whether a part it lists is missing;
        None when a file has no head."""
        try:
            found = read_head(self.path(job_id, task))
        except FileNotFoundError:
            return TaskSummary(), False  # nothing recorded yet
        if found is None:
            return None
        summary, parts = found
        missing = False
        for part in parts:  # each newer than the task's file for the elements it ran
            try:
                head = read_head(self.path(job_id, task, part))
            except FileNotFoundError:
                missing = True
                continue
            if head is None:
                return None
            summary = summary.merged(head[0])
        return summary, missing

    def read_for(self, job_id: str, task: int, index: int) -> TaskRecord:
        """read(), answered from memory when an earlier read found `index` ended well: the elements of a
        batch that all read one upstream task's outputs read its file once."""
        writer = self.writers.get((job_id, task))
        if writer is not None and (writer.mine is None or index in writer.mine):
            return writer.view(index)  # this process runs it: no read, however many elements the task has
        record = self.done_cache.get((job_id, task))
        if record is None or not record.ok(index):
            record = self.read(job_id, task)
            self.done_cache[(job_id, task)] = record
        return record

    # --- writing as the task ---------------------------------------------------------------
    def start_parts(self, job_id: str, task: int, count: int) -> list[str]:
        """Before a batch forks `count` workers: fold an earlier attempt's parts into the task's file
        and list the new parts there (named afresh, so a part an earlier attempt left is never read)."""
        published, more = self._published(job_id, task)
        merged = self._mine(job_id, task, published)
        merged.parts = [f"{os.urandom(3).hex()}-{k}" for k in range(count)]
        atomic.write_json_compact(self.path(job_id, task), merged.to_json())
        for path in more:
            path.unlink(missing_ok=True)
        return merged.parts

    def own(self, job_id: str, task: int, part: str = "", before: Callable[[], None] | None = None,
            indices: list[int] | None = None, one_element: bool = False, quiet_start: bool = False) -> None:
        """Make this process the writer of a task's file (or of `part` of it, for the elements `indices`);
        `before` runs before each publication of it. `one_element`: the task runs one element, whose records
        are published once, start and end together, when it is released (runtime/entry.py publishes a start at
        once where something must see it before the end). `quiet_start`: the first publication waits FLUSH_S, as
        the later ones do (a batch that ends sooner publishes once), where a scheduler shows the task running."""
        if part:
            writer = self.writers[(job_id, task)] = _Writer(self.path(job_id, task, part), TaskRecord(), [], before,
                                                            base=self.read(job_id, task), mine=set(indices or ()))
        else:
            published, more = self._published(job_id, task)
            record = self._mine(job_id, task, published)
            writer = self.writers[(job_id, task)] = _Writer(self.path(job_id, task), record, more, before)
        writer.hold = one_element
        if quiet_start:
            writer.last = time.monotonic()

    def release(self, job_id: str, task: int) -> None:
        """Publish what this process wrote for a task and stop writing it."""
        writer = self.writers.pop((job_id, task), None)
        if writer is not None:
            writer.close()

    def fold_parts(self, job_id: str, task: int) -> None:
        """After a batch's workers are done: take their parts into the task's file (one file again)."""
        published, more = self._published(job_id, task)
        if more:
            atomic.write_json_compact(self.path(job_id, task), self._mine(job_id, task, published).to_json())
            for path in more:
                path.unlink(missing_ok=True)

    def flush(self) -> None:
        """Publish every buffered write of this process (before another process reads them)."""
        for writer in self.writers.values():
            writer.flush()

    def put(self, job_id: str, task: int, index: int, name: str, value: Any, urgent: bool = False) -> None:
        """Record one field of one element: buffered when this process writes the task, else an edit."""
        writer = self.writers.get((job_id, task))
        if writer is not None:
            writer.put(index, name, value, urgent)
            return
        if self.deferred is not None:
            self.deferred.setdefault((job_id, task), TaskRecord()).put(index, name, value)
            return
        self._edit(job_id, task, {index: {name: value}})

    def _edit(self, job_id: str, task: int, changes: dict[int, dict[str, Any]]) -> None:
        """Read, change and publish a task's file; only while no process of the task runs."""
        published, more = self._published(job_id, task)
        record = self._mine(job_id, task, published)
        record.update(TaskRecord(changes))
        atomic.write_json_compact(self.path(job_id, task), record.to_json())
        for path in more:
            path.unlink(missing_ok=True)
        self.done_cache.pop((job_id, task), None)

    def deferring(self) -> "_Deferring":
        """A context in which edits are gathered and published per task when it ends (a loop over
        many elements then writes each task's file once)."""
        return _Deferring(self)


class _Deferring:
    def __init__(self, records: TaskRecords):
        self.records = records

    def __enter__(self) -> None:
        if self.records.deferred is None:
            self.records.deferred = {}
            self.outer = True
        else:
            self.outer = False

    def __exit__(self, *exc: Any) -> None:
        if not self.outer:
            return
        held, self.records.deferred = self.records.deferred or {}, None
        for (job_id, task), record in held.items():
            self.records._edit(job_id, task, record.elements)


def task_range(task: int, batch: int | None, size: int) -> range:
    """The elements array task `task` runs: itself, or its batch."""
    return range(task * batch, min(size, (task + 1) * batch)) if batch else range(task, task + 1)


def tasks_of(indices: list[int], batch: int | None) -> Iterator[tuple[int, list[int]]]:
    """(task, its elements among `indices`), task by task, in order of first appearance."""
    groups: dict[int, list[int]] = {}
    for i in indices:
        groups.setdefault(i // batch if batch else i, []).append(i)
    yield from groups.items()
