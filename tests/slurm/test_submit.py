"""hpcflow submit on the real test cluster: arrays, dependencies, GPUs, failures, monitoring."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from slurm_helpers import ROOT, RUNS, dev_cluster_text, sacct_states, slurm_calls, wait_until

CASES = str(ROOT / "tests" / "workflows" / "slurm_cases.py")
EXAMPLES = [
    ("mean.py:mean_wf", ["n=2000", "seed=5"]),
    ("partitioned_mean.py:partitioned_mean", ["n=5000", "parts=4"]),
    ("nested_dynamic.py:nested_dynamic", []),
    ("nested_parallelism.py:chunked_sum_of_squares", []),
    ("resources.py:fit_line", ["n=40"]),
]


def _args(inputs: list[str]) -> list[str]:
    return sum((["-i", i] for i in inputs), [])


@pytest.mark.parametrize("target,inputs", EXAMPLES, ids=[e[0].split(":")[1] for e in EXAMPLES])
def test_examples_on_slurm_match_local_runs(hpcflow, slurm_env, target, inputs):
    local = hpcflow("run", f"examples/{target}", *_args(inputs), "--json")
    remote = hpcflow("submit", f"examples/{target}", "--site", "dev-cluster", *_args(inputs), "--wait", "--json")
    assert local.code == 0 and remote.code == 0, remote.stderr
    assert remote.json["state"] == "SUCCEEDED"
    assert remote.json["outputs"] == local.json["outputs"]


@pytest.mark.parametrize("n", [3, 40])
def test_k_map_stages_make_k_sbatch_calls_whatever_n(hpcflow, slurm_env, n):
    res = hpcflow("submit", f"{CASES}:three_stages", "--site", "dev-cluster", "-i", f"xs={list(range(n))}",
                  "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": [x + 3 for x in range(n)]}
    sbatch = [c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
    assert len(sbatch) == 3
    # element-wise chains: element i of a stage waits only for element i of the stage before
    run_dir = RUNS / res.json["run_id"]
    (stage2,) = [c for c in sbatch if c[-1] == str(run_dir / "jobs" / "n1" / "job.sh")]
    assert any(arg.startswith("--dependency=aftercorr:") for arg in stage2)
    assert f"--array=0-{n - 1}" in (run_dir / "jobs" / "n2" / "job.sh").read_text()


def test_a_map_sized_by_an_upstream_output_costs_no_job_of_its_own(hpcflow, slurm_env, tmp_path: Path):
    """partitioned_mean's map gets its length from `partition`: that job submits the array before
    it exits, so 4 nodes make 4 sbatch calls (no sizing job) and `combine` waits on the array."""
    site = tmp_path / "private-cache.toml"  # its tasks are cached: a cache of its own, so all of it runs
    site.write_text(dev_cluster_text())  # (its cache folder is the test's own)
    res = hpcflow("submit", "examples/partitioned_mean.py:partitioned_mean", "--site", str(site),
                  "-i", "n=5000", "-i", "parts=4", "-i", "seed=11", "--wait", "--json")
    assert res.code == 0, res.stderr
    local = hpcflow("run", "examples/partitioned_mean.py:partitioned_mean", "-i", "n=5000", "-i", "parts=4",
                    "-i", "seed=11", "--json")
    assert res.json["outputs"] == local.json["outputs"]
    sbatch = [c[-1] for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
    assert len(sbatch) == 4 and not any(path.endswith("expand.sh") for path in sbatch), sbatch
    run_dir = RUNS / res.json["run_id"]
    array = json.loads((run_dir / "jobs" / "n2" / "slurm.json").read_text())
    assert [r["role"] for r in array] == ["array"] and array[0]["count"] == 4


def test_gpu_task_lands_on_gpu_partition_with_cuda_visible_devices(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:gpu_wf", "--site", "dev-cluster", "--wait", "--json")
    assert res.code == 0, res.stderr
    partition, devices = res.json["outputs"]["o0"].split("|")
    assert partition == "gpu" and devices not in ("unset", "")
    script = (RUNS / res.json["run_id"] / "jobs" / "n0" / "job.sh").read_text()
    assert "--gres=gpu:1" in script and "--partition=gpu" in script


def test_no_process_left_after_submit_and_the_run_completes(hpcflow, slurm_env):
    env = {**os.environ, "HPCFLOW_HOME": os.environ["HPCFLOW_HOME"]}
    proc = subprocess.Popen([sys.executable, "-m", "hpcflow.cli.main", "submit", f"{CASES}:naps", "--site",
                             "dev-cluster", "-i", "xs=[1,1,1]", "--json"], stdout=subprocess.PIPE, text=True,
                            start_new_session=True, env=env, cwd=ROOT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    run_id = json.loads(out)["run_id"]
    left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert left == [], f"processes left behind by submit: {left}"
    status = hpcflow("status", run_id, "--json").json
    assert status["state"] in ("PENDING", "RUNNING")
    done = hpcflow("wait", run_id, "--json", "--timeout", "120")
    assert done.code == 0 and done.json["outputs"] == {"o0": 3}


def test_scancel_of_one_array_element_fails_the_run_and_cancels_downstream(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:naps", "--site", "dev-cluster", "-i", "xs=[1,1,60,1]", "--json")
    assert res.code == 0, res.stderr
    run_id, (array_id, downstream_id) = res.json["run_id"], res.json["jobs"]
    wait_until(lambda: sacct_states([array_id]).get(f"{array_id}_2", "").startswith("RUNNING"))
    subprocess.run(["scancel", f"{array_id}_2"], check=True)
    done = hpcflow("wait", run_id, "--json", "--timeout", "120")
    assert done.code == 1 and done.json["state"] == "FAILED"
    assert "n0[2]" in done.json["error"]
    wait_until(lambda: sacct_states([downstream_id]).get(str(downstream_id), "").startswith("CANCELLED"), timeout=30)
    # the run failed as soon as element 2 was cancelled; the elements already running finish
    status = wait_until(lambda: (lambda st: st if "RUNNING" not in st["jobs"][0]["counts"] else None)(
        hpcflow("status", run_id, "--json").json), timeout=60)
    assert status["state"] == "FAILED"
    assert status["jobs"][0]["counts"] == {"SUCCEEDED": 3, "CANCELLED": 1}
    assert status["jobs"][1]["counts"] == {"CANCELLED": 1}


def test_failed_sbatch_cancels_what_was_queued(hpcflow, slurm_env, tmp_path: Path):
    site = tmp_path / "ghost.toml"
    site.write_text(dev_cluster_text()
                    + '\n[partitions.ghost]\ncpus = 8\nmem = "16000M"\ngpus = 8\n')
    res = hpcflow("submit", f"{CASES}:cpu_then_greedy", "--site", str(site), "--json")
    assert res.code != 0
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and "submission failed: sbatch failed" in err[0] and "cancelled the 1 job(s)" in err[0]
    sbatch = [c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
    cancel = [c for c in slurm_calls(slurm_env) if c[0] == "scancel"]
    assert len(sbatch) == 2 and len(cancel) == 1
    first_id = int(cancel[0][1])
    wait_until(lambda: sacct_states([first_id]).get(str(first_id), "").startswith("CANCELLED"), timeout=30)
    run_dir = Path(sbatch[0][-1]).parents[2]
    assert json.loads((run_dir / "state.json").read_text())["state"] == "FAILED"


def test_status_uses_one_squeue_and_one_sacct_call(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:three_stages", "--site", "dev-cluster", "-i", "xs=[1,2,3,4,5]", "--json")
    before = len(slurm_calls(slurm_env))
    status = hpcflow("status", res.json["run_id"])
    assert status.code == 0 and "map_inc" in status.stdout
    calls = [c[0] for c in slurm_calls(slurm_env)[before:]]
    # sacct only when an element ended without its own record; [] once the run was already recorded as finished
    assert sorted(calls) in (["sacct", "squeue"], ["squeue"], [])
    hpcflow("wait", res.json["run_id"], "--timeout", "120")


def test_recursive_dynamic_on_slurm(hpcflow, slurm_env):
    docs = ROOT / "tests" / "flytekit_docs"
    expected = json.loads((docs / "expected_flytekit.json").read_text())["flyte_merge_sort.py"]["merge_sort"]
    args = sum((["-i", f"{k}={json.dumps(v)}"] for k, v in expected["kwargs"].items()), [])
    res = hpcflow("submit", f"{docs}/flyte_merge_sort.py:merge_sort", "--site", "dev-cluster", *args, "--wait", "--json",
                  timeout=600)
    assert res.code == 0, res.stderr
    assert res.json["outputs"]["o0"] == expected["result"]


def test_cancel_command_cancels_the_run(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:naps", "--site", "dev-cluster", "-i", "xs=[30,30]", "--json")
    ids = res.json["jobs"]
    assert hpcflow("cancel", res.json["run_id"]).code == 0
    wait_until(lambda: all(s.startswith("CANCELLED") for s in sacct_states(ids).values()), timeout=30)
    assert hpcflow("status", res.json["run_id"], "--json").json["state"] == "CANCELLED"


def test_map_larger_than_max_array_size_is_chunked(hpcflow, slurm_env, tmp_path: Path):
    site = tmp_path / "small-arrays.toml"
    site.write_text(dev_cluster_text().replace(
        "max_array_size = 1001", "max_array_size = 4"))
    res = hpcflow("submit", f"{CASES}:three_stages", "--site", str(site), "-i", f"xs={list(range(10))}", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": [x + 3 for x in range(10)]}
    sbatch = [c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
    assert len(sbatch) == 3 * 3  # three stages of 10 elements, in chunks of 4, 4 and 2
    assert any(c[-1].endswith("job-chunk2.sh") for c in sbatch)


def test_dry_run_prints_plan_and_scripts_and_submits_nothing(hpcflow, slurm_env):
    res = hpcflow("submit", "examples/partitioned_mean.py:partitioned_mean", "--site", "dev-cluster", "--dry-run")
    assert res.code == 0, res.stderr
    assert "## n2 (map_partial_sum): map, elements: decided at run time" in res.stdout
    assert res.stdout.count("#!/bin/bash") == 3 and "sbatch --dependency=afterok:<n2> --kill-on-invalid-dep=yes" in res.stdout
    assert "until then <n2> stands for <n1>" in res.stdout
    assert slurm_calls(slurm_env) == []


def test_site_check_against_the_live_cluster(hpcflow, tmp_path: Path):
    ok = hpcflow("site", "check", "dev-cluster")
    assert ok.code == 0 and "matches the cluster" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(dev_cluster_text()
                   .replace('[partitions.gpu]\ncpus = 8', '[partitions.gpu]\ncpus = 64')
                   + '\n[partitions.bigmem]\ncpus = 8\nmem = "1Ti"\n')
    res = hpcflow("site", "check", str(bad))
    assert res.code == 1
    assert "partition 'gpu': config says 64 cpus per node, the cluster has 8" in res.stdout
    assert "partition 'bigmem' does not exist on the cluster" in res.stdout


@pytest.mark.parametrize("module,wf_name", [("flyte_subworkflow_guide", "nested_regression_line_lp"),
                                            ("flyte_nested_parallelism", "multi_wf")])
def test_guide_code_with_launch_plans_on_slurm_gives_flytekits_answers(hpcflow, slurm_env, module, wf_name):
    """A launch plan called from a workflow, and from inside a @dynamic (the guide's nested parallelism)."""
    docs = ROOT / "tests" / "flytekit_docs"
    expected = json.loads((docs / "expected_flytekit.json").read_text())[f"{module}.py"][wf_name]
    args = sum((["-i", f"{k}={json.dumps(v)}"] for k, v in expected["kwargs"].items()), [])
    res = hpcflow("submit", f"{docs}/{module}.py:{wf_name}", "--site", "dev-cluster", *args, "--wait", "--json",
                  timeout=600)
    assert res.code == 0, res.stderr
    assert res.json["outputs"]["o0"] == expected["result"]


@pytest.mark.parametrize("wf_name,key", [("nested_conditions", "nested_conditions#1"), ("boolean_wf", "boolean_wf")])
def test_guide_conditionals_on_slurm_give_flytekits_answers(hpcflow, slurm_env, wf_name, key):
    """The branch taken runs as a sub-run submitted by the conditional's own job; the others never run."""
    docs = ROOT / "tests" / "flytekit_docs"
    case = json.loads((docs / "expected_conditional.json").read_text())["cases"][key]
    args = sum((["-i", f"{k}={json.dumps(v)}"] for k, v in case["kwargs"].items()), [])
    res = hpcflow("submit", f"{docs}/flyte_conditional.py:{wf_name}", "--site", "dev-cluster", *args, "--wait", "--json",
                  timeout=600)
    assert res.code == 0, res.stderr
    assert res.json["outputs"]["o0"] == pytest.approx(case["result"])


def test_a_timeout_over_every_partitions_max_time_is_refused_before_anything_is_queued(hpcflow, slurm_env):
    """The test cluster's partitions have a real MaxTime (scripts/dev-cluster.sh): cpu 2 days, gpu and preempt 1."""
    res = hpcflow("submit", f"{CASES}:longer_than_any_partition", "--site", "dev-cluster")
    assert res.code == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "(three_days) asks for 1 cpus for 72.02 h" in res.stderr
    assert "cpu: MaxTime 48.00 h; gpu: MaxTime 24.00 h; preempt: MaxTime 24.00 h" in res.stderr
    assert "nothing had been queued" in res.stderr
    assert [c for c in slurm_calls(slurm_env) if c[0] == "sbatch"] == []
    dry = hpcflow("submit", f"{CASES}:longer_than_any_partition", "--site", "dev-cluster", "--dry-run")
    assert dry.code == 1 and "no partition of site 'dev-cluster' fits" in dry.stderr
