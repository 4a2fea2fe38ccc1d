"""Environment(modules=, venv=) on the test cluster: the jobscript loads the module and activates the
venv on the node, whose python then runs the element."""
from __future__ import annotations

from pathlib import Path

from slurm_helpers import ROOT
from software_fixtures import make_module, make_venv

SOFTWARE = str(ROOT / "tests" / "workflows" / "software.py")


def test_a_tasks_module_and_venv_are_its_software_on_the_node(hpcflow, slurm_env, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HF_TEST_MODULEPATH", str(make_module(tmp_path / "mod")))
    monkeypatch.setenv("HF_TEST_VENV", str(make_venv(tmp_path / "venv", with_hpcflow=True)))
    tool = hpcflow("submit", SOFTWARE + ":tool_wf", "--site", "dev-cluster", "-i", "x=7", "--wait", "--json")
    assert tool.code == 0, tool.stderr
    assert tool.json["outputs"] == {"o0": "hftool says 7"}
    venv = hpcflow("submit", SOFTWARE + ":venv_wf", "--site", "dev-cluster", "--wait", "--json")
    assert venv.code == 0, venv.stderr
    assert venv.json["outputs"] == {"o0": f"{tmp_path / 'venv'}|after activation: {tmp_path / 'venv'}"}
