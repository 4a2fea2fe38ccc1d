"""One array task of a batched map: its elements are calls in this warm process, and, when the
measured work is long enough for it to pay, spread over the task's CPUs with Dask.

Each element keeps its own status, outputs, cache entry and error record, exactly as if it
had its own array task, so min_success_ratio, caching and resume keep working per element;
they are kept in the task's records (runtime/records.py): one file, written by this process,
or one part per worker process while the batch runs on several, folded in at the end. The
records are gathered in memory and published at most once a second, so a batch of trivial
items writes a few files, not one per item; what is the same for every element (the module,
the plan, the function) is worked out once (runtime/prepared.py).
dask is imported only here, and only when a batch has work for more than one CPU.
"""
from __future__ import annotations

import os
import time
from functools import lru_cache

from hpcflow.runtime.rundir import RunDir

# When a batch goes to worker processes. Forking a pool of 2 workers, writing a part each and folding
# them costs ~0.15 s, and importing dask ~0.2 s more the first time; and each item run there costs
# ~25 us more CPU than here (its record written to a part, read back and folded in; the pages the fork
# copies): measured with bench/batch_items.py on the 2-CPU test machine under load, where 100,000
# trivial items took 4.8 s here and 5.4 s over 2 workers (2.6 s more CPU). Spreading what is left of
# the batch over `workers` CPUs saves (1 - 1/workers) of its time. So the batch runs here, and every
# PROBE_S this process looks at how long its latest items took (not counting the first, which loads
# the job): once the rest, at that pace, would save more than the pool costs (POOL_S, about twice the
# start measured, and ITEM_S an item), twice in a row, the rest goes to the pool. So trivial items
# (tens of microseconds each) stay here, however many, unless there are several CPUs more; long items
# go after the first three (the test suite's half-second sleeps); items that start quick and turn
# slow, within two PROBE_S of turning.
POOL_S = 0.5
ITEM_S = 30e-6
PROBE_S = 0.2


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
    from hpcflow.runtime.entry import tell_ended

    rd = _open(str(rd.path))  # the RunDir that run_one uses: its writes go through this process's writer
    mine = range(batch * batch_size, min(rd.size(job_id) or 0, (batch + 1) * batch_size))
    done = rd.done_among(job_id, mine)  # not the whole job's: a task's cost must not grow with the map
    todo = [i for i in mine if i not in done]
    if not todo:
        return True
    workers = int(os.environ.get("SLURM_CPUS_PER_TASK") or rd.plan.job(job_id).resources.cpus or 1)
    rd.own_task(job_id, batch, quiet_start=True)  # a batch of a second or less: one write
    try:
        ran, ok, pace = _run_here(rd, job_id, todo, workers)
    finally:
        rd.release_task(job_id, batch)
    if pace is not None:
        _remember_pace(rd, job_id, pace, ran - 1)
    if ran < len(todo):
        ok = _run_on_pool(rd, job_id, batch, todo[ran:], workers) and ok
    # once, for the batch: while any of its elements had yet to run, none could end a window or the producers
    return tell_ended(rd, job_id, todo[-1]) and ok


def _run_here(rd: RunDir, job_id: str, todo: list[int], workers: int) -> tuple[int, bool, float | None]:
    """Run elements of `todo` in this process, in order, until the rest would be faster on `workers`
    processes (see POOL_S); how many ran, whether all of those succeeded, and the seconds an element took
    after the first (None: only one ran)."""
    from hpcflow.runtime.entry import run_element

    ok = True
    since, before, check = 0.0, 1, float("inf")  # the latest window of items: when it began, how many had run
    pays = 0  # how many windows in a row said the pool pays: one alone may hold a publication or a pause
    loaded = 0.0  # when the first item, which loads the job, ended: the pace is taken from the second on
    for ran, index in enumerate(todo, 1):
        ok = run_element(rd, job_id, index, notify=False).ok and ok
        if ran == 1:
            loaded = time.monotonic()
            if workers > 1:
                since, check = loaded, loaded + PROBE_S
        elif ran < len(todo) and time.monotonic() >= check:
            now = time.monotonic()
            left = len(todo) - ran
            rest = (now - since) / (ran - before) * left  # at the latest window's pace
            pays = pays + 1 if rest * (1 - 1 / min(workers, left)) > POOL_S + ITEM_S * left else 0
            if pays == 2:
                return ran, ok, (now - loaded) / (ran - 1)
            since, before, check = now, ran, now + PROBE_S
    ran = len(todo)
    return ran, ok, (time.monotonic() - loaded) / (ran - 1) if ran > 1 else None


def _remember_pace(rd: RunDir, job_id: str, seconds: float, elements: int) -> None:
    """Keep what an element of this batch took, for the map's next run (runtime/timings.py): a run whose
    elements got slower (other inputs, say) makes the next run's batches smaller, so a batch size is never
    taken from one early measure for good. Only for a map whose batches hpcflow sizes (not a batch_size)."""
    from hpcflow.core.batching import work_sizable
    from hpcflow.runtime.timings import remember

    job = rd.plan.job(job_id)
    if work_sizable(job):
        remember(rd.meta.cache_dir, rd.plan, job, seconds, elements)


def _run_on_pool(rd: RunDir, job_id: str, batch: int, todo: list[int], workers: int) -> bool:
    """Run `todo` over `workers` forked processes, one Dask task per worker; True when all succeeded."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import dask

    workers = min(workers, len(todo))
    # one Dask task per worker, each a slice of the batch: Dask's per-task cost is paid per
    # worker, not per element. An explicit fork pool: the "processes" scheduler of dask
    # 2026.8 ran everything in one process here (see bench/fanout.py). The workers inherit the
    # user's module and the job's prepared facts from this process, which ran the first elements.
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
    from hpcflow.runtime.entry import run_element

    rd = _open(run_dir)
    rd.own_task(job_id, task, part, indices, quiet_start=True)
    try:
        return all([run_element(rd, job_id, i, notify=False).ok for i in indices])
    finally:
        rd.release_task(job_id, task)
