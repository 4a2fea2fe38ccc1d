"""Warm workers (Environment(reuse=ReusePolicy(...))) on the real test cluster.

What the pool promises, and all that is asserted: every pooled element ran in a worker process
of the pool (the pool's workers record themselves), no pooled task got a job of its own, and
the pool and its workers leave after idle_ttl. Which worker or slot Dask picked for each task
is not promised, so it is not asserted.
"""
from __future__ import annotations

import json
import subprocess

from slurm_helpers import ROOT, RUNS, wait_until

from hpcflow.backends.slurm.pool import pool_file, pool_workers
from hpcflow.runtime.rundir import RunDir

CASES = str(ROOT / "tests" / "workflows" / "slurm_cases.py")


def assert_ran_on_the_pool(rd: RunDir, env: str, pooled: list[str]) -> None:
    """Every element of the `pooled` nodes ran in a worker of `env`'s pool, and every Slurm job
    of the run is a proxy, the pool job or one of its workers: none is a job of a pooled task."""
    workers = pool_workers(rd, env)
    assert workers, f"the pool of '{env}' recorded no worker"
    worker_procs = {(w["host"], w["pid"]) for w in workers}
    allowed = {int(w["slurm_job_id"]) for w in workers}
    for node in pooled:
        records = rd.submissions(node)
        assert [r.role.value for r in records] == ["proxy"], f"{node} has jobs of its own: {records}"
        assert not (rd.job_dir(node) / "job.sh").exists(), f"{node} has an array jobscript"
        allowed |= {r.id for r in records}
        for i in range(rd.size(node) or 0):
            status = rd.status(node, i)
            assert status.state.ok, f"{node}[{i}] {status.state}: {status.error}"
            assert (status.host, status.pid) in worker_procs, f"{node}[{i}] ran outside the pool: {status}"
    allowed |= set(json.loads(pool_file(rd, env).read_text())["jobs"])
    # Any other job of the run must be a worker job that dask-jobqueue submitted (from a script of
    # its own) and retired before its worker joined: hpcflow submits only scripts of the run dir.
    out = subprocess.run(["sacct", "-X", "-n", "-P", "-o", "JobID,SubmitLine", f"--name=hf-{rd.meta.run_id}",
                          "-S", "now-2hours"], capture_output=True, text=True, check=True).stdout
    lines = dict(line.split("|", 1) for line in out.splitlines() if "|" in line)
    own = {int(job.split("_")[0]) for job, submit in lines.items() if str(rd.path) in submit}
    assert lines and own - allowed == set(), f"hpcflow jobs of the run that are no proxy or pool: {own - allowed}"


def test_pooled_tasks_run_on_warm_workers_that_go_away_when_idle(hpcflow, slurm_env):
    xs = [1, 2, 3, 4, 5, 6]
    local = hpcflow("run", f"{CASES}:warm_pipeline", "-i", f"xs={xs}", "--json")
    res = hpcflow("submit", f"{CASES}:warm_pipeline", "--site", "dev-cluster", "-i", f"xs={xs}", "--wait", "--json",
                  timeout=600)
    assert res.code == 0, res.stderr
    total, square_pids, sum_pid = res.json["outputs"]["o0"], res.json["outputs"]["o1"], res.json["outputs"]["o2"]
    assert total == local.json["outputs"]["o0"] == sum(x * x for x in xs)
    rd = RunDir(RUNS / res.json["run_id"])
    assert_ran_on_the_pool(rd, "warm", ["n0", "n1"])
    assert set(square_pids) | {sum_pid} <= {w["pid"] for w in pool_workers(rd, "warm")}
    name = f"hf-{res.json['run_id']}"

    def gone() -> bool:  # idle_ttl is 5 s: the workers and the pool job leave on their own
        return not subprocess.run(["squeue", "-h", f"--name={name}"], capture_output=True, text=True).stdout.strip()

    wait_until(gone, timeout=120, interval=1)
    assert json.loads(pool_file(rd, "warm").read_text())["state"] == "closed"
