"""The ranks of a multi-node task: every rank calls the function, rank 0's return value is the element's.

    python -m hpcflow.runtime.ranks RUN_DIR JOB_ID INDEX     # one rank (started by srun, or locally)

The element's own process (runtime/entry.py) keeps its retries, timeout, cache and records; for
each attempt it starts the ranks with the launcher its jobscript names ($HPCFLOW_RANKS: srun on
Slurm, runtime/spawn_ranks.py locally), waits for them, and reads rank 0's outputs. A rank that
fails leaves its error in the element's folder, so the element fails with the rank's own words.
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

from hpcflow.core.plan import JobPlan
from hpcflow.core.retry import is_recoverable
from hpcflow.errors import HpcflowError, RecoverableError
from hpcflow.loader import load_file, resolve_entity
from hpcflow.runtime.jobscript import LAUNCHER_VARIABLE
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.values import element_inputs
from hpcflow.store.atomic import write_bytes
from hpcflow.store.codec import decode, encode

RANK_ENTRY = "hpcflow.runtime.ranks"


class RankFailed(HpcflowError):
    """A rank of a multi-node task failed: its error, as the rank raised it."""


class RecoverableRankFailure(RankFailed, RecoverableError):
    """A rank raised an error that `retries` applies to."""


def _results(rd: RunDir, job_id: str, index: int) -> Path:
    return rd.element_dir(job_id, index) / "ranks"


def run_ranks(rd: RunDir, job: JobPlan, index: int) -> dict[str, Any]:
    """Start every rank of one attempt, wait for them, and give rank 0's outputs (decoded)."""
    launcher = os.environ.get(LAUNCHER_VARIABLE, "")
    if not launcher:
        raise RankFailed(f"{job.name} ({job.id}) runs {job.ranks} ranks, but its jobscript names no launcher "
                         f"(${LAUNCHER_VARIABLE}); submit the run again with this hpcflow")
    folder = _results(rd, job.id, index)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():  # an earlier attempt's answers
        old.unlink()
    python, env = [sys.executable], None
    if job.container_image:  # every rank runs in the task's image
        from hpcflow.runtime.container import container_env, python_in_image

        python, env = python_in_image(rd, job, f"{job.name} ({job.id})"), container_env()
    command = [*shlex.split(launcher), *python, "-m", RANK_ENTRY, str(rd.root_path.resolve()), job.id, str(index)]
    proc = subprocess.Popen(command, start_new_session=True, env=env)
    try:
        code = proc.wait()
    finally:  # a timeout (raised here by the element's alarm) or a kill ends the ranks too
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    errors = sorted(folder.glob("error-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    if errors:
        first = json.loads(errors[0].read_text())
        cls = RecoverableRankFailure if first["recoverable"] else RankFailed
        raise cls(f"rank {errors[0].stem.split('-')[1]} of {job.ranks}: {first['error']}")
    answer = folder / "outputs-0.json"
    if code != 0 or not answer.is_file():
        raise RankFailed(f"the ranks of {job.name} ({job.id}) ended with exit status {code} before rank 0 "
                         f"returned (see the element's log)")
    return {k: decode(v, rd.blobs) for k, v in json.loads(answer.read_text()).items()}


def rendezvous() -> int:
    """Export the variables ranks meet by (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK,
    LOCAL_WORLD_SIZE) and give this process's rank. Under srun, submitit reads them off Slurm's
    variables; started locally, spawn_ranks has set them, or they are mpiexec's under their own names."""
    if "SLURM_PROCID" in os.environ and "SLURM_STEP_ID" in os.environ:
        os.environ.setdefault("SUBMITIT_EXECUTOR", "slurm")  # submitit's helpers read Slurm's variables then
        from submitit.helpers import TorchDistributedEnvironment

        # CUDA_VISIBLE_DEVICES stays as Slurm set it: LOCAL_RANK picks a device among those
        return TorchDistributedEnvironment().export(set_cuda_visible_devices=False, overwrite=True).rank
    env = os.environ
    if "RANK" not in env and "OMPI_COMM_WORLD_RANK" in env:  # mpiexec's ranks, run locally: the same names
        env.update(RANK=env["OMPI_COMM_WORLD_RANK"], WORLD_SIZE=env["OMPI_COMM_WORLD_SIZE"],
                   LOCAL_RANK=env.get("OMPI_COMM_WORLD_LOCAL_RANK", "0"),
                   LOCAL_WORLD_SIZE=env.get("OMPI_COMM_WORLD_LOCAL_SIZE", "1"))
    return int(env.get("RANK", env.get("PMI_RANK", "0")))


def rank_main(run_dir: str, job_id: str, index: int) -> int:
    """Run one rank: call the function on the element's inputs; rank 0 publishes the outputs."""
    rank = rendezvous()
    rd = RunDir(run_dir)
    folder = _results(rd, job_id, index)
    try:
        if rd.meta.file:
            load_file(rd.meta.file, rd.meta.module)
        job = rd.plan.job(job_id)
        task = resolve_entity(job.entity)
        result = task.fn(**task.interface.adapt(element_inputs(rd, job, index)))
        outputs = task.interface.split(result, f"{job.name} ({job.id})")
        if rank == 0:
            encoded = {k: encode(v, rd.blobs) for k, v in outputs.items()}
            write_bytes(folder / "outputs-0.json", json.dumps(encoded).encode())
        return 0
    except BaseException as exc:  # noqa: BLE001 - the element reports the rank's own error
        traceback.print_exc()
        record = {"error": f"{type(exc).__name__}: {exc}", "recoverable": is_recoverable(exc)}
        write_bytes(folder / f"error-{rank}.json", json.dumps(record).encode())
        return 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(f"usage: python -m {RANK_ENTRY} RUN_DIR JOB_ID INDEX", file=sys.stderr)
        sys.exit(2)
    sys.exit(rank_main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
