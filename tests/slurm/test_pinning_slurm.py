"""Code pinned at submit, on Slurm: a queued element runs the code that was submitted, though
the workflow's file was edited and its helper module deleted after the submit."""
from __future__ import annotations

import shutil

from slurm_helpers import ROOT, RUNS


def test_editing_and_deleting_the_sources_after_submit_changes_nothing(hpcflow, slurm_env, tmp_path):
    folder = tmp_path / "project"
    shutil.copytree(ROOT / "tests" / "workflows" / "pinned", folder)
    res = hpcflow("submit", f"{folder}/pinned_wf.py:pinned", "--site", "dev-cluster", "-i", f"folder={folder}",
                  "--json")
    assert res.code == 0, res.stderr
    (folder / "pinned_wf.py").write_text("raise SystemExit('the source was replaced')\n")  # as the user edits on
    done = hpcflow("wait", res.json["run_id"], "--json")
    assert done.code == 0, done.stderr + done.stdout
    assert done.json["outputs"] == {"o0": 2}  # `vandal` deleted the helper too: the elements used the copy
    assert not (folder / "pinned_helper.py").exists()
    assert (RUNS / res.json["run_id"] / "code" / "pinned_helper.py").exists()
