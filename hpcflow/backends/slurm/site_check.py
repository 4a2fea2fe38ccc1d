"""`hpcflow site check`: compare a site config with what the live cluster reports."""
from __future__ import annotations

import getpass
import re
from dataclasses import dataclass

from hpcflow.backends.slurm.shell import SlurmShell
from hpcflow.site.config import SiteConfig, parse_slurm_time


@dataclass(frozen=True)
class LivePartition:
    """What scontrol and sinfo say about one partition."""

    name: str
    cpus: int
    mem_mb: int
    gpus: int
    max_time_s: float | None


@dataclass(frozen=True)
class QosLimits:
    """What `sacctmgr show qos` says one QoS allows a job or a user (None: no limit)."""

    max_wall_s: float | None
    max_cpus_per_user: int | None


def live_partitions(shell: SlurmShell) -> dict[str, LivePartition]:
    """Partitions with their largest node's CPUs (at most MaxCPUsPerNode), memory and GPUs, and MaxTime."""
    nodes = {}
    # %P partition, %c cpus per node, %m memory (MB), %G gres
    for line in shell.run(["sinfo", "-h", "-N", "-o", "%P|%c|%m|%G"]).splitlines():
        part, cpus, mem, gres = (line.split("|") + ["", "", "", ""])[:4]
        part = part.rstrip("*")
        gpus = sum(int(m.group(1)) for m in re.finditer(r"gpu(?::[\w.-]+)?:(\d+)", gres))
        prev = nodes.get(part, (0, 0, 0))
        nodes[part] = (max(prev[0], int(cpus)), max(prev[1], int(mem.rstrip("+") or 0)), max(prev[2], gpus))
    result = {}
    for block in shell.run(["scontrol", "show", "partition", "-o"]).splitlines():
        fields = dict(kv.split("=", 1) for kv in block.split() if "=" in kv)
        name = fields.get("PartitionName", "")
        cpus, mem, gpus = nodes.get(name, (0, 0, 0))
        if fields.get("MaxCPUsPerNode", "").isdigit():
            cpus = min(cpus, int(fields["MaxCPUsPerNode"]))
        result[name] = LivePartition(name, cpus, mem, gpus, parse_slurm_time(fields.get("MaxTime", "INFINITE")))
    return result


def submit_cap(shell: SlurmShell, qos: str) -> int | None:
    """The lowest cap on this user's queued jobs: the association's MaxSubmit or GrpSubmit, or the
    QoS's MaxSubmitPU or GrpSubmit (a group's cap is shared: what is left of it may be less)."""
    caps = []
    assoc = shell.run(["sacctmgr", "-n", "-P", "show", "assoc", "where", f"user={getpass.getuser()}",
                       "format=maxsubmit,grpsubmit"])
    caps += [int(v) for v in assoc.replace("|", " ").split() if v.isdigit()]
    for line in shell.run(["sacctmgr", "-n", "-P", "show", "qos", "format=name,maxsubmitpu,grpsubmit"]).splitlines():
        name, *limits = line.split("|")
        if name == qos:
            caps += [int(v) for v in limits if v.isdigit()]
    return min(caps) if caps else None


def qos_limits(shell: SlurmShell) -> dict[str, QosLimits]:
    """Each QoS's MaxWall and the CPUs one user may hold at once (MaxTRESPerUser cpu=)."""
    limits = {}
    for line in shell.run(["sacctmgr", "-n", "-P", "show", "qos", "format=name,maxwall,maxtrespu"]).splitlines():
        name, wall, tres = (line.split("|") + ["", ""])[:3]
        cpus = re.search(r"(?:^|,)cpu=(\d+)", tres)
        limits[name] = QosLimits(parse_slurm_time(wall) if wall else None, int(cpus.group(1)) if cpus else None)
    return limits


def qos_problems(site: SiteConfig, qos: str, limits: QosLimits) -> list[str]:
    """Partitions of the config that promise more than the QoS its jobs run under allows."""
    problems = []
    for p in site.partitions:
        if limits.max_wall_s is not None and (p.max_time_s is None or p.max_time_s > limits.max_wall_s):
            problems.append(f"partition '{p.name}': config allows {_seconds(p.max_time_s)}, but QoS '{qos}' "
                            f"has MaxWall {limits.max_wall_s:.0f} s: set its max_time to at most that")
        if limits.max_cpus_per_user is not None and p.cpus > limits.max_cpus_per_user:
            problems.append(f"partition '{p.name}': config says {p.cpus} cpus, but QoS '{qos}' lets one user hold "
                            f"{limits.max_cpus_per_user} (MaxTRESPerUser): a bigger job would never start; set cpus "
                            f"to {limits.max_cpus_per_user}")
    return problems


def _seconds(time_s: float | None) -> str:
    return "INFINITE" if time_s is None else f"{time_s:.0f} s"


def jobs_qos(site: SiteConfig) -> str:
    """The QoS the site's jobs run under: a --qos in extra_directives, else its normal QoS, else 'normal'."""
    return site.qos_given or site.normal_qos or "normal"


def check_site(site: SiteConfig, shell: SlurmShell | None = None) -> list[str]:
    """Mismatches between the config and the cluster, one sentence each (empty when it agrees)."""
    shell = shell or SlurmShell()
    live = live_partitions(shell)
    problems = []
    for p in site.partitions:
        lp = live.get(p.name)
        if lp is None:
            problems.append(f"partition '{p.name}' does not exist on the cluster (it has: {', '.join(sorted(live))})")
            continue
        if p.cpus > lp.cpus:
            problems.append(f"partition '{p.name}': config says {p.cpus} cpus per node, the cluster has {lp.cpus}")
        if p.mem_bytes > lp.mem_mb * 2**20:
            problems.append(f"partition '{p.name}': config says {p.mem_bytes // 2**20} MB per node, "
                            f"the cluster has {lp.mem_mb} MB")
        if p.gpus > lp.gpus:
            problems.append(f"partition '{p.name}': config says {p.gpus} GPUs per node, the cluster has {lp.gpus}")
        if lp.max_time_s is not None and (p.max_time_s is None or p.max_time_s > lp.max_time_s):
            problems.append(f"partition '{p.name}': config allows {_seconds(p.max_time_s)}, "
                            f"the cluster's MaxTime is {lp.max_time_s:.0f} s")
    config = shell.run(["scontrol", "show", "config"])
    match = re.search(r"^MaxArraySize\s*=\s*(\d+)", config, re.M)
    if match and site.max_array_size > int(match.group(1)):
        problems.append(f"max_array_size = {site.max_array_size}, but the cluster's MaxArraySize is {match.group(1)}")
    qos_name = jobs_qos(site)
    problems += qos_problems(site, qos_name, qos_limits(shell).get(qos_name, QosLimits(None, None)))
    cap = submit_cap(shell, jobs_qos(site))
    if cap is not None and (site.max_submit_jobs is None or site.max_submit_jobs > cap):
        problems.append(f"you may have {cap} jobs queued (MaxSubmitJobs of QoS '{jobs_qos(site)}' or your "
                        f"association), but max_submit_jobs is {site.max_submit_jobs or 'not set'}: set it to {cap}")
    if site.preemptible_qos:
        qos = shell.run(["sacctmgr", "-n", "-P", "show", "qos", "format=name"]).split()
        if site.preemptible_qos not in qos:
            problems.append(f"QoS '{site.preemptible_qos}' (qos.preemptible) does not exist; the cluster has {', '.join(qos)}")
    return problems
