"""container_image= on the test cluster: the function runs in its image (Charliecloud, the
dev-cluster site's [container]) inside the Slurm job, and its outputs flow on to jobs that run on
the host. The images come from scripts/test-image.sh; a missing one fails the test."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from slurm_helpers import ROOT, RUNS
from run_records import element_status

CASES = str(ROOT / "tests" / "workflows" / "containers.py")
IMAGE = Path("/var/lib/hpcflow-test-images/python")
MARKER = "hpcflow test image: only tasks that run inside it can read this"


@pytest.fixture(autouse=True)
def image() -> None:
    assert (IMAGE / "etc" / "hpcflow-test-image").exists(), f"no test image {IMAGE}; build it: sudo scripts/test-image.sh"


def test_a_task_runs_in_its_image_on_a_compute_node(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:in_image", "--site", "dev-cluster", "-i", "x=21", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": f"{MARKER}|42|host has the marker: False"}
    element = RUNS / res.json["run_id"] / "jobs" / "n0" / "0"
    status = element_status(RUNS / res.json["run_id"], "n0", 0)
    assert status["state"] == "SUCCEEDED" and status["host"].startswith("node")
    assert (element / "container" / "result.json").is_file()


def test_an_image_spec_runs_in_the_image_the_site_maps_it_to(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CASES}:spec_wf", "--site", "dev-cluster", "-i", "x=2", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": True, "o1": True, "o2": "inside"}
