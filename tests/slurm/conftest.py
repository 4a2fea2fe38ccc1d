"""Slurm tests run against the real test cluster (scripts/dev-cluster.sh). They fail, never skip,
when it cannot be reached.

Slurm tests run side by side (pytest-xdist) where the cluster has room. A test marked
`exclusive` needs the whole cluster (it fills the node to force a preemption, say): it takes
the cluster lock exclusively, so it runs only while no other Slurm test does; the others
share the lock.
"""
from __future__ import annotations

import fcntl
import getpass
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

CLUSTER_LOCK = Path(tempfile.gettempdir()) / f"hpcflow-tests-cluster-{getpass.getuser()}.lock"  # this user's test runs


@pytest.fixture(scope="session", autouse=True)
def cluster() -> None:
    try:
        out = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=10).stdout
    except (FileNotFoundError, subprocess.TimeoutExpired):
        out = ""
    if "UP" not in out:
        pytest.fail("the test Slurm cluster is not reachable; start it with: sudo scripts/dev-cluster.sh")


@pytest.fixture(autouse=True)
def cluster_share(request: pytest.FixtureRequest) -> Iterator[None]:
    """Hold the cluster lock, shared or (for `exclusive` tests) alone, for the test's duration."""
    mode = fcntl.LOCK_EX if request.node.get_closest_marker("exclusive") else fcntl.LOCK_SH
    with open(CLUSTER_LOCK, "a+") as fh:
        fcntl.flock(fh, mode)  # released when the file closes
        yield


@pytest.fixture
def slurm_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HPCFLOW_HOME and a log of every Slurm command hpcflow runs."""
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path / "home"))
    log = tmp_path / "slurm-calls.jsonl"
    monkeypatch.setenv("HPCFLOW_SLURM_CALL_LOG", str(log))
    return log
