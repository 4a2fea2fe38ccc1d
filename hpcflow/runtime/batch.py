"""One array task of a batched map: its elements run in parallel over the task's CPUs with Dask.

Each element keeps its own status, outputs, cache entry and error record, exactly as if it
had its own array task, so min_success_ratio, caching and resume keep working per element.
dask is imported only here, and only when a batch has work for more than one CPU.
"""
from __future__ import annotations

import os
from functools import lru_cache

from hpcflow.runtime.rundir import RunDir


@lru_cache(maxsize=4)
def _open(run_dir: str) -> RunDir:
    return RunDir(run_dir)  # one plan read per worker process, not per element


def run_one(run_dir: str, job_id: str, index: int) -> bool:
    """Run one element of a job in this process; True when it produced its outputs."""
    from hpcflow.runtime.entry import run_element

    return run_element(_open(run_dir), job_id, index).ok


def run_batch(rd: RunDir, job_id: str, batch: int, batch_size: int) -> bool:
    """Run the elements of array task `batch` that have not succeeded yet; True when all did."""
    mine = range(batch * batch_size, min(rd.size(job_id) or 0, (batch + 1) * batch_size))
    done = rd.done_among(job_id, mine)  # not the whole job's: a task's cost must not grow with the map
    todo = [i for i in mine if i not in done]
    workers = int(os.environ.get("SLURM_CPUS_PER_TASK") or rd.plan.job(job_id).resources.cpus or 1)
    if workers <= 1 or len(todo) <= 1:
        return all([run_one(str(rd.path), job_id, i) for i in todo])
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
    tasks = [dask.delayed(_run_slice)(str(rd.path), job_id, part) for part in slices]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        results = dask.compute(*tasks, scheduler=pool)
    return all(results)


def _run_slice(run_dir: str, job_id: str, indices: list[int]) -> bool:
    return all([run_one(run_dir, job_id, i) for i in indices])
