"""#SBATCH directives for a job, from its plan and the site config. Pure."""
from __future__ import annotations

import math
import shlex
from dataclasses import dataclass

from hpcflow.core.plan import JobPlan, ResourceRequest
from hpcflow.core.retry import attempt_timeouts
from hpcflow.site.config import SiteConfig
from hpcflow.core.partition import gpu_type_of, named_partition, pick_partition
from hpcflow.core.sbatch_options import OwnOptions, read_options


@dataclass(frozen=True)
class Chunk:
    """One sbatch call's share of a job: array indices offset..offset+count-1 (as 0..count-1),
    or only `indices` (relative to offset) when the others are cached."""

    offset: int
    count: int
    indices: tuple[int, ...] | None = None

    def array_spec(self) -> str:
        """The --array ranges, e.g. `0-99` or `1,4-6`."""
        if self.indices is None:
            return f"0-{self.count - 1}"
        runs: list[list[int]] = []
        for i in self.indices:
            if runs and i == runs[-1][1] + 1:
                runs[-1][1] = i
            else:
                runs.append([i, i])
        return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)

    @property
    def tasks(self) -> int:
        """How many array tasks this chunk has."""
        return self.count if self.indices is None else len(self.indices)


@dataclass(frozen=True)
class Dependency:
    """The ids a job waits on, by kind: afterok, aftercorr (element-wise) or afterany."""

    afterok: tuple[int, ...] = ()
    aftercorr: tuple[int, ...] = ()
    afterany: tuple[int, ...] = ()

    def spec(self) -> str:
        """The --dependency value: kinds joined by ',' so that all must hold."""
        parts = [f"{kind}:{':'.join(str(i) for i in ids)}"
                 for kind, ids in (("afterok", self.afterok), ("aftercorr", self.aftercorr), ("afterany", self.afterany))
                 if ids]
        return ",".join(parts)


def job_name(run_id: str) -> str:
    """The Slurm job name of every job of a run, so one squeue/sacct --name finds them all."""
    return f"hf-{run_id}"


def output(log_dir: str, name: str) -> str:
    """--output in a folder; quoted as sbatch reads #SBATCH lines (it honours quotes and ends a
    line at an unquoted #), so that a space or # in runs_dir does not cut the path."""
    return f"--output={shlex.quote(f'{log_dir}/{name}')}"


def chunks(size: int, max_array_size: int, todo: list[int] | None = None) -> list[Chunk]:
    """Split `size` elements (or only those in `todo`) into arrays whose indices stay below MaxArraySize."""
    if todo is None:
        return [Chunk(o, min(max_array_size, size - o)) for o in range(0, size, max_array_size)] or [Chunk(0, 0)]
    groups: dict[int, list[int]] = {}
    for i in todo:
        groups.setdefault(i - i % max_array_size, []).append(i)
    return [Chunk(o, max(ix) - o + 1, tuple(i - o for i in ix)) for o, ix in sorted(groups.items())]


def time_limit_s(job: JobPlan, site: SiteConfig, batch: int | None = None) -> float | None:
    """--time: every attempt's (growing) timeout plus the site's margin; None when the task has no timeout.

    An array task of a batched map runs `batch` elements over its CPUs, one per CPU at a time,
    so it needs that many rounds of one element's time."""
    if job.timeout_s is None:
        return None
    rounds = math.ceil(batch / max(1, job.resources.cpus)) if batch else 1
    return sum(attempt_timeouts(job.timeout_s, job.retries)) * rounds + site.time_margin_s


def format_time(seconds: float) -> str:
    """Slurm's D-HH:MM:SS, rounded up to the minute."""
    minutes = math.ceil(seconds / 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    return f"{days}-{hours:02d}:{minutes:02d}:00"


def sbatch_directives(job: JobPlan, site: SiteConfig, *, run_id: str, log_dir: str, chunk: Chunk | None,
                      small: bool = False, qos: str | None = None, batch: int | None = None,
                      extra_time_s: float = 0) -> list[str]:
    """The #SBATCH lines, less --dependency, for one chunk of `job` (chunk None: a single job).

    `small`: a helper job (sizing, sentinel, proxy, pool) that only reads the run directory and
    calls sbatch, on one CPU. `qos` overrides the QoS (a last, unpreemptible try). `extra_time_s`
    is added to a timed task's --time (a probe runs a few elements more than one).
    """
    what = f"node '{job.id}' ({job.name})"
    limit = time_limit_s(job, site, batch)
    limit = limit + extra_time_s if limit is not None else None
    resources = job.resources
    own = OwnOptions(resources.cpus, resources.mem_bytes, resources.gpus, None)
    if job.sbatch and not small:  # the task's own sbatch options win where they say something
        own = read_options(job.sbatch, resources.cpus, resources.mem_bytes, resources.gpus, what)
        resources = ResourceRequest(own.cpus, own.mem_bytes, own.gpus, resources.gpu_type if own.gpus else "")
        limit = own.time_s if own.time_s is not None else limit
    if own.partition:
        partition = named_partition(site, own.partition, resources, limit, what)
    else:
        partition = pick_partition(site, ResourceRequest() if small else resources, None if small else limit, what)
    lines = [f"--job-name={job_name(run_id)}", f"--partition={partition.name}"]
    if small:
        lines += ["--cpus-per-task=1", "--mem=1G", output(log_dir, "slurm-%j.out")]
    else:
        lines += _shape(job, resources.cpus)
        if resources.mem_bytes:
            lines.append(f"--mem={math.ceil(resources.mem_bytes / 2**20)}M")  # per node, as a pod's
        if own.gpu_directive:
            lines.append(own.gpu_directive)
        elif resources.gpus:
            typed = f"{gpu_type_of(partition, resources.gpu_type)}:" if resources.gpu_type else ""
            count = f"{typed}{resources.gpus}"  # gpu:a100:2, or a100:2 (Slurm's type:count)
            per_node = f"--gpus-per-node={count}" if job.launcher else f"--gpus={count}"
            lines.append(f"--gres=gpu:{count}" if site.gpu_request == "gres" else per_node)
        if limit is not None:
            lines.append(f"--time={format_time(limit)}")
        if chunk is not None:
            throttle = f"%{job.concurrency}" if job.concurrency and job.concurrency < chunk.tasks else ""
            lines.append(f"--array={chunk.array_spec()}{throttle}")
            lines.append(output(log_dir, "slurm-%A_%a.out"))
        else:
            lines.append(output(log_dir, "slurm-%j.out"))
        if qos:
            lines.append(f"--qos={qos}")
        elif job.interruptible and site.preemptible_qos:
            lines += [f"--qos={own.qos or site.preemptible_qos}", "--requeue"]
        elif own.qos:
            lines.append(f"--qos={own.qos}")
    if own.account or site.account:
        lines.append(f"--account={own.account or site.account}")
    lines += list(own.rest)
    lines += list(site.extra_directives)
    return [f"#SBATCH {line}" for line in lines]


def _shape(job: JobPlan, cpus: int) -> list[str]:
    """--cpus-per-task, and for a multi-node task its nodes and ranks: the node's CPUs shared by its ranks."""
    if not job.launcher:
        return [f"--cpus-per-task={cpus}"]
    per_rank = max(1, cpus // job.tasks_per_node)
    return [f"--nodes={job.nodes}", f"--ntasks-per-node={job.tasks_per_node}", f"--cpus-per-task={per_rank}"]


def rank_launch(job: JobPlan, mpi: str) -> str:
    """The srun line that starts a multi-node element's ranks inside its job, with `mpi` the site's
    PMI plugin for MPI ranks (torch-style ranks need none: they meet at MASTER_ADDR)."""
    plugin = f"--mpi={mpi}" if job.launcher == "mpi" and mpi else "--mpi=none"
    return (f"srun {plugin} --nodes={job.nodes} --ntasks-per-node={job.tasks_per_node} "
            "--cpus-per-task=${SLURM_CPUS_PER_TASK:-1} --kill-on-bad-exit=1")
