"""Multi-node tasks on the test cluster's two nodes (scripts/test.sh starts it with --nodes 2):
MPI ranks started by srun through PMIx, torch-style ranks meeting at MASTER_ADDR, and a failing rank."""
from __future__ import annotations

import json
import subprocess

from slurm_helpers import ROOT, RUNS, wait_until
from run_records import element_status

MULTINODE = str(ROOT / "tests" / "workflows" / "multinode.py")


def test_an_mpi_task_runs_its_two_ranks_on_both_nodes_and_returns_their_allreduce(hpcflow, slurm_env):
    res = hpcflow("submit", f"{MULTINODE}:mpi_wf", "--site", "dev-cluster", "-i", "x=10", "--wait", "--json")
    assert res.code == 0, res.stderr
    result, described = res.json["outputs"]["o0"], res.json["outputs"]["o1"]
    assert result["size"] == 2 and result["total"] == (0 + 10) + (1 + 10)
    assert len(set(result["hosts"])) == 2, "one rank on each of two nodes"
    assert described == f"2 ranks on {'+'.join(sorted(result['hosts']))} sum 21", "rank 0's value flows on"
    (job,) = json.loads((RUNS / res.json["run_id"] / "jobs" / "n0" / "slurm.json").read_text())

    def rank_step() -> str:  # the srun step of the ranks, once accounting has its end
        out = subprocess.run(["sacct", "-n", "-P", "-j", f"{job['id']}.0", "-o", "State,NNodes,NTasks"],
                             capture_output=True, text=True, check=True).stdout.strip()
        return out if out.startswith("COMPLETED") else ""
    assert wait_until(rank_step) == "COMPLETED|2|2"


def test_flytekits_mpijob_config_runs_as_one_job_over_its_workers(hpcflow, slurm_env):
    res = hpcflow("submit", f"{MULTINODE}:mpijob_wf", "--site", "dev-cluster", "-i", "x=3", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 6}


def test_torch_style_ranks_meet_at_master_addr_across_the_nodes(hpcflow, slurm_env):
    res = hpcflow("submit", f"{MULTINODE}:torch_wf", "--site", "dev-cluster", "--wait", "--json")
    assert res.code == 0, res.stderr
    out = res.json["outputs"]["o0"]
    assert out["world"] == 4 and out["local_world"] == 2
    ranks = {int(r.split("@")[0]): r.split("@")[1] for r in out["others"]}
    assert sorted(ranks) == [1, 2, 3]
    hosts = [out["master"]] + [ranks[r].split(":")[0] for r in (1, 2, 3)]
    assert len(set(hosts)) == 2 and all(hosts.count(h) == 2 for h in hosts), "two ranks on each of two nodes"
    assert sorted(ranks[r].split(":")[1] for r in (1, 2, 3)) == ["0", "1", "1"], "LOCAL_RANK counts per node"


def test_a_failing_rank_fails_the_element_with_the_ranks_own_error(hpcflow, slurm_env):
    res = hpcflow("submit", f"{MULTINODE}:failing_rank_wf", "--site", "dev-cluster", "--wait", "--json")
    assert res.code != 0 and res.json["state"] == "FAILED"
    status = element_status(RUNS / res.json["run_id"], "n0", 0)
    assert status["state"] == "FAILED"
    assert "rank 1 of 2: ValueError: rank one cannot go on" in status["error"]


def test_dry_run_shows_the_nodes_and_the_srun_line(hpcflow, slurm_env):
    res = hpcflow("submit", f"{MULTINODE}:mpi_wf", "--site", "dev-cluster", "--dry-run")
    assert res.code == 0, res.stderr
    assert "#SBATCH --nodes=2" in res.stdout and "#SBATCH --ntasks-per-node=1" in res.stdout
    assert 'HPCFLOW_RANKS="srun --mpi=pmix --nodes=2 --ntasks-per-node=1' in res.stdout
