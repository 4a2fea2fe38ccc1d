"""Windowed maps: a map that would put more jobs in the queue than the user may have queued runs
at most `window` array tasks at a time (core/fitting.py decides it at submit).

Control rides on the jobs: every element of a windowed map, once it has recorded its end,
looks whether it was the last of its window to finish (from the last element down, stopping at
the first unfinished: usually one read). Of the last ones (several can finish together), the
one that creates the window's claim file (O_EXCL) goes on and the others exit at once, so their
jobs leave the queue and make room; it then, under the run's lease and before it exits, waits
out a refusal for the cap while the window before leaves the queue, and submits the next window (the next `window` tasks whose elements have not succeeded),
adds it to the map's gate and re-points every job waiting on the map at it, so nothing can
start early and no process waits. A window with a failure the map cannot tolerate
(min_success_ratio) submits nothing more: its dependents' afterok fails and Slurm cancels them.
"""
from __future__ import annotations

import os

from hpcflow.backends.slurm.registry import Registry, new_window
from hpcflow.backends.slurm.shell import SlurmShell
from hpcflow.backends.slurm.submit import held_until_committed, place_of, submit_calls, update_waiting
from hpcflow.core.batching import batches
from hpcflow.core.layout import element_calls
from hpcflow.core.sizing import window_of
from hpcflow.core.plan import JobPlan
from hpcflow.runtime.rundir import RunDir
from hpcflow.site.config import SiteConfig


def elements_of_tasks(rd: RunDir, job_id: str, tasks: list[int]) -> list[int]:
    """The elements that the array tasks run (their batches, for a batched map)."""
    batch, size = rd.batch_size(job_id), rd.size(job_id) or 0
    if not batch:
        return list(tasks)
    return [i for t in tasks for i in range(t * batch, min(size, (t + 1) * batch))]


def window_finished(rd: RunDir, job_id: str, tasks: list[int]) -> bool:
    """True when every element of the window's tasks has recorded its end (last ones first)."""
    for i in reversed(elements_of_tasks(rd, job_id, tasks)):
        if not rd.status(job_id, i).state.finished:
            return False
    return True


def submit_next_window(rd: RunDir, job: JobPlan, site: SiteConfig, shell: SlurmShell) -> bool:
    """From an element of a windowed map that just ended: if its window has finished, submit the
    next one and re-point what waits on the map; True if this call did."""
    registry = Registry.load(rd)  # a first look without the lease: usually another element still runs
    ref = registry.ref(rd, job.id)
    current = registry.windows.get(ref)
    if not current or not window_finished(rd, job.id, current["tasks"]):
        return False
    if not claim(rd, job.id, current):
        return False  # another of the window's last elements submits the next one
    with Registry.lease(rd):  # the last ones of a window may finish together: one of them submits
        registry = Registry.load(rd)
        current = registry.windows.get(ref)
        if not current or not window_finished(rd, job.id, current["tasks"]):
            return False
        statuses = rd.statuses(job.id)
        failed = sum(st.state.finished and not st.state.ok for st in statuses)
        size = len(statuses)
        if failed and size - failed < job.min_success_ratio * size:
            registry.windows.pop(ref)  # the map has failed: no more windows
            registry.save()
            return False
        batch = rd.batch_size(job.id)
        # the size is in the record when the map was windowed at run time (expand.py), not in the plan
        count, window = (batches(size, batch) if batch else size), current.get("size") or window_of(rd.plan, job.id)
        ok = [st.state.ok for st in statuses]
        todo = [t for t in range(current["next"], count)  # the next tasks with work left (not cached, not done)
                if not all(ok[t * batch:(t + 1) * batch] if batch else ok[t:t + 1])][:window]
        if not todo:
            registry.windows.pop(ref)
            registry.save()
            return False
        calls = element_calls(job, site, place_of(rd), size, tasks=todo, batch=batch, window=window,
                              prefix=f"window{todo[0]}-")
        shell.room_wait_s = 120.0  # the window before is still leaving the queue: wait for its room
        try:
            with held_until_committed(shell, site):
                records = submit_calls(rd, job, calls, site, shell, registry)
        finally:
            shell.room_wait_s = 0.0
        registry.gates[ref] = registry.gates.get(ref, []) + [r.id for r in records]
        registry.windows[ref] = new_window(todo, window)
        registry.save()
        update_waiting(registry, ref, shell)  # before this element's job ends: nothing may start early
        return True


def claim(rd: RunDir, job_id: str, window: dict[str, object]) -> bool:
    """True for the one caller that creates the window's claim file; False for every other."""
    folder = rd.windows_dir(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(folder / f"{window.get('token', '')}-{window['next']}.claim", os.O_CREAT | os.O_EXCL, 0o644))
    except FileExistsError:
        return False
    return True
