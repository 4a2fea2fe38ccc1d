"""Leases: lock files whose holder keeps them alive, so a killed holder never blocks others for long.

filelock's SoftFileLease: an existence lock (a marker file created exclusively, which works on
NFS, where flock may be a no-op), refreshed by a heartbeat thread of its holder for as long as
it holds it. Once a holder stops refreshing (killed, its node lost), the lease expires after
`expiry_s` and the next taker breaks it, race-free; a long computation under a lease (a
`cache_serialize` task running for hours) keeps it however long it takes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import filelock

from hpcflow.errors import HpcflowError


class LeaseTimeout(HpcflowError):
    """A lease could not be taken in time."""


class Lease:
    """`with Lease(path):` holds the lease file for the block."""

    def __init__(self, path: Path, expiry_s: float = 60.0, timeout_s: float = 900.0):
        self.path, self.expiry_s, self.timeout_s = Path(path), expiry_s, timeout_s
        self._lock: filelock.SoftFileLease | None = None

    def __enter__(self) -> "Lease":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = filelock.SoftFileLease(str(self.path), lease_duration=self.expiry_s, timeout=self.timeout_s)
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise LeaseTimeout(f"{self.path} is held by another process; waited {self.timeout_s:.0f} s (a holder "
                               f"that died loses it {self.expiry_s:.0f} s after its last heartbeat)") from None
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
