"""Another user (root, a colleague) looking at my run reads it and writes nothing into it, so my
own `status` and `outputs` keep working (tests/other_user.py runs commands as a second user)."""
from __future__ import annotations

import re
import sys

from other_user import require_other_user, run_as_other
from slurm_helpers import ROOT, RUNS


def test_a_colleague_checking_my_run_writes_nothing_into_it(hpcflow, slurm_env, tmp_path):
    require_other_user()
    # held: nothing runs, so the run directory changes only if someone writes; and where the
    # colleague can read it (a test's tmp_path is private)
    site = RUNS.parent / f"held-{tmp_path.name}.toml"
    site.write_text(re.sub(r"^time_margin", 'extra_directives = ["--hold"]\ntime_margin',
                           (ROOT / "site-configs" / "dev-cluster.toml").read_text(), count=1, flags=re.M))
    res = hpcflow("submit", f"{ROOT}/tests/workflows/slurm_cases.py:three_stages", "--site", str(site),
                  "-i", "xs=[1,2]", "--json")
    assert res.code == 0, res.stderr
    run_dir = RUNS / res.json["run_id"]
    try:
        before = {p: p.stat().st_mtime for p in run_dir.rglob("*")}
        look = run_as_other([sys.executable, "-m", "hpcflow.cli.main", "status", str(run_dir), "--json"])
        assert look.returncode == 0, look.stderr
        assert '"state": "PENDING"' in look.stdout
        assert {p: p.stat().st_mtime for p in run_dir.rglob("*")} == before  # nothing new, nothing rewritten
        mine = hpcflow("status", res.json["run_id"], "--json")
        assert mine.code == 0 and mine.json["state"] == "PENDING", mine.stderr
    finally:
        hpcflow("cancel", res.json["run_id"])
        site.unlink()


def test_a_file_of_someone_else_is_a_one_line_error_not_a_traceback(hpcflow, slurm_env, tmp_path):
    require_other_user()
    site = tmp_path / "private.toml"  # in my private tmp_path: the colleague cannot read it
    site.write_text((ROOT / "site-configs" / "dev-cluster.toml").read_text())
    look = run_as_other([sys.executable, "-m", "hpcflow.cli.main", "site", "show", str(site)])
    assert look.returncode == 1 and "Traceback" not in look.stderr
    assert look.stderr.startswith("error: ") and "permission denied" in look.stderr and look.stderr.count("\n") == 1
