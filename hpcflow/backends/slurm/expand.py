"""Run-time expansion on Slurm: maps sized by upstream outputs, and dynamic sub-workflows.

    python -m hpcflow.backends.slurm.expand RUN_DIR JOB_ID INDEX   (a deferred map's sizing job)
"""
from __future__ import annotations

import sys

from hpcflow.backends.slurm.registry import Registry
from hpcflow.backends.slurm.shell import SlurmShell
from hpcflow.backends.slurm.submit import (
    gate, held_until_committed, place_of, sinks, submit_calls, submit_plan, update_waiting,
)
from hpcflow.core.layout import element_calls
from hpcflow.core.plan import JobPlan
from hpcflow.loader import load_file
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.values import mapped_element_count
from hpcflow.site.config import SiteConfig, load_site


def expand_map(rd: RunDir, job: JobPlan, shell: SlurmShell | None = None) -> None:
    """Size a map from its (now finished) upstream jobs, submit its array, re-point waiting jobs."""
    shell = shell or SlurmShell()
    size = mapped_element_count(rd, job)
    rd.write_size(job.id, size)
    if size == 0:
        return  # the sizing job itself is the whole gate
    site = load_site(rd.meta.site)
    with Registry.lease(rd):
        registry = Registry.load(rd)
        ref = registry.ref(rd, job.id)
        records = submit_calls(rd, job, element_calls(job, site, place_of(rd), size), site, shell, registry)
        registry.gates[ref] = registry.gates.get(ref, []) + gate(records)
        registry.save()
        update_waiting(registry, ref, shell)


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
