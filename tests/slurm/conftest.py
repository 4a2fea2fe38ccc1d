"""Slurm tests run against the real test cluster (scripts/dev-cluster.sh). They fail, never skip,
when it cannot be reached."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def cluster() -> None:
    try:
        out = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=10).stdout
    except (FileNotFoundError, subprocess.TimeoutExpired):
        out = ""
    if "UP" not in out:
        pytest.fail("the test Slurm cluster is not reachable; start it with: sudo scripts/dev-cluster.sh")


@pytest.fixture
def slurm_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HPCFLOW_HOME and a log of every Slurm command hpcflow runs."""
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path / "home"))
    log = tmp_path / "slurm-calls.jsonl"
    monkeypatch.setenv("HPCFLOW_SLURM_CALL_LOG", str(log))
    return log
