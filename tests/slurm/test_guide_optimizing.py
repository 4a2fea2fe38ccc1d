"""Flyte's guide on optimizing tasks, its code with only the import lines changed (tests/workflows/guide_optimizing.py):
a task in a container image, then PyTorch(num_workers=2) training across three nodes in another, with the answer of
the in-process run."""
from __future__ import annotations

import importlib.util

from slurm_helpers import ROOT, RUNS

GUIDE = ROOT / "tests" / "workflows" / "guide_optimizing.py"
EXPECTED = {"weights": [1.5, -2.0, 0.5, 0.25]}


def _in_process() -> dict:
    spec = importlib.util.spec_from_file_location("guide_optimizing_in_process", GUIDE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.train()


def test_the_guides_training_runs_in_process_locally_and_across_three_nodes_with_one_answer(hpcflow, slurm_env):
    here = _in_process()  # images and task_config ignored, as flytekit's local run does: one process
    assert here == {**EXPECTED, "world": 1}
    local = hpcflow("run", f"{GUIDE}:train", "--site", "dev-cluster", "--json")  # ranks on this machine, in images
    assert local.code == 0, local.stderr
    assert local.json["outputs"]["o0"] == {**EXPECTED, "world": 3}
    res = hpcflow("submit", f"{GUIDE}:train", "--site", "dev-cluster", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"]["o0"] == {**EXPECTED, "world": 3}, "a master and two workers, gradients averaged"
    script = (RUNS / res.json["run_id"] / "jobs" / "n1" / "job.sh").read_text()
    assert "#SBATCH --nodes=3" in script and "#SBATCH --gres=gpu:1" in script and "--partition=gpu" in script
    assert 'HPCFLOW_RANKS="srun --mpi=none --nodes=3 --ntasks-per-node=1' in script
    assert "#SBATCH --mem=16384M" in (RUNS / res.json["run_id"] / "jobs" / "n0" / "job.sh").read_text()
