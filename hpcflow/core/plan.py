"""The compiled, frozen Plan: jobs (single tasks and arrays) and their dependencies."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

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
    pool: str = ""  # the Environment whose warm workers run this job's elements
    pool_replicas: int = 0
    pool_concurrency: int = 1
    pool_idle_ttl_s: float = 0.0

    @property
    def is_array(self) -> bool:
        """True for map jobs, which run as job arrays."""
        return self.kind == "map"


@dataclass(frozen=True)
class Plan:
    """Jobs in topological order and the bindings of the workflow's outputs."""

    workflow: str
    jobs: tuple[JobPlan, ...]
    outputs: tuple[tuple[str, Binding], ...]

    def job(self, job_id: str) -> JobPlan:
        """The job with id `job_id`; KeyError when there is none."""
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise KeyError(job_id)


# --- JSON form (plan.json). Constants are encoded by the caller's codec. -------------------

def binding_to_json(binding: Binding, encode: Callable[[Any], Any]) -> Any:
    """The JSON form of a binding."""
    if isinstance(binding, Const):
        return {"const": encode(binding.value)}
    if isinstance(binding, NodeOutput):
        return {"node": binding.node, "output": binding.output, "path": list(binding.path)}
    if isinstance(binding, ListOf):
        return {"list": [binding_to_json(b, encode) for b in binding.items]}
    if isinstance(binding, DictOf):
        return {"dict": [[k, binding_to_json(b, encode)] for k, b in binding.items]}
    raise TypeError(f"a plan cannot hold {binding!r}")


def binding_from_json(obj: Any, decode: Callable[[Any], Any]) -> Binding:
    """A binding back from its JSON form."""
    if "const" in obj:
        return Const(decode(obj["const"]))
    if "node" in obj:
        return NodeOutput(obj["node"], obj["output"], tuple(obj["path"]))
    if "list" in obj:
        return ListOf(tuple(binding_from_json(b, decode) for b in obj["list"]))
    return DictOf(tuple((k, binding_from_json(b, decode)) for k, b in obj["dict"]))


def plan_to_json(plan: Plan, encode: Callable[[Any], Any]) -> dict[str, Any]:
    """The JSON form of a plan."""
    jobs = []
    for job in plan.jobs:
        d = {k: getattr(job, k) for k in job.__dataclass_fields__}
        d["entity"] = {"module": job.entity.module, "qualname": job.entity.qualname}
        d["resources"] = dict(job.resources.__dict__)
        d["inputs"] = [[n, binding_to_json(b, encode)] for n, b in job.inputs]
        d["environment"] = [list(kv) for kv in job.environment]
        jobs.append(d)
    return {"workflow": plan.workflow, "jobs": jobs,
            "outputs": [[n, binding_to_json(b, encode)] for n, b in plan.outputs]}


def plan_from_json(obj: dict[str, Any], decode: Callable[[Any], Any]) -> Plan:
    """A plan back from its JSON form."""
    jobs = []
    for d in obj["jobs"]:
        d = dict(d)
        d["entity"] = EntityRef(**d["entity"])
        d["resources"] = ResourceRequest(**d["resources"])
        d["inputs"] = tuple((n, binding_from_json(b, decode)) for n, b in d["inputs"])
        d["environment"] = tuple(tuple(kv) for kv in d["environment"])
        for key in ("mapped", "depends_on", "cache_ignore_input_vars"):
            d[key] = tuple(d[key])
        jobs.append(JobPlan(**d))
    return Plan(obj["workflow"], tuple(jobs),
                tuple((n, binding_from_json(b, decode)) for n, b in obj["outputs"]))
