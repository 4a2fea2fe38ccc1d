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
import time
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
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
def cluster_share(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    """Hold the cluster lock, shared or (for `exclusive` tests) alone, for the test's duration.

    A test may end while jobs of its runs still run or wait (a run it only polled for a while); they
    are cancelled when it ends, so they hold no room that a later test counts on."""
    exclusive = request.node.get_closest_marker("exclusive") is not None
    with open(CLUSTER_LOCK, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)  # released when the file closes
        if exclusive:
            _wait_for_an_empty_queue()
        try:
            yield
        finally:
            _cancel_the_runs_of(tmp_path / "home")


def _cancel_the_runs_of(home: Path) -> None:
    """scancel every job of the runs submitted with this HPCFLOW_HOME (its index names them)."""
    for entry in sorted((home / "index").glob("*.json")):
        subprocess.run(["scancel", f"--name=hf-{entry.stem}", "-u", getpass.getuser()], capture_output=True)


def _wait_for_an_empty_queue(timeout: float = 120) -> None:
    """Cancelled jobs take a moment to leave the queue; a job that stays is another test's leak."""
    deadline = time.monotonic() + timeout
    while True:
        left = subprocess.run(["squeue", "-h", "-o", "%i %u %j %T"], capture_output=True, text=True).stdout.strip()
        if not left:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"an exclusive test needs the whole cluster, but these jobs stay queued: {left}")
        time.sleep(0.5)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--site dev-cluster` names a copy of the site whose cache folder is the test's own. The shared
    one keeps what earlier runs' elements cost (runtime/timings.py), and a map with a known cost is
    batched (core/batching.py): what a test's maps do must not hang on which tests, of this session
    or another, ran the same task before it. (Its runs_dir stays the shared one that RUNS names.)"""
    text = (ROOT / "site-configs" / "dev-cluster.toml").read_text()
    shared = 'cache_dir = "/var/tmp/hpcflow-$USER/cache"'
    assert shared in text, "dev-cluster.toml no longer names its cache as this fixture expects"
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "dev-cluster.toml").write_text(text.replace(shared, f'cache_dir = "{tmp_path / "site-cache"}"'))
    monkeypatch.setenv("HPCFLOW_SITE_DIRS", str(sites))  # looked up before the site-configs/ shipped


@pytest.fixture
def slurm_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HPCFLOW_HOME and a log of every Slurm command hpcflow runs."""
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path / "home"))
    log = tmp_path / "slurm-calls.jsonl"
    monkeypatch.setenv("HPCFLOW_SLURM_CALL_LOG", str(log))
    return log
