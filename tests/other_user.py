"""Running commands as a second real user, for the tests of what users share.

The user (HPCFLOW_TEST_OTHER_USER, default hpcflow-ci2) and the group it shares with the test
user (HPCFLOW_TEST_SHARE_GROUP, default hpcflow-share) come from
`scripts/dev-cluster.sh --user ME --user OTHER --share-group GROUP`; commands run as that user
with runuser when the tests run as root, else with `sudo -n -u OTHER` (.ci/run allows it).
"""
from __future__ import annotations

import grp
import os
import pwd
import subprocess

import pytest

OTHER = os.environ.get("HPCFLOW_TEST_OTHER_USER", "hpcflow-ci2")
GROUP = os.environ.get("HPCFLOW_TEST_SHARE_GROUP", "hpcflow-share")
SETUP = (f"as root: scripts/dev-cluster.sh --enforce-memory --user {pwd.getpwuid(os.getuid()).pw_name} "
         f"--user {OTHER} --share-group {GROUP} (and, unless you are root, a sudo rule to run as {OTHER})")


def run_as_other(argv: list[str], env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `argv` as the other user, with this PATH and `env` on top of a clean environment."""
    prefix = ["runuser", "-u", OTHER, "--"] if os.getuid() == 0 else ["sudo", "-n", "-u", OTHER, "--"]
    settings = [f"{k}={v}" for k, v in (env or {}).items()]
    return subprocess.run([*prefix, "env", f"PATH={os.environ.get('PATH', '/usr/bin:/bin')}", "PYTHONSAFEPATH=1",
                           *settings, *argv], capture_output=True, text=True, timeout=timeout, cwd="/")


def require_other_user() -> int:
    """The shared group's gid; the test fails (never skips) with what to do when the setup is missing."""
    try:
        gid = grp.getgrnam(GROUP).gr_gid
        pwd.getpwnam(OTHER)
    except KeyError:
        pytest.fail(f"no user {OTHER} or group {GROUP}; {SETUP}")
    if run_as_other(["true"]).returncode != 0:
        pytest.fail(f"cannot run commands as {OTHER}; {SETUP}")
    return gid
