"""The sentinel of an interruptible job.

    python -m hpcflow.backends.slurm.sentinel RUN_DIR JOB_ID ROUND

It runs once every element of the job's last submission has ended (afterany), and decides:
- elements Slurm ended (PREEMPTED after the last allowed requeue, NODE_FAIL, OUT_OF_MEMORY,
  TIMEOUT, a lost process) with retries left are resubmitted as one new array of just those
  indices, with twice the memory after OUT_OF_MEMORY and twice the timeout after TIMEOUT; a
  preempted element goes on the site's normal (unpreemptible) QoS. A new sentinel watches
  them, and the job's dependents are re-pointed at it;
- otherwise it exits 0 when enough elements succeeded (min_success_ratio) and 1 when not,
  which cancels the dependents (they wait on it with afterok).
Errors recorded by the element itself (user errors, exhausted retries) are final.
"""
from __future__ import annotations

import dataclasses
import re
import sys

from hpcflow.backends.slurm.registry import Registry
from hpcflow.backends.slurm.shell import SlurmShell
from hpcflow.backends.slurm.states import translate
from hpcflow.backends.slurm.submit import gate, place_of, submit_calls, update_waiting
from hpcflow.core.batching import batch_of
from hpcflow.core.layout import element_calls, sentinel_call
from hpcflow.core.plan import JobPlan
from hpcflow.core.retry import grown
from hpcflow.core.states import State
from hpcflow.runtime.rundir import RunDir
from hpcflow.site.config import SiteConfig, load_site

RETRYABLE = {"NODE_FAIL", "OUT_OF_MEMORY", "TIMEOUT", "PREEMPTED", "FAILED", "BOOT_FAIL", "DEADLINE"}
_FIELD = re.compile(r"(\w+)=(\S*)")


def slurm_states(shell: SlurmShell, rd: RunDir, job: JobPlan) -> dict[int, str]:
    """Array task index (the element index, or the batch index of a batched map) -> Slurm's state
    word for its latest submission (scontrol knows ended jobs at once; sacct may lag behind)."""
    states: dict[int, str] = {}
    for rec in rd.submissions(job.id):
        if not rec.role.runs_elements:
            continue
        out = shell.run(["scontrol", "-o", "show", "job", str(rec.id)])
        for line in out.splitlines():
            fields = dict(_FIELD.findall(line))
            task = fields.get("ArrayTaskId")
            index = rec.offset + (int(task) if task and task.isdigit() else 0)
            states[index] = fields.get("JobState", "")
    return states


def decide(rd: RunDir, job: JobPlan, states: dict[int, str]) -> tuple[list[int], set[str]]:
    """Which elements to resubmit and why; records the final word for the others."""
    retry, reasons = [], set()
    batch = rd.batch_size(job.id)
    with rd.records.deferring():  # the array has ended: this job is the one writer; each task's file once
        _decide(rd, job, states, batch, retry, reasons)
    return retry, reasons


def _decide(rd: RunDir, job: JobPlan, states: dict[int, str], batch: int | None, retry: list[int],
            reasons: set[str]) -> None:
    for i, status in enumerate(rd.statuses(job.id)):
        if status.state.ok or status.state.finished:
            continue  # succeeded, or a failure the element recorded itself: final
        word = states.get(batch_of(i, batch), "")
        used = status.attempts + 1  # the attempt Slurm killed never recorded itself
        preempted_last = word == "PREEMPTED" and job.interruptible
        if word in RETRYABLE and (used <= job.retries or preempted_last):
            retry.append(i)
            reasons.add(word)
            attempts = status.attempts if preempted_last else used
            rd.write_status(job.id, i, dataclasses.replace(
                status, state=State.PENDING, attempts=attempts, error=f"resubmitted after {word}"))
        else:
            final = translate(word) if word else State.FAILED
            final = final if final.finished and not final.ok else State.FAILED
            rd.write_status(job.id, i, dataclasses.replace(
                status, state=final, error=f"Slurm reported {word or 'no state'}; no retries left"))


def run_sentinel(rd: RunDir, job: JobPlan, round_: int, site: SiteConfig, shell: SlurmShell) -> int:
    """Resubmit what Slurm killed, or give the verdict; the exit status for the sentinel job."""
    retry, reasons = decide(rd, job, slurm_states(shell, rd, job))
    if retry:
        qos = site.normal_qos or None if "PREEMPTED" in reasons and job.interruptible else None
        with Registry.lease(rd):
            registry = Registry.load(rd)
            ref = registry.ref(rd, job.id)
            place = place_of(rd)
            calls = element_calls(grown(job, reasons), site, place, rd.size(job.id) or 1,
                                  todo=retry if job.is_array else None, qos=qos, prefix=f"retry{round_}-",
                                  batch=rd.batch_size(job.id))
            records = submit_calls(rd, job, calls + [sentinel_call(job, site, place, round_ + 1)], site, shell,
                                   registry)
            registry.gates[ref] = gate(records)
            registry.save()
            update_waiting(registry, ref, shell)
        print(f"resubmitted {len(retry)} element(s) after {', '.join(sorted(reasons))}: {retry}")
        return 0
    size = rd.size(job.id) or 0
    ok = len(rd.done(job.id))
    if size and ok < job.min_success_ratio * size:
        print(f"{ok} of {size} elements succeeded, below min_success_ratio={job.min_success_ratio}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of a sentinel job."""
    args = sys.argv[1:] if argv is None else argv
    rd = RunDir(args[0])
    return run_sentinel(rd, rd.plan.job(args[1]), int(args[2]), load_site(rd.meta.site), SlurmShell())


if __name__ == "__main__":
    sys.exit(main())
