"""Shared fixtures: a private runs directory and a helper that runs the hpcflow CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from paths import ROOT


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Tests leave nothing in the working tree: a Slurm log there fails the run."""
    left = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("slurm-*.out") if ".venv" not in p.parts)
    if left and not hasattr(session.config, "workerinput"):  # once, in the controlling process
        print(f"\ntests left Slurm logs in the working tree: {', '.join(left)}", file=sys.stderr)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test its own HPCFLOW_HOME: in-process calls of cached tasks use its cache, as hpcflow run does."""
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path / "home"))


@pytest.fixture
def runs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "runs"
    monkeypatch.setenv("HPCFLOW_RUNS_DIR", str(path))
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path / "home"))  # a private cache and run index
    return path


@pytest.fixture
def hpcflow(runs_dir: Path):
    """Run `hpcflow ARGS...` in a subprocess, as a user would."""

    def run(*args: str, timeout: float = 300) -> CliResult:
        env = dict(os.environ)
        proc = subprocess.run([sys.executable, "-m", "hpcflow.cli.main", *args], capture_output=True,
                              text=True, timeout=timeout, env=env, cwd=ROOT)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run
