"""Start a multi-node task's ranks on this machine, for the local backend (`hpcflow run`).

    python -m hpcflow.runtime.spawn_ranks RANKS LAUNCHER -- COMMAND...

torch-style ranks are RANKS processes with the variables torch.distributed's env:// reads; MPI
ranks are started by the machine's mpiexec, as srun starts them on a cluster. The first rank to
fail ends the others, as srun --kill-on-bad-exit does.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import signal
import sys


def free_port() -> int:
    """A TCP port nobody listens on now, for MASTER_PORT."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(ranks: int, launcher: str, command: list[str]) -> int:
    """Run `command` as `ranks` ranks; the first non-zero exit status, else 0."""
    if launcher == "mpi":
        mpiexec = shutil.which("mpiexec")
        if mpiexec is None:
            print("hpcflow: an MPI task run locally needs mpiexec on PATH (Open MPI or MPICH); install one, or "
                  "submit the run to a Slurm site", file=sys.stderr)
            return 1
        env = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
        return subprocess.call([mpiexec, "--oversubscribe", "-n", str(ranks), *command], env=env)
    common = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), "WORLD_SIZE": str(ranks),
              "LOCAL_WORLD_SIZE": str(ranks)}
    started = [subprocess.Popen(command, env={**os.environ, **common, "RANK": str(r), "LOCAL_RANK": str(r)})
               for r in range(ranks)]  # kept referenced, so that subprocess never reaps them behind os.wait
    procs = {p.pid: p for p in started}
    failed = 0
    while procs:
        pid, status = os.wait()
        if procs.pop(pid, None) is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        if code and not failed:
            failed = code if code > 0 else 128 - code  # killed by a signal: the shell's convention
            for other in procs:
                os.kill(other, signal.SIGKILL)
    return failed


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) < 4 or args[2] != "--" or not args[0].isdigit():
        print("usage: python -m hpcflow.runtime.spawn_ranks RANKS LAUNCHER -- COMMAND...", file=sys.stderr)
        sys.exit(2)
    sys.exit(spawn(int(args[0]), args[1], args[3:]))
