"""The cache store: entries by key in sharded folders, arrays by content hash beside them.

    <cache_dir>/entries/<2 hex>/<key>.json    a checksum line, then outputs (encoded), key parts, blob sizes
    <cache_dir>/blobs/<2 hex>/<hash>.npy      arrays, shared by all entries and runs
    <cache_dir>/locks/<key>                   leases for cache_serialize

Publishing writes a temp file, fsyncs and renames; readers take no lock. An entry whose
checksum or blob sizes do not match is a miss: it is removed with a warning and recomputed.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from hpcflow.store.hashing import digest
from hpcflow.cache.key import CacheKey
from hpcflow.store import atomic
from hpcflow.store.blobs import BlobStore
from hpcflow.store.lease import Lease


class CorruptEntryWarning(UserWarning):
    """A cache entry was damaged (truncated, edited) and will be recomputed."""


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
        return [k for v in encoded.values() for k in _blob_keys(v)]
    if isinstance(encoded, list):
        return [k for v in encoded for k in _blob_keys(v)]
    return []


class CacheStore:
    """Reads and publishes cache entries under one cache directory."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.blobs = BlobStore(self.root / "blobs")
        self._entries = os.path.join(str(self.root), "entries")  # plain strings on the hit path: pathlib costs ~20 us

    def entry_path(self, key: str) -> Path:
        """Where the entry for `key` lives."""
        return Path(self._entry_file(key))

    def _entry_file(self, key: str) -> str:
        return f"{self._entries}/{key[:2]}/{key}.json"

    def lease(self, key: str, ttl_s: float = 3600.0) -> Lease:
        """The lease that makes identical computations wait for the first one (cache_serialize)."""
        return Lease(self.root / "locks" / key, ttl_s=ttl_s, timeout_s=7 * 86400)

    def get(self, key: str) -> dict[str, Any] | None:
        """The encoded outputs stored under `key`, or None on a miss (or a damaged entry)."""
        path = self._entry_file(key)
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
                used = os.fstat(fh.fileno()).st_mtime
        except FileNotFoundError:
            return None
        try:
            checksum, _, body = raw.partition(b"\n")
            if checksum.decode() != digest(body):
                raise ValueError("checksum mismatch")
            entry = json.loads(body)
            for blob, size in entry["blobs"].items():
                if os.stat(self.blobs.file(blob)).st_size != size:
                    raise ValueError(f"array {blob[:12]} has the wrong size")
        except (ValueError, KeyError, OSError) as exc:
            warnings.warn(f"cache entry {key[:12]} is damaged ({exc}); recomputing it", CorruptEntryWarning, stacklevel=2)
            Path(path).unlink(missing_ok=True)
            return None
        if time.time() - used > 600:  # last use, for gc by age; an hour's precision is plenty
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
        """Publish encoded outputs (whose arrays are in `run_blobs`) under `key`."""
        sizes = {}
        for blob in _blob_keys(outputs):
            _link(run_blobs.path(blob), self.blobs.path(blob))
            sizes[blob] = self.blobs.path(blob).stat().st_size
        body = json.dumps({"key": key.digest, "parts": key.to_json(), "outputs": outputs, "blobs": sizes,
                           "created": time.time(), "bytes": sum(sizes.values())}).encode()
        # the first line checks the rest, so a damaged entry is recognised without parsing it
        atomic.write_bytes(self.entry_path(key.digest), digest(body).encode() + b"\n" + body, fsync=True)

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
        for blob in (self.root / "blobs").glob("*/*.npy"):
            if blob.stem not in live and time.time() - blob.stat().st_mtime > 60:  # not one being published
                freed += blob.stat().st_size
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
