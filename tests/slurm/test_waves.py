"""flytekit's @eager on the test cluster: the body runs in a job, its children in waves (sdk/waves.py). One sbatch
per task per wave, no job that started while one it waited on was still pending, nothing finished redone after a
continuation is cancelled and the run resumed, and a recursion wider than the queue cap completes."""
from __future__ import annotations

import fcntl
import getpass
import json
import re
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from slurm_helpers import ROOT, RUNS, dev_cluster_text, most_at_once, slurm_calls, wait_until

WAVES = f"{ROOT}/tests/workflows/eager_waves.py"
GUIDE = f"{ROOT}/tests/flytekit_docs/flyte_eager_workflows.py"


def _site(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "site.toml"
    text = dev_cluster_text()
    path.write_text(re.sub(r"^time_margin", extra + "\ntime_margin", text, count=1, flags=re.M))
    return path


def _slurm_ids(run_dir: Path) -> dict[str, list[int]]:
    """Slurm ids per job of the run and of its waves, by the job's path in the run directory."""
    return {str(p.parent.relative_to(run_dir)): [r["id"] for r in json.loads(p.read_text())]
            for p in run_dir.rglob("slurm.json")}


def test_a_parent_gathering_1000_children_submits_them_with_one_sbatch(hpcflow, slurm_env, tmp_path):
    site = _site(tmp_path, "max_fanout = 100")  # 1000 elements in 100 array tasks of 10: still one sbatch
    res = hpcflow("submit", f"{WAVES}:gather_many", "--site", str(site), "-i", "n=1000", "--wait", "--json",
                  timeout=900)
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": sum(range(1, 1001))}
    sbatch = [c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
    maps = [p for p in _slurm_ids(RUNS / res.json["run_id"]) if p.endswith("sub/jobs/n0")]
    assert len(maps) == 1 and len(sbatch) == 3, sbatch  # the body, the wave's array, the continuation
    assert "--array=0-99" in Path(RUNS / res.json["run_id"] / maps[0] / "job.sh").read_text()


def test_three_sequential_awaits_make_three_waves_and_no_job_starts_before_what_it_waits_on_ends(
        hpcflow, slurm_env):
    res = hpcflow("submit", f"{WAVES}:three_waves", "--site", "dev-cluster", "-i", "xs=[1,2,3,4,5]", "--wait",
                  "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": sum(2 * (x + 1) + 1 for x in [1, 2, 3, 4, 5])}
    run_dir = RUNS / res.json["run_id"]
    ids = _slurm_ids(run_dir)
    maps = sorted((p for p in ids if p.endswith("sub/jobs/n0")), key=len)
    assert len(maps) == 3, ids  # one array per wave
    times = _sacct_times(res.json["run_id"], {i for job in ids.values() for i in job})
    for wave in maps:  # its continuation (n1 beside it) waited on it: it started once every array task ended
        continuation = wave[:-len("n0")] + "n1"
        ended = max(end for job in ids[wave] for key, (_, end) in times.items() if key.split("_")[0] == str(job))
        started = min(start for job in ids[continuation] for key, (start, _) in times.items() if key == str(job))
        assert started >= ended, (wave, started, ended)


def _sacct_times(run_id: str, ids: set[int]) -> dict[str, tuple[datetime, datetime]]:
    """sacct's start and end of every job (and array task) of the run, once it has an end for each of `ids`."""
    def ended() -> dict[str, tuple[datetime, datetime]] | None:
        out = subprocess.run(["sacct", "-n", "-P", "-X", "-o", "JobID,Start,End", f"--name=hf-{run_id}", "-S",
                              "now-1hour"], capture_output=True, text=True, check=True).stdout
        rows = [line.split("|") for line in out.splitlines() if line.strip()]
        if "Unknown" in out or not ids <= {int(job.split("_")[0]) for job, _, _ in rows}:
            return None
        return {job: (datetime.fromisoformat(start), datetime.fromisoformat(end)) for job, start, end in rows}
    return wait_until(ended, timeout=60)


def test_a_cancelled_continuation_resumed_loses_no_finished_child(hpcflow, slurm_env, tmp_path):
    folder = tmp_path / "marks"
    folder.mkdir()
    res = hpcflow("submit", f"{WAVES}:two_waves_of_marks", "--site", "dev-cluster", "-i", "xs=[1,2,3]",
                  "-i", f"folder={folder}", "--json")
    assert res.code == 0, res.stderr
    run_dir = RUNS / res.json["run_id"]
    continuation = run_dir / "jobs" / "n0" / "0" / "sub" / "jobs" / "n1" / "slurm.json"
    wait_until(continuation.exists, timeout=120)
    (job,) = json.loads(continuation.read_text())
    wait_until(lambda: any(folder.iterdir()), timeout=120)  # a child of the wave has run
    subprocess.run(["scancel", str(job["id"])], check=True)  # the parent's continuation, queued behind the wave
    (folder / "go").touch()  # the wave's children end now (they wait for it: a wave of trivial ones ended so soon
    # that its continuation had run by the time of the scancel)
    done = hpcflow("wait", res.json["run_id"], "--json", "--timeout", "300", timeout=400)
    assert done.json["state"] in ("FAILED", "CANCELLED"), done.stdout  # (and what had not started is cancelled)
    resumed = hpcflow("resume", res.json["run_id"], "--wait", "--json", timeout=400)
    assert resumed.code == 0, resumed.stderr
    assert resumed.json["outputs"] == {"o0": sum(2 * (x + 100) for x in [1, 2, 3])}
    marks = sorted(p.name.split("-")[1] for p in folder.iterdir() if p.name != "go")
    assert marks == ["1", "2", "3"], "each child ran once: the resumed run reran only what had not finished"


def test_a_recursion_wider_than_the_queue_cap_completes(hpcflow, slurm_env, tmp_path):
    """merge sort of 64 items awaits itself to depth 6: 32 merges in its widest wave, on a QoS that lets a user
    queue 20 jobs (array tasks count one each). Its parents hold no allocation while children queue."""
    site = _site(tmp_path, 'extra_directives = ["--qos=capped"]\nmax_submit_jobs = 20')
    xs = [(i * 37) % 64 for i in range(64)]
    # the QoS's cap is per user: one test at a time uses it (tests/slurm/test_limits.py takes the same lock)
    with open(Path(tempfile.gettempdir()) / f"hpcflow-tests-capped-{getpass.getuser()}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        res = hpcflow("submit", f"{WAVES}:merge_sort", "--site", str(site), "-i", f"xs={json.dumps(xs)}", "--wait",
                      "--json", timeout=900)
        assert res.code == 0, res.stderr
        assert res.json["outputs"] == {"o0": sorted(xs)}
        assert most_at_once(f"hf-{res.json['run_id']}", since="Submit") <= 20


def test_the_eager_guide_on_slurm_gives_the_in_process_answers(hpcflow, slurm_env):
    for name, x, expected in [("eager_workflow_with_for_loop", 3, 12), ("eager_workflow_with_exception", 0, -1),
                              ("nested_eager_workflow", 5, 12)]:
        res = hpcflow("submit", f"{GUIDE}:{name}", "--site", "dev-cluster", "-i", f"x={x}", "--wait", "--json")
        assert res.code == 0, res.stderr
        assert res.json["outputs"] == {"o0": expected}, name
