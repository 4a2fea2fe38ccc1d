"""The Dask worker plugin of a warm pool: each worker process records itself when it joins.

So which processes belonged to a pool is known afterwards from the run directory alone
(`pool.pool_workers`), whatever Dask's scheduler decided about placement.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from hpcflow.store import atomic


class RecordWorker(WorkerPlugin):
    """Writes `<folder>/<host>-<pid>.json`: host, pid, Slurm job id and Dask address."""

    name = "hpcflow-record-worker"

    def __init__(self, folder: str):
        self.folder = folder

    def setup(self, worker: Any) -> None:
        """Called by Dask on every worker of the pool, those there now and those to come."""
        record = {"host": socket.gethostname(), "pid": os.getpid(),
                  "slurm_job_id": os.environ.get("SLURM_JOB_ID", ""), "address": worker.address}
        atomic.write_json(Path(self.folder) / f"{record['host']}-{record['pid']}.json", record)
