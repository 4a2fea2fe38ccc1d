"""Leases (store/lease.py): a live holder keeps its lease past the expiry by its heartbeat; a
killed holder loses it about one expiry later, so nobody waits on the dead for long."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hpcflow.store.lease import Lease, LeaseTimeout

_HOLDER = """
import sys, time
from pathlib import Path
from hpcflow.store.lease import Lease
with Lease(Path(sys.argv[1]), expiry_s=float(sys.argv[2])):
    print("held", flush=True)
    time.sleep(120)
"""


def _holder(path: Path, expiry_s: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), str(expiry_s)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_live_holder_keeps_its_lease_past_the_expiry(tmp_path):
    holder = _holder(tmp_path / "lock", expiry_s=2)
    try:
        start = time.time()
        with pytest.raises(LeaseTimeout, match="held by another process"):
            with Lease(tmp_path / "lock", expiry_s=2, timeout_s=6):
                pass
        assert time.time() - start >= 6  # three expiries went by: the heartbeat kept it
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_loses_its_lease_about_one_expiry_later(tmp_path):
    holder = _holder(tmp_path / "lock", expiry_s=2)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    start = time.time()
    with Lease(tmp_path / "lock", expiry_s=2, timeout_s=60):
        waited = time.time() - start
    assert waited < 15  # about one expiry, not the 60 s timeout (nor the hour a fixed lifetime cost)
