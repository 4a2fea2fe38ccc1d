"""The one place where hpcflow runs Slurm commands, so tests can count and fail them.

Set HPCFLOW_SLURM_CALL_LOG=FILE to append one JSON line per call (command, start time, seconds, exit).

A controller that does not answer (restarting, overloaded, a network blip) is waited out: a
call that failed without reaching it is tried again with backoff for up to `retry_s` seconds
(HPCFLOW_SLURM_RETRY_S, default 120). sbatch is tried again only when the job was not taken:
after a reply that leaves it open (a timed-out socket: slurmctld may have queued the job and
lost the answer), squeue is asked first, so a retry never submits a job twice.
"""
from __future__ import annotations

import getpass
import json
import os
import random
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from hpcflow.errors import HpcflowError


class SlurmError(HpcflowError):
    """A Slurm command failed or could not be run."""


# what Slurm's clients print when the request never reached (or was refused for now by) slurmctld
TRANSIENT = ("Unable to contact slurm controller", "connect failure", "Socket timed out",
             "temporarily unable to accept job", "Resource temporarily unavailable", "Zero Bytes were transmitted")
# of those, the ones sbatch may print after slurmctld took the job (its answer was lost)
MAYBE_TAKEN = ("Socket timed out", "Zero Bytes were transmitted")


def default_retry_s() -> float:
    """How long a call waits out an unreachable controller."""
    try:
        return float(os.environ.get("HPCFLOW_SLURM_RETRY_S", "120"))
    except ValueError:
        return 120.0


# what sbatch says when a job is over one of the cluster's limits, and what to change
LIMITS = (
    (("MaxSubmitJob", "job submit limit"), "the cap on jobs you may have queued (MaxSubmitJobs; each array task "
     "counts) is reached: wait for some to finish, give the map a batch_size, or use another QoS"),
    (("MaxWallDuration", "time limit is invalid"), "the time asked is over the partition's MaxTime or the QoS's MaxWall: "
     "lower the task's timeout or retries, or pick a partition that allows it in the site config"),
    (("Invalid job array specification", "MaxArraySize"), "the array is over the cluster's MaxArraySize: set "
     "max_array_size in the site config to MaxArraySize (`scontrol show config`)"),
    (("MaxTRES", "MaxCpu", "MaxNode"), "the request is over a per-user or per-job resource limit of the QoS or "
     "partition (`sacctmgr show qos`): ask for less"),
)


def limit_advice(text: str) -> str:
    """What to change when sbatch's words say a limit refused the job ('' when none does)."""
    return next((advice for words, advice in LIMITS if any(w in text for w in words)), "")


def sbatch_options(dependency: str = "", hold: bool = False) -> list[str]:
    """sbatch's options for a --dependency value ('' for none) and a hold. A dependency that can
    never be met makes Slurm cancel the job rather than leave it pending for ever."""
    return ([f"--dependency={dependency}", "--kill-on-invalid-dep=yes"] if dependency else []) + (
        ["--hold"] if hold else [])


_TASK_REPLY = re.compile(r"^\S+_[\d\[\],-]+: (No error|Job is no longer pending execution|Job has already finished)$")


def _only_started_tasks_refused(text: str) -> bool:
    """True when scontrol update's refusals are only of array tasks that have started or ended
    already (it updates the pending ones, "No error"): nothing still waiting was left out."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return bool(lines) and all(_TASK_REPLY.match(line) for line in lines)


class _Transient(Exception):
    """A call that did not reach slurmctld, or that it refused for now: worth trying again."""


@dataclass
class SlurmShell:
    """Runs sbatch/squeue/sacct/scancel/scontrol and keeps a record of each call."""

    timeout_s: float = 60.0
    retry_s: float = field(default_factory=default_retry_s)
    calls: list[list[str]] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)  # every job id sbatch returned, for rollbacks
    holding: list[int] | None = None  # during a submission: the jobs it holds until it commits
    # a window of a windowed map is submitted while the jobs of the one before are still leaving
    # the queue: a refusal for the cap on queued jobs is then waited out, up to this long
    room_wait_s: float = 0.0

    def run(self, args: Sequence[str], taken: Callable[[], str | None] | None = None,
            fine: Callable[[str], bool] | None = None) -> str:
        """Run one Slurm command and return its stdout; SlurmError with its stderr on failure.
        `taken`: after a failure that may have done the work anyway, the output it would have
        given if it did (None if it did not), asked before the command is tried again. `fine`:
        a failure whose words say the command did what was needed after all."""
        argv = list(args)
        if shutil.which(argv[0]) is None:
            raise SlurmError(f"{argv[0]} not found; is this a Slurm login node? (start a test cluster with scripts/dev-cluster.sh)")
        deadline, pause = time.time() + self.retry_s, 0.5
        room_deadline = time.time() + self.room_wait_s
        while True:
            try:
                return self._once(argv, fine)
            except SlurmError as exc:
                if not (argv[0] == "sbatch" and "MaxSubmitJobs" in str(exc) and time.time() + pause < room_deadline):
                    raise
                time.sleep(pause * random.uniform(0.5, 1.5))  # refused, so not taken: trying again is safe
                pause = min(pause * 2, 5.0)
            except _Transient as exc:
                done = taken() if taken is not None and any(w in str(exc) for w in MAYBE_TAKEN) else None
                if done is not None:
                    return done
                if time.time() + pause > deadline:
                    raise SlurmError(f"{exc}; slurmctld did not answer for {self.retry_s:.0f} s "
                                     "(is it up? `scontrol ping`)") from None
                # the controller is restarting or busy: wait it out, with jitter so that the
                # elements of an array that all met the same outage do not come back in step
                time.sleep(pause * random.uniform(0.5, 1.5))
                pause = min(pause * 2, 10.0)

    def _once(self, argv: list[str], fine: Callable[[str], bool] | None = None) -> str:
        self.calls.append(argv)
        start = time.time()
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            self._log(argv, start, "timeout")
            message = f"{argv[0]} did not answer within {self.timeout_s:.0f} s"
            if argv[0] == "sbatch":  # it may have been taken: trying again could submit it twice
                raise SlurmError(f"{message}; is slurmctld up? (scontrol ping)") from None
            raise _Transient(message) from None
        self._log(argv, start, proc.returncode)
        if proc.returncode != 0:
            text = (proc.stderr or proc.stdout).strip()
            if fine is not None and fine(text):
                return proc.stdout
            reason = text.splitlines()[-1] if text else f"exit status {proc.returncode}"
            if any(marker in text for marker in TRANSIENT):
                raise _Transient(f"{argv[0]} failed: {reason}")
            advice = limit_advice(text)
            raise SlurmError(f"{argv[0]} failed: {reason}" + (f" ({advice})" if advice else ""))
        return proc.stdout

    def sbatch(self, script: str, dependency: str = "", hold: bool = False) -> int:
        """Submit a jobscript, waiting on `dependency` ('' for nothing), held or not; the Slurm job id."""
        out = self.run(["sbatch", "--parsable", *sbatch_options(dependency, hold), script],
                       taken=lambda: self.queued_from(script)).strip()
        try:
            job_id = int(out.split(";")[0])
        except ValueError:
            raise SlurmError(f"sbatch gave an unexpected reply: {out!r}") from None
        self.submitted.append(job_id)
        return job_id

    def queued_from(self, script: str) -> str | None:
        """The id of a job of this user in the queue from `script` that this shell has not seen
        submitted (as text), or None: what a timed-out sbatch of it may have queued after all."""
        path = os.path.abspath(script)
        out = self.run(["squeue", "-h", "-u", getpass.getuser(), "-o", "%i|%o"])
        for line in out.splitlines():
            job, _, command = line.partition("|")
            job = job.split("_")[0]
            if command.strip() == path and job.isdigit() and int(job) not in self.submitted:
                return job
        return None

    def scancel(self, job_ids: Sequence[int | str] = (), name: str = "") -> None:
        """Cancel jobs by id (one call) or by name."""
        if name:
            self.run(["scancel", f"--name={name}"])
        elif job_ids:
            self.run(["scancel", *[str(j) for j in job_ids]])

    def update_dependency(self, job_id: int, dependency: str) -> None:
        """Replace a pending job's dependency (of an array: of its tasks still pending; scontrol
        then fails for the tasks that have started or ended, and says "No error" for the others)."""
        self.run(["scontrol", "update", f"JobId={job_id}", f"Dependency={dependency}"], fine=_only_started_tasks_refused)

    @staticmethod
    def _log(argv: list[str], start: float, code: int | str) -> None:
        path = os.environ.get("HPCFLOW_SLURM_CALL_LOG")
        if path:
            try:
                with open(path, "a") as fh:
                    fh.write(json.dumps({"argv": argv, "at": round(start, 3), "seconds": round(time.time() - start, 4),
                                         "exit": code}) + "\n")
            except OSError:
                pass  # a diagnostics log must never break a submission
