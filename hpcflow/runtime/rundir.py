"""The run directory: plan, inputs, per-element status and outputs, logs. Shared by all backends.

Layout (a dynamic element's sub-workflow is a nested run directory of the same shape):

    run.json  plan.json  state.json  outputs.json  blobs/
    jobs/<job>/job.sh  size.json  batch.json  logs/<task>.log
    jobs/<job>/tasks/<task>.json   the records of an array task's elements (runtime/records.py), headed by
                                   their summary, which status reads instead (runtime/heads.py)
    jobs/<job>/cache.json          the elements taken from the cache at submit, and their keys
    jobs/<job>/overlay.json        the monitor's word on elements whose own task could not record it
    jobs/<job>/<index>/            only for an element that needs a folder: sub/ (a dynamic's
                                   sub-run), checkpoints, trace/, container/, ranks/

Nothing is created for an element before it runs, and files grow with array tasks, not elements.
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Iterable

from hpcflow.core.batching import batch_of, batches
from hpcflow.core.plan import Plan, SubmissionRecord, plan_from_json, plan_to_json
from hpcflow.core.states import State
from hpcflow.errors import RunDirError
from hpcflow.runtime.heads import TaskSummary
from hpcflow.runtime.records import TaskRecord, TaskRecords, task_range, tasks_of
from hpcflow.runtime.statuses import ElementStatus, Lookups, Overlay
from hpcflow.store import atomic
from hpcflow.store.blobs import BlobStore
from hpcflow.store.packs import PackWriter
from hpcflow.store.codec import decode_all, display, encode, encode_all


@dataclass
class RunMeta:
    """Who and what a run is: its id, workflow, the file that defines it, and inputs."""

    run_id: str
    workflow: str
    module: str
    file: str
    created: float = field(default_factory=time.time)
    backend: str = "local"
    root: str = "."  # relative path to the top run directory (for nested sub-runs)
    site: str = ""  # the site config file a Slurm run was submitted with
    cache_dir: str = ""  # where cache=True tasks look up and publish results
    source: str = ""  # the workflow file as submitted (`file` is its copy in code/, which elements import)
    environment: dict[str, str] = field(default_factory=dict)  # python, hpcflow and packages it was submitted with
    container: dict[str, Any] = field(default_factory=dict)  # the site's [container] (site/container.py), if it needs one


def new_run_id(workflow: str) -> str:
    """A sortable, unique id such as `mean_wf-20261122-120301-3fa9`."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return f"{workflow}-{stamp}-{os.urandom(2).hex()}"


class RunDir:
    """Reads and writes one run directory; every write is atomic."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.memo: dict[tuple[str, int, str], Any] = {}  # outputs already read (see values.element_output)
        self.batches: dict[str, int | None] = {}  # batch sizes read (they never change once written)
        self.lookups_memo: dict[str, Lookups] = {}
        self.overlays: dict[str, Overlay] = {}
        self.packs: dict[tuple[str, int], PackWriter] = {}  # the HDF5 packs of the tasks this process writes
        self.owned: dict[tuple[str, int], str] = {}  # tasks this process writes -> its part ('' : all of it)

    # --- creation ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, plan: Plan, meta: RunMeta) -> "RunDir":
        """Write run.json and plan.json into a new directory."""
        rd = cls(path)
        rd.path.mkdir(parents=True, exist_ok=False)
        rd.__dict__.update(meta=meta, plan=plan)  # what is written now; no need to read it back
        atomic.write_json(rd.path / "run.json", asdict(meta))
        atomic.write_json(rd.path / "plan.json", plan_to_json(plan, partial(encode_all, blobs=rd.blobs)))
        for job in plan.jobs:
            (rd.job_dir(job.id) / "logs").mkdir(parents=True, exist_ok=True)
        rd.set_state(State.PENDING)
        return rd

    def create_sub(self, job_id: str, index: int, plan: Plan) -> "RunDir":
        """Write a dynamic element's sub-workflow as a nested run directory."""
        meta = self.meta
        sub_path = self.sub_path(job_id, index)
        root = os.path.relpath(self.root_path, sub_path)
        return RunDir.create(sub_path, plan, RunMeta(**{**asdict(meta), "root": root,
                                                        "workflow": plan.workflow}))

    # --- reading ----------------------------------------------------------------------------
    @cached_property
    def meta(self) -> RunMeta:
        """The contents of run.json."""
        obj = atomic.read_object(self.path / "run.json")
        if obj is None:
            raise RunDirError(f"{self.path} is not an hpcflow run directory (no run.json)")
        try:
            return RunMeta(**obj)
        except TypeError as exc:
            raise atomic.damaged(self.path / "run.json", str(exc)) from None

    @cached_property
    def root_path(self) -> Path:
        """The top-level run directory (itself, unless this is a sub-run)."""
        return (self.path / self.meta.root).resolve()

    @cached_property
    def blobs(self) -> BlobStore:
        """The run's content-addressed store of large values. Its pickles are loaded only if the run is
        the reader's own (store/codec.py): `hpcflow status` of a colleague's run must not run their code."""
        owner = os.stat(self.root_path).st_uid
        return BlobStore(self.root_path / "blobs", unpickle=owner == os.getuid(), owner=f"uid {owner}'s run")

    @cached_property
    def plan(self) -> Plan:
        """The compiled plan of this run."""
        obj = atomic.read_json(self.path / "plan.json")
        if obj is None:
            raise RunDirError(f"{self.path} has no plan.json")
        return plan_from_json(obj, partial(decode_all, blobs=self.blobs))

    def job_dir(self, job_id: str) -> Path:
        """The folder of one job."""
        return self.path / "jobs" / job_id

    def element_dir(self, job_id: str, index: int) -> Path:
        """The folder of one element of a job."""
        return self.job_dir(job_id) / str(index)

    def log_path(self, job_id: str, index: int) -> Path:
        """The file that the element's stdout and stderr go to."""
        return self.job_dir(job_id) / "logs" / f"{index}.log"

    def element_log_path(self, job_id: str, index: int, status: ElementStatus | None = None) -> Path:
        """The log of the array task that ran element `index` (its batch's, for a batched map; the one that
        took it over, for a stolen element: runtime/stealing.py); `status`: its status, when the caller has it."""
        ran_in = (status or self.status(job_id, index)).ran_in
        return self.log_path(job_id, self.task_of(job_id, index) if ran_in is None else ran_in)

    def jobscript_path(self, job_id: str) -> Path:
        """The jobscript of a job's elements (the first chunk of an array)."""
        return self.job_dir(job_id) / "job.sh"

    def windows_dir(self, job_id: str) -> Path:
        """Where a windowed map's claim files go; it exists once the map is windowed (at submit or
        when sized at run time), which is how an element knows to look for its window's end."""
        return self.job_dir(job_id) / "windows"

    def sub_path(self, job_id: str, index: int) -> Path:
        """Where a dynamic element writes its sub-workflow."""
        return self.element_dir(job_id, index) / "sub"

    @cached_property
    def planned_sizes(self) -> dict[str, int | None]:
        """Each job's element count as the plan has it (None: decided at run time)."""
        return {job.id: job.size for job in self.plan.jobs}

    def size(self, job_id: str) -> int | None:
        """A job's element count: from the plan, else as decided at run time."""
        size = self.planned_sizes[job_id]
        if size is None:
            size = (atomic.read_json(self.job_dir(job_id) / "size.json") or {}).get("size")
        return size

    def sizes(self) -> dict[str, int | None]:
        """size() of every job of the plan (one read for all the jobs sized at run time)."""
        unknown = [job_id for job_id, size in self.planned_sizes.items() if size is None]
        found = atomic.read_jsons([self.job_dir(job_id) / "size.json" for job_id in unknown], {})
        return {**self.planned_sizes, **{job_id: obj.get("size") for job_id, obj in zip(unknown, found)}}

    @cached_property
    def records(self) -> TaskRecords:
        """The per-task record files of this run's jobs."""
        return TaskRecords(self.job_dir)

    def task_of(self, job_id: str, index: int) -> int:
        """The array task (of the job's batching) whose records hold element `index`."""
        return batch_of(index, self.batch_size(job_id))

    def status(self, job_id: str, index: int) -> ElementStatus:
        """The recorded status of an element (PENDING when nothing is recorded): one task's file."""
        task = self.task_of(job_id, index)
        return self.resolve(job_id, index, task, self.records.read_for(job_id, task, index))

    def resolve(self, job_id: str, index: int, task: int, record: TaskRecord, overlay: bool = True) -> ElementStatus:
        """An element's status from its task's records (read by the caller), the cache's hits and
        (unless not `overlay`) the monitor's word."""
        obj = record.get(index, "status")
        status = ElementStatus() if obj is None else ElementStatus.from_json(obj)
        if not status.state.finished and index in self.lookups(job_id).hits:
            return ElementStatus(State.CACHED)
        return self.overlay(job_id).apply(status, task) if overlay else status

    def statuses(self, job_id: str, size: int | None = None) -> list[ElementStatus]:
        """The recorded status of each element of a job (of the first `size`; none while its size is
        unknown): one read per array task."""
        size = self.size(job_id) if size is None else size
        if not size:
            return []
        return self.statuses_of(job_id, range(size))

    def statuses_of(self, job_id: str, indices: Iterable[int]) -> list[ElementStatus]:
        """The statuses of elements `indices` of a job, in order (each task's file read once)."""
        indices = list(indices)
        found: dict[int, ElementStatus] = {}
        batch = self.batch_size(job_id)
        written = (self.job_dir(job_id) / "tasks").is_dir()  # none before the first element runs
        for task, mine in tasks_of(indices, batch):
            record = self.records.read(job_id, task) if written else TaskRecord()
            for i in mine:
                found[i] = self.resolve(job_id, i, task, record)
        return [found[i] for i in indices]

    def task_record(self, job_id: str, task: int) -> TaskRecord:
        """The raw records of one array task."""
        return self.records.read(job_id, task)

    def task_summary(self, job_id: str, task: int) -> TaskSummary:
        """What one array task's elements' statuses add up to (the head of its records, not its elements)."""
        return self.records.summary(job_id, task)

    def task_count(self, job_id: str, size: int) -> int:
        """How many array tasks hold the records of a job of `size` elements."""
        batch = self.batch_size(job_id)
        return batches(size, batch) if batch else size

    def task_elements(self, job_id: str, task: int, size: int) -> range:
        """The elements whose records array task `task` holds."""
        return task_range(task, self.batch_size(job_id), size)

    def done(self, job_id: str) -> set[int]:
        """The elements of a job that finished well (their outputs are in the run directory)."""
        return self.done_among(job_id, range(self.size(job_id) or 0))

    def done_among(self, job_id: str, indices: Iterable[int]) -> set[int]:
        """The elements of `indices` that finished well (only their tasks' records are read)."""
        indices = list(indices)
        return {i for i, st in zip(indices, self.statuses_of(job_id, indices)) if st.state.ok}

    def all_done(self, job_id: str) -> bool:
        """True when a job's size is known and every one of its elements finished well."""
        size = self.size(job_id)
        return size is not None and len(self.done(job_id)) == size

    def done_by_job(self, sizes: dict[str, int | None] | None = None) -> dict[str, frozenset[int]]:
        """done() of every job of the plan (of `sizes`, when the caller has read them)."""
        sizes = self.sizes() if sizes is None else sizes
        return {job_id: frozenset(self.done_among(job_id, range(size or 0))) for job_id, size in sizes.items()}

    def raw_outputs(self, job_id: str, index: int) -> dict[str, Any]:
        """The encoded outputs of an element (from its task's records, or from the cache's hit)."""
        obj = self.records.read_for(job_id, self.task_of(job_id, index), index).get(index, "outputs")
        if obj is None:
            obj = self.lookups(job_id).hits.get(index)
        if obj is None:
            raise RunDirError(f"{self.path.name}: {job_id}[{index}] has no outputs")
        return obj

    def error_text(self, job_id: str, index: int) -> str:
        """The traceback an element recorded when it failed ('' when none)."""
        return self.records.read(job_id, self.task_of(job_id, index)).get(index, "error") or ""

    def lookups(self, job_id: str) -> Lookups:
        """What the submission found in the cache for a job (read once per RunDir)."""
        if job_id not in self.lookups_memo:
            obj = atomic.read_json(self.job_dir(job_id) / "cache.json") or {}
            self.lookups_memo[job_id] = Lookups({int(i): o for i, o in obj.get("hits", {}).items()},
                                                {int(i): k for i, k in obj.get("keys", {}).items()})
        return self.lookups_memo[job_id]

    def overlay(self, job_id: str) -> Overlay:
        """The monitor's word on a job's elements (read once per RunDir; this one's writes kept)."""
        if job_id not in self.overlays:
            self.overlays[job_id] = Overlay.from_json(atomic.read_json(self.job_dir(job_id) / "overlay.json"))
        return self.overlays[job_id]

    @property
    def state(self) -> tuple[State, str]:
        """The run's state and error message."""
        path = self.path / "state.json"
        obj = atomic.read_object(path) or {"state": "PENDING"}
        try:
            return State(obj["state"]), str(obj.get("error", ""))
        except (KeyError, ValueError) as exc:
            raise atomic.damaged(path, f"no run state: {exc!r}") from None

    def final_outputs(self) -> dict[str, Any]:
        """The workflow outputs of a finished run, as plain JSON values (codec.display: records as
        objects, arrays as lists), read without importing any of the workflow's code."""
        obj = atomic.read_object(self.path / "outputs.json")
        if obj is None:
            raise RunDirError(f"run {self.meta.run_id} has no outputs (state {self.state[0].value})")
        return {k: display(v, self.blobs) for k, v in obj.items()}

    # --- writing ----------------------------------------------------------------------------
    @property
    def scheduler_shows_running(self) -> bool:
        """True when a scheduler says that an array task runs (Slurm: squeue) before its records do, so that
        they need not say so at once; a local run has only its records."""
        return self.meta.backend != "local"

    def own_task(self, job_id: str, task: int, part: str = "", indices: list[int] | None = None,
                 one_element: bool = False, quiet_start: bool = False) -> None:
        """Make this process the one writer of an array task's records (or of `part` of them, for the
        elements `indices`), and of its HDF5 pack of arrays once an element has one (pack_for). Where a
        scheduler shows the task running (records.TaskRecords.own): `one_element`, the task runs one element,
        whose start is published with its end; `quiet_start`, its first publication waits as its later ones
        do. A local run, which only its records show, publishes a start at once."""
        self.owned[(job_id, task)] = part
        shown = self.scheduler_shows_running
        self.records.own(job_id, task, part, before=lambda: self._flush_pack(job_id, task), indices=indices,
                         one_element=one_element and shown, quiet_start=quiet_start and shown)

    def _flush_pack(self, job_id: str, task: int) -> None:
        pack = self.packs.get((job_id, task))
        if pack is not None:
            pack.flush()

    def release_task(self, job_id: str, task: int) -> None:
        """Publish what this process wrote for an array task, and stop writing it."""
        self.records.release(job_id, task)
        self._flush_pack(job_id, task)  # (the records' last publication did, unless nothing was left)
        self.packs.pop((job_id, task), None)
        self.owned.pop((job_id, task), None)

    def pack_for(self, job_id: str, index: int) -> PackWriter | None:
        """The HDF5 pack that element `index`'s array outputs go into: its task's, when this process writes
        the task and its job is not cached (the cache keeps arrays by content hash, one file each); None:
        .npy files by content hash."""
        task = self.task_of(job_id, index)
        if (job_id, task) not in self.owned or self.plan.job(job_id).cache:
            return None
        if (job_id, task) not in self.packs:
            part = self.owned[(job_id, task)]
            self.packs[(job_id, task)] = self.blobs.pack_writer(
                f"packs/{job_id}/{task}.{part}.h5" if part else f"packs/{job_id}/{task}.h5")
        return self.packs[(job_id, task)]

    def write_status(self, job_id: str, index: int, status: ElementStatus, urgent: bool = False) -> None:
        """Record an element's status in its task's records (`urgent`: publish it now, even when this
        process writes the task and published less than a second ago)."""
        self.records.put(job_id, self.task_of(job_id, index), index, "status", status.compact(), urgent)

    def write_outputs(self, job_id: str, index: int, encoded: dict[str, Any]) -> None:
        """Record an element's encoded outputs."""
        self.records.put(job_id, self.task_of(job_id, index), index, "outputs", encoded)

    def write_error(self, job_id: str, index: int, text: str) -> None:
        """Record the traceback of an element's failure (`hpcflow logs` shows it)."""
        self.records.put(job_id, self.task_of(job_id, index), index, "error", text)

    def write_cache_key(self, job_id: str, index: int, parts: dict[str, Any]) -> None:
        """Record the parts of an element's cache key (for `hpcflow cache explain`)."""
        self.records.put(job_id, self.task_of(job_id, index), index, "key", {"parts": parts, "time": time.time()})

    def cache_key(self, job_id: str, index: int) -> dict[str, Any] | None:
        """The recorded cache key of an element: {"parts": ..., "time": when it looked itself up}."""
        key = self.records.read(job_id, self.task_of(job_id, index)).get(index, "key")
        return key if key is not None else self.lookups(job_id).keys.get(index)

    def cache_key_parts(self, job_id: str, index: int) -> dict[str, Any] | None:
        """The recorded parts of an element's cache key."""
        key = self.cache_key(job_id, index)
        return None if key is None else key["parts"]

    def write_lookups(self, job_id: str, hits: dict[int, dict[str, Any]], keys: dict[int, dict[str, Any]]) -> None:
        """Record what a submission found in the cache for a job (one file per job, however many hits)."""
        old = self.lookups(job_id)
        now = time.time()
        merged = Lookups({**old.hits, **hits}, {**old.keys, **{i: {"parts": p, "time": now} for i, p in keys.items()}})
        atomic.write_json_compact(self.job_dir(job_id) / "cache.json",
                                  {"hits": {str(i): o for i, o in merged.hits.items()},
                                   "keys": {str(i): k for i, k in merged.keys.items()}})
        self.lookups_memo[job_id] = merged

    def write_overlay(self, job_id: str, overlay: Overlay) -> None:
        """Record the monitor's word on a job's elements (the run's owner's monitor is its one writer)."""
        atomic.write_json_compact(self.job_dir(job_id) / "overlay.json", overlay.to_json())
        self.overlays[job_id] = overlay

    def tally_path(self, job_id: str) -> Path:
        """Where a job's kept counts are (runtime/tally.py)."""
        return self.job_dir(job_id) / "tally.json"

    def forget_tally(self, job_id: str) -> None:
        """Drop the job's kept summary (its elements are about to run again)."""
        (self.job_dir(job_id) / "tally.json").unlink(missing_ok=True)

    def clear_overlay(self, job_id: str) -> None:
        """Forget the monitor's word on a job (a resume runs its elements again)."""
        (self.job_dir(job_id) / "overlay.json").unlink(missing_ok=True)
        self.overlays.pop(job_id, None)

    def write_batch(self, job_id: str, batch_size: int, why: str = "", probing: bool = False) -> None:
        """Record that a map runs `batch_size` elements per array task, and why. `probing`: for now,
        while array task 0 times the map's first elements (runtime/probe.py) and holds all their records."""
        atomic.write_json(self.job_dir(job_id) / "batch.json",
                          {"batch_size": batch_size, **({"why": why} if why else {}),
                           **({"probing": True} if probing else {})})
        if probing:
            self.batches.pop(job_id, None)
        else:
            self.batches[job_id] = batch_size

    def batching(self, job_id: str) -> dict[str, Any]:
        """What batch.json says: batch_size, why, and probing while the probe has not decided."""
        return atomic.read_json(self.job_dir(job_id) / "batch.json") or {}

    def recorded_batch(self, job_id: str) -> int | None:
        """The batch size a map's records follow, decided by an earlier submission of this run (or its
        probe), which a resume must keep (None: not decided yet, or its probe had not decided): batch.json's,
        else 1 when its elements have records without one (it ran one element per array task; its next
        submission may know the elements' cost and would choose otherwise)."""
        found = self.batching(job_id)
        if found.get("batch_size"):
            return None if found.get("probing") else found["batch_size"]
        tasks = self.job_dir(job_id) / "tasks"
        return 1 if tasks.is_dir() and any(tasks.iterdir()) else None

    def unbatched_for_good(self, job_id: str) -> None:
        """Remember that a job runs one element per array task, as its running element knows (a probe's
        decision comes before the map's other array tasks start), so that none of its reads asks again."""
        self.batches[job_id] = None

    def batch_size(self, job_id: str) -> int | None:
        """Elements per array task of a batched map (None: one element per task)."""
        if job_id not in self.batches:
            found = self.batching(job_id)
            batch = found.get("batch_size")
            if batch is None or found.get("probing"):
                return batch  # not batched, not yet, or for now (a probe decides): asked again next time
            self.batches[job_id] = batch
        return self.batches[job_id]

    def write_size(self, job_id: str, size: int) -> None:
        """Record the element count of a map decided at run time."""
        atomic.write_json(self.job_dir(job_id) / "size.json", {"size": size})

    def write_job_state(self, job_id: str, state: State, reason: str = "") -> None:
        """Record a job-level state, e.g. CANCELLED because an upstream job failed."""
        atomic.write_json(self.job_dir(job_id) / "state.json", {"state": state.value, "reason": reason})

    def job_state(self, job_id: str) -> tuple[State, str] | None:
        """The job-level state recorded for a job, if any."""
        obj = atomic.read_json(self.job_dir(job_id) / "state.json")
        return None if obj is None else (State(obj["state"]), obj["reason"])

    def write_submissions(self, job_id: str, records: list[SubmissionRecord]) -> None:
        """Record what was submitted for a job: Slurm ids, roles and the array tasks they run."""
        atomic.write_json(self.job_dir(job_id) / "slurm.json", [r.to_json() for r in records])

    def submissions(self, job_id: str) -> list[SubmissionRecord]:
        """What was submitted for a job, oldest first."""
        return [SubmissionRecord.from_json(r) for r in atomic.read_json(self.job_dir(job_id) / "slurm.json", [])]

    def submissions_by_job(self) -> dict[str, list[SubmissionRecord]]:
        """submissions() of every job of the plan, in one read."""
        ids = [job.id for job in self.plan.jobs]
        objs = atomic.read_jsons([self.job_dir(job_id) / "slurm.json" for job_id in ids], [])
        return {job_id: [SubmissionRecord.from_json(r) for r in obj] for job_id, obj in zip(ids, objs)}

    def write_plan(self, plan: Plan) -> None:
        """Replace plan.json (the same jobs, laid out again after cache hits or for a resume)."""
        atomic.write_json(self.path / "plan.json", plan_to_json(plan, partial(encode_all, blobs=self.blobs)))
        self.__dict__["plan"] = plan  # what was just written; no need to read it back
        self.__dict__.pop("planned_sizes", None)

    def write_scripts(self, scripts: dict[str, str]) -> None:
        """Save rendered jobscripts: path relative to the run directory (a call's script) -> text."""
        atomic.write_files({self.path / relative: text.encode() for relative, text in scripts.items()}, mode=0o777)

    def set_state(self, state: State, error: str = "", settled: bool = False) -> None:
        """Record the run's state; `settled` once every element's final state is on disk too."""
        atomic.write_json(self.path / "state.json",
                          {"state": state.value, "error": error, "time": time.time(), "settled": settled})

    @property
    def settled(self) -> bool:
        """True when the run and all its elements have their final states on disk."""
        return bool((atomic.read_json(self.path / "state.json") or {}).get("settled"))

    def write_final_outputs(self, outputs: dict[str, Any]) -> None:
        """Publish the workflow's outputs."""
        atomic.write_json(self.path / "outputs.json", {k: encode(v, self.blobs) for k, v in outputs.items()})
