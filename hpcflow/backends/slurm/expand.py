"""Run-time expansion on Slurm: maps sized by upstream outputs, and dynamic sub-workflows.

    python -m hpcflow.backends.slurm.expand RUN_DIR JOB_ID INDEX   (a deferred map's sizing job)
"""
from __future__ import annotations

import sys
from dataclasses import replace
from typing import Callable

from hpcflow.backends.slurm.registry import Registry, new_window
from hpcflow.backends.slurm.shell import SlurmShell
from hpcflow.backends.slurm.submit import (
    cap_reason, gate, held_until_committed, place_of, queued_by_me, sinks, submit_calls, submit_plan, update_waiting,
)
from hpcflow.core.fitting import fit_under
from hpcflow.core.batching import batches
from hpcflow.core.layout import array_tasks, element_calls, map_choice, needs_sentinel, probe_call, sentinel_call
from hpcflow.core.sizing import window_of
from hpcflow.core.plan import JobPlan, Role, SbatchCall
from hpcflow.loader import load_file
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.timings import recall
from hpcflow.runtime.values import mapped_element_count
from hpcflow.site.config import SiteConfig, load_site


def expand_map(rd: RunDir, job: JobPlan, shell: SlurmShell | None = None) -> None:
    """A sizing job: size a map from its (now finished) upstream jobs and submit its array."""
    shell = shell or SlurmShell()
    with Registry.lease(rd):
        submit_sized(rd, job, load_site(rd.meta.site), shell)


def expand_when_ready(rd: RunDir, job: JobPlan, site: SiteConfig, shell: SlurmShell) -> bool:
    """From a producer's element that just finished: if every element of the map's producers has
    finished and the map is not sized yet, size it and submit its array; True if this call did."""
    if rd.size(job.id) is not None or not _producers_finished(rd, job):
        return False  # the common case, decided without the lease: some producer element still runs
    with Registry.lease(rd):  # one of the producers' last elements does it, once
        if rd.size(job.id) is not None or not _producers_finished(rd, job):
            return False
        submit_sized(rd, job, site, shell)
        return True


def _producers_finished(rd: RunDir, job: JobPlan) -> bool:
    """True when every element of every producer has finished and enough of them succeeded.

    Reads from the last element down and stops at the first still running: arrays run in
    index order, so most producers' elements find out after one read that they are not last."""
    for up in job.depends_on:
        size = rd.size(up)
        if size is None:
            return False
        ok = 0
        for i in reversed(range(size)):
            state = rd.status(up, i).state
            if not state.finished:
                return False
            ok += state.ok
        if ok < rd.plan.job(up).min_success_ratio * size:
            return False  # the producer failed: the run fails, and the map is never needed
    return True


def submit_sized(rd: RunDir, job: JobPlan, site: SiteConfig, shell: SlurmShell) -> None:
    """Size a map from its upstream outputs, submit its array (and an interruptible map's sentinel),
    re-point waiting jobs.
    The caller holds the run's lease."""
    size = mapped_element_count(rd, job)
    rd.write_size(job.id, size)
    registry = Registry.load(rd)
    ref = registry.ref(rd, job.id)
    registry.aliases.pop(ref, None)  # it stood for its producers until now; from here, for its own jobs
    if size:
        _submit_array(rd, job, sized_calls(rd, job, size, site, shell), site, shell, registry)
    registry.save()
    update_waiting(registry, ref, shell)


def submit_probed(rd: RunDir, job: JobPlan, site: SiteConfig, shell: SlurmShell) -> None:
    """From a map's probe (array task 0) that has decided the batch size: submit the other array
    tasks and re-point the map's dependents at them too. The probe's own record now holds task 0."""
    size, batch = rd.size(job.id) or 0, rd.batch_size(job.id) or 1
    place = place_of(rd)
    rest = list(range(1, batches(size, batch)))
    with Registry.lease(rd):
        rd.write_submissions(job.id, [replace(r, batch=batch) if r.role is Role.PROBE else r
                                      for r in rd.submissions(job.id)])
        registry = Registry.load(rd)
        if rest:
            def lay_out(s: SiteConfig, window: int = 0) -> tuple[SbatchCall, ...]:
                return tuple(element_calls(job, s, place, size, tasks=rest, batch=batch, window=window))

            _submit_array(rd, job, _fitted(lay_out, rd, site, shell), site, shell, registry)
        registry.save()
        update_waiting(registry, registry.ref(rd, job.id), shell)


def _submit_array(rd: RunDir, job: JobPlan, calls: list[SbatchCall], site: SiteConfig, shell: SlurmShell,
                  registry: Registry) -> None:
    """sbatch a map's calls made at run time and add them to its gate (the caller saves the registry)."""
    ref = registry.ref(rd, job.id)
    with held_until_committed(shell, site):
        records = submit_calls(rd, job, calls, site, shell, registry)
    if any(c.window for c in calls):
        rd.windows_dir(job.id).mkdir(parents=True, exist_ok=True)
        windowed = [c for c in calls if c.window]
        registry.windows[ref] = new_window(array_tasks(windowed), windowed[0].window)
    registry.gates[ref] = registry.gates.get(ref, []) + gate(records)


def sized_calls(rd: RunDir, job: JobPlan, size: int, site: SiteConfig, shell: SlurmShell) -> list[SbatchCall]:
    """The calls of a map just sized: its probe when its batches are sized by work not timed yet;
    windowed when the run is (its windows' size), else fitted like a submission under the site's
    max_submit_jobs with the user's jobs queued now (one squeue): batched more, or windowed, when
    its array would not fit."""
    place = place_of(rd)
    seconds = recall(rd.meta.cache_dir, rd.plan, job)

    def lay_out(s: SiteConfig, window: int = 0) -> tuple[SbatchCall, ...]:
        choice = map_choice(job, size, s, None, seconds)
        if choice.probe and not window:
            return (probe_call(job, s, place, size, ()),)
        return tuple(element_calls(job, s, place, size, window=window, batch=choice.batch, why=choice.why) + (
            [sentinel_call(job, s, place, 1)] if needs_sentinel(job) else []))

    return _fitted(lay_out, rd, site, shell)


def _fitted(lay_out: Callable[..., tuple[SbatchCall, ...]], rd: RunDir, site: SiteConfig,
            shell: SlurmShell) -> list[SbatchCall]:
    """lay_out's calls, windowed when the run is, else fitted under the site's max_submit_jobs."""
    window = window_of(rd.plan)  # a windowed run: this map is windowed too
    if window or site.max_submit_jobs is None:
        return list(lay_out(site, window))
    queued = queued_by_me(shell, site)
    calls, _ = fit_under(lay_out, site, site.max_submit_jobs - queued, cap_reason(site, queued))
    return list(calls)


def submit_dynamic_subrun(rd: RunDir, job: JobPlan, index: int, site: SiteConfig, shell: SlurmShell) -> None:
    """Submit a dynamic element's sub-workflow and make the dynamic's dependents wait for it."""
    sub = RunDir(rd.sub_path(job.id, index))
    with Registry.lease(rd):
        registry = Registry.load(rd)
        ref = registry.ref(rd, job.id)
        before = set(registry.all_ids())
        try:
            with held_until_committed(shell, site):
                submit_plan(sub, site, shell, registry)
        except Exception:
            queued = sorted(set(registry.all_ids()) - before)
            if queued:
                shell.scancel(queued)
            raise
        registry.aliases[ref] = [registry.ref(sub, s) for s in sinks(sub.plan)]
        registry.save()
        update_waiting(registry, ref, shell)


def main(argv: list[str] | None = None) -> int:
    """Entry point of a deferred map's sizing job."""
    args = sys.argv[1:] if argv is None else argv
    rd = RunDir(args[0])
    if rd.meta.file:
        load_file(rd.meta.file, rd.meta.module)
    expand_map(rd, rd.plan.job(args[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
