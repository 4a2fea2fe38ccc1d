"""A cache shared between two real users (tests/other_user.py): a colleague in the group reads
the first user's entries without recomputing; entries written by someone the cache does not
trust are not used, and a pickle is read from no one's entries but one's own."""
from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from other_user import GROUP, OTHER, require_other_user, run_as_other
from paths import ROOT
from run_records import recorded_states


def _run(argv: list[str], env: dict[str, str], as_other: bool = False) -> subprocess.CompletedProcess:
    if as_other:
        return run_as_other(argv, env)
    return subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=300)


def _hpcflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "hpcflow.cli.main", *args]


def _counts(folder: Path) -> dict[str, int]:
    return {p.name: len(p.read_text()) for p in folder.iterdir()} if folder.exists() else {}


@pytest.fixture
def shared(tmp_path_factory):
    """A folder both users can reach (setgid to the group), removed by both at the end."""
    gid = require_other_user()
    base = Path("/var/tmp") / f"hpcflow-shared-test-{uuid.uuid4().hex[:8]}"
    base.mkdir(mode=0o2775)
    os.chown(base, -1, gid)
    base.chmod(0o2775)
    shutil.copy(ROOT / "tests" / "workflows" / "cached.py", base / "cached_shared.py")
    yield base
    for _ in range(2):  # each removes what is theirs; sticky folders keep the other's files
        _run(["rm", "-rf", str(base)], {}, as_other=True)
        shutil.rmtree(base, ignore_errors=True)


def _user_env(base: Path, who: str, cache: Path) -> dict[str, str]:
    return {"HPCFLOW_CACHE_DIR": str(cache), "HPCFLOW_HOME": str(base / f"{who}-home"),
            "HPCFLOW_RUNS_DIR": str(base / f"{who}-runs"), "COUNTS_DIR": str(base / f"{who}-counts")}


def test_a_colleague_in_the_group_reads_the_shared_entries_without_recomputing(shared):
    cache = shared / "cache"
    me, other = _user_env(shared, "me", cache), _user_env(shared, "other", cache)
    share = _run(_hpcflow("cache", "share", "--group", GROUP), me)
    assert share.returncode == 0, share.stderr
    assert (os.stat(cache).st_mode & 0o7777) == 0o3775 and os.stat(cache).st_gid == grp.getgrnam(GROUP).gr_gid
    (shared / "me-counts").mkdir()
    target = f"{shared / 'cached_shared.py'}:pipeline"
    first = _run(_hpcflow("run", target, "-i", "xs=[1,2,3]", "--json"), me)
    assert first.returncode == 0, first.stderr
    assert _counts(shared / "me-counts") == {"scale": 3, "square": 3, "add_up": 1}
    assert _run(["mkdir", str(shared / "other-counts")], {}, as_other=True).returncode == 0
    second = _run(_hpcflow("run", target, "-i", "xs=[1,2,3]", "--json"), other, as_other=True)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["outputs"] == json.loads(first.stdout)["outputs"] == {"o0": 56}
    assert _counts(shared / "other-counts") == {}  # every element came from the first user's entries
    states = recorded_states(shared / "other-runs")
    assert states and set(states) == {"CACHED"}
    entry = next((cache / "entries").glob("*/*.json"))
    assert entry.stat().st_mode & 0o040  # group-readable, whatever mkstemp makes


def test_entries_written_by_someone_the_cache_does_not_trust_are_not_used(shared):
    private = shared / "private"  # a private cache someone else can write to: a misconfiguration
    private.mkdir()
    private.chmod(0o777)
    me, other = _user_env(shared, "me", private), _user_env(shared, "other", private)
    assert _run(["mkdir", str(shared / "other-counts")], {}, as_other=True).returncode == 0
    target = f"{shared / 'cached_shared.py'}:pipeline"
    planted = _run(_hpcflow("run", target, "-i", "xs=[1,2,3]", "--json"), other, as_other=True)
    assert planted.returncode == 0, planted.stderr  # the other user's entries are in the cache now
    (shared / "me-counts").mkdir()
    mine = _run(_hpcflow("run", target, "-i", "xs=[1,2,3]", "--json"), me)
    assert mine.returncode == 0, mine.stderr
    assert json.loads(mine.stdout)["outputs"] == {"o0": 56}
    assert _counts(shared / "me-counts") == {"scale": 3, "square": 3, "add_up": 1}  # all computed again


class _Hostile:
    """Unpickling it touches a file: what a pickle planted in a shared cache could do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_trusted_colleagues_entry_holding_a_pickle_is_never_loaded(shared):
    """The pickle rule (store/codec.py, cache/store.py) with two real users: the other user, a member
    of the cache's group and so trusted, puts two entries into the shared cache: a plain one, which the
    first user's reads use, and one whose pickle would run a command, which they refuse unloaded."""
    from hpcflow.cache.key import CacheKey
    from hpcflow.cache.store import CacheStore, UntrustedEntryWarning
    from hpcflow.store.blobs import BlobStore
    from hpcflow.store.codec import encode

    cache, marker = shared / "cache", shared / "pwned"
    me = _user_env(shared, "me", cache)
    assert _run(_hpcflow("cache", "share", "--group", GROUP), me).returncode == 0
    staging = CacheStore(shared / "staging")  # the entries are laid out here, then copied in by the other user
    hostile, plain = CacheKey("hostile", "1", "src", ()), CacheKey("plain", "1", "src", ())
    staging.put(hostile, {"o0": encode(_Hostile(marker), staging.blobs)}, staging.blobs)
    staging.put(plain, {"o0": 42}, staging.blobs)
    for path in [staging.root, *staging.root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    copied = run_as_other(["cp", "-r", "--no-preserve=mode,ownership", f"{staging.root}/.", str(cache)])
    assert copied.returncode == 0, copied.stderr
    entry = CacheStore(cache).entry_path(hostile.digest)
    assert entry.stat().st_uid == pwd.getpwnam(OTHER).pw_uid != os.getuid()  # the other user's files now
    reader = CacheStore(cache)
    assert reader.trusts(entry.stat().st_uid)  # a member of the group: their plain entry is used
    assert reader.get(plain.digest) == {"o0": 42}
    with pytest.warns(UntrustedEntryWarning, match="holds a pickled value written by uid .*only from your own"):
        assert reader.fetch_into(hostile.digest, BlobStore(shared / "me-runs" / "blobs")) is None
    assert not marker.exists()
