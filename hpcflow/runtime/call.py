"""How an element calls its task's function: here, inside the task's image, or on every rank of a multi-node task."""
from __future__ import annotations

from typing import Any

from hpcflow.core.plan import JobPlan
from hpcflow.runtime.rundir import RunDir


def call_function(task: Any, inputs: dict[str, Any], rd: RunDir, job: JobPlan, index: int,
                  where: str) -> dict[str, Any]:
    """One attempt's call of the function on `inputs`; its outputs by name."""
    if job.launcher:  # a multi-node task: every rank calls the function; rank 0's return value is the element's
        from hpcflow.runtime.ranks import run_ranks

        return run_ranks(rd, job, index)
    if job.container_image:  # the container's modules only for the tasks that have an image
        from hpcflow.runtime.container import run_in_container

        return run_in_container(task, inputs, rd, job, index, where)
    in_job = getattr(task, "call_in_job", None)  # a Flyte 2 task: a local run of its own, for its children
    result = in_job(task.interface.adapt(inputs)) if in_job else task.fn(**task.interface.adapt(inputs))
    return task.interface.split(result, where)
