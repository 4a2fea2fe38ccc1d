"""What sacct accounted for a run's jobs: CPU time, elapsed time, peak memory, the memory asked for.

One sacct call per 500 job ids (never one unbounded command line); steps (.batch, .extern, srun steps)
are folded into their array task: the peak of their MaxRSS, the task's own TotalCPU."""
from __future__ import annotations

import datetime as dt

from hpcflow.backends.slurm.shell import SlurmShell
from hpcflow.core.efficiency import TaskRecord, TaskUsage, parse_duration, parse_memory

CHUNK = 500
FIELDS = "JobID,AllocCPUS,ElapsedRaw,TotalCPU,MaxRSS,ReqMem,State"


def usage_by_job(shell: SlurmShell, job_ids: list[int]) -> dict[int, list[TaskUsage]]:
    """The tasks of each Slurm job (an array's tasks, or the job itself) that have started."""
    rows: dict[str, dict[str, str]] = {}
    peaks: dict[str, int] = {}
    for start in range(0, len(job_ids), CHUNK):
        ids = ",".join(map(str, job_ids[start:start + CHUNK]))
        for line in shell.run(["sacct", "-j", ids, "-n", "-P", "-o", FIELDS]).splitlines():
            fields = line.split("|")
            if len(fields) != 7:
                continue
            job, cpus, elapsed, total, rss, req, state = fields
            task, _, step = job.partition(".")
            if "[" in task or state.startswith("PENDING"):
                continue  # not started: nothing used
            if step:
                peak = parse_memory(rss)
                if peak is not None:
                    peaks[task] = max(peaks.get(task, 0), peak)
            else:
                rows[task] = {"cpus": cpus, "elapsed": elapsed, "total": total, "req": req}
    out: dict[int, list[TaskUsage]] = {}
    for task, row in rows.items():
        cpus = int(row["cpus"] or 0)
        out.setdefault(int(task.split("_")[0]), []).append(TaskUsage(
            cpus, float(row["elapsed"] or 0), parse_duration(row["total"]), peaks.get(task),
            parse_memory(row["req"], max(cpus, 1))))
    return out


def history(shell: SlurmShell, job_ids: list[int]) -> list[TaskRecord]:
    """Every record sacct keeps of the jobs' tasks (-D: a requeued task's earlier runs too), oldest first."""
    records = []
    for start in range(0, len(job_ids), CHUNK):
        ids = ",".join(map(str, job_ids[start:start + CHUNK]))
        out = shell.run(["sacct", "-j", ids, "-D", "-X", "-n", "-P", "-o", "JobID,State,Submit,Start,End"])
        for line in out.splitlines():
            fields = line.split("|")
            if len(fields) != 5 or "[" in fields[0]:
                continue
            task, state, submit, begin, end = fields
            records.append(TaskRecord(int(task.split("_")[0]), task, state.split()[0], _time(submit), _time(begin),
                                      _time(end)))
    return sorted(records, key=lambda r: (r.submit or 0, r.start or 0))


def _time(text: str) -> float | None:
    """sacct's local ISO time as epoch seconds; None for Unknown/None (not started, still running)."""
    try:
        return dt.datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        return None
