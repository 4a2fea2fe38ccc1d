"""Helpers for the Slurm tests: logged calls, sacct states, polling."""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from hpcflow.site.config import load_site

ROOT = Path(__file__).resolve().parents[2]
RUNS = load_site("dev-cluster").runs_dir  # the test user's own (runs_dir names $USER)


def slurm_calls(log: Path) -> list[list[str]]:
    """The argv of every Slurm command logged so far."""
    if not log.exists():
        return []
    return [json.loads(line)["argv"] for line in log.read_text().splitlines()]


def sacct_states(job_ids: list[int]) -> dict[str, str]:
    """sacct's state per job (and array element), e.g. {'12_3': 'CANCELLED by 0'}."""
    out = subprocess.run(["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", ",".join(map(str, job_ids))],
                         capture_output=True, text=True, check=True).stdout
    return dict(line.split("|", 1) for line in out.splitlines() if "|" in line)


def sacct_steps(job_id: int, timeout: float = 30) -> dict[str, str]:
    """sacct's state of a job and each of its steps ({'12': 'COMPLETED', '12.0': 'OUT_OF_MEMORY', ...}),
    once it knows the job has ended (the accounting of a job that just ended can lag behind)."""
    def ended() -> dict[str, str]:
        out = subprocess.run(["sacct", "-n", "-P", "-o", "JobID,State", "-j", str(job_id)],
                             capture_output=True, text=True, check=True).stdout
        states = dict(line.split("|", 1) for line in out.splitlines() if "|" in line)
        return states if states.get(str(job_id), "RUNNING") not in ("RUNNING", "PENDING") else {}
    return wait_until(ended, timeout=timeout)


def most_at_once(name: str, since: str = "Start") -> int:
    """The most jobs (array tasks) of a run that Slurm held at once between `since` (Start: running;
    Submit: queued or running) and End, from sacct, once the accounting has every job's end."""
    from datetime import datetime

    def ended() -> str:
        out = subprocess.run(["sacct", "-n", "-P", "-X", "-o", f"JobID,{since},End", f"--name={name}", "-S", "now-1hour"],
                             capture_output=True, text=True, check=True).stdout
        return out if out.strip() and "Unknown" not in out else ""
    events = []
    for line in wait_until(ended, timeout=60).splitlines():
        _, begin, end = line.split("|")
        events += [(datetime.fromisoformat(begin), 1), (datetime.fromisoformat(end), -1)]
    most = now = 0
    for _, step in sorted(events):  # at the same second, an end before a start (a throttle's order)
        now += step
        most = max(most, now)
    return most


def wait_until(predicate, timeout: float = 60, interval: float = 0.3):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def whole_cluster() -> list[str]:
    """sbatch options of a job that needs every CPU of every node (the test cluster may have one or two)."""
    nodes = subprocess.run(["sinfo", "-h", "-N", "-p", "cpu", "-o", "%N|%c"], capture_output=True, text=True,
                           check=True).stdout.split()
    cpus = {int(line.split("|")[1]) for line in nodes}
    assert len(cpus) == 1, f"the test cluster's nodes differ: {nodes}"
    return ["-N", str(len(set(nodes))), "--ntasks-per-node=1", "-c", str(cpus.pop())]


def rendered_report(hpcflow, run_id: str, out: Path) -> str:
    """`hpcflow report` of a run, opened in headless Chromium (Debian's, which scripts/test.sh installs): the
    DOM it rendered, and a screenshot left in `out` (the test's own folder) for a person to look at."""
    html = out / "report.html"
    res = hpcflow("report", run_id, "-o", str(html))
    assert res.code == 0, res.stderr
    browser = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={out / 'chromium'}"]
    shot = subprocess.run([*browser, f"--screenshot={out / 'report.png'}", "--window-size=1400,1200",
                           html.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and (out / "report.png").stat().st_size > 10_000, shot.stderr[-2000:]
    dom = subprocess.run([*browser, "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and "id=\"timeline\"" in dom.stdout, dom.stderr[-2000:]
    return dom.stdout


def dev_cluster_text() -> str:
    """The dev-cluster site's TOML as this test sees it: with a cache folder of the test's own (the `own_cache`
    fixture of tests/slurm/conftest.py), so what earlier tests' elements cost never batches this test's maps."""
    import os

    return (Path(os.environ["HPCFLOW_SITE_DIRS"].split(":")[0]) / "dev-cluster.toml").read_text()
