"""Reads the values that flow between jobs out of a run directory."""
from __future__ import annotations

from typing import Any

from hpcflow.core.bindings import Binding, ListOf, NodeOutput, resolve
from hpcflow.core.plan import JobPlan
from hpcflow.errors import RunDirError
from hpcflow.runtime.rundir import RunDir
from hpcflow.store.codec import decode

FORWARD = "$forward"  # outputs.json marker: the outputs are those of the element's sub-run


def element_output(rd: RunDir, job_id: str, index: int, output: str) -> Any:
    """One output of one element; None for a failed element of a map.

    Succeeded outputs never change, so they are kept per RunDir object: the elements of a batch
    that all read one upstream list decode it once, not once each.
    """
    key = (job_id, index, output)
    if key in rd.memo:
        return rd.memo[key]
    value = _element_output(rd, job_id, index, output)
    if rd.status(job_id, index).state.ok:
        rd.memo[key] = value
    return value


def _element_output(rd: RunDir, job_id: str, index: int, output: str) -> Any:
    job = rd.plan.job(job_id)
    status = rd.status(job_id, index)
    if not status.state.ok:
        if job.kind == "map":
            return None
        raise UpstreamFailed(f"upstream {job_id}[{index}] has not succeeded ({status.state.value})")
    raw = rd.raw_outputs(job_id, index)
    if raw.get(FORWARD):
        sub = RunDir(rd.sub_path(job_id, index))
        return resolve_binding(sub, dict(sub.plan.outputs)[output])
    return decode(raw[output], rd.blobs)


class UpstreamFailed(RunDirError):
    """An upstream job did not produce what this element needs (e.g. a map below its min_success_ratio)."""


def job_output(rd: RunDir, job_id: str, output: str) -> Any:
    """An output of a job: a list over the elements for a map (None for failed elements)."""
    job = rd.plan.job(job_id)
    if job.kind == "map":
        size = rd.size(job_id)
        if size is None:
            raise UpstreamFailed(f"{job_id} has not been sized yet")
        ok = sum(rd.status(job_id, i).state.ok for i in range(size))
        if size and ok < job.min_success_ratio * size:
            raise UpstreamFailed(f"upstream {job_id} ({job.name}): {ok} of {size} elements succeeded, "
                                 f"below min_success_ratio={job.min_success_ratio}")
        return [element_output(rd, job_id, i, output) for i in range(size)]
    return element_output(rd, job_id, 0, output)


def resolve_binding(rd: RunDir, binding: Binding) -> Any:
    """The concrete value of a plan binding in this run."""
    return resolve(binding, lambda b: job_output(rd, b.node, b.output))  # type: ignore[union-attr]


def mapped_element(rd: RunDir, binding: Binding, index: int) -> Any:
    """Element `index` of a mapped input, reading only that element where it can."""
    if isinstance(binding, NodeOutput) and not binding.path and rd.plan.job(binding.node).kind == "map":
        return element_output(rd, binding.node, index, binding.output)
    if isinstance(binding, ListOf):
        return resolve_binding(rd, binding.items[index])
    return resolve_binding(rd, binding)[index]


def element_inputs(rd: RunDir, job: JobPlan, index: int) -> dict[str, Any]:
    """The keyword arguments for element `index` of `job`."""
    return {name: mapped_element(rd, b, index) if name in job.mapped else resolve_binding(rd, b)
            for name, b in job.inputs}


def workflow_outputs(rd: RunDir) -> dict[str, Any]:
    """The values of the plan's outputs, once every job has finished."""
    return {name: resolve_binding(rd, b) for name, b in rd.plan.outputs}


def mapped_element_count(rd: RunDir, job: JobPlan) -> int:
    """The element count of a map whose lists come from upstream jobs; raises on unequal lengths."""
    from hpcflow.runtime.inprocess import map_size

    mapped = {name: resolve_binding(rd, b) for name, b in job.inputs if name in job.mapped}
    return map_size(mapped, f"{job.name} ({job.id})")
