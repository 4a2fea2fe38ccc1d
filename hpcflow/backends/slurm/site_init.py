"""`hpcflow site init NAME`: a starting site config drafted from what the live cluster reports.

Partitions (CPUs, memory and GPUs of their largest node, MaxTime, the default one) come from
sinfo and `scontrol show partition`, MaxArraySize from `scontrol show config`, and the QoS
from `sacctmgr show qos`: a QoS that another one preempts is taken for the preemptible one.
What only a person can decide (the account to charge, where runs and the cache live, whether
that QoS is the one to use) is filled with a guess and marked `# DECIDE:`.
"""
from __future__ import annotations

import getpass
import json
import re

from hpcflow.backends.slurm.shell import SlurmShell
from hpcflow.backends.slurm.site_check import live_partitions, submit_cap


def preemption(shell: SlurmShell) -> tuple[str, str]:
    """(preemptible QoS, the QoS that preempts it), or ('', '') when no QoS preempts another."""
    for line in shell.run(["sacctmgr", "-n", "-P", "show", "qos", "format=name,preempt"]).splitlines():
        name, _, preempts = line.partition("|")
        victims = [q for q in preempts.split(",") if q]
        if victims:
            return victims[0], name
    return "", ""


def accounts(shell: SlurmShell) -> list[str]:
    """The accounts the current user has an association with."""
    out = shell.run(["sacctmgr", "-n", "-P", "show", "assoc", "where", f"user={getpass.getuser()}", "format=account"])
    return sorted({a for a in out.split() if a})


def _config_value(config: str, key: str) -> str | None:
    match = re.search(rf"^{key}\s*=\s*(\S+)", config, re.M)
    return match.group(1) if match else None


def draft_site(name: str, shell: SlurmShell | None = None) -> str:
    """The TOML text of a starting site config for the cluster that `shell` reaches."""
    shell = shell or SlurmShell()
    partitions = live_partitions(shell)
    default = next((line.split("PartitionName=")[1].split()[0]
                    for line in shell.run(["scontrol", "show", "partition", "-o"]).splitlines()
                    if "Default=YES" in line), "")
    config = shell.run(["scontrol", "show", "config"])
    array_size = _config_value(config, "MaxArraySize") or "1001"
    victim, preemptor = preemption(shell)
    charge = accounts(shell)
    q = json.dumps  # TOML basic strings are JSON strings
    lines = [
        f"# Drafted by `hpcflow site init {name}` from the live cluster; check it with `hpcflow site check {name}`.",
        f"name = {q(name)}",
        'scheduler = "slurm"',
        '# DECIDE: a filesystem every compute node mounts (a scratch area, e.g. "$SCRATCH/hpcflow/runs")',
        'runs_dir = "~/hpcflow/runs"',
        '# DECIDE: a shared cache needs a folder your group can write; a private one, your own',
        'cache_dir = "~/hpcflow/cache"',
        f"# DECIDE: the account jobs are charged to (yours: {', '.join(charge) or 'none found'})",
        f"account = {q(charge[0] if len(charge) == 1 else '')}",
        'gpu_request = "gres"          # --gres=gpu:N; "gpus" for --gpus=N',
        f"max_array_size = {int(array_size)}        # MaxArraySize in slurm.conf",
        *([f"max_submit_jobs = {cap}          # MaxSubmitJobs of your QoS or association: runs are batched to fit"]
          if (cap := submit_cap(shell, preemptor or "normal")) is not None else []),
        "poll_interval = 5             # seconds between status polls of `submit --wait` / `wait`",
        "time_margin = 120             # seconds added to a task's timeout for --time",
        "",
        "[qos]",
    ]
    if victim:
        lines += [f"# DECIDE: interruptible tasks run on {q(victim)}, which {q(preemptor)} preempts",
                  f"preemptible = {q(victim)}", f"normal = {q(preemptor)}", "max_preemptions = 2"]
    else:
        lines += ["# no QoS preempts another here: interruptible tasks run as any other"]
    for part in partitions.values():
        limit = "INFINITE" if part.max_time_s is None else _slurm_time(part.max_time_s)
        key = part.name if re.fullmatch(r"[A-Za-z0-9_-]+", part.name) else q(part.name)
        lines += ["", f"[partitions.{key}]", f"cpus = {part.cpus}", f'mem = "{part.mem_mb}M"']
        if part.gpus:
            lines.append(f"gpus = {part.gpus}")
        lines.append(f'max_time = "{limit}"')
        if part.name == default:
            lines.append("default = true")
    return "\n".join(lines) + "\n"


def _slurm_time(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 86400}-{s % 86400 // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
