"""How well a job's array tasks used what they asked for, from the scheduler's accounting (like `seff`,
for whole arrays): CPU efficiency, peak memory against the request, and a hint when requests are far
above use. Pure: the Slurm backend reads sacct and hands the figures in."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}
_MEMORY = re.compile(r"^([\d.]+)([KMGTP]?)([nc]?)$")
# asked this many times the peak (and at least this much more) before a hint says to ask for less
WASTE_FACTOR, WASTE_BYTES = 4.0, 512 * 2**20


@dataclass(frozen=True)
class TaskUsage:
    """What one array task (or job) used, as the scheduler accounted it."""

    cpus: int  # allocated
    elapsed_s: float
    cpu_s: float  # user + system CPU time of all its processes
    max_rss: int | None  # peak resident memory of its largest step, bytes (None: not accounted)
    req_mem: int | None  # memory it asked for, bytes


@dataclass(frozen=True)
class TaskRecord:
    """One run of an array task (or job) as the scheduler recorded it: a task requeued after a preemption
    has one record per run. Times are epoch seconds, None where it has none (not started, still running)."""

    job_id: int
    task: str  # the scheduler's id of the task, e.g. "1234_5"
    state: str  # the scheduler's word: COMPLETED, FAILED, PREEMPTED, REQUEUED, RUNNING, ...
    submit: float | None
    start: float | None
    end: float | None


@dataclass(frozen=True)
class Efficiency:
    """One job's tasks taken together."""

    label: str
    tasks: int
    cpus: int  # the most any task had
    cpu_s: float
    cpu_alloc_s: float  # allocated CPUs x elapsed, summed
    peak_rss: int | None
    req_mem: int | None

    @property
    def cpu_efficiency(self) -> float | None:
        """Used CPU time over allocated CPU time, 0..1 (None before any task ran)."""
        return self.cpu_s / self.cpu_alloc_s if self.cpu_alloc_s > 0 else None

    @property
    def memory_efficiency(self) -> float | None:
        """Peak memory over the memory asked for, 0..1 (None when either is unknown)."""
        return self.peak_rss / self.req_mem if self.peak_rss is not None and self.req_mem else None

    def hint(self) -> str:
        """A request that would do, when the ones made are far above use; else ''."""
        hints = []
        if self.peak_rss is not None and self.req_mem and self.req_mem > WASTE_FACTOR * max(self.peak_rss, 1) \
                and self.req_mem - self.peak_rss > WASTE_BYTES:
            hints.append(f"asked {human_bytes(self.req_mem)}, peak {human_bytes(self.peak_rss)}: "
                         f"requests=Resources(mem=\"{enough_memory(self.peak_rss)}\") would do")
        used = self.cpu_s / (self.cpu_alloc_s / self.cpus) if self.cpu_alloc_s > 0 else None
        if used is not None and self.cpus > 1 and used < self.cpus / 2:
            hints.append(f"used {used:.1f} of {self.cpus} CPUs on average: "
                         f"requests=Resources(cpu=\"{max(1, math.ceil(used))}\") would do")
        return "; ".join(hints)


def combine(label: str, usages: Iterable[TaskUsage]) -> Efficiency:
    """The tasks of one job, taken together."""
    tasks = list(usages)
    peaks = [u.max_rss for u in tasks if u.max_rss is not None]
    asked = [u.req_mem for u in tasks if u.req_mem]
    return Efficiency(label, len(tasks), max((u.cpus for u in tasks), default=0), sum(u.cpu_s for u in tasks),
                      sum(u.cpus * u.elapsed_s for u in tasks), max(peaks) if peaks else None,
                      max(asked) if asked else None)


def parse_duration(text: str) -> float:
    """sacct's [D-][HH:]MM:SS[.mmm] as seconds ('' counts as 0)."""
    text = text.strip()
    if not text:
        return 0.0
    days, _, rest = text.rpartition("-")
    parts = [float(p) for p in rest.split(":")]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds + (int(days) * 86400 if days else 0)


def parse_memory(text: str, cpus: int = 1) -> int | None:
    """sacct's 18492K, 2000M, 1.5G as bytes; a per-CPU request (2000Mc, older Slurm) for `cpus` CPUs."""
    match = _MEMORY.match(text.strip())
    if not match:
        return None
    value = float(match.group(1)) * _UNITS[match.group(2) or ("K" if match.group(3) == "" else "M")]
    return int(value * (cpus if match.group(3) == "c" else 1))


def human_bytes(n: int) -> str:
    """1.2G, 350M: sacct's own way of writing sizes."""
    for unit in ("T", "G", "M", "K"):
        if n >= _UNITS[unit]:
            return f"{n / _UNITS[unit]:.1f}{unit}".replace(".0", "")
    return f"{n}B"


def enough_memory(peak: int) -> str:
    """A request with room above a peak: 1.5x, rounded up to a power of two in Mi or Gi."""
    wanted = max(peak * 1.5, 64 * 2**20)
    mib = 2 ** math.ceil(math.log2(wanted / 2**20))
    return f"{mib // 1024}Gi" if mib >= 1024 else f"{mib}Mi"
