"""The run directory: plan, inputs, per-element status and outputs, logs. Shared by all backends.

Layout (a dynamic element's sub-workflow is a nested run directory of the same shape):

    run.json  plan.json  state.json  outputs.json  blobs/
    jobs/<job>/job.sh  jobs/<job>/size.json  jobs/<job>/logs/<index>.log
    jobs/<job>/<index>/status.json  outputs.json  error.txt  sub/
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Iterable

from hpcflow.core.plan import Plan, SubmissionRecord, plan_from_json, plan_to_json
from hpcflow.core.states import State
from hpcflow.errors import DamagedFileError, RunDirError
from hpcflow.store import atomic
from hpcflow.store.blobs import BlobStore
from hpcflow.store.codec import decode_all, display, encode, encode_all


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

    def to_json(self) -> dict[str, Any]:
        """A JSON object for status.json."""
        return {**asdict(self), "state": self.state.value}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "ElementStatus":
        """Read back a status.json object (DamagedFileError when it is not one)."""
        try:
            return cls(**{**obj, "state": State(obj["state"])})
        except (KeyError, TypeError, ValueError) as exc:
            raise DamagedFileError(f"an element status is damaged ({exc!r}); rerun the element") from None


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
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{workflow}-{stamp}-{secrets.token_hex(2)}"


class RunDir:
    """Reads and writes one run directory; every write is atomic."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.memo: dict[tuple[str, int, str], Any] = {}  # outputs already read (see values.element_output)

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

    def status(self, job_id: str, index: int) -> ElementStatus:
        """The recorded status of an element (PENDING when nothing is recorded)."""
        obj = atomic.read_json(self.element_dir(job_id, index) / "status.json")
        return ElementStatus() if obj is None else ElementStatus.from_json(obj)

    def statuses(self, job_id: str, size: int | None = None) -> list[ElementStatus]:
        """The recorded status of each element of a job (of the first `size`; none while its size is unknown)."""
        size = self.size(job_id) if size is None else size
        if not size:
            return []
        job_dir = self.job_dir(job_id)
        objs = atomic.read_jsons([job_dir / str(i) / "status.json" for i in range(size)])
        return [ElementStatus() if obj is None else ElementStatus.from_json(obj) for obj in objs]

    def done(self, job_id: str) -> set[int]:
        """The elements of a job that finished well (their outputs are in the run directory)."""
        return self.done_among(job_id, range(self.size(job_id) or 0))

    def done_among(self, job_id: str, indices: Iterable[int]) -> set[int]:
        """The elements of `indices` that finished well (only their own records are read)."""
        indices = list(indices)
        objs = atomic.read_jsons([self.element_dir(job_id, i) / "status.json" for i in indices])
        return {i for i, obj in zip(indices, objs) if obj is not None and State(obj["state"]).ok}

    def all_done(self, job_id: str) -> bool:
        """True when a job's size is known and every one of its elements finished well."""
        size = self.size(job_id)
        return size is not None and len(self.done(job_id)) == size

    def done_by_job(self, sizes: dict[str, int | None] | None = None) -> dict[str, frozenset[int]]:
        """done() of every job of the plan (of `sizes`, when the caller has read them), in one read."""
        sizes = self.sizes() if sizes is None else sizes
        paths = [(job_id, i, self.job_dir(job_id) / str(i) / "status.json")
                 for job_id, size in sizes.items() for i in range(size or 0)]
        objs = atomic.read_jsons([path for _, _, path in paths])
        done: dict[str, set[int]] = {job_id: set() for job_id in sizes}
        for (job_id, i, _), obj in zip(paths, objs):
            if obj is not None and State(obj["state"]).ok:
                done[job_id].add(i)
        return {job_id: frozenset(indices) for job_id, indices in done.items()}

    def raw_outputs(self, job_id: str, index: int) -> dict[str, Any]:
        """The encoded outputs.json of an element."""
        obj = atomic.read_object(self.element_dir(job_id, index) / "outputs.json")
        if obj is None:
            raise RunDirError(f"{self.path.name}: {job_id}[{index}] has no outputs")
        return obj

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
    def write_status(self, job_id: str, index: int, status: ElementStatus) -> None:
        """Record an element's status."""
        atomic.write_json(self.element_dir(job_id, index) / "status.json", status.to_json())

    def write_outputs(self, job_id: str, index: int, encoded: dict[str, Any]) -> None:
        """Publish an element's encoded outputs."""
        atomic.write_json(self.element_dir(job_id, index) / "outputs.json", encoded)

    def write_cache_key(self, job_id: str, index: int, parts: dict[str, Any]) -> None:
        """Record the parts of an element's cache key (for `hpcflow cache explain`)."""
        atomic.write_json(self.element_dir(job_id, index) / "cache_key.json", parts)

    def cache_key_parts(self, job_id: str, index: int) -> dict[str, Any] | None:
        """The recorded parts of an element's cache key."""
        return atomic.read_json(self.element_dir(job_id, index) / "cache_key.json")

    def write_batch(self, job_id: str, batch_size: int) -> None:
        """Record that a map runs `batch_size` elements per array task."""
        atomic.write_json(self.job_dir(job_id) / "batch.json", {"batch_size": batch_size})

    def batch_size(self, job_id: str) -> int | None:
        """Elements per array task of a batched map (None: one element per task)."""
        return (atomic.read_json(self.job_dir(job_id) / "batch.json") or {}).get("batch_size")

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
