"""Runs a Graph in this Python process, like flytekit's local execution of `wf(...)`."""
from __future__ import annotations

from typing import Any, Mapping

from hpcflow.cache.key import call_key
from hpcflow.cache.store import CacheStore
from hpcflow.cache.use import through_cache
from hpcflow.config import default_cache_dir
from hpcflow.core.bindings import Binding, WorkflowInput, resolve
from hpcflow.core.graph import Graph, Node
from hpcflow.errors import TaskFailedError
from hpcflow.core.retry import is_recoverable
from hpcflow.sdk.context import CURRENT, ExecutionId, ExecutionParameters
from hpcflow.sdk.spec import TaskSpec
from hpcflow.store.codec import decode, encode
from hpcflow.types.error.error import FlyteError

_FAILED_NODE = "_hpcflow_failed_node"  # set on an exception by the graph whose node raised it


def run_graph(graph: Graph, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Execute every node in order and return the workflow's named outputs."""
    values: dict[str, dict[str, Any]] = {}

    def lookup(binding: Binding) -> Any:
        if isinstance(binding, WorkflowInput):
            return inputs[binding.name]
        return values[binding.node][binding.output]  # type: ignore[union-attr]

    for node in graph.nodes:
        args = {name: resolve(b, lookup) for name, b in node.inputs.items()}
        try:
            values[node.id] = _run_node(node, args, graph.name)
        except Exception as exc:
            if not hasattr(exc, _FAILED_NODE):  # the innermost node is the one that failed
                try:
                    setattr(exc, _FAILED_NODE, node.id)
                except AttributeError:  # an exception class with __slots__
                    pass
            raise
    return {name: resolve(b, lookup) for name, b in graph.outputs}


def run_workflow(graph: Graph, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """run_graph, and when it raises, the workflow's on_failure handler before the error goes on
    (flytekit's local execution of a workflow with `on_failure=`)."""
    try:
        return run_graph(graph, inputs)
    except Exception as exc:
        if graph.on_failure is not None:
            error = FlyteError(f"{type(exc).__name__}: {exc}", getattr(exc, _FAILED_NODE, ""))
            graph.on_failure.run_locally(dict(inputs), error)
        raise


def _run_node(node: Node, args: dict[str, Any], workflow: str) -> dict[str, Any]:
    entity = node.entity
    if node.kind == "task":
        spec = entity.spec.with_overrides(node.overrides) if node.overrides else entity.spec
        return call_task(entity, args, spec, f"workflow '{workflow}', node '{node.id}' ({node.name})")
    if node.kind == "map":
        return run_map(entity, args, node.overrides, f"workflow '{workflow}', node '{node.id}'")
    if node.kind == "dynamic":
        return run_graph(entity.trace(args), {})
    return run_workflow(entity.graph, args)


def call_task(task: Any, args: Mapping[str, Any], spec: TaskSpec, where: str) -> dict[str, Any]:
    """Call a task's function, retrying recoverable errors up to `spec.retries` times; outputs by
    name. A cached task goes through the same cache, with the same keys, as `hpcflow run` (as
    flytekit caches local executions): a second call with the same inputs does not run it."""
    if not spec.cache:
        return _call(task, args, spec, where)
    store = CacheStore(default_cache_dir())
    encoded, _ = through_cache(
        store, call_key(task, spec, args), spec.cache_serialize, store.blobs,
        lambda: {k: encode(v, store.blobs) for k, v in _call(task, args, spec, where).items()})
    return {k: decode(v, store.blobs) for k, v in encoded.items()}


def _call(task: Any, args: Mapping[str, Any], spec: TaskSpec, where: str) -> dict[str, Any]:
    # a scratch current_context() per call (its folder made only if asked for), kept across retries
    token = CURRENT.set(ExecutionParameters(ExecutionId(f"local-{task.name}")))
    try:
        return _attempts(task, args, spec, where)
    finally:
        CURRENT.reset(token)


def _attempts(task: Any, args: Mapping[str, Any], spec: TaskSpec, where: str) -> dict[str, Any]:
    for attempt in range(spec.retries + 1):
        try:
            result = task.fn(**task.interface.adapt(dict(args)))
            break
        except Exception as exc:
            if attempt == spec.retries or not is_recoverable(exc):
                if hasattr(exc, "add_note"):
                    exc.add_note(f"hpcflow: raised by {where} after {attempt + 1} attempt(s)")
                raise
    return task.interface.split(result, where)


def run_map(map_task: Any, args: Mapping[str, Any], overrides: Mapping[str, Any],
            where: str = "") -> dict[str, list[Any]]:
    """Run a map task element by element; failed elements become None above min_success_ratio."""
    where = where or map_task.name
    mapped = map_task.mapped_inputs
    size = map_size({k: args[k] for k in mapped}, where)
    spec = map_task.spec.with_overrides(overrides) if overrides else map_task.spec
    ratio = float(overrides.get("min_success_ratio", map_task.min_success_ratio))
    task, names = map_task.task, map_task.task.interface.output_names
    results: list[dict[str, Any] | None] = []
    first_error: Exception | None = None
    run_all = getattr(map_task, "run_all_sub_nodes", False)  # flytekit's: every element runs, then the map fails
    for i in range(size):
        element = {k: (v[i] if k in mapped else v) for k, v in args.items()}
        try:
            results.append(call_task(task, element, spec, f"{where}[{i}]"))
        except Exception as exc:
            if ratio >= 1.0 and not run_all:
                raise
            first_error = first_error or exc
            results.append(None)
    if first_error is not None and ratio >= 1.0:
        raise first_error
    succeeded = sum(r is not None for r in results)
    if size and succeeded / size < ratio:
        raise TaskFailedError(f"{where}: {succeeded} of {size} elements succeeded, "
                              f"below min_success_ratio={ratio}")
    return {n: [None if r is None else r[n] for r in results] for n in names}


def map_size(mapped_values: Mapping[str, Any], where: str) -> int:
    """The common length of a map's list inputs; raises when they differ."""
    lengths = {k: len(v) for k, v in mapped_values.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise TaskFailedError(f"{where}: mapped inputs must have the same length, but {detail}")
    return next(iter(lengths.values()), 0)
