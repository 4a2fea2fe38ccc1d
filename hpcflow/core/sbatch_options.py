"""sbatch options a task asks for itself (flytekitplugins-slurm's sbatch_conf), checked and read. Pure.

Keys are sbatch's long option names without the dashes, as that plugin takes them
(`{"partition": "gpu", "time": "01:00:00"}` is `--partition=gpu --time=01:00:00`). A key sbatch
does not know is an error with the nearest one; keys whose value hpcflow decides itself (the
array, the dependencies, the log files, the job name its status finds jobs by) are refused with
what to use instead.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Mapping

from hpcflow.errors import WorkflowDefinitionError

SbatchOptions = tuple[tuple[str, str], ...]  # (key, value); value "" for a flag such as exclusive

# sbatch's long options (Slurm 23-24 man page), less the short-only ones.
KNOWN = frozenset("""
account acctg-freq array batch bb bbf begin chdir cluster-constraint clusters comment constraint container
container-id contiguous core-spec cores-per-socket cpu-freq cpus-per-gpu cpus-per-task deadline delay-boot
dependency distribution error exclude exclusive export export-file extra extra-node-info get-user-env gid
gpu-bind gpu-freq gpus gpus-per-node gpus-per-socket gpus-per-task gres gres-flags help hint hold ignore-pbs
input job-name kill-on-invalid-dep licenses mail-type mail-user mcs-label mem mem-bind mem-per-cpu mem-per-gpu
mincpus network nice no-kill no-requeue nodefile nodelist nodes ntasks ntasks-per-core ntasks-per-gpu
ntasks-per-node ntasks-per-socket open-mode output overcommit oversubscribe parsable partition power prefer
priority profile propagate qos quiet reboot requeue reservation signal sockets-per-node spread-job switches
test-only thread-spec threads-per-core time time-min tmp tres-bind tres-per-task uid usage use-min-nodes
verbose version wait wait-all-nodes wckey wrap
""".split())

_LOGS = "hpcflow writes each element's log in the run directory; read it with `hpcflow logs RUN NODE[INDEX]`"
DECIDED = {  # key -> why hpcflow sets it itself, and what to do instead
    "array": "hpcflow makes the job arrays itself; use map_task(...) (concurrency= for a %N throttle)",
    "dependency": "hpcflow chains jobs with --dependency from the workflow's data flow",
    "kill-on-invalid-dep": "hpcflow sets it on every dependent job",
    "output": _LOGS,
    "error": _LOGS,
    "open-mode": _LOGS,
    "job-name": "every job of a run is named hf-<run id>, so that `hpcflow status` finds them all with one squeue",
    "hold": "hpcflow holds and releases a submission itself",
    "requeue": "use @task(interruptible=True), which adds --requeue with the site's preemptible QoS",
    "no-requeue": "hpcflow requeues only interruptible tasks; leave interruptible=False",
    "wrap": "the task's function (or a ShellTask's script) is what the job runs",
    "parsable": "hpcflow reads sbatch's answer itself",
    "wait": "hpcflow submit exits at once; use `hpcflow wait RUN`",
    "test-only": "use `hpcflow submit --dry-run`",
    "help": "not a job option", "usage": "not a job option", "version": "not a job option",
}


def check_sbatch_conf(conf: Mapping[str, Any] | None, where: str) -> SbatchOptions:
    """Validate a task's sbatch_conf: every key an sbatch option hpcflow leaves to the task."""
    if conf is None:
        return ()
    if not isinstance(conf, Mapping):
        raise WorkflowDefinitionError(f"{where}: sbatch_conf takes a dict of sbatch options, e.g. "
                                      f"{{'partition': 'gpu'}}, not {conf!r}")
    options = []
    for raw, value in conf.items():
        key = str(raw).lstrip("-")
        if key not in KNOWN:
            near = difflib.get_close_matches(key, sorted(KNOWN), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else "; see `man sbatch` for its long options"
            raise WorkflowDefinitionError(f"{where}: sbatch_conf key '{raw}' is not an sbatch option{hint}")
        if key in DECIDED:
            raise WorkflowDefinitionError(f"{where}: sbatch_conf key '{raw}' is decided by hpcflow: {DECIDED[key]}; "
                                          "remove it")
        if value is False:
            raise WorkflowDefinitionError(f"{where}: sbatch_conf['{raw}'] = False; leave the key out instead")
        options.append((key, "" if value is None or value is True else str(value)))
    return tuple(options)


def directive(key: str, value: str) -> str:
    """One option as an #SBATCH argument: --key=value, or --key for a flag."""
    return f"--{key}={value}" if value else f"--{key}"


_TIME = re.compile(r"^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$")


def slurm_time_s(text: str, where: str) -> float:
    """sbatch's --time in seconds: M, M:S, H:M:S, D-H, D-H:M or D-H:M:S."""
    match = _TIME.match(text.strip())
    if not match:
        raise WorkflowDefinitionError(f"{where}: sbatch_conf time={text!r} is not a Slurm time; write e.g. "
                                      "'90' (minutes), '01:30:00' or '1-00:00:00'")
    days, a, b, c = match.groups()
    if days is not None:  # D-H[:M[:S]]
        return int(days) * 86400 + int(a) * 3600 + int(b or 0) * 60 + int(c or 0)
    if c is not None:  # H:M:S
        return int(a) * 3600 + int(b) * 60 + int(c)
    return int(a) * 60 + int(b or 0)  # M or M:S


_MEM = re.compile(r"^(\d+(?:\.\d+)?)([KMGT]?)B?$", re.IGNORECASE)


def slurm_mem_bytes(text: str, where: str) -> int:
    """sbatch's --mem in bytes: a number of megabytes, or with a K, M, G or T suffix."""
    match = _MEM.match(text.strip())
    if not match:
        raise WorkflowDefinitionError(f"{where}: sbatch_conf mem={text!r} is not a Slurm size; write e.g. "
                                      "'4000' (MB) or '16G'")
    number, unit = float(match.group(1)), (match.group(2) or "M").upper()
    return int(number * 1024 ** "KMGT".index(unit) * 1024)


def gpu_count(key: str, value: str, where: str) -> int:
    """GPUs per node that --gres=gpu[:type]:N (or --gpus=[type:]N) asks for; 0 for other gres."""
    count = 0
    items = value.split(",") if key == "gres" else [f"gpu:{value}"]
    for item in items:
        parts = item.split(":")
        if parts[0] != "gpu":
            continue
        last = parts[-1] if len(parts) > 1 else "1"
        if not last.isdigit():
            last = "1" if len(parts) == 2 else ""  # gpu:a100 asks for one
        if not last:
            raise WorkflowDefinitionError(f"{where}: sbatch_conf {key}={value!r}: cannot read a GPU count; write "
                                          "e.g. 'gpu:2' or 'gpu:a100:2'")
        count += int(last)
    return count


# Options that decide what hpcflow fits the job to: read, not passed through as they are.
_RESOURCE_KEYS = frozenset({"partition", "time", "mem", "cpus-per-task", "gres", "gpus", "account", "qos"})


@dataclass(frozen=True)
class OwnOptions:
    """What a job's own sbatch options ask for, read against what hpcflow would ask for."""

    cpus: int
    mem_bytes: int | None
    gpus: int
    time_s: float | None  # None: hpcflow's own (from the timeout), or none
    partition: str = ""
    gpu_directive: str = ""  # --gres=... or --gpus=... as the task wrote it
    account: str = ""
    qos: str = ""
    rest: tuple[str, ...] = ()  # every other option, as --key=value


def read_options(options: SbatchOptions, cpus: int, mem_bytes: int | None, gpus: int, where: str) -> OwnOptions:
    """Merge a job's own options into its request: theirs win where they say something."""
    given = dict(options)
    if "cpus-per-task" in given:
        if not given["cpus-per-task"].isdigit() or int(given["cpus-per-task"]) < 1:
            raise WorkflowDefinitionError(f"{where}: sbatch_conf cpus-per-task={given['cpus-per-task']!r} must be "
                                          "a whole number >= 1")
        cpus = int(given["cpus-per-task"])
    if "mem" in given:
        mem_bytes = slurm_mem_bytes(given["mem"], where)
    gpu_key = next((k for k in ("gres", "gpus") if k in given), "")
    if gpu_key:
        gpus = gpu_count(gpu_key, given[gpu_key], where)
    return OwnOptions(
        cpus=cpus, mem_bytes=mem_bytes, gpus=gpus,
        time_s=slurm_time_s(given["time"], where) if "time" in given else None,
        partition=given.get("partition", ""),
        gpu_directive=directive(gpu_key, given[gpu_key]) if gpu_key else "",
        account=given.get("account", ""), qos=given.get("qos", ""),
        rest=tuple(directive(k, v) for k, v in options if k not in _RESOURCE_KEYS))
