"""The compiled, frozen Plan: jobs (single tasks and arrays) and their dependencies."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from typing import Any, Callable, Iterator, Literal

from hpcflow.core.bindings import Binding, Const, DictOf, ListOf, NodeOutput

JobKind = Literal["task", "map", "dynamic"]


@dataclass(frozen=True)
class EntityRef:
    """Where a job process finds the function to run: an importable module and qualname."""

    module: str
    qualname: str


@dataclass(frozen=True)
class ResourceRequest:
    """What one element of a job asks for."""

    cpus: int = 1
    mem_bytes: int | None = None
    gpus: int = 0
    gpu_type: str = ""  # Flyte 2's gpu="A100:2": only partitions that list the type fit (site gpu_types)


@dataclass(frozen=True)
class JobPlan:
    """One job: a single task, one array for a map node, or a dynamic to expand at run time."""

    id: str
    kind: JobKind
    name: str
    entity: EntityRef
    inputs: tuple[tuple[str, Binding], ...]
    mapped: tuple[str, ...] = ()
    size: int | None = 1  # array elements; None when an upstream job decides it at run time
    depends_on: tuple[str, ...] = ()
    resources: ResourceRequest = field(default_factory=ResourceRequest)
    retries: int = 0
    timeout_s: float | None = None
    interruptible: bool = False
    concurrency: int | None = None
    min_success_ratio: float = 1.0
    batch_size: int | None = None
    cache: bool = False
    cache_version: str = ""
    cache_serialize: bool = False
    cache_ignore_input_vars: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    sbatch: tuple[tuple[str, str], ...] = ()  # the task's own sbatch options, checked (core/sbatch_options.py)
    setup: str = ""  # shell lines run before the element, after the site's preamble
    own_python: bool = False  # its Environment's conda or venv brings the `python` that runs the element
    pool: str = ""  # the Environment whose warm workers run this job's elements
    pool_replicas: int = 0
    pool_concurrency: int = 1
    pool_idle_ttl_s: float = 0.0
    pool_min_replicas: int = 0  # worker jobs kept while the pool lives (Flyte 2's replicas=(min, max))
    pool_scaledown_s: float = 0.0  # a worker idle this long leaves (down to pool_min_replicas)
    nodes: int = 1  # a multi-node task: one job over `nodes` nodes, `tasks_per_node` ranks on each
    tasks_per_node: int = 1
    launcher: str = ""  # "torch" or "mpi" (sdk/distributed.py); "" for one process
    on_failure: bool = False  # a workflow's failure watch (sdk/failure.py): waits for its jobs to end in any state
    container_image: str = ""  # the image its function runs in (runtime/container.py): a name or path,
    image_spec: bool = False   # or (True) an ImageSpec's name, which only the site's [container.images] maps

    @property
    def ranks(self) -> int:
        """How many processes run each element: 1, or a multi-node task's world size."""
        return self.nodes * self.tasks_per_node if self.launcher else 1

    @property
    def is_array(self) -> bool:
        """True for map jobs, which run as job arrays."""
        return self.kind == "map"


class Role(str, Enum):
    """What one sbatch call does for its job."""

    SINGLE = "single"  # the one element of a task or dynamic
    ARRAY = "array"  # a chunk of a map's array tasks (elements, or batches of them)
    SIZING = "sizing"  # sizes a map from upstream outputs, then submits its array
    PROBE = "probe"  # array task 0 of a map, alone: times the first elements, then submits the rest in batches
    SENTINEL = "sentinel"  # once an interruptible job's elements ended: resubmits what was preempted, or gives the verdict
    PROXY = "proxy"  # stands for a pooled task node and sends its elements to warm workers
    POOL = "pool"  # the Dask scheduler of an Environment's warm workers

    @property
    def runs_elements(self) -> bool:
        """True for the calls whose array tasks are elements (or batches) of the job."""
        return self in (Role.SINGLE, Role.ARRAY, Role.PROBE)


DependencyKind = Literal["afterok", "aftercorr", "afterany"]


@dataclass(frozen=True)
class Edge:
    """A call waits on the gate of plan job `job` (its sentinel, proxy or element calls)."""

    job: str
    kind: DependencyKind


@dataclass(frozen=True)
class SbatchCall:
    """One sbatch call, as submit makes it and --dry-run prints it.

    `directives` are the #SBATCH lines except --dependency, whose Slurm ids exist only at
    submit time: the call names what it waits on as `after` edges to plan jobs (`after_own`:
    a sentinel waits, afterany, on the element calls of its own job just before it).
    Paths are relative to the run directory.
    """

    job: str
    role: Role
    script: str
    log: str
    entry: str  # the Python module the script runs
    target: str  # the argument naming what it runs: the job id, or an Environment's name
    arg: str  # the last argument: "$INDEX" (the element), a sentinel's round, or ""
    directives: tuple[str, ...]
    after: tuple[Edge, ...] = ()
    after_own: bool = False
    offset: int = 0  # array task i runs element (or batch) offset + i
    count: int = 1
    indices: tuple[int, ...] | None = None  # only these array tasks (relative to offset)
    batch: int | None = None  # elements per array task of a batched map
    recover: bool = False  # the script retries what kills its Python process (backends/slurm/recover.py)
    window: int = 0  # a windowed map: at most this many array tasks queued at a time (backends/slurm/windows.py)
    ranks: str = ""  # a multi-node task: the command that starts its ranks (srun ..., runtime/ranks.py)
    why: str = ""  # why its map is batched so (hpcflow status says it)
    steal_s: float = 0.0  # seconds an array task may spend on other tasks' elements (runtime/stealing.py)


STEAL_VARIABLE = "HPCFLOW_STEAL_S"  # the jobscript exports a call's steal_s to its element in this


@dataclass(frozen=True)
class SubmissionRecord:
    """A call that was submitted: its Slurm id and which array tasks of its job it runs."""

    id: int
    role: Role
    script: str = ""
    offset: int = 0
    count: int = 1
    indices: tuple[int, ...] | None = None
    batch: int | None = None

    @classmethod
    def of(cls, job_id: int, call: SbatchCall) -> "SubmissionRecord":
        """The record of `call` once Slurm gave it `job_id`."""
        return cls(job_id, call.role, call.script, call.offset, call.count, call.indices, call.batch)

    def task_of(self, index: int) -> int | None:
        """The array task id of this submission that runs element `index`, or None."""
        task = (index // self.batch if self.batch else index) - self.offset
        if 0 <= task < self.count and (self.indices is None or task in self.indices):
            return task
        return None

    def to_json(self) -> dict[str, Any]:
        """The JSON form kept in jobs/<job>/slurm.json."""
        return {**asdict(self), "role": self.role.value,
                "indices": None if self.indices is None else list(self.indices)}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "SubmissionRecord":
        """A record back from its JSON form."""
        indices = obj.get("indices")
        return cls(int(obj["id"]), Role(obj["role"]), obj.get("script", ""), obj.get("offset", 0),
                   obj.get("count", 1), None if indices is None else tuple(indices), obj.get("batch"))


@dataclass(frozen=True)
class Plan:
    """Jobs in topological order, the bindings of the workflow's outputs and, once compiled
    for a site, every sbatch call that submit makes, in order."""

    workflow: str
    jobs: tuple[JobPlan, ...]
    outputs: tuple[tuple[str, Binding], ...]
    calls: tuple[SbatchCall, ...] = ()
    failure_policy: str = "FAIL_IMMEDIATELY"  # or FAIL_AFTER_EXECUTABLE_NODES_COMPLETE: see runtime/runs.py

    def with_calls(self, calls: tuple[SbatchCall, ...]) -> "Plan":
        """The same plan with another layout (after cache hits, or for a resume)."""
        return replace(self, calls=calls)

    def job(self, job_id: str) -> JobPlan:
        """The job with id `job_id`; KeyError when there is none."""
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise KeyError(job_id)


# --- JSON form (plan.json). Constants are encoded by the caller's codec, all in one call. ---

def _consts(binding: Binding, into: list[Any]) -> list[Any]:
    """The values of a binding's constants, appended to `into` in the order binding_to_json meets them."""
    if isinstance(binding, Const):
        into.append(binding.value)
    elif isinstance(binding, (ListOf, DictOf)):
        for item in binding.items:
            _consts(item if isinstance(binding, ListOf) else item[1], into)
    return into


def binding_to_json(binding: Binding, encoded: Iterator[Any]) -> Any:
    """The JSON form of a binding; its constants' encoded forms come from `encoded`, in order."""
    if isinstance(binding, Const):
        return {"const": next(encoded)}
    if isinstance(binding, NodeOutput):
        return {"node": binding.node, "output": binding.output, "path": list(binding.path)}
    if isinstance(binding, ListOf):
        return {"list": [binding_to_json(b, encoded) for b in binding.items]}
    if isinstance(binding, DictOf):
        return {"dict": [[k, binding_to_json(b, encoded)] for k, b in binding.items]}
    raise TypeError(f"a plan cannot hold {binding!r}")


def _json_consts(obj: Any, into: list[Any]) -> list[Any]:
    """The encoded constants of a binding's JSON form, in the order binding_from_json meets them."""
    if "const" in obj:
        into.append(obj["const"])
    for item in obj.get("list", ()):
        _json_consts(item, into)
    for _, item in obj.get("dict", ()):
        _json_consts(item, into)
    return into


def binding_from_json(obj: Any, decoded: Iterator[Any]) -> Binding:
    """A binding back from its JSON form; its constants' values come from `decoded`, in order."""
    if "const" in obj:
        return Const(next(decoded))
    if "node" in obj:
        return NodeOutput(obj["node"], obj["output"], tuple(obj["path"]))
    if "list" in obj:
        return ListOf(tuple(binding_from_json(b, decoded) for b in obj["list"]))
    return DictOf(tuple((k, binding_from_json(b, decoded)) for k, b in obj["dict"]))


def plan_to_json(plan: Plan, encode_all: Callable[[list[Any]], list[Any]]) -> dict[str, Any]:
    """The JSON form of a plan; `encode_all` encodes the values of all its constants at once."""
    bindings = [b for job in plan.jobs for _, b in job.inputs] + [b for _, b in plan.outputs]
    encoded = iter(encode_all([v for b in bindings for v in _consts(b, [])]))
    jobs = []
    for job in plan.jobs:
        d = {k: getattr(job, k) for k in job.__dataclass_fields__}
        d["entity"] = {"module": job.entity.module, "qualname": job.entity.qualname}
        d["resources"] = dict(job.resources.__dict__)
        d["inputs"] = [[n, binding_to_json(b, encoded)] for n, b in job.inputs]
        d["environment"] = [list(kv) for kv in job.environment]
        jobs.append(d)
    return {"workflow": plan.workflow, "jobs": jobs,
            "outputs": [[n, binding_to_json(b, encoded)] for n, b in plan.outputs],
            "calls": [call_to_json(c) for c in plan.calls], "failure_policy": plan.failure_policy}


def call_to_json(call: SbatchCall) -> dict[str, Any]:
    """The JSON form of one sbatch call."""
    return {**asdict(call), "role": call.role.value, "directives": list(call.directives),
            "after": [[e.job, e.kind] for e in call.after],
            "indices": None if call.indices is None else list(call.indices)}


_CALL_FIELDS = frozenset(f.name for f in fields(SbatchCall))


def call_from_json(obj: dict[str, Any]) -> SbatchCall:
    """One sbatch call back from its JSON form."""
    indices = obj["indices"]
    # a field a newer hpcflow added is left out: a run's plan may be read by an older hpcflow (in an image)
    known = {k: v for k, v in obj.items() if k in _CALL_FIELDS}
    return SbatchCall(**{**known, "role": Role(obj["role"]), "directives": tuple(obj["directives"]),
                         "after": tuple(Edge(j, k) for j, k in obj["after"]),
                         "indices": None if indices is None else tuple(indices)})


def plan_from_json(obj: dict[str, Any], decode_all: Callable[[list[Any]], list[Any]]) -> Plan:
    """A plan back from its JSON form; `decode_all` decodes the values of all its constants at once."""
    bindings = [b for d in obj["jobs"] for _, b in d["inputs"]] + [b for _, b in obj["outputs"]]
    decoded = iter(decode_all([v for b in bindings for v in _json_consts(b, [])]))
    jobs = []
    for d in obj["jobs"]:
        d = dict(d)
        d["entity"] = EntityRef(**d["entity"])
        d["resources"] = ResourceRequest(**d["resources"])
        d["inputs"] = tuple((n, binding_from_json(b, decoded)) for n, b in d["inputs"])
        d["environment"] = tuple(tuple(kv) for kv in d["environment"])
        d["sbatch"] = tuple(tuple(kv) for kv in d.get("sbatch", ()))
        for key in ("mapped", "depends_on", "cache_ignore_input_vars"):
            d[key] = tuple(d[key])
        jobs.append(JobPlan(**d))
    return Plan(obj["workflow"], tuple(jobs),
                tuple((n, binding_from_json(b, decoded)) for n, b in obj["outputs"]),
                tuple(call_from_json(c) for c in obj.get("calls", [])),
                obj.get("failure_policy", "FAIL_IMMEDIATELY"))
