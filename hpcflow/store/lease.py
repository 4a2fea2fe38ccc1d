"""Leases: lock files that expire, so a killed holder never blocks others for ever.

Made with O_CREAT|O_EXCL (atomic on local filesystems and NFSv3+), not flock, which is a
no-op on some NFS mounts. A holder past its expiry is presumed dead and its lease is broken.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import time
from pathlib import Path
from typing import Any

from hpcflow.errors import HpcflowError


class LeaseTimeout(HpcflowError):
    """A lease could not be taken in time."""


class Lease:
    """`with Lease(path, ttl_s=...):` holds the lease file for the block."""

    def __init__(self, path: Path, ttl_s: float = 600.0, timeout_s: float = 900.0, poll_s: float = 0.05):
        self.path, self.ttl_s, self.timeout_s, self.poll_s = Path(path), ttl_s, timeout_s, poll_s
        self.token = secrets.token_hex(8)

    def __enter__(self) -> "Lease":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.time() + self.timeout_s
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._break_if_expired()
                if time.time() > deadline:
                    holder = self._holder() or {}
                    raise LeaseTimeout(f"{self.path} is held by {holder.get('host', '?')}:{holder.get('pid', '?')}; "
                                       f"waited {self.timeout_s:.0f} s (it expires on its own after {self.ttl_s:.0f} s)")
                time.sleep(self.poll_s)
                continue
            with os.fdopen(fd, "w") as fh:
                json.dump({"host": socket.gethostname(), "pid": os.getpid(), "token": self.token,
                           "expires": time.time() + self.ttl_s}, fh)
            return self

    def __exit__(self, *exc: Any) -> None:
        holder = self._holder()
        if holder and holder.get("token") == self.token:
            self.path.unlink(missing_ok=True)

    def _holder(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def _break_if_expired(self) -> None:
        holder = self._holder()
        if holder is None:
            # being written right now, or half-written by a holder that died: judge by age
            try:
                if time.time() - self.path.stat().st_mtime < 5.0:
                    return
            except FileNotFoundError:
                return
        elif holder.get("expires", 0) > time.time():
            return
        stale = self.path.with_name(f"{self.path.name}.stale-{secrets.token_hex(4)}")
        try:
            os.rename(self.path, stale)  # only one breaker wins the rename
            stale.unlink(missing_ok=True)
        except FileNotFoundError:
            pass
