"""Reads the values that flow between jobs out of a run directory."""
from __future__ import annotations

from typing import Any

from hpcflow.core.bindings import Binding, ListOf, NodeOutput, resolve
from hpcflow.core.plan import JobPlan
from hpcflow.errors import RunDirError
from hpcflow.runtime.records import TaskRecord
from hpcflow.runtime.rundir import ElementStatus, RunDir
from hpcflow.store.codec import decode

FORWARD = "$forward"  # outputs.json marker: the outputs are those of the element's sub-run


def element_output(rd: RunDir, job_id: str, index: int, output: str, status: ElementStatus | None = None) -> Any:
    """One output of one element; None for a failed element of a map that tolerates failures.

    Succeeded outputs never change, so they are kept per RunDir object: the elements of a batch
    that all read one upstream list decode it once, not once each. `status`, when the caller
    has read it already, saves reading it again.
    """
    key = (job_id, index, output)
    if key in rd.memo:
        return rd.memo[key]
    state = (status or rd.status(job_id, index)).state
    if not state.ok:
        job = rd.plan.job(job_id)
        if job.kind == "map" and job.min_success_ratio < 1.0:  # it tolerates failed elements: theirs are None
            return None
        raise UpstreamFailed(f"upstream {job_id}[{index}] has not succeeded ({state.value})")
    raw = rd.raw_outputs(job_id, index)
    if raw.get(FORWARD):
        sub = RunDir(rd.sub_path(job_id, index))
        value = resolve_binding(sub, dict(sub.plan.outputs)[output])
    else:
        value = decode(raw[output], rd.blobs)
    rd.memo[key] = value
    return value


class UpstreamFailed(RunDirError):
    """An upstream job did not produce what this element needs (e.g. a map below its min_success_ratio)."""


def job_output(rd: RunDir, job_id: str, output: str) -> Any:
    """An output of a job: a list over the elements for a map (None for failed elements)."""
    job = rd.plan.job(job_id)
    if job.kind == "map":
        key = (job_id, -1, output)
        if key in rd.memo:  # the elements of a batch that all read the whole list build it once
            return rd.memo[key]
        size = rd.size(job_id)
        if size is None:
            raise UpstreamFailed(f"{job_id} has not been sized yet")
        values, ok = map_outputs(rd, job_id, size, output)
        if size and ok < job.min_success_ratio * size:
            raise UpstreamFailed(f"upstream {job_id} ({job.name}): {ok} of {size} elements succeeded, "
                                 f"below min_success_ratio={job.min_success_ratio}")
        rd.memo[key] = values
        return values
    return element_output(rd, job_id, 0, output)


def map_outputs(rd: RunDir, job_id: str, size: int, output: str) -> tuple[list[Any], int]:
    """One output of every element of a map (None for those that did not succeed), and how many
    succeeded: one array task's records at a time, so a million elements never sit in memory as
    records (a reduce over them needs only their values)."""
    values: list[Any] = []
    ok = 0
    written = (rd.job_dir(job_id) / "tasks").is_dir()
    for task in range(rd.task_count(job_id, size)):
        record = rd.task_record(job_id, task) if written else TaskRecord()
        for i in rd.task_elements(job_id, task, size):
            status = rd.resolve(job_id, i, task, record)
            if not status.state.ok:
                values.append(None)
                continue
            ok += 1
            raw = record.get(i, "outputs")
            if raw is None or raw.get(FORWARD):
                values.append(element_output(rd, job_id, i, output, status))  # a cache hit, or a sub-run's
            else:
                values.append(decode(raw[output], rd.blobs))
    return values, ok


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
    from hpcflow.sdk.local_execution import map_size

    mapped = {name: resolve_binding(rd, b) for name, b in job.inputs if name in job.mapped}
    return map_size(mapped, f"{job.name} ({job.id})")
