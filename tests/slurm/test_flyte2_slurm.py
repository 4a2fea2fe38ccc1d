"""Flyte 2's guide code on the test cluster (tests/workflows/flyte2_guide.py, only `import flyte` changed): the
root's body runs in a job and its children in a wave, one array of batches, on the environment's warm workers
(reuse_policy); the answers are those of the local run."""
from __future__ import annotations

import importlib.util
import json

from slurm_helpers import ROOT, RUNS

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
        finally:  # the guide's pool stays up for an hour of idleness (idle_ttl): its run's cancel ends it
            hpcflow("cancel", res.json["run_id"])
