"""Flyte 2's guide code on the test cluster (tests/workflows/flyte2_guide.py, only `import flyte` changed): the
root's body runs in a job and its children in a wave, one array of batches, on the environment's warm workers
(reuse_policy); the answers are those of the local run."""
from __future__ import annotations

import importlib.util
import json
import subprocess

from slurm_helpers import ROOT, RUNS, wait_until

GUIDE = ROOT / "tests" / "workflows" / "flyte2_guide.py"
ITEMS = [{"id": i} for i in range(300)]


def _local(name: str) -> list:
    spec = importlib.util.spec_from_file_location("flyte2_guide_local", GUIDE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.flyte.run(getattr(module, name), items=ITEMS).outputs()[0])


def test_the_guides_batches_run_as_one_wave_with_the_local_runs_answer(hpcflow, slurm_env):
    for name in ("process_dataset", "process_dataset_mapped"):  # one after the other: each starts its own pool
        res = hpcflow("submit", f"{GUIDE}:{name}", "--site", "dev-cluster", "-i", f"items={json.dumps(ITEMS)}",
                      "--wait", "--json", timeout=600)
        try:
            assert res.code == 0, res.stderr
            assert res.json["outputs"]["o0"] == _local(name) == [{"processed": i} for i in range(300)]
            status = hpcflow("status", res.json["run_id"]).stdout
            batches = [line.split() for line in status.splitlines() if "map_high-throughput.process_batch" in line]
            assert len(batches) == 1 and batches[0][3] == "3", status  # 300 items in batches of 100: one array
            assert list((RUNS / res.json["run_id"]).glob("pools/high-throughput*")), "they ran on warm workers"
            # the guide's idle_ttl is an hour, but the pool serves one run: once the run has ended it leaves
            name = f"hf-{res.json['run_id']}"
            wait_until(lambda: not subprocess.run(["squeue", "-h", f"--name={name}"], capture_output=True,
                                                  text=True, check=True).stdout.strip(), timeout=120, interval=1)
        finally:  # a failed assertion must not leave the pool holding CPUs for the hour
            hpcflow("cancel", res.json["run_id"])


def test_the_guides_trace_and_sync_map_examples_give_the_local_runs_answers(hpcflow, slurm_env):
    import hpcflow as flyte

    spec = importlib.util.spec_from_file_location("flyte2_guide_local", GUIDE)
    guide = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guide)
    data = {"url": "https://example.com/a", "n": 21}
    cases = [("expensive_computation", {"input_data": data}), ("sum_of_squares", {"n": 12})]
    for name, inputs in cases:
        local = flyte.run(getattr(guide, name), **inputs).outputs()[0]
        args = [a for k, v in inputs.items() for a in ("-i", f"{k}={json.dumps(v)}")]
        res = hpcflow("submit", f"{GUIDE}:{name}", "--site", "dev-cluster", *args, "--wait", "--json", timeout=300)
        assert res.code == 0, res.stderr
        assert res.json["outputs"]["o0"] == local, name
    assert local == sum(i * i for i in range(12))


REMOTE = ROOT / "tests" / "workflows" / "flyte2_remote.py"


def test_flyte_run_after_init_from_config_naming_a_site_submits_to_slurm(hpcflow, slurm_env, tmp_path):
    """A user's script, run as `python script.py`: init_from_config(site) makes flyte.run a Slurm run (the
    Python API's Run, read as Flyte 2's), and the script's __main__ block does not run again in the jobs."""
    import os
    import subprocess
    import sys

    from hpcflow.site.config import resolve_site_path

    out = subprocess.run([sys.executable, str(REMOTE), str(resolve_site_path("dev-cluster")), "7"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path, env=os.environ)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    run_id, phase = lines["submitted"].split()
    assert phase in ("QUEUED", "RUNNING")
    assert lines["outputs"] == "91 91 SUCCEEDED True"
    status = hpcflow("status", run_id, "--json").json
    assert status["state"] == "SUCCEEDED"
    assert [j["size"] for j in status["jobs"] if j["name"] == "map_remote.square"] == [7]  # one array of 7
    assert lines.keys() == {"submitted", "outputs"}  # the jobs did not print: __main__ ran only here


def test_a_sync_parent_calling_in_a_loop_runs_a_wave_per_call_and_its_broad_except_catches_nothing(
        hpcflow, slurm_env):
    res = hpcflow("submit", f"{REMOTE}:one_at_a_time", "--site", "dev-cluster", "-i", "n=3", "--wait", "--json",
                  timeout=300)
    assert res.code == 0, res.stderr
    assert res.json["outputs"]["o0"] == [0, 1, 8]
    jobs = hpcflow("status", res.json["run_id"], "--json").json["jobs"]
    assert sum(j["name"] == "map_remote.cube" for j in jobs) == 3  # three waves of one call each
