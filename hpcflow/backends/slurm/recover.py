"""What an element's own jobscript runs when the element's Python process ended without success.

    python -m hpcflow.backends.slurm.recover RUN_DIR JOB_ID INDEX EXIT_STATUS LOG_FILE LOG_OFFSET

Only jobs with retries run it (core/layout.recovers_in_job); their elements run in a job step
of their own (srun), so that the OOM killer ends the step and this script lives on. It looks
at the elements of the array task (one, or a batch) that did not record a final state:
- elements that recorded their own end (success, a user error, retries used up) are final;
- killed by a signal, with retries left: exit 75, and the jobscript runs them again at once,
  in the same allocation: a retry does not wait for the rest of the array, nor for a queue;
- killed by the OOM killer, with retries left: they are submitted alone, with twice the
  memory the killed attempt had, and every job that waits on this one is made to wait for
  that submission too (before this job ends, so none of them can start early); exit 0;
- no retries left: recorded FAILED with what killed them; exit 1, and Slurm cancels the
  dependents (--kill-on-invalid-dep).
"""
from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

from hpcflow.backends.slurm.backend import SlurmBackend
from hpcflow.backends.slurm.registry import Registry
from hpcflow.backends.slurm.shell import SlurmShell
from hpcflow.backends.slurm.submit import place_of, submit_calls, update_waiting
from hpcflow.core.layout import element_calls
from hpcflow.core.plan import JobPlan
from hpcflow.core.retry import grown
from hpcflow.core.states import State
from hpcflow.runtime.jobscript import RUN_AGAIN
from hpcflow.runtime.rundir import RunDir
from hpcflow.site.config import SiteConfig, load_site

# what srun and slurmstepd print in the element's log when the step's cgroup ran out of memory
OOM_WORDS = ("Out Of Memory", "oom-kill event")


def cause(exit_status: int, log_tail: str) -> str:
    """What ended a Python process that recorded nothing: OUT_OF_MEMORY, a signal, or its exit status."""
    if any(word in log_tail for word in OOM_WORDS):
        return "OUT_OF_MEMORY"
    if exit_status > 128:
        return f"signal {exit_status - 128}"
    return f"exit status {exit_status}"


def elements_of(rd: RunDir, job_id: str, task: int) -> list[int]:
    """The elements that array task `task` runs: itself, or its batch."""
    batch = rd.batch_size(job_id)
    if not batch:
        return [task]
    return list(range(task * batch, min(rd.size(job_id) or 0, (task + 1) * batch)))


def recover(rd: RunDir, job: JobPlan, task: int, exit_status: int, log_tail: str, site: SiteConfig,
            shell: SlurmShell) -> int:
    """Decide and record what happens to the elements of `task`; the exit status for the jobscript."""
    statuses = {i: rd.status(job.id, i) for i in elements_of(rd, job.id, task)}
    unrecorded = {i: st for i, st in statuses.items() if not st.state.finished}
    if not unrecorded:
        return 0 if all(st.state.ok for st in statuses.values()) else 1
    why = cause(exit_status, log_tail)
    again, failed = [], False
    with rd.records.deferring():  # the task's process has ended: this step is its records' one writer now
        failed = _record(rd, job, unrecorded, why, again)
    if again and why == "OUT_OF_MEMORY":
        resubmit(rd, job, again, site, shell)
        print(f"hpcflow: element(s) {again} of {job.id} ran out of memory; resubmitted with twice the memory")
        return 1 if failed else 0
    if again:
        print(f"hpcflow: element(s) {again} of {job.id} ended by {why}; running them again here")
        return RUN_AGAIN
    SlurmBackend(site, shell).element_done(rd, job, task)  # it has ended for good: what waits for that goes on
    return 1


def _record(rd: RunDir, job: JobPlan, unrecorded: dict, why: str, again: list[int]) -> bool:
    """Record each unrecorded element PENDING (to be retried, listed in `again`) or FAILED; True if any failed."""
    failed = False
    for i, st in unrecorded.items():
        # the killed attempt never counted itself; an element of a batch that never started used none
        used = st.attempts + 1 if st.started is not None else st.attempts
        if used <= job.retries:
            again.append(i)
            rd.write_status(job.id, i, dataclasses.replace(st, state=State.PENDING, attempts=used,
                                                           error=f"retried after {why}"))
        else:
            failed = True
            rd.write_status(job.id, i, dataclasses.replace(
                st, state=State.FAILED, attempts=used,
                error=f"{why} in attempt {used}; no retries left (retries={job.retries})"))
    return failed


def resubmit(rd: RunDir, job: JobPlan, elements: list[int], site: SiteConfig, shell: SlurmShell) -> None:
    """Submit `elements` alone with twice the memory of this job, and make what waits on `job` wait for them."""
    mem_mb = os.environ.get("SLURM_MEM_PER_NODE", "")
    more = grown(job, {"OUT_OF_MEMORY"}, int(mem_mb) * 2**20 if mem_mb.isdigit() else None)
    with Registry.lease(rd):
        registry = Registry.load(rd)
        ref = registry.ref(rd, job.id)
        calls = element_calls(more, site, place_of(rd), rd.size(job.id) or 1,
                              todo=elements if job.is_array else None, batch=rd.batch_size(job.id),
                              prefix=f"oom-{os.environ.get('SLURM_JOB_ID', 'retry')}-")
        records = submit_calls(rd, job, calls, site, shell, registry)
        registry.resubmitted.setdefault(ref, []).extend(r.id for r in records)
        registry.save()
        update_waiting(registry, ref, shell)  # before this job ends: none of them may start early


def tail(path: Path, offset: int, size: int = 65536) -> str:
    """What a log file got since `offset` (its last `size` bytes at most; '' when there is none)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(offset, fh.seek(0, os.SEEK_END) - size))
            return fh.read().decode(errors="replace")
    except OSError:
        return ""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the recover step of an element's jobscript."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 6:
        print("usage: python -m hpcflow.backends.slurm.recover RUN_DIR JOB_ID INDEX EXIT_STATUS LOG_FILE LOG_OFFSET",
              file=sys.stderr)
        return 2
    rd = RunDir(Path(args[0]))
    job = rd.plan.job(args[1])
    try:
        log = tail(Path(args[4]), int(args[5]))  # only what this attempt wrote: an earlier OOM is not this one's
        return recover(rd, job, int(args[2]), int(args[3]), log, load_site(rd.meta.site), SlurmShell())
    except Exception as exc:  # noqa: BLE001 - the job fails, and says why, rather than hang or lie
        with rd.records.deferring():
            for i in elements_of(rd, job.id, int(args[2])):
                st = rd.status(job.id, i)
                if not st.state.finished:
                    rd.write_status(job.id, i, dataclasses.replace(
                        st, state=State.FAILED, error=f"could not retry it: {type(exc).__name__}: {exc}"))
        print(f"hpcflow: could not retry: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
