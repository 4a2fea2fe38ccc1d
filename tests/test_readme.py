"""The README's first commands, as a user who installed the wheel types them."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

from paths import ROOT


def _hpcflow(args: list[str], cwd, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hpcflow.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_the_readmes_main_job_site_show_and_dry_run_work(runs_dir, tmp_path):
    readme = (ROOT / "README.md").read_text()
    first = re.search(r"^python3 -m venv .*$", readme, re.M).group(0)  # the README's command 1
    run = shlex.split(first.split("&&")[-1].strip())
    assert run[0] == ".venv/bin/hpcflow" and run[1] == "run", first
    env = dict(os.environ)
    res = _hpcflow([*run[1:], "--json"], ROOT, env)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["state"] == "SUCCEEDED"
    show = _hpcflow(["site", "show", "dev-cluster"], tmp_path, env)  # outside the checkout
    assert show.returncode == 0 and "site dev-cluster" in show.stdout and "partition cpu" in show.stdout, show.stderr
    dry = _hpcflow(["submit", f"{ROOT}/examples/partitioned_mean.py:partitioned_mean", "--site", "dev-cluster",
                    "--dry-run"], tmp_path, env)
    assert dry.returncode == 0 and dry.stdout.count("#!/bin/bash") == 3, dry.stderr
