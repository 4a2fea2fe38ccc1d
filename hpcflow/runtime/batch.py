"""One array task of a batched map: its elements run in parallel over the task's CPUs with Dask.

Each element keeps its own status, outputs, cache entry and error record, exactly as if it
had its own array task, so min_success_ratio, caching and resume keep working per element;
they are kept in the task's records (runtime/records.py): one file, written by this process,
or one part per worker process while the batch runs on several, folded in at the end.
dask is imported only here, and only when a batch has work for more than one CPU.
"""
from __future__ import annotations

import os
from functools import lru_cache

from hpcflow.runtime.rundir import RunDir


@lru_cache(maxsize=4)
def _open(run_dir: str) -> RunDir:
    return RunDir(run_dir)  # one plan read per worker process, not per element


def open_run(run_dir: str) -> RunDir:
    """The RunDir that run_one uses in this process: writes as an array task go through it."""
    return _open(run_dir)


def run_one(run_dir: str, job_id: str, index: int) -> bool:
    """Run one element of a job in this process; True when it produced its outputs."""
    from hpcflow.runtime.entry import run_element

    return run_element(_open(run_dir), job_id, index).ok


def run_alone(run_dir: str, job_id: str, index: int) -> bool:
    """run_one for an element that is an array task of its own (e.g. on a warm worker), writing its records."""
    rd = _open(run_dir)
    rd.own_task(job_id, rd.task_of(job_id, index))
    try:
        return run_one(run_dir, job_id, index)
    finally:
        rd.release_task(job_id, rd.task_of(job_id, index))


def run_batch(rd: RunDir, job_id: str, batch: int, batch_size: int) -> bool:
    """Run the elements of array task `batch` that have not succeeded yet; True when all did."""
    rd = _open(str(rd.path))  # the RunDir that run_one uses: its writes go through this process's writer
    mine = range(batch * batch_size, min(rd.size(job_id) or 0, (batch + 1) * batch_size))
    done = rd.done_among(job_id, mine)  # not the whole job's: a task's cost must not grow with the map
    todo = [i for i in mine if i not in done]
    workers = int(os.environ.get("SLURM_CPUS_PER_TASK") or rd.plan.job(job_id).resources.cpus or 1)
    if workers <= 1 or len(todo) <= 1:
        rd.own_task(job_id, batch)
        try:
            return all([run_one(str(rd.path), job_id, i) for i in todo])
        finally:
            rd.release_task(job_id, batch)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import dask

    if rd.meta.file:  # load the user's module before the workers fork, so they share it
        from hpcflow.loader import load_file

        load_file(rd.meta.file, rd.meta.module)
    workers = min(workers, len(todo))
    # one Dask task per worker, each a slice of the batch: Dask's per-task cost is paid per
    # worker, not per element. An explicit fork pool: the "processes" scheduler of dask
    # 2026.8 ran everything in one process here (see bench/fanout.py).
    slices = [todo[k::workers] for k in range(workers)]
    parts = rd.records.start_parts(job_id, batch, workers)  # each slice writes a part of its own
    tasks = [dask.delayed(_run_slice)(str(rd.path), job_id, batch, part, indices)
             for part, indices in zip(parts, slices)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = dask.compute(*tasks, scheduler=pool)
    finally:
        rd.records.fold_parts(job_id, batch)
    return all(results)


def _run_slice(run_dir: str, job_id: str, task: int, part: str, indices: list[int]) -> bool:
    rd = _open(run_dir)
    rd.own_task(job_id, task, part, indices)
    try:
        return all([run_one(run_dir, job_id, i) for i in indices])
    finally:
        rd.release_task(job_id, task)
