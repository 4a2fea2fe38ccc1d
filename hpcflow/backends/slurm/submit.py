"""Submitting a run directory's plan to Slurm: one sbatch per job (per chunk of a big array)."""
from __future__ import annotations

import sys
from typing import Any

from hpcflow.backends.slurm.directives import Chunk, Dependency, chunks, sbatch_directives
from hpcflow.backends.slurm.registry import Ref, Registry
from hpcflow.backends.slurm.shell import SlurmError, SlurmShell
from hpcflow.cache.prepass import take_cached
from hpcflow.core.batching import batch_of, batch_size_for, batches
from hpcflow.core.bindings import NodeOutput, upstream_nodes
from hpcflow.core.plan import JobPlan, Plan
from hpcflow.core.states import State
from hpcflow.errors import HpcflowError
from hpcflow.runtime.jobscript import render_jobscript
from hpcflow.runtime.rundir import RunDir
from hpcflow.site.config import SiteConfig


class SubmitError(HpcflowError):
    """A submission failed; whatever it had queued was cancelled."""


def submit(rd: RunDir, site: SiteConfig, shell: SlurmShell | None = None) -> list[int]:
    """Submit every job of a new run in topological order; all or nothing."""
    shell = shell or SlurmShell()
    with Registry.lease(rd):
        registry = Registry.load(rd)
        already = len(shell.submitted)
        try:
            ids = submit_plan(rd, site, shell, registry)
        except BaseException as exc:  # anything at all, Ctrl-C included: leave no half-submitted run
            queued = shell.submitted[already:]
            _cancel_quietly(shell, queued)
            reason = str(exc) if isinstance(exc, HpcflowError) else f"{type(exc).__name__}: {exc}"
            message = f"submission failed: {reason}" + (f"; cancelled the {len(queued)} job(s) it had queued" if queued else "")
            rd.set_state(State.FAILED, message)
            if isinstance(exc, (HpcflowError, Exception)):
                raise SubmitError(message) from None
            raise
        finally:
            registry.save()
    return ids


def submit_plan(rd: RunDir, site: SiteConfig, shell: SlurmShell, registry: Registry) -> list[int]:
    """sbatch each job of `rd`'s plan, waiting on its upstream jobs; records ids in the registry."""
    take_cached(rd)
    done = {job.id: _done_indices(rd, job.id) for job in rd.plan.jobs}
    partial = {job_id for job_id, hits in done.items() if hits}
    submitted: list[int] = []
    for job in rd.plan.jobs:
        ref = registry.ref(rd, job.id)
        refs_kinds = [[registry.ref(rd, up), _dependency_kind(rd.plan, job, up, site, partial)]
                      for up in job.depends_on]
        dependency = registry.dependency(refs_kinds, skip_finished=True)
        size = rd.size(job.id)
        hits = done[job.id]
        if size is not None and len(hits) == size:  # cached, done before a resume, or an empty map
            if job.kind == "dynamic":  # its sub-runs may still have work (after a resume)
                for i in range(size):
                    submitted += submit_plan(RunDir(rd.sub_path(job.id, i)), site, shell, registry)
            else:
                registry.gates[ref] = []
                rd.write_slurm_ids(job.id, [])
            continue
        if job.pool:  # warm workers: a proxy job stands for the node (see backends/slurm/pool.py)
            from hpcflow.backends.slurm.pool import submit_proxy

            proxy = submit_proxy(rd, job, site, shell, dependency)
            registry.submitted.append(proxy)
            registry.gates[ref] = [proxy]
            if refs_kinds:
                registry.waiting[str(proxy)] = refs_kinds
            submitted.append(proxy)
            continue
        expander = size is None
        todo = [i for i in range(size) if i not in hits] if hits and size else None
        ids = submit_job(rd, job, site, shell, dependency, size=1 if expander else size, expander=expander, todo=todo)
        registry.submitted += ids
        if needs_sentinel(job) and not expander:
            # dependents wait for the sentinel, which resubmits what Slurm killed before it gives the word
            sentinel = submit_sentinel(rd, job, site, shell, ids, round_=1)
            registry.submitted.append(sentinel)
            ids = [sentinel]
        registry.gates[ref] = ids
        if refs_kinds:
            for jid in ids:
                registry.waiting[str(jid)] = refs_kinds
        submitted += ids
    return submitted


def submit_job(rd: RunDir, job: JobPlan, site: SiteConfig, shell: SlurmShell, dependency: Dependency, *,
               size: int, expander: bool = False, todo: list[int] | None = None, qos: str | None = None,
               prefix: str = "") -> list[int]:
    """Render and sbatch one job (one call per chunk of an array; only `todo` indices when given)."""
    python = site.python or sys.executable
    records, ids = list(rd.slurm_ids(job.id)), []
    batch = None
    if job.is_array and not expander:
        batch = rd.batch_size(job.id) or batch_size_for(size, job.batch_size, site.max_fanout)
        if batch:  # array tasks run `batch` elements each
            rd.write_batch(job.id, batch)
            todo = sorted({batch_of(i, batch) for i in todo}) if todo is not None else None
            size = batches(size, batch)
        parts: list[Chunk | None] = list(chunks(size, site.max_array_size, todo))
    else:
        parts = [None]
    for n, chunk in enumerate(parts):
        offset, count = (chunk.offset, chunk.count) if chunk else (0, 1)
        directives = sbatch_directives(job, site, run_id=rd.meta.run_id, log_dir=str(rd.job_dir(job.id) / "logs"),
                                       chunk=chunk, dependency=dependency, expander=expander, qos=qos)
        script = render_jobscript(run_id=rd.meta.run_id, run_dir=rd.path, job=job, python=python, offset=offset,
                                  count=count, directives=directives, preamble=site.preamble, expander=expander)
        name = f"{prefix}job-chunk{n}.sh" if prefix else ""
        path = rd.write_jobscript(job.id, script, chunk=-1 if expander else n, name=name)
        jid = shell.sbatch(str(path))
        ids.append(jid)
        role = "expander" if expander else ("array" if chunk else "single")
        record = {"id": jid, "offset": offset, "count": count, "role": role, "batch": batch}
        if chunk is not None and chunk.indices is not None:
            record["indices"] = list(chunk.indices)
        records.append(record)
        rd.write_slurm_ids(job.id, records)
    return ids


def needs_sentinel(job: JobPlan) -> bool:
    """Jobs whose elements Slurm may kill and hpcflow should resubmit: retries, or interruptible."""
    return job.kind in ("task", "map") and (job.retries > 0 or job.interruptible)


def submit_sentinel(rd: RunDir, job: JobPlan, site: SiteConfig, shell: SlurmShell, after: list[int],
                    round_: int) -> int:
    """A small job that runs once `after` have all ended and resubmits the elements Slurm killed."""
    return submit_helper(rd, job, site, shell, Dependency(afterany=tuple(after)), role="sentinel",
                         script=f"sentinel{round_}.sh", sentinel_round=round_)


def submit_helper(rd: RunDir, job: JobPlan, site: SiteConfig, shell: SlurmShell, dependency: Dependency, *,
                  role: str, script: str, **render: Any) -> int:
    """sbatch a small one-CPU job acting for `job` (a sentinel or a proxy) and record it as `role`."""
    directives = sbatch_directives(job, site, run_id=rd.meta.run_id, log_dir=str(rd.job_dir(job.id) / "logs"),
                                   chunk=None, dependency=dependency, helper=True)
    text = render_jobscript(run_id=rd.meta.run_id, run_dir=rd.path, job=job, python=site.python or sys.executable,
                            directives=directives, preamble=site.preamble, **render)
    jid = shell.sbatch(str(rd.write_jobscript(job.id, text, name=script)))
    rd.write_slurm_ids(job.id, rd.slurm_ids(job.id) + [{"id": jid, "offset": 0, "count": 1, "role": role}])
    return jid


def _done_indices(rd: RunDir, job_id: str) -> set[int]:
    """Elements whose outputs are already in the run directory (cached, or done before a resume)."""
    size = rd.size(job_id)
    return {i for i in range(size or 0) if rd.status(job_id, i).state.ok}


def resume(rd: RunDir, site: SiteConfig, shell: SlurmShell | None = None) -> list[int]:
    """Resubmit what did not succeed, and what depends on it; reuse every output already written."""
    from hpcflow.runtime.resume import check_resumable, reset_unfinished

    check_resumable(rd)
    shell = shell or SlurmShell()
    with Registry.lease(rd):
        registry = Registry.load(rd)
        registry.waiting.clear()  # the jobs that waited before are all gone
        reset_unfinished(rd)
        rd.set_state(State.PENDING)
        try:
            return submit_plan(rd, site, shell, registry)
        finally:
            registry.save()


def update_waiting(registry: Registry, target: Ref, shell: SlurmShell) -> None:
    """Rewrite the --dependency of every pending job that waits on `target`."""
    for jid, refs_kinds in registry.waiting_on(target).items():
        shell.update_dependency(int(jid), registry.dependency(refs_kinds, skip_finished=True).spec())


def sinks(plan: Plan) -> list[str]:
    """Jobs of a plan that no other job of the plan depends on."""
    used = {d for job in plan.jobs for d in job.depends_on}
    return [job.id for job in plan.jobs if job.id not in used]


def _dependency_kind(plan: Plan, job: JobPlan, upstream_id: str, site: SiteConfig,
                     partial: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """afterany past a map that tolerates failures, aftercorr for element-wise chains of two
    full arrays (task i of one waits for task i of the other), else afterok."""
    up = plan.job(upstream_id)
    if needs_sentinel(up) or up.pool:
        return "afterok"  # on its sentinel, which checks min_success_ratio too
    if up.kind == "map" and up.min_success_ratio < 1.0:
        return "afterany"
    if (job.kind == "map" and up.kind == "map" and job.size is not None and job.size == up.size
            and not partial & {job.id, upstream_id}
            and 0 < job.size <= site.max_array_size and _only_elementwise(job, upstream_id)):
        return "aftercorr"
    return "afterok"


def _only_elementwise(job: JobPlan, upstream_id: str) -> bool:
    """True when element i of `job` reads only element i of the upstream map."""
    for name, binding in job.inputs:
        if upstream_id not in upstream_nodes(binding):
            continue
        if name not in job.mapped or not (isinstance(binding, NodeOutput) and not binding.path):
            return False
    return True


def _cancel_quietly(shell: SlurmShell, ids: list[int]) -> None:
    if ids:
        try:
            shell.scancel(ids)
        except SlurmError:
            pass  # the submission error is the one to report
