"""compile_plan: a traced Graph plus concrete inputs gives a frozen Plan. Pure."""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

from hpcflow.core.bindings import (
    Binding, Const, ListOf, NodeOutput, WorkflowInput, extend_path, substitute, upstream_nodes,
)
from hpcflow.core.graph import Graph, Node
from hpcflow.core.layout import RunPlace, lay_out
from hpcflow.core.parallelism import with_max_parallelism
from hpcflow.core.plan import EntityRef, JobPlan, Plan, ResourceRequest
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.site.config import SiteConfig


def compile_plan(graph: Graph, inputs: Mapping[str, Any], site: SiteConfig | None = None,
                 place: RunPlace | None = None, max_parallelism: int | None = None) -> Plan:
    """Flatten sub-workflows, fold in the inputs, and make one job per task/map/dynamic node
    (maps throttled to keep the run at `max_parallelism` running elements, core/parallelism.py);
    with a site and the run's place, also every sbatch call that submitting it makes."""
    jobs: list[JobPlan] = []
    env = {name: Const(value) for name, value in inputs.items()}
    outputs = _flatten(graph, env, "", jobs, (graph.name,))
    plan = Plan(graph.name, with_max_parallelism(tuple(jobs), max_parallelism), outputs,
                failure_policy=graph.failure_policy)
    return plan.with_calls(lay_out(plan, site, place)) if site is not None and place is not None else plan


def _flatten(graph: Graph, env: Mapping[str, Binding], prefix: str, jobs: list[JobPlan],
             stack: tuple[str, ...], after: tuple[str, ...] = ()) -> tuple[tuple[str, Binding], ...]:
    """Append the jobs of `graph` to `jobs`; each also waits on the jobs in `after` (those a
    sub-workflow's node was ordered after with >>). Its output bindings, in the flat plan."""
    sub_outputs: dict[str, dict[str, Binding]] = {}
    made: dict[str, tuple[str, ...]] = {}  # node id -> the jobs it became (a sub-workflow: all of its)

    def rebind(binding: Binding) -> Binding | None:
        if isinstance(binding, WorkflowInput):
            return extend_path(env[binding.name], binding.path)
        if isinstance(binding, NodeOutput):
            if binding.node in sub_outputs:
                return extend_path(sub_outputs[binding.node][binding.output], binding.path)
            return NodeOutput(prefix + binding.node, binding.output, binding.path)
        return None

    start = len(jobs)
    for node in graph.nodes:
        inputs = {name: substitute(b, rebind) for name, b in node.inputs.items()}
        waits = after + tuple(j for before in node.after for j in made[before])
        first = len(jobs)
        if node.kind == "workflow":
            if node.entity.name in stack:
                raise WorkflowDefinitionError(
                    f"workflow '{node.entity.name}' calls itself (via {' -> '.join(stack)}); "
                    "use a @dynamic for recursion")
            outs = _flatten(node.entity.graph, inputs, f"{prefix}{node.id}.", jobs, stack + (node.entity.name,), waits)
            sub_outputs[node.id] = dict(outs)
        else:
            job = _job(node, inputs, prefix, graph.name, {j.id: j.size for j in jobs if j.kind == "map"})
            jobs.append(dataclasses.replace(job, depends_on=tuple(sorted({*job.depends_on, *waits}))) if waits else job)
        made[node.id] = tuple(j.id for j in jobs[first:] if not j.on_failure)  # nothing waits on a failure watch
    if graph.on_failure is not None:
        jobs.append(_failure_watch(graph, rebind, prefix, tuple(j.id for j in jobs[start:])))
    return tuple((name, substitute(b, rebind)) for name, b in graph.outputs)


def _failure_watch(graph: Graph, rebind: Any, prefix: str, watched: tuple[str, ...]) -> JobPlan:
    """The job that runs a workflow's on_failure handler: a dynamic over the workflow's inputs
    that waits for every job of the workflow to end, whatever their state (layout: afterany)."""
    watch = graph.on_failure
    node = Node("on_failure", "dynamic", watch, {p.name: WorkflowInput(p.name) for p in watch.interface.inputs})
    inputs = {name: substitute(b, rebind) for name, b in node.inputs.items()}
    job = _job(node, inputs, prefix, graph.name, {})
    return dataclasses.replace(job, depends_on=tuple(sorted({*job.depends_on, *watched})), on_failure=True)


def _job(node: Node, inputs: dict[str, Binding], prefix: str, workflow: str,
         map_sizes: Mapping[str, int | None]) -> JobPlan:
    entity = node.entity
    task = entity.task if node.kind == "map" else entity
    spec = entity.spec.with_overrides(node.overrides) if node.overrides else entity.spec  # a map's own (metadata=)
    job_id = prefix + node.id
    if "<locals>" in task.qualname:
        raise WorkflowDefinitionError(
            f"workflow '{workflow}', node '{job_id}': {task.kind} '{task.name}' is defined inside a function; "
            "define it at module level so that job processes can import it")
    mapped = entity.mapped_inputs if node.kind == "map" else ()
    option = lambda key, default: node.overrides.get(key, default)  # noqa: E731
    return JobPlan(
        id=job_id,
        kind=node.kind,  # type: ignore[arg-type]
        name=node.name,
        entity=EntityRef(task.module, task.qualname),
        inputs=tuple(inputs.items()),
        mapped=mapped,
        size=_map_size(inputs, mapped, map_sizes, f"workflow '{workflow}', node '{job_id}'") if mapped else
        (0 if node.kind == "map" else 1),
        depends_on=tuple(sorted(set().union(*(upstream_nodes(b) for b in inputs.values())))),
        resources=_resources(spec),
        retries=spec.retries,
        timeout_s=spec.timeout,
        interruptible=spec.interruptible,
        concurrency=option("concurrency", getattr(entity, "concurrency", None)),
        min_success_ratio=float(option("min_success_ratio", getattr(entity, "min_success_ratio", 1.0))),
        batch_size=option("batch_size", getattr(entity, "batch_size", None)),
        cache=spec.cache,
        cache_version=spec.cache_version,
        cache_serialize=spec.cache_serialize,
        cache_ignore_input_vars=spec.cache_ignore_input_vars,
        sbatch=spec.sbatch,
        setup="\n".join(filter(None, (_software(spec.environment), spec.setup))),
        own_python=bool(getattr(spec.environment, "own_python", False)),
        nodes=spec.nodes,
        tasks_per_node=spec.tasks_per_node,
        launcher=spec.launcher,
        **_environment(spec.environment),
        **_image(spec.container_image),
    )


def _image(image: Any) -> dict[str, Any]:
    """Plan fields for container_image=: a name or path as given, or an ImageSpec by its name
    (anything with `image_name()`: the core does not import the sdk)."""
    if image is None:
        return {}
    if isinstance(image, str):
        return {"container_image": image.strip()}
    return {"container_image": image.name, "image_spec": True}


def _environment(env: Any) -> dict[str, Any]:
    """Plan fields for @task(environment=...): a dict of variables, or an sdk Environment
    (anything with `env_vars`, `name` and `reuse`: the core does not import the sdk)."""
    if hasattr(env, "env_vars"):
        fields: dict[str, Any] = {"environment": tuple(sorted(env.env_vars.items()))}
        if env.reuse is not None:
            reuse = env.reuse
            fields.update(pool=env.name, pool_replicas=reuse.max_replicas, pool_concurrency=reuse.concurrency,
                          pool_idle_ttl_s=reuse.idle_ttl_s, pool_min_replicas=reuse.min_replicas,
                          pool_scaledown_s=reuse.scaledown_ttl_s)
        return fields
    return {"environment": tuple(sorted(env.items())) if isinstance(env, Mapping) else ()}


def _software(env: Any) -> str:
    """The shell lines of an sdk Environment's software (modules, conda, venv, preamble), if any."""
    lines = getattr(env, "software_lines", None)
    return lines() if lines else ""


def _map_size(inputs: Mapping[str, Binding], mapped: tuple[str, ...], map_sizes: Mapping[str, int | None],
              where: str) -> int | None:
    """The element count when every mapped list is known now, else None (decided at run time).

    Known: constant lists, lists of bindings, and whole outputs of upstream maps of known size.
    """
    lengths = {}
    for name in mapped:
        b = inputs[name]
        if isinstance(b, Const):
            lengths[name] = len(b.value)
        elif isinstance(b, ListOf):
            lengths[name] = len(b.items)
        elif isinstance(b, NodeOutput) and not b.path and map_sizes.get(b.node) is not None:
            lengths[name] = map_sizes[b.node]
        else:
            return None
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise WorkflowDefinitionError(f"{where}: mapped inputs must have the same length, but {detail}")
    return next(iter(lengths.values()), 0)


def _resources(spec: Any) -> ResourceRequest:
    """Requests win; limits fill in what requests leave out. (Each Resources carries its quantities
    parsed as `parsed`, a quantities.ParsedResources: the core does not import the sdk.)"""
    given = [res.parsed for res in (spec.requests, spec.limits) if res is not None]

    def pick(attr: str) -> Any:
        return next((getattr(p, attr) for p in given if getattr(p, attr) is not None), None)

    cpu = pick("cpus")
    gpu_type = next((r.gpu_type for r in (spec.requests, spec.limits) if getattr(r, "gpu_type", None)), "")
    return ResourceRequest(cpus=max(1, math.ceil(cpu)) if cpu else 1, mem_bytes=pick("mem_bytes"),
                           gpus=pick("gpus") or 0, gpu_type=gpu_type if pick("gpus") else "")
