"""The one place where hpcflow runs Slurm commands, so tests can count and fail them.

Set HPCFLOW_SLURM_CALL_LOG=FILE to append one JSON line per call (command, seconds, exit).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from typing import Sequence

from hpcflow.errors import HpcflowError


class SlurmError(HpcflowError):
    """A Slurm command failed or could not be run."""


@dataclass
class SlurmShell:
    """Runs sbatch/squeue/sacct/scancel/scontrol and keeps a record of each call."""

    timeout_s: float = 60.0
    calls: list[list[str]] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)  # every job id sbatch returned, for rollbacks

    def run(self, args: Sequence[str]) -> str:
        """Run one Slurm command and return its stdout; SlurmError with its stderr on failure."""
        argv = list(args)
        if shutil.which(argv[0]) is None:
            raise SlurmError(f"{argv[0]} not found; is this a Slurm login node? (start a test cluster with scripts/dev-cluster.sh)")
        self.calls.append(argv)
        start = time.time()
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            self._log(argv, start, "timeout")
            raise SlurmError(f"{argv[0]} did not answer within {self.timeout_s:.0f} s; is slurmctld up? (scontrol ping)") from None
        self._log(argv, start, proc.returncode)
        if proc.returncode != 0:
            reason = (proc.stderr or proc.stdout).strip().splitlines()
            raise SlurmError(f"{argv[0]} failed: {reason[-1] if reason else f'exit status {proc.returncode}'}")
        return proc.stdout

    def sbatch(self, script: str, extra: Sequence[str] = ()) -> int:
        """Submit a jobscript; the Slurm job id."""
        out = self.run(["sbatch", "--parsable", *extra, script]).strip()
        try:
            job_id = int(out.split(";")[0])
        except ValueError:
            raise SlurmError(f"sbatch gave an unexpected reply: {out!r}") from None
        self.submitted.append(job_id)
        return job_id

    def scancel(self, job_ids: Sequence[int | str] = (), name: str = "") -> None:
        """Cancel jobs by id (one call) or by name."""
        if name:
            self.run(["scancel", f"--name={name}"])
        elif job_ids:
            self.run(["scancel", *[str(j) for j in job_ids]])

    def update_dependency(self, job_id: int, dependency: str) -> None:
        """Replace a pending job's dependency."""
        self.run(["scontrol", "update", f"JobId={job_id}", f"Dependency={dependency}"])

    @staticmethod
    def _log(argv: list[str], start: float, code: int | str) -> None:
        path = os.environ.get("HPCFLOW_SLURM_CALL_LOG")
        if path:
            try:
                with open(path, "a") as fh:
                    fh.write(json.dumps({"argv": argv, "seconds": round(time.time() - start, 4), "exit": code}) + "\n")
            except OSError:
                pass  # a diagnostics log must never break a submission
