"""Tasks with container_image= run inside their image with Charliecloud, through `hpcflow run`.

The images come from scripts/test-image.sh (scripts/test.sh runs it as root); a missing image
fails these tests, it never skips them."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from paths import ROOT
from run_records import element_status
from run_records import element_error

CASES = str(ROOT / "tests" / "workflows" / "containers.py")
IMAGES = Path("/var/lib/hpcflow-test-images")
MARKER = "hpcflow test image: only tasks that run inside it can read this"


@pytest.fixture(autouse=True)
def images() -> None:
    missing = [str(IMAGES / name) for name in ("python/etc/hpcflow-test-image", "busybox/bin/busybox")
               if not (IMAGES / name).exists()]
    assert not missing, f"test images missing ({', '.join(missing)}); build them with: sudo scripts/test-image.sh"


def _site(tmp_path: Path, container: str) -> Path:
    """A local site with its own runs and cache folders and this [container] table."""
    site = tmp_path / "laptop.toml"
    site.write_text(f'scheduler = "local"\nruns_dir = "{tmp_path}/site-runs"\ncache_dir = "{tmp_path}/site-cache"\n'
                    f"{container}\n")
    return site


def test_a_task_runs_in_its_image_and_its_outputs_flow_to_a_task_on_the_host(hpcflow, runs_dir: Path):
    res = hpcflow("run", f"{CASES}:in_image", "-i", "x=4", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": f"{MARKER}|8|host has the marker: False"}
    element = runs_dir / res.json["run_id"] / "jobs" / "n0" / "0"
    assert element_status(runs_dir / res.json["run_id"], "n0", 0)["state"] == "SUCCEEDED"
    assert json.loads((element / "container" / "call.json").read_text())["inputs"] == {"x": 4}
    assert not (runs_dir / res.json["run_id"] / "jobs" / "n1" / "0" / "container").exists()


def test_an_image_spec_mapped_by_the_site_runs_there_with_the_tasks_environment(hpcflow, runs_dir: Path,
                                                                                 tmp_path: Path):
    site = _site(tmp_path, f'[container]\nruntime = "charliecloud"\n[container.images]\n'
                           f'"hpcflow-test" = "{IMAGES}/python"\n')
    res = hpcflow("run", f"{CASES}:spec_wf", "-i", "x=7", "--site", str(site), "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": True, "o1": True, "o2": "inside"}  # is_container() is True inside
    (written,) = runs_dir.glob("*/jobs/n0/0/work/written-inside")
    assert written.read_text() == "7"


def test_an_image_spec_without_a_mapping_fails_before_anything_runs(hpcflow, runs_dir: Path, tmp_path: Path):
    site = _site(tmp_path, '[container]\nruntime = "charliecloud"\n')
    res = hpcflow("run", f"{CASES}:spec_wf", "--site", str(site), "--json")
    assert res.code != 0 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "ImageSpec 'hpcflow-test' has no local image" in res.stderr and '[container.images] "hpcflow-test"' in res.stderr
    assert not runs_dir.exists()


def test_a_site_without_a_container_runtime_is_refused_at_once(hpcflow, tmp_path: Path):
    site = _site(tmp_path, "")
    res = hpcflow("run", f"{CASES}:in_image", "--site", str(site), "--json")
    assert res.code != 0 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "has no container runtime; add to it: [container]" in res.stderr


def test_a_registry_image_needs_a_local_copy(hpcflow):
    res = hpcflow("run", f"{CASES}:registry_wf", "--json")
    assert res.code != 0 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "hpcflow builds and pulls no images" in res.stderr and "apptainer build" in res.stderr


def test_with_overrides_puts_one_call_in_an_image(hpcflow):
    res = hpcflow("run", f"{CASES}:overridden", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": False, "o1": True}


def test_a_dynamics_mapped_tasks_run_in_their_image(hpcflow):
    res = hpcflow("run", f"{CASES}:dynamic_wf", "-i", "n=4", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": [0, 1, 4, 9]}


def test_an_image_without_python_is_one_line_naming_the_image(hpcflow, runs_dir: Path):
    res = hpcflow("run", f"{CASES}:no_python_wf", "--json")
    assert res.code == 1 and res.json["state"] == "FAILED"
    status = element_status(runs_dir / res.json["run_id"], "n0", 0)
    assert status["error"] == (f"ContainerError: image {IMAGES}/busybox has no python3; use an image with Python "
                               "and hpcflow-slurm installed")


def test_an_image_without_hpcflow_says_to_install_it(hpcflow, runs_dir: Path, tmp_path: Path):
    site = _site(tmp_path, '[container]\nruntime = "charliecloud"\npython = "python3 -S"\n')  # no dist-packages
    res = hpcflow("run", f"{CASES}:in_image", "--site", str(site), "--json")
    assert res.code == 1 and res.json["state"] == "FAILED"
    status = element_status(runs_dir / res.json["run_id"], "n0", 0)
    assert status["error"] == (f"ContainerError: hpcflow is not importable in image {IMAGES}/python by python3 -S; "
                               "install hpcflow-slurm in the image")


def test_an_error_inside_the_image_keeps_its_name_and_traceback(hpcflow, runs_dir: Path):
    res = hpcflow("run", f"{CASES}:raises_wf", "-i", "x=5", "--json")
    assert res.code == 1
    assert element_status(runs_dir / res.json["run_id"], "n0", 0)["error"] == "ValueError: no good: 5"
    error = element_error(runs_dir / res.json["run_id"], "n0", 0)
    assert 'raise ValueError(f"no good: {x}")' in error and "code/containers.py" in error


def _processes_running(needle: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if needle in cmdline.read_bytes().decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:  # it ended while we looked
            pass
    return found


def test_a_timeout_stops_the_container(hpcflow, runs_dir: Path):
    started = time.time()
    res = hpcflow("run", f"{CASES}:sleeps_wf", "--json")
    assert res.code == 1 and "TIMEOUT" in res.json["error"], res.stdout + res.stderr
    assert time.time() - started < 120
    call = str(runs_dir / res.json["run_id"] / "jobs" / "n0" / "0" / "container" / "call.json")
    deadline = time.time() + 30
    while _processes_running(call) and time.time() < deadline:
        time.sleep(0.1)
    assert not _processes_running(call), "the container outlived its task's timeout"


def test_in_process_calls_ignore_the_image():
    import importlib.util

    spec = importlib.util.spec_from_file_location("containers_in_process", CASES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.overridden() == (False, False)
    assert module.spec_wf(x=1)[:2] == (False, False)
    assert os.environ.get("HPCFLOW_CONTAINER_IMAGE") is None
