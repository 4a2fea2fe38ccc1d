"""Environment(modules=, conda=, venv=, preamble=): the software a task's jobscript puts in place
after the site's preamble, run for real by `hpcflow run` (and on Slurm in tests/slurm/test_software_slurm.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from hpcflow import Environment
from hpcflow.errors import WorkflowDefinitionError
from paths import ROOT
from software_fixtures import make_module, make_venv

SOFTWARE = str(ROOT / "tests" / "workflows" / "software.py")


@pytest.fixture
def software(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_TEST_MODULEPATH", str(make_module(tmp_path / "mod")))
    monkeypatch.setenv("HF_TEST_VENV", str(make_venv(tmp_path / "venv", with_hpcflow=True)))
    return tmp_path


def test_a_module_puts_its_tool_on_the_tasks_path(hpcflow, software):
    res = hpcflow("run", f"{SOFTWARE}:tool_wf", "-i", "x=4", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": "hftool says 4"}


def test_a_venv_runs_the_element_with_its_python_and_the_preamble_after_it(hpcflow, software):
    res = hpcflow("run", f"{SOFTWARE}:venv_wf", "--json")
    assert res.code == 0, res.stderr
    venv = str(software / "venv")
    assert res.json["outputs"] == {"o0": f"{venv}|after activation: {venv}"}


def test_a_module_that_does_not_load_fails_the_element_with_one_line_saying_so(hpcflow, software):
    res = hpcflow("run", f"{SOFTWARE}:missing_module_wf", "--json")
    assert res.code != 0 and res.json["state"] == "FAILED"
    assert "environment 'missing': module load no-such-module/9 failed" in res.json["error"]
    assert res.stderr.strip().count("\n") == 0, "one line"


def test_a_venv_without_hpcflow_or_missing_fails_naming_it(hpcflow, software, monkeypatch):
    bare = make_venv(software / "bare", with_hpcflow=False)
    monkeypatch.setenv("HF_TEST_VENV", str(bare))
    res = hpcflow("run", f"{SOFTWARE}:venv_wf", "--json")
    assert res.json["state"] == "FAILED"
    assert f"environment ({bare}/bin/python) cannot import hpcflow; pip install hpcflow-slurm" in res.json["error"]
    monkeypatch.setenv("HF_TEST_VENV", str(software / "nowhere"))
    res = hpcflow("run", f"{SOFTWARE}:venv_wf", "--json")
    assert f"environment 'own-venv': there is no venv at {software / 'nowhere'}" in res.json["error"]


def test_conda_activation_lines_and_what_is_refused():
    lines = Environment("sim", conda="my-env", preamble="ulimit -s unlimited").software_lines()
    assert 'eval "$(conda shell.bash hook 2>/dev/null)" && conda activate my-env ||' in lines
    assert lines.endswith("ulimit -s unlimited")
    assert Environment("sim", conda="my-env").own_python and not Environment("m", modules=["gcc"]).own_python
    with pytest.raises(WorkflowDefinitionError, match="conda= or venv=, not both"):
        Environment("x", conda="a", venv="/b")
    with pytest.raises(WorkflowDefinitionError, match="modules= takes a list"):
        Environment("x", modules="gcc/12")
