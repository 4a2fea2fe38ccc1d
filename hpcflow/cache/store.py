"""The cache store: entries by key in sharded folders, arrays by content hash beside them.

    <cache_dir>/entries/<2 hex>/<key>.json    a checksum line, then outputs (encoded), key parts, blob sizes
    <cache_dir>/blobs/<2 hex>/<hash>.npy      arrays, shared by all entries and runs
    <cache_dir>/blobs/<2 hex>/<hash>.pkl      pickled values (classes with no data form, as flytekit pickles)
    <cache_dir>/locks/<key>                   leases for cache_serialize

Publishing writes a temp file, fsyncs and renames; readers take no lock. An entry whose
checksum, blob sizes or blob hashes do not match is a miss: it is removed with a warning and recomputed.

Sharing (trust model). A cache is private unless its root folder is setgid to a group
(`hpcflow cache share --group G`): then it is shared with the members of that group, its
folders are setgid and sticky, and its files are group-readable. An entry is used only when
- its file is owned by the reading user or, in a shared cache, by a member of the group: an
  entry written by anyone else is a miss with a warning;
- it names the key it is read for, its checksum matches, and every class it names is one the
  reading run already trusts (store/codec.py): nothing in it is ever imported or called;
- if it holds a pickle, its file is owned by the reading user: unpickling runs code, so a
  pickle is never read from anyone else's entry, not even a trusted member's (they compute it
  afresh; their entry stays theirs). A pickle blob must also match its hash when it is loaded.
The sticky folders mean no user can replace or delete another's entries: a publish that
would is skipped with a warning, and so is one the folder's permissions forbid. The checksum
guards against damage, not against members of the group, who are trusted to be honest.
"""
from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from hpcflow.store.hashing import digest
from hpcflow.cache.key import CacheKey
from hpcflow.store import atomic
from hpcflow.store.blobs import PICKLE_SUFFIX, BlobStore
from hpcflow.store.codec import holds_pickle, untrusted
from hpcflow.store.lease import Lease


class CorruptEntryWarning(UserWarning):
    """A cache entry was damaged (truncated, edited) and will be recomputed."""


class UntrustedEntryWarning(UserWarning):
    """A cache entry was not used: written by someone the cache does not trust, or naming
    something the reading run does not trust."""


class CacheAccessWarning(UserWarning):
    """The cache could not be read or written here (permissions): the element computes instead."""


SHARED_DIR_MODE = 0o3775  # setgid (the group carries over), sticky (no one replaces another's file), group rwx


def share(root: Path, group: str) -> None:
    """Make `root` a cache shared with `group` (see the module's docstring); the caller must be in
    it. What the caller already has there is given to the group too (folders setgid and sticky,
    files group-readable); others' files stay as they are."""
    gid = grp.getgrnam(group).gr_gid
    root.mkdir(parents=True, exist_ok=True)
    for path in [root, *root.rglob("*")]:
        st = path.lstat()
        if st.st_uid != os.getuid() or stat.S_ISLNK(st.st_mode):
            continue
        os.chown(path, -1, gid)
        path.chmod(SHARED_DIR_MODE if path.is_dir() else (st.st_mode & 0o777) | 0o040)


@dataclass(frozen=True)
class EntryInfo:
    """What `hpcflow cache ls` shows of one entry."""

    key: str
    task: str
    version: str
    bytes: int
    created: float
    used: float


def _blob_keys(encoded: Any) -> list[str]:
    if isinstance(encoded, dict):
        if "$ndarray" in encoded:
            return [encoded["$ndarray"]]
        if "$pickle" in encoded:
            return [encoded["$pickle"]]
        return [k for v in encoded.values() for k in _blob_keys(v)]
    if isinstance(encoded, list):
        return [k for v in encoded for k in _blob_keys(v)]
    return []


class CacheStore:
    """Reads and publishes cache entries under one cache directory."""

    def __init__(self, root: Path, uid: int | None = None):
        """`uid` is the reading user's (this process's unless given: tests stand in for another user)."""
        self.root = Path(root)
        self.uid = os.getuid() if uid is None else uid
        self.blobs = BlobStore(self.root / "blobs")
        self._entries = os.path.join(str(self.root), "entries")  # plain strings on the hit path: pathlib costs ~20 us
        self._trusted_uids = {self.uid}
        try:
            st = os.stat(self.root)
        except OSError:
            st = None
        self.group = st.st_gid if st is not None and st.st_mode & stat.S_ISGID else None

    def trusts(self, uid: int) -> bool:
        """True when entries written by `uid` may be used: the reader, or a member of a shared cache's group."""
        if uid in self._trusted_uids:
            return True
        if self.group is None:
            return False
        try:
            user = pwd.getpwuid(uid)
            member = user.pw_gid == self.group or user.pw_name in grp.getgrgid(self.group).gr_mem
        except KeyError:
            member = False
        if member:
            self._trusted_uids.add(uid)
        return member

    def entry_path(self, key: str) -> Path:
        """Where the entry for `key` lives."""
        return Path(self._entry_file(key))

    def _entry_file(self, key: str) -> str:
        return f"{self._entries}/{key[:2]}/{key}.json"

    def lease(self, key: str) -> Lease:
        """The lease that makes identical computations wait for the first one (cache_serialize):
        kept alive by its holder's heartbeat however long it computes, lost a minute after it died.
        (In a shared cache, locks/ is setgid but not sticky, so a member can break a dead colleague's.)"""
        locks = self.root / "locks"
        if not locks.is_dir():
            self._folder(locks)
            if self.group is not None:
                locks.chmod(SHARED_DIR_MODE & ~stat.S_ISVTX)
        return Lease(locks / key, timeout_s=7 * 86400)

    def get(self, key: str) -> dict[str, Any] | None:
        """The encoded outputs stored under `key`, or None on a miss (or a damaged entry)."""
        path = self._entry_file(key)
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
                st = os.fstat(fh.fileno())
        except FileNotFoundError:
            return None
        except PermissionError as exc:
            warnings.warn(f"cannot read cache entry {key[:12]} ({exc.strerror}); computing it", CacheAccessWarning,
                          stacklevel=2)
            return None
        if not self.trusts(st.st_uid):
            warnings.warn(f"cache entry {key[:12]} was written by uid {st.st_uid}, whom this cache does not trust; "
                          "computing it", UntrustedEntryWarning, stacklevel=2)
            return None
        try:
            checksum, _, body = raw.partition(b"\n")
            if checksum.decode() != digest(body):
                raise ValueError("checksum mismatch")
            entry = json.loads(body)
            if entry["key"] != key:
                raise ValueError(f"it holds the entry of key {str(entry['key'])[:12]}")
            for blob, size in entry["blobs"].items():
                if os.stat(self.blobs.file(blob)).st_size != size:
                    what = "pickle" if blob.endswith(PICKLE_SUFFIX) else "array"
                    raise ValueError(f"{what} {blob[:12]} has the wrong size")
            # The pickle rule (store/codec.py): unpickling runs code, and trusting colleagues to be honest is not
            # trusting that none of their accounts or workflows was ever subverted; so only one's own pickles are read.
            if st.st_uid != self.uid and holds_pickle(entry["outputs"]):
                warnings.warn(f"cache entry {key[:12]} holds a pickled value written by uid {st.st_uid}; pickles are "
                              "read only from your own entries (unpickling runs code): computing it",
                              UntrustedEntryWarning, stacklevel=2)
                return None
            for blob in _blob_keys(entry["outputs"]):  # every blob it names, listed in "blobs" or not
                if blob.endswith(PICKLE_SUFFIX) and not self.blobs.intact(blob):
                    raise ValueError(f"pickle {blob[:12]} does not match its hash")
                if not blob.endswith(PICKLE_SUFFIX) and not self.blobs.array_intact(blob):
                    raise ValueError(f"array {blob[:12]} does not match its hash")  # changed in place, same size
        except (ValueError, KeyError, TypeError, OSError) as exc:
            warnings.warn(f"cache entry {key[:12]} is damaged ({exc}); recomputing it", CorruptEntryWarning, stacklevel=2)
            if st.st_uid == self.uid:  # someone else's is theirs to remove
                Path(path).unlink(missing_ok=True)
            return None
        why = untrusted(entry["outputs"])
        if why:
            warnings.warn(f"cache entry {key[:12]} is not used: {why}", UntrustedEntryWarning, stacklevel=2)
            return None
        if time.time() - st.st_mtime > 600 and st.st_uid == self.uid:  # last use, for gc by age
            os.utime(path)
        return entry["outputs"]

    def fetch_into(self, key: str, run_blobs: BlobStore) -> dict[str, Any] | None:
        """On a hit, link the entry's arrays into a run's blob store and return its encoded outputs."""
        outputs = self.get(key)
        if outputs is not None:
            for blob in _blob_keys(outputs):
                _link(self.blobs.path(blob), run_blobs.path(blob))
        return outputs

    def put(self, key: CacheKey, outputs: dict[str, Any], run_blobs: BlobStore) -> None:
        """Publish encoded outputs (whose arrays are in `run_blobs`) under `key`; a publish that the
        folders' permissions forbid (another user's entry, a folder not writable) is skipped with a warning."""
        try:
            sizes = {}
            for blob in _blob_keys(outputs):
                self._folder(self.blobs.path(blob).parent)
                _link(run_blobs.path(blob), self.blobs.path(blob))
                sizes[blob] = self.blobs.path(blob).stat().st_size
            body = json.dumps({"key": key.digest, "parts": key.to_json(), "outputs": outputs, "blobs": sizes,
                               "created": time.time(), "bytes": sum(sizes.values())}).encode()
            # the first line checks the rest, so a damaged entry is recognised without parsing it
            path = self.entry_path(key.digest)
            self._folder(path.parent)
            atomic.write_bytes(path, digest(body).encode() + b"\n" + body, fsync=True)
        except PermissionError as exc:
            warnings.warn(f"cache entry {key.digest[:12]} not published ({exc.strerror}: {exc.filename})",
                          CacheAccessWarning, stacklevel=2)

    def _folder(self, folder: Path) -> None:
        """Make a folder of the cache; in a shared one, setgid, sticky and group-writable whatever the umask."""
        if folder.is_dir():
            return
        if self.group is None:
            folder.mkdir(parents=True, exist_ok=True)
            return
        chain = [folder, *folder.parents]
        for missing in reversed(chain[:chain.index(self.root)]):  # the root exists: it is what is setgid
            try:
                missing.mkdir()
            except FileExistsError:
                continue
            missing.chmod(SHARED_DIR_MODE)

    def entries(self) -> Iterator[tuple[EntryInfo, CacheKey]]:
        """Every readable entry."""
        for path in sorted((self.root / "entries").glob("*/*.json")):
            try:
                entry = json.loads(path.read_bytes().partition(b"\n")[2])
                parts = CacheKey.from_json(entry["parts"])
                used = path.stat().st_mtime
            except (ValueError, KeyError, OSError):
                continue
            yield EntryInfo(entry["key"], parts.task, parts.version, entry["bytes"] + path.stat().st_size,
                            entry["created"], used), parts

    def gc(self, older_than_s: float | None = None, max_bytes: int | None = None) -> tuple[int, int]:
        """Remove entries unused for `older_than_s`, then least recently used ones above `max_bytes`;
        then arrays no entry refers to. Returns (entries removed, bytes freed)."""
        now = time.time()
        infos = sorted((info for info, _ in self.entries()), key=lambda i: i.used)
        doomed = [i for i in infos if older_than_s is not None and now - i.used > older_than_s]
        if max_bytes is not None:
            kept = [i for i in infos if i not in doomed]
            total = sum(i.bytes for i in kept)
            for info in kept:
                if total <= max_bytes:
                    break
                doomed.append(info)
                total -= info.bytes
        freed = 0
        for info in doomed:
            path = self.entry_path(info.key)
            freed += path.stat().st_size if path.exists() else 0
            path.unlink(missing_ok=True)
        return len(doomed), freed + self._sweep_blobs()

    def clear(self) -> None:
        """Remove the whole cache."""
        shutil.rmtree(self.root / "entries", ignore_errors=True)
        shutil.rmtree(self.root / "blobs", ignore_errors=True)

    def _sweep_blobs(self) -> int:
        live = set()
        for path in (self.root / "entries").glob("*/*.json"):
            try:
                live |= set(json.loads(path.read_bytes().partition(b"\n")[2])["blobs"])
            except (ValueError, KeyError, OSError):
                continue
        freed = 0
        blobs = [*(self.root / "blobs").glob("*/*.npy"), *(self.root / "blobs").glob("*/*.pkl")]
        for blob in blobs:
            key = blob.name if blob.suffix == ".pkl" else blob.stem  # a pickle's key keeps its suffix (store/blobs.py)
            st = blob.stat()
            if key not in live and time.time() - st.st_mtime > 60:  # not one being published
                # a blob hard-linked into a run keeps its space until that run goes: count only what comes back
                freed += st.st_size if st.st_nlink == 1 else 0
                blob.unlink(missing_ok=True)
        for tmp in (self.root).glob("*/*/.*.tmp"):
            if time.time() - tmp.stat().st_mtime > 3600:  # left by a writer that was killed
                tmp.unlink(missing_ok=True)
        return freed


def _link(src: Path, dst: Path) -> None:
    """Put `src` at `dst` (a hard link, or a fsynced copy across filesystems), atomically."""
    if dst.exists():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except FileExistsError:
        pass
    except OSError:
        atomic.write_bytes(dst, src.read_bytes(), fsync=True)
