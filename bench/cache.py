"""Cache benchmarks, each against a raw baseline on the same machine in the same run.

    python bench/cache.py

(a) hashing throughput of a 256 MiB float64 array: hpcflow's array_digest against raw
    hashlib over the same buffer (SHA-256, which hpcflow uses, and BLAKE2b). Target: >= 0.8x.
(b) a cache hit: key + lookup + load of a 1 MB array, against a raw os.stat + np.load of the
    same .npy file. Target: <= 1.5x.
(c) a fully cached re-run of examples/partitioned_mean.py against its first run (local backend).
(d) the caching guide's point, in-process: a workflow whose cached task takes ~1 s, called twice
    with the same inputs, under hpcflow and (if /tmp/flytekit-venv exists) flytekit, each in a
    fresh process with an empty cache. Target: the second call >= 10x faster than the first.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hpcflow import task  # noqa: E402
from hpcflow.store.hashing import array_digest  # noqa: E402
from hpcflow.cache.key import cache_key  # noqa: E402
from hpcflow.cache.store import CacheStore  # noqa: E402
from hpcflow.core.plan import EntityRef, JobPlan  # noqa: E402
from hpcflow.store.blobs import BlobStore  # noqa: E402
from hpcflow.store.codec import encode  # noqa: E402


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_hashing() -> None:
    array = np.random.default_rng(0).random(256 * 2**20 // 8)
    view = memoryview(array).cast("B")
    ours = best_of(lambda: array_digest(array), 5)
    raw_blake = best_of(lambda: hashlib.blake2b(view, digest_size=20).hexdigest(), 5)
    raw_sha = best_of(lambda: hashlib.sha256(view).hexdigest(), 5)
    mib = array.nbytes / 2**20
    print("(a) hashing a 256 MiB float64 array")
    print(f"    hpcflow array_digest   {mib / ours:8.0f} MiB/s")
    print(f"    raw hashlib.blake2b    {mib / raw_blake:8.0f} MiB/s   ratio {raw_blake / ours:.2f}x")
    print(f"    raw hashlib.sha256     {mib / raw_sha:8.0f} MiB/s   ratio {raw_sha / ours:.2f}x (target >= 0.8x: "
          f"{'met' if raw_sha / ours >= 0.8 else 'NOT met'})")


@task(cache=True, cache_version="1")
def producer(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(2**17)  # 1 MiB of float64


def bench_hit(tmp: Path) -> None:
    store, run_blobs = CacheStore(tmp / "cache"), BlobStore(tmp / "run-blobs")
    job = JobPlan(id="n0", kind="task", name="producer", entity=EntityRef(__name__, "producer"), inputs=(),
                  cache=True, cache_version="1")
    inputs = {"seed": 1}
    key = cache_key(producer, job, inputs)
    store.put(key, {"o0": encode(producer.fn(**inputs), run_blobs)}, run_blobs)
    npy = store.blobs.path(store.get(key.digest)["o0"]["$ndarray"])

    def hit() -> np.ndarray:
        k = cache_key(producer, job, inputs)
        outputs = store.get(k.digest)
        return store.blobs.get_array(outputs["o0"]["$ndarray"])

    def raw() -> np.ndarray:
        os.stat(npy)
        return np.load(npy)

    assert np.array_equal(hit(), raw())
    for f in (hit, raw):  # warm
        f()
    ours = median(best_of(hit, 50) for _ in range(5))
    base = median(best_of(raw, 50) for _ in range(5))
    print("(b) a cache hit of a 1 MiB array")
    print(f"    hpcflow key + lookup + load  {ours * 1e6:8.1f} us")
    print(f"    raw stat + np.load           {base * 1e6:8.1f} us   ratio {ours / base:.2f}x (target <= 1.5x: "
          f"{'met' if ours / base <= 1.5 else 'NOT met'})")


def bench_rerun(tmp: Path) -> None:
    env = {**os.environ, "HPCFLOW_HOME": str(tmp / "home")}
    cmd = [sys.executable, "-m", "hpcflow.cli.main", "run", str(ROOT / "examples" / "partitioned_mean.py:partitioned_mean"),
           "-i", "n=2000000", "-i", "parts=8", "--json"]
    timings, outputs = [], []
    for _ in range(2):
        t0 = time.perf_counter()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        timings.append(time.perf_counter() - t0)
        outputs.append(json.loads(out)["outputs"])
    assert outputs[0] == outputs[1]
    print("(c) examples/partitioned_mean.py, n=2,000,000, 8 parts, local backend")
    print(f"    first run {timings[0]:.2f} s, fully cached re-run {timings[1]:.2f} s ({timings[1] / timings[0]:.2f}x)")


GUIDE_STYLE = """
import sys, time
from {lib} import task, workflow

@task(cache=True, cache_version="1.0")
def slow_square(x: int) -> int:
    time.sleep(1.0)  # stands for real work
    return x * x

@workflow
def wf(x: int) -> int:
    return slow_square(x=x)

times = []
for _ in range(2):
    t0 = time.perf_counter()
    assert wf(x=7) == 49
    times.append(time.perf_counter() - t0)
print(times[0], times[1])
"""


def bench_in_process(tmp: Path) -> None:
    peers = [("hpcflow", sys.executable)] + (
        [("flytekit", "/tmp/flytekit-venv/bin/python")] if Path("/tmp/flytekit-venv/bin/python").exists() else [])
    print("(d) a cached task of ~1 s called twice in-process with the same inputs (target: 2nd >= 10x faster)")
    for lib, python in peers:
        home = tmp / f"home-{lib}"
        env = {**os.environ, "HPCFLOW_HOME": str(home), "HOME": str(home), "PYTHONPATH": str(ROOT)}
        script = tmp / f"guide_{lib}.py"
        script.write_text(GUIDE_STYLE.format(lib=lib))
        out = subprocess.run([python, str(script)], env=env, capture_output=True, text=True, check=True).stdout
        first, second = map(float, out.split())
        verdict = "met" if first >= 10 * second else "NOT met"
        print(f"    {lib:<9} first {first:.3f} s, second {second * 1000:.1f} ms ({first / second:.0f}x faster): {verdict}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        bench_hashing()
        bench_hit(Path(tmp))
        bench_rerun(Path(tmp))
        bench_in_process(Path(tmp))
