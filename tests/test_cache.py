"""The cache on the local backend, and the store's guarantees (atomic publish, damage = miss)."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from hpcflow.store.hashing import array_digest, value_digest
from hpcflow.cache.key import CacheKey, source_fingerprint
from hpcflow.cache.store import CacheStore, CorruptEntryWarning
from hpcflow.store.blobs import BlobStore, DamagedBlobError
from hpcflow.store.codec import encode
from hpcflow.types.files import Directory, File
from paths import ROOT

CACHED = ROOT / "tests" / "workflows" / "cached.py"


def _counts(folder: Path) -> dict[str, int]:
    return {p.name: len(p.read_text()) for p in folder.iterdir()} if folder.exists() else {}


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A private copy of the cached workflow, a private cache, and run counts per task."""
    folder = tmp_path / "counts"
    folder.mkdir()
    monkeypatch.setenv("COUNTS_DIR", str(folder))
    monkeypatch.setenv("HPCFLOW_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "cached_copy.py"
    shutil.copy(CACHED, copy)

    def counts_since(before: dict[str, int]) -> dict[str, int]:
        now = _counts(folder)
        return {k: v - before.get(k, 0) for k, v in now.items() if v - before.get(k, 0)}

    return copy, (lambda: _counts(folder)), counts_since


def test_hashing_is_by_content():
    a = np.arange(10.0)
    assert array_digest(a) == array_digest(a.copy()) != array_digest(a.astype(np.float32))
    assert array_digest(np.asfortranarray(np.ones((3, 4)))) == array_digest(np.ones((3, 4)))
    assert value_digest({"b": 1, "a": [1.0, 2]}) == value_digest({"a": [1.0, 2], "b": 1})
    assert value_digest(1) != value_digest(1.0) != value_digest("1")


def test_files_and_directories_hash_by_content(tmp_path: Path):
    (tmp_path / "d").mkdir()
    f1, f2 = tmp_path / "d" / "a.txt", tmp_path / "b.txt"
    f1.write_text("same")
    f2.write_text("same")
    assert value_digest(File(str(f1))) == value_digest(File(str(f2)))  # flytekit would hash the URI
    before = value_digest(Directory(str(tmp_path / "d")))
    f1.write_text("changed")
    assert value_digest(File(str(f1))) != value_digest(File(str(f2)))
    assert value_digest(Directory(str(tmp_path / "d"))) != before


def test_custom_type_hook():
    from hpcflow import register_type

    class Celsius:
        def __init__(self, t: float):
            self.t = t

    register_type(Celsius, to_json=lambda c: c.t, from_json=Celsius, hash=lambda c: f"{c.t:.3f}")
    assert value_digest(Celsius(20.0)) == value_digest(Celsius(20.0004)) != value_digest(Celsius(21.0))


def test_source_fingerprint_ignores_decorators_and_comments():
    def f(x):
        # a comment
        return x + 1

    def g(x):
        return x + 1

    def h(x):
        return x + 2

    assert source_fingerprint(f) != source_fingerprint(h)
    assert source_fingerprint(f).startswith(source_fingerprint(f)[:8])
    g.__name__ = "f"
    # same body, different name: the function name is part of the code, so they differ
    assert source_fingerprint(g) != source_fingerprint(h)


def _publish(store: CacheStore, tmp: Path, value) -> CacheKey:
    run_blobs = BlobStore(tmp / "run-blobs")
    key = CacheKey("m.t", "1", "src", (("x", value_digest(len(str(value)))),))
    store.put(key, {"o0": encode(value, run_blobs)}, run_blobs)
    return key


def test_an_array_changed_in_place_at_the_same_size_is_a_miss_and_no_earlier_run_reads_it(tmp_path: Path):
    """A colleague rewrites a cached .npy in place, same size: the next hit is a miss (recomputed), and a run
    that shares the blob by hard link reads an error, never the changed values."""
    store = CacheStore(tmp_path / "cache")
    key = _publish(store, tmp_path, np.full(1000, 7.0))
    run_blobs = BlobStore(tmp_path / "run-blobs")
    (array_key,) = [p.stem for p in (tmp_path / "run-blobs").rglob("*.npy")]
    blob = next((tmp_path / "cache" / "blobs").rglob("*.npy"))
    assert blob.stat().st_ino == run_blobs.path(array_key).stat().st_ino  # one file for both
    blob.chmod(0o644)
    changed = blob.read_bytes()[:-8] + np.float64(4000.0).tobytes()
    blob.write_bytes(changed)
    with pytest.warns(CorruptEntryWarning, match="does not match its hash"):
        assert store.get(key.digest) is None
    with pytest.raises(DamagedBlobError, match="does not match its hash"):
        run_blobs.get_array(array_key)


def test_damaged_entries_are_misses_with_a_warning(tmp_path: Path):
    store = CacheStore(tmp_path / "cache")
    key = _publish(store, tmp_path, np.arange(1000.0))
    assert store.get(key.digest) is not None
    blob = next((tmp_path / "cache" / "blobs").rglob("*.npy"))
    assert blob.stat().st_mode & 0o222 == 0  # blobs are written read-only: changing one takes a chmod first
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes()[:-100])  # truncated
    with pytest.warns(CorruptEntryWarning, match="wrong size"):
        assert store.get(key.digest) is None
    key = _publish(store, tmp_path, {"a": 1})
    entry = store.entry_path(key.digest)
    entry.write_text(entry.read_text().replace('"a": 1', '"a": 2'))  # edited
    with pytest.warns(CorruptEntryWarning, match="checksum"):
        assert store.get(key.digest) is None
    assert not entry.exists()


_WRITER = """
import sys, numpy as np
from pathlib import Path
from hpcflow.cache.key import CacheKey
from hpcflow.cache.store import CacheStore
from hpcflow.store.blobs import BlobStore, DamagedBlobError
from hpcflow.store.codec import encode
root = Path(sys.argv[1]); store = CacheStore(root / "cache"); blobs = BlobStore(root / "run-blobs")
key = CacheKey("m.big", "1", "", ())
print(key.digest, flush=True)
store.put(key, {"o0": encode(np.random.default_rng(0).random(40_000_000), blobs)}, blobs)
"""


def test_kill_9_during_a_publish_leaves_no_readable_partial_entry(tmp_path: Path):
    """A writer killed at many points of publishing a 320 MB array: the entry is absent or whole."""
    outcomes = set()
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 2.0, 3.0):
        root = tmp_path / f"try{delay}"
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(root)], stdout=subprocess.PIPE, text=True)
        key = proc.stdout.readline().strip()
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        store = CacheStore(root / "cache")
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a damaged entry would warn: it must not even look damaged
            hit = store.get(key)
        if hit is None:
            assert not store.entry_path(key).exists()
            outcomes.add("absent")
        else:
            array = store.blobs.get_array(hit["o0"]["$ndarray"])
            assert array.shape == (40_000_000,)
            outcomes.add("whole")
        partial_files = [p for p in root.rglob("*") if p.is_file() and p.name.endswith(".tmp")]
        for p in partial_files:  # temp files may remain, but no reader ever opens them
            assert p.name.startswith(".")
    assert "absent" in outcomes


def test_rerun_uses_the_cache_and_editing_a_body_reruns_only_it_and_downstream(hpcflow, counted):
    wf, counts, since = counted
    first = hpcflow("run", f"{wf}:pipeline", "-i", "xs=[1,2,3]", "--json")
    assert first.code == 0 and first.json["outputs"] == {"o0": 4 + 16 + 36}
    assert counts() == {"scale": 3, "square": 3, "add_up": 1}

    before = counts()
    again = hpcflow("run", f"{wf}:pipeline", "-i", "xs=[1,2,3]", "--json")
    assert again.json["outputs"] == first.json["outputs"] and since(before) == {}
    status = hpcflow("status", again.json["run_id"], "--json").json
    assert [j["counts"] for j in status["jobs"]] == [{"CACHED": 3}, {"CACHED": 3}, {"CACHED": 1}]

    wf.write_text(wf.read_text().replace("return x * x", "return x * x + 1"))
    before = counts()
    edited = hpcflow("run", f"{wf}:pipeline", "-i", "xs=[1,2,3]", "--json")
    assert edited.json["outputs"] == {"o0": 4 + 16 + 36 + 3}
    assert since(before) == {"square": 3, "add_up": 1}  # scale, upstream of the edit, came from the cache
    explain = hpcflow("cache", "explain", edited.json["run_id"], "n1[0]")
    assert "the task's source code changed" in explain.stdout


def test_changing_one_mapped_element_reruns_one_element(hpcflow, counted):
    wf, counts, since = counted
    hpcflow("run", f"{wf}:pipeline", "-i", "xs=[1,2,3,4]")
    before = counts()
    res = hpcflow("run", f"{wf}:pipeline", "-i", "xs=[1,2,30,4]", "--json")
    assert res.json["outputs"] == {"o0": 4 + 16 + 3600 + 64}
    assert since(before) == {"scale": 1, "square": 1, "add_up": 1}
    status = hpcflow("status", res.json["run_id"], "--json").json
    assert status["jobs"][0]["counts"] == {"CACHED": 3, "SUCCEEDED": 1}
    assert "input(s) changed: x" in hpcflow("cache", "explain", res.json["run_id"], "n0[2]").stdout


def test_cache_serialize_computes_identical_elements_once(hpcflow, counted):
    wf, counts, since = counted
    res = hpcflow("run", f"{wf}:two_identical", "--max-workers", "2", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": [[5.0] * 4, [5.0] * 4]}
    assert counts() == {"slow_once": 1}
    states = hpcflow("status", res.json["run_id"], "--json").json["jobs"][0]["counts"]
    assert states == {"SUCCEEDED": 1, "CACHED": 1}


def test_cache_commands(hpcflow, counted, tmp_path: Path):
    wf, counts, since = counted
    hpcflow("run", f"{wf}:pipeline", "-i", "xs=[1,2]")
    ls = hpcflow("cache", "ls")
    assert ls.code == 0 and "cached_copy.scale" in ls.stdout and "cached_copy.add_up" in ls.stdout
    assert "5 entries for 3 task(s)" in hpcflow("cache", "info").stdout
    assert hpcflow("cache", "gc").code == 1  # must say what to remove
    assert "removed 0 entries" in hpcflow("cache", "gc", "--older-than", "1d").stdout
    assert "removed 5 entries" in hpcflow("cache", "gc", "--max-size", "0").stdout
    before = counts()
    hpcflow("run", f"{wf}:pipeline", "-i", "xs=[1,2]")
    assert since(before) == {"scale": 2, "square": 2, "add_up": 1}
    assert hpcflow("cache", "clear", "--yes").code == 0
    assert "0 entries" in hpcflow("cache", "info").stdout


def test_published_files_honour_the_umask(tmp_path):
    import os
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from hpcflow.store import atomic; "
            "atomic.write_json(Path(sys.argv[1]) / 'a.json', {}); "
            "atomic.write_files({Path(sys.argv[1]) / 'job.sh': b'#!/bin/bash'}, mode=0o777)")
    for umask, plain, script in ((0o022, 0o644, 0o755), (0o002, 0o664, 0o775), (0o077, 0o600, 0o700)):
        folder = tmp_path / f"u{umask:o}"
        folder.mkdir()
        subprocess.run([sys.executable, "-c", f"import os; os.umask({umask}); " + code, str(folder)], check=True)
        assert os.stat(folder / "a.json").st_mode & 0o777 == plain
        assert os.stat(folder / "job.sh").st_mode & 0o777 == script


def _forge(store: CacheStore, key: str, outputs: dict, claimed_key: str | None = None) -> None:
    """Write an entry the way an attacker with write access would: with a checksum that matches."""
    import json as _json

    from hpcflow.store.hashing import digest

    body = _json.dumps({"key": claimed_key or key, "parts": {}, "outputs": outputs, "blobs": {},
                        "created": 0, "bytes": 0}).encode()
    path = store.entry_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(digest(body).encode() + b"\n" + body)


def test_a_forged_entry_naming_a_callable_is_a_miss_and_nothing_is_called(tmp_path: Path):
    from hpcflow.cache.store import UntrustedEntryWarning
    from hpcflow.store.codec import UntrustedValueError, decode

    store, marker = CacheStore(tmp_path / "cache"), tmp_path / "pwned"
    forged = {"o0": {"$dataclass": "os:system", "fields": {"command": f"touch {marker}"}}}
    _forge(store, "ab" * 32, forged)
    with pytest.warns(UntrustedEntryWarning, match="os:system as a dataclass, which it is not"):
        assert store.get("ab" * 32) is None
    with pytest.raises(UntrustedValueError):
        decode(forged["o0"], store.blobs)
    elsewhere = {"o0": {"$dataclass": "not_imported_anywhere:Thing", "fields": {}}}
    _forge(store, "cd" * 32, elsewhere)
    with pytest.warns(UntrustedEntryWarning, match="whose module is not loaded here"):
        assert store.get("cd" * 32) is None
    assert not marker.exists() and "not_imported_anywhere" not in sys.modules


def test_an_entry_that_holds_another_keys_outputs_is_a_miss(tmp_path: Path):
    store = CacheStore(tmp_path / "cache")
    _forge(store, "ef" * 32, {"o0": 3996}, claimed_key="12" * 32)  # renamed over the right one
    with pytest.warns(CorruptEntryWarning, match="holds the entry of key 1212"):
        assert store.get("ef" * 32) is None


class _Hostile:
    """Unpickling it touches a file: what a pickle planted by someone else could do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _publish_pickle(store: CacheStore, value, tmp_path: Path, task: str = "t") -> str:
    """Publish `value` (which travels as a pickle) under a new key, as a run would; the key."""
    run_blobs = BlobStore(tmp_path / f"run-{task}" / "blobs")
    key = CacheKey(task, "1", "src", ())
    store.put(key, {"o0": encode(value, run_blobs)}, run_blobs)
    return key.digest


def test_your_own_entries_with_pickles_are_used(tmp_path: Path):
    from hpcflow.store.codec import decode

    store = CacheStore(tmp_path / "cache")
    key = _publish_pickle(store, {"tags": {"a", "b"}}, tmp_path)
    run_blobs = BlobStore(tmp_path / "reader" / "blobs")
    outputs = store.fetch_into(key, run_blobs)
    assert outputs is not None and decode(outputs["o0"], run_blobs) == {"tags": {"a", "b"}}


def test_a_pickle_planted_under_the_name_of_yours_is_a_miss_and_is_never_loaded(tmp_path: Path):
    store, marker = CacheStore(tmp_path / "cache"), tmp_path / "pwned"
    key = _publish_pickle(store, {1, 2}, tmp_path)
    entry = json.loads(store.entry_path(key).read_bytes().partition(b"\n")[2])
    planted = store.blobs.path(entry["outputs"]["o0"]["$pickle"])
    planted.unlink()  # as if someone wrote their file under its name before it was published
    planted.write_bytes(pickle.dumps(_Hostile(marker)))
    with pytest.warns(CorruptEntryWarning, match="damaged \\(pickle [0-9a-f]{12} (has the wrong size|does not match its hash)"):
        assert store.get(key) is None
    assert not marker.exists()


def test_fake_owner_a_trusted_colleagues_entry_with_a_pickle_is_not_loaded(tmp_path: Path):
    """Unit level, with a FAKE owner check: the store reads as uid `me + 1` and trusts every writer, so
    the entries this process writes stand for a trusted colleague's (tests/test_shared_cache.py does
    it with two real users). A colleague's plain entry is used; one holding a pickle is not, and the
    pickle is never loaded."""
    from hpcflow.cache.store import UntrustedEntryWarning

    class EveryoneTrusted(CacheStore):
        def trusts(self, uid: int) -> bool:
            return True

    writer, marker = CacheStore(tmp_path / "cache"), tmp_path / "pwned"
    hostile = _publish_pickle(writer, _Hostile(marker), tmp_path, "hostile")
    plain = CacheKey("plain", "1", "src", ())
    writer.put(plain, {"o0": 42}, writer.blobs)
    reader = EveryoneTrusted(tmp_path / "cache", uid=os.getuid() + 1)
    assert reader.get(plain.digest) == {"o0": 42}
    with pytest.warns(UntrustedEntryWarning, match="holds a pickled value written by uid .*only from your own"):
        assert reader.fetch_into(hostile, BlobStore(tmp_path / "reader" / "blobs")) is None
    assert not marker.exists() and writer.get(hostile) is not None  # still the writer's own, for the writer


def test_your_own_cached_pickles_are_reused_by_your_next_run_and_collected_by_gc(hpcflow, counted, tmp_path: Path):
    _, counts, counts_since = counted
    target = f"{ROOT / 'tests' / 'workflows' / 'cached_pickles.py'}:tallies"
    first = hpcflow("run", target, "-i", "ns=[1,2,3]", "--json")
    assert first.code == 0, first.stderr
    before = counts()
    second = hpcflow("run", target, "-i", "ns=[1,2,3]", "--json")
    assert second.code == 0, second.stderr
    assert first.json["outputs"] == second.json["outputs"] == {"o0": [2, 4, 6]}
    assert before == {"make": 3} and counts_since(before) == {}  # the pickled Tallies came from the cache
    pickles = list((tmp_path / "cache" / "blobs").glob("*/*.pkl"))
    assert len(pickles) == 3
    store = CacheStore(tmp_path / "cache")
    for pickled in pickles:  # old enough to be swept once no entry names them
        os.utime(pickled, (0, 0))
    store.gc(older_than_s=0)
    assert not any(p.exists() for p in pickles)
