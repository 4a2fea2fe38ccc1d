"""Multi-node tasks (hpcflow.plugins): their configs, #SBATCH shape and srun line (pure), and their
ranks run locally by `hpcflow run` (spawned processes, or mpiexec for MPI ranks)."""
from __future__ import annotations

import importlib.util

import pytest

from hpcflow import task
from hpcflow.core.directives import sbatch_directives
from hpcflow.core.layout import RunPlace, element_calls, local_call
from hpcflow.core.plan import EntityRef, JobPlan, ResourceRequest
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.plugins import MPI, Elastic, Master, MPIJob, PyTorch, RunPolicy, Worker
from hpcflow.runtime.jobscript import render_call
from hpcflow.site.config import load_site
from paths import ROOT

MULTINODE = str(ROOT / "tests" / "workflows" / "multinode.py")
PLACE = RunPlace("wf-20260101-000000-abcd", "/runs/wf-20260101-000000-abcd")


def _job(nodes: int, per_node: int, launcher: str, cpus: int = 8, gpus: int = 0) -> JobPlan:
    return JobPlan(id="n0", kind="task", name="train", entity=EntityRef("m", "train"), inputs=(),
                   resources=ResourceRequest(cpus=cpus, mem_bytes=8 * 2**30, gpus=gpus),
                   nodes=nodes, tasks_per_node=per_node, launcher=launcher)


def test_flytekit_configs_become_nodes_and_ranks_per_node():
    def shape(config):
        spec = task(task_config=config)(lambda: None).spec
        return spec.nodes, spec.tasks_per_node, spec.launcher

    assert shape(PyTorch(num_workers=2)) == (3, 1, "torch")  # a master and two workers, as Kubeflow's PyTorchJob
    assert shape(PyTorch(worker=Worker(replicas=1))) == (2, 1, "torch")
    assert shape(Elastic(nnodes=2, nproc_per_node=4)) == (2, 4, "torch")
    assert shape(Elastic(nnodes="1:3", nproc_per_node=2)) == (3, 2, "torch")  # Slurm allocates the most asked for
    assert shape(MPIJob(num_workers=2, slots=3)) == (2, 3, "mpi")
    assert shape(MPIJob(worker=Worker(replicas=4))) == (4, 1, "mpi")
    assert shape(MPI(nodes=2, tasks_per_node=8)) == (2, 8, "mpi")


@pytest.mark.parametrize("make,words", [
    (lambda: PyTorch(), "worker=Worker(replicas=N)"),
    (lambda: PyTorch(num_workers=2, worker=Worker(replicas=2)), "not both"),
    (lambda: PyTorch(num_workers=1, master=Master(image="x")), "container_image="),
    (lambda: Elastic(nnodes="two"), "'min:max'"),
    (lambda: Elastic(max_restarts=3), "retries=N"),
    (lambda: MPI(nodes=0), "MPI nodes must be a whole number >= 1"),
    (lambda: RunPolicy(backoff_limit=3), "retries="),
])
def test_what_slurm_cannot_honour_is_refused_where_it_is_written(make, words):
    with pytest.raises(WorkflowDefinitionError) as info:
        make()
    assert words in str(info.value)


def test_a_multinode_job_asks_for_nodes_and_shares_a_nodes_cpus_among_its_ranks():
    site = load_site("dev-cluster")
    lines = sbatch_directives(_job(2, 4, "torch", cpus=8, gpus=2), site, run_id="r", log_dir="/l", chunk=None)
    assert "#SBATCH --nodes=2" in lines and "#SBATCH --ntasks-per-node=4" in lines
    assert "#SBATCH --cpus-per-task=2" in lines and "#SBATCH --mem=8192M" in lines  # per node, as a pod's
    assert "#SBATCH --gres=gpu:2" in lines  # gres counts per node already
    gpus_site = load_site("bigcentre")
    gpus_lines = sbatch_directives(_job(2, 2, "mpi", gpus=2), gpus_site, run_id="r", log_dir="/l", chunk=None)
    assert "#SBATCH --gpus-per-node=2" in gpus_lines


def test_the_jobscript_names_the_srun_line_that_starts_the_ranks():
    site = load_site("dev-cluster")
    mpi, torch = _job(2, 1, "mpi"), _job(2, 2, "torch")
    (call,) = element_calls(mpi, site, PLACE, 1)
    text = render_call(call, mpi, run_id=PLACE.run_id, run_dir=PLACE.run_dir, python="/py")
    assert ('export HPCFLOW_RANKS="srun --mpi=pmix --nodes=2 --ntasks-per-node=1 '
            '--cpus-per-task=${SLURM_CPUS_PER_TASK:-1} --kill-on-bad-exit=1"') in text
    assert "srun --ntasks=1" not in text, "its retries run in its element, not in a step of their own"
    (call,) = element_calls(torch, site, PLACE, 1)
    assert "--mpi=none --nodes=2 --ntasks-per-node=2" in call.ranks
    local = render_call(local_call(torch, 1), torch, run_id=PLACE.run_id, run_dir=PLACE.run_dir, python="/py")
    assert 'export HPCFLOW_RANKS="/py -m hpcflow.runtime.spawn_ranks 4 torch --"' in local


def test_hpcflow_run_starts_every_rank_and_returns_rank_0s_value(hpcflow):
    res = hpcflow("run", f"{MULTINODE}:torch_wf", "--json")
    assert res.code == 0, res.stderr
    out = res.json["outputs"]["o0"]
    assert out["world"] == 4 and out["local_world"] == 4
    assert sorted(int(r.split("@")[0]) for r in out["others"]) == [1, 2, 3]


def test_a_failing_rank_fails_the_element_with_its_own_error(hpcflow):
    res = hpcflow("run", f"{MULTINODE}:failing_rank_wf", "--json")
    assert res.code != 0 and res.json["state"] == "FAILED"
    assert "rank 1 of 2: ValueError: rank one cannot go on" in res.json["error"]


def test_mpi_ranks_run_locally_under_mpiexec(hpcflow):
    res = hpcflow("run", f"{MULTINODE}:mpijob_wf", "-i", "x=3", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 6}


def test_in_process_the_function_runs_once_as_flytekits_local_run_does():
    spec = importlib.util.spec_from_file_location("multinode_in_process", MULTINODE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.mpijob_wf(x=3) == 3  # one process: the allreduce of a world of one
