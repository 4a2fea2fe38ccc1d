"""Code pinned at submit: elements import the copy of the workflow and the user's own modules
that was taken when the run was created, whatever happens to the sources afterwards."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from paths import ROOT
from run_records import element_status

SOURCES = ROOT / "tests" / "workflows" / "pinned"


def _project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    shutil.copytree(SOURCES, folder)
    return folder


def test_a_local_run_keeps_the_code_it_was_started_with(hpcflow, tmp_path):
    folder = _project(tmp_path)
    res = hpcflow("run", f"{folder}/pinned_wf.py:pinned", "-i", f"folder={folder}", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 2}  # not 1001, and no ImportError: the copy ran
    assert "x + 1000" in (folder / "pinned_wf.py").read_text() and not (folder / "pinned_helper.py").exists()


def test_the_run_directory_holds_the_code_and_the_environment(hpcflow, tmp_path, runs_dir):
    folder = _project(tmp_path)
    res = hpcflow("run", f"{folder}/pinned_wf.py:pinned", "-i", f"folder={folder}", "--json")
    assert res.code == 0, res.stderr
    run_dir = runs_dir / res.json["run_id"]
    assert sorted(p.name for p in (run_dir / "code").glob("*.py")) == ["pinned_helper.py", "pinned_wf.py"]
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["file"] == str(run_dir / "code" / "pinned_wf.py") and meta["source"] == str(folder / "pinned_wf.py")
    assert set(meta["environment"]) == {"python", "hpcflow", "packages"}


def test_only_the_users_own_modules_are_copied(monkeypatch):
    import importlib

    import numpy

    import hpcflow
    from hpcflow.runtime.pinning import own_modules

    monkeypatch.syspath_prepend(str(SOURCES))
    copied = own_modules(importlib.import_module("pinned_wf"))
    assert copied[SOURCES / "pinned_wf.py"] == Path("pinned_wf.py")
    assert copied[SOURCES / "pinned_helper.py"] == Path("pinned_helper.py")
    assert Path(numpy.__file__).resolve() not in copied and Path(json.__file__).resolve() not in copied
    package = Path(hpcflow.__file__).resolve().parent
    assert not any(p.is_relative_to(package) for p in copied)  # hpcflow itself stays where it is installed


def test_status_warns_when_elements_ran_under_another_environment(hpcflow, tmp_path, runs_dir):
    folder = _project(tmp_path)
    res = hpcflow("run", f"{folder}/pinned_wf.py:pinned", "-i", f"folder={folder}", "--json")
    assert res.code == 0, res.stderr
    run_dir = runs_dir / res.json["run_id"]
    meta = json.loads((run_dir / "run.json").read_text())
    ran_under = element_status(run_dir, "n0", 0)["environment"]
    assert ran_under == "/".join(meta["environment"][k] for k in ("python", "hpcflow", "packages"))
    quiet = hpcflow("status", res.json["run_id"])
    assert quiet.code == 0 and "warning" not in quiet.stderr
    meta["environment"]["packages"] = "0" * 16  # as if the venv had changed since the submit
    (run_dir / "run.json").write_text(json.dumps(meta))
    warned = hpcflow("status", res.json["run_id"], "--json")
    assert warned.code == 0
    assert "warning: n0[0] ran under another Python, hpcflow or set of installed packages" in warned.stderr
    assert [j["other_environment"] for j in warned.json["jobs"]] == [[0], [0]]


def test_the_pinned_code_is_compiled_once_at_submit_for_every_element_to_read(hpcflow, tmp_path, runs_dir,
                                                                              monkeypatch):
    import importlib.util
    import struct

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # no element may write it: they all read the submit's
    folder = _project(tmp_path)
    res = hpcflow("run", f"{folder}/pinned_wf.py:pinned", "-i", f"folder={folder}", "--json")
    assert res.code == 0, res.stderr
    for source in (runs_dir / res.json["run_id"] / "code").glob("*.py"):
        pyc = Path(importlib.util.cache_from_source(str(source))).read_bytes()
        flags, mtime, size = struct.unpack("<III", pyc[4:16])
        assert pyc[:4] == importlib.util.MAGIC_NUMBER and flags == 0  # what the import checks before using it
        assert (mtime, size) == (int(source.stat().st_mtime) & 0xFFFFFFFF, source.stat().st_size & 0xFFFFFFFF)
