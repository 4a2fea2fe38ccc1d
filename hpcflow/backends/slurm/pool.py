"""Warm workers for tasks with environment=Environment(reuse=ReusePolicy(...)).

Such a task node is submitted as one small *proxy* job instead of an array. When its
dependencies are met, the proxy makes sure the environment's *pool* is up (a Slurm job that
runs the Dask scheduler and, through dask-jobqueue's SLURMCluster, up to `replicas` worker
jobs of `concurrency` slots), sends every element to it, and exits 0 once they succeeded.
Workers stay warm between tasks (modules imported, files cached) and are released after
`idle_ttl` without work; the pool job ends once no proxy has used it for `idle_ttl`, or sooner,
once idle with no other job of its run left in the queue (a pool serves one run: when the run has
ended, nothing can send it work, so an idle_ttl of an hour must not hold its CPUs for an hour). No
process runs on the login node: scheduler, workers and proxies are all Slurm jobs.

    python -m hpcflow.backends.slurm.pool serve RUN_DIR ENV
    python -m hpcflow.backends.slurm.pool proxy RUN_DIR JOB_ID
"""
from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from hpcflow.backends.slurm.shell import SlurmError, SlurmShell
from hpcflow.core.directives import job_name
from hpcflow.core.layout import pool_call
from hpcflow.core.partition import pick_partition
from hpcflow.core.plan import JobPlan
from hpcflow.runtime.rundir import RunDir
from hpcflow.site.config import SiteConfig, load_site
from hpcflow.store import atomic
from hpcflow.store.lease import Lease

START_TIMEOUT_S = 600.0
RUN_CHECK_S = 10.0  # how often an idle pool asks squeue whether its run has jobs left
WORKER_COMMENT = "hpcflow-pool-worker"  # the --comment of the pool's worker jobs, told apart from the run's own


def pool_file(rd: RunDir, env: str) -> Path:
    """Where the pool of `env` publishes its state and scheduler address (one per run)."""
    return rd.root_path / "pools" / f"{env}.json"


def workers_dir(rd: RunDir, env: str) -> Path:
    """One record per worker process that ever joined the pool of `env`: host, pid, Slurm job."""
    return rd.root_path / "pools" / env / "workers"


def pool_workers(rd: RunDir, env: str) -> list[dict[str, Any]]:
    """The records of every worker process that joined the pool of `env`."""
    folder = workers_dir(rd, env)
    return [atomic.read_json(p) for p in sorted(folder.glob("*.json"))] if folder.exists() else []


def _start_pool(rd: RunDir, job: JobPlan, site: SiteConfig, shell: SlurmShell) -> int:
    """sbatch the pool job of `job.pool` (its files live in the top run directory)."""
    from hpcflow.backends.slurm.submit import place_of, sbatch_call, write_scripts

    root = RunDir(rd.root_path)
    (pool_file(rd, job.pool).parent / job.pool).mkdir(parents=True, exist_ok=True)
    call = pool_call(job, site, place_of(root))
    write_scripts(root, [(call, job)], site)
    return sbatch_call(root, job, call, shell).id


def serve(rd: RunDir, env: str) -> int:
    """The pool job: a Dask scheduler with adaptive SLURMCluster workers, until idle."""
    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster

    from hpcflow.backends.slurm.pool_worker import RecordWorker

    site = load_site(rd.meta.site)
    job = _pooled_job(rd, env)
    partition = pick_partition(site, job.resources, None, f"environment '{env}'")
    memory = job.resources.mem_bytes or 2 * 2**30
    cluster = SLURMCluster(
        cores=job.pool_concurrency, processes=job.pool_concurrency, memory=f"{math.ceil(memory / 2**20)}MiB",
        queue=partition.name, account=site.account or None, walltime=None, job_name=job_name(rd.meta.run_id),
        python=site.python or sys.executable, log_directory=str(pool_file(rd, env).parent / env),
        job_script_prologue=[line for line in site.preamble.splitlines() if line.strip()],
        job_extra_directives=[*site.extra_directives, f"--comment={WORKER_COMMENT}"],
        scheduler_options={"dashboard_address": None},
    )
    ttl = job.pool_idle_ttl_s
    # Flyte 2's replicas=(min, max) and scaledown_ttl: adapt keeps `min` workers and lets one go after
    # `scaledown` seconds without work (wait_count checks, one a second); the pool itself ends after idle_ttl
    scaledown = job.pool_scaledown_s or ttl
    cluster.adapt(minimum_jobs=job.pool_min_replicas, maximum_jobs=job.pool_replicas, interval="1s",
                  wait_count=max(1, math.ceil(scaledown)))
    client = Client(cluster)
    workers_dir(rd, env).mkdir(parents=True, exist_ok=True)
    client.register_plugin(RecordWorker(str(workers_dir(rd, env))))
    with Lease(pool_file(rd, env).with_suffix(".lock")):
        _publish(rd, env, state="up", address=cluster.scheduler_address)
    idle_since = checked = time.time()
    shell = SlurmShell(retry_s=0.0)  # asked again in RUN_CHECK_S anyway
    while True:
        time.sleep(1.0)
        busy = client.run_on_scheduler(_busy)
        if busy:
            idle_since = time.time()
            continue
        run_over = False
        if time.time() - checked > RUN_CHECK_S:
            checked = time.time()
            run_over = not _run_has_other_jobs(rd, shell)
        if run_over or time.time() - idle_since > ttl:
            with Lease(pool_file(rd, env).with_suffix(".lock")):
                if not client.run_on_scheduler(_busy):
                    _publish(rd, env, state="closed")
                    break
    client.close()
    cluster.close()
    return 0


def _publish(rd: RunDir, env: str, **state: Any) -> None:
    """Write the pool's state (under its lease), keeping the ids of every pool job it ever had."""
    path = pool_file(rd, env)
    jobs = list((atomic.read_json(path) or {}).get("jobs", []))
    if "job" in state and state["job"] not in jobs:
        jobs.append(state["job"])
    atomic.write_json(path, {**state, "jobs": jobs})


def _run_has_other_jobs(rd: RunDir, shell: SlurmShell) -> bool:
    """Whether any job of the run other than this pool job and its workers is queued or running: a job
    that may yet send the pool work (a proxy, or what will submit one). True when squeue cannot say."""
    try:
        out = shell.run(["squeue", f"--name={job_name(rd.meta.run_id)}", "-h", "-o", "%A|%k"])
    except SlurmError:  # an unreachable controller proves nothing: keep the pool
        return True
    own = os.environ.get("SLURM_JOB_ID", "")
    for line in out.splitlines():
        job, _, comment = line.partition("|")
        if job.strip() != own and comment.strip() != WORKER_COMMENT:
            return True
    return False


def _busy(dask_scheduler: Any) -> bool:
    """True while tasks are known or a proxy is connected (the pool's own client aside)."""
    return bool(dask_scheduler.tasks) or len(dask_scheduler.clients) > 2


def proxy(rd: RunDir, job_id: str) -> int:
    """Send the elements of a pooled job to its environment's pool; exit 0 when enough succeeded."""
    from dask.distributed import Client

    job = rd.plan.job(job_id)
    site = load_site(rd.meta.site)
    size = rd.size(job_id)
    if size is None:  # a pooled map sized by an upstream output
        from hpcflow.runtime.values import mapped_element_count

        size = mapped_element_count(rd, job)
        rd.write_size(job_id, size)
    done = rd.done(job_id)
    todo = [i for i in range(size) if i not in done]
    for _ in range(3):  # a pool that closes just as we arrive is started again
        address = _pool_address(rd, job, site)
        try:
            with Client(address, timeout="60s") as client:
                futures = client.map(_run_element, [str(rd.path)] * len(todo), [job_id] * len(todo), todo, pure=False)
                client.gather(futures)
            break
        except OSError as exc:
            print(f"hpcflow: pool of '{job.pool}' went away ({exc}); starting it again", file=sys.stderr)
    ok = len(rd.done(job_id))
    return 0 if size == 0 or ok >= job.min_success_ratio * size else 1


def _run_element(run_dir: str, job_id: str, index: int) -> bool:
    from hpcflow.runtime.batch import run_alone

    return run_alone(run_dir, job_id, index)


def _pool_address(rd: RunDir, job: JobPlan, site: SiteConfig) -> str:
    path = pool_file(rd, job.pool)
    with Lease(path.with_suffix(".lock")):
        state = atomic.read_json(path) or {}
        if state.get("state") not in ("up", "starting"):
            jid = _start_pool(rd, job, site, SlurmShell())
            _publish(rd, job.pool, state="starting", job=jid, since=time.time())
    deadline = time.time() + START_TIMEOUT_S
    while time.time() < deadline:
        state = atomic.read_json(path) or {}
        if state.get("state") == "up":
            return state["address"]
        time.sleep(0.5)
    raise SystemExit(f"the pool of environment '{job.pool}' did not start within {START_TIMEOUT_S:.0f} s")


def _pooled_job(rd: RunDir, env: str) -> JobPlan:
    """A job of the run that uses `env` (its reuse policy and resources size the workers): in its plan,
    or in a sub-run's (a @dynamic's, a wave's: the proxy that started the pool is in one of them)."""
    runs = [rd, *(RunDir(p.parent) for p in sorted(rd.root_path.glob("jobs/**/sub/plan.json")))]
    for run in runs:
        for job in run.plan.jobs:
            if job.pool == env:
                return job
    raise SystemExit(f"no job of run {rd.meta.run_id} uses environment '{env}'")


def main(argv: list[str] | None = None) -> int:
    """Entry point of pool and proxy jobs."""
    args = sys.argv[1:] if argv is None else argv
    mode, rd = args[0], RunDir(args[1])
    if rd.meta.file:
        from hpcflow.loader import load_file

        load_file(rd.meta.file, rd.meta.module)
    return serve(rd, args[2]) if mode == "serve" else proxy(rd, args[2])


if __name__ == "__main__":
    sys.exit(main())
