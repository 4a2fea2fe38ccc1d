"""Batch sizes from the work on the real test cluster: a large map whose elements' cost is not known
is timed by its first array task (the probe), which submits the rest in batches that each run ten
times a task's start-up; the next run of the same task is batched at submit from that time. A small
map is never probed: its element 0 keeps what it cost, and the next run batches it within a start-up."""
from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

from slurm_helpers import ROOT, RUNS, slurm_calls, wait_until

SCALE = str(ROOT / "tests" / "workflows" / "scale.py")
CASES = str(ROOT / "tests" / "workflows" / "slurm_cases.py")
N = 1200  # above the site's auto_batch_above (1000); each element naps 10 ms


def _site(tmp_path: Path, task_start: float) -> str:
    """dev-cluster with a private cache (so no earlier run's timing is known) and a task start-up of
    `task_start` seconds: a task must run ten times that."""
    path = tmp_path / "site.toml"
    path.write_text((ROOT / "site-configs" / "dev-cluster.toml").read_text()
                    .replace('cache_dir = "/var/tmp/hpcflow-$USER/cache"', f'cache_dir = "{tmp_path / "cache"}"')
                    .replace("max_array_size = 1001", f"max_array_size = 1001\ntask_start = {task_start}"))
    return str(path)


def _submissions(run_id: str, job: str = "n1") -> list[dict]:
    return json.loads((RUNS / run_id / "jobs" / job / "slurm.json").read_text())


def test_a_small_trivial_map_runs_unbatched_once_then_in_one_array_task(hpcflow, slurm_env, tmp_path):
    # 40 elements: far below auto_batch_above (1000); a task start-up of 20 s, so that the call's time that
    # element 0 keeps (its wall time: on a loaded machine, a trivial call may wait tens of ms for a CPU)
    # fits the map in one task whenever it is under 0.5 s
    site, xs = _site(tmp_path, 20), list(range(40))

    def arrays_submitted() -> list[str]:  # the --array line of every jobscript sbatch'ed so far
        scripts = [Path(c[-1]).read_text() for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
        return [line for script in scripts for line in script.splitlines() if line.startswith("#SBATCH --array=")]

    first = hpcflow("submit", f"{CASES}:squares_summed", "--site", site, "-i", f"xs={xs}", "--wait", "--json",
                    timeout=600)
    assert first.code == 0 and first.json["outputs"] == {"o0": sum(x * x for x in xs)}, first.stderr
    run = RUNS / first.json["run_id"] / "jobs" / "n0"
    assert [(r["role"], r.get("batch")) for r in _submissions(first.json["run_id"], "n0")] == [("array", None)]
    assert not (run / "batch.json").exists() and arrays_submitted() == ["#SBATCH --array=0-39"]  # never probed
    timings = list((tmp_path / "cache" / "timings").glob("*.json"))  # element 0 kept what its call cost
    # x*x: microseconds, the call alone (20 s / 40 = 0.5 s: above that, the map would not fit one task)
    assert len(timings) == 1 and 0 < json.loads(timings[0].read_text())["seconds"] < 0.5

    again = hpcflow("submit", f"{CASES}:squares_summed", "--site", site, "-i", f"xs={xs}", "--wait", "--json",
                    timeout=600)
    assert again.code == 0 and again.json["outputs"] == {"o0": sum(x * x for x in xs)}, again.stderr
    assert [(r["role"], r.get("batch")) for r in _submissions(again.json["run_id"], "n0")] == [("array", 40)]
    assert arrays_submitted()[1:] == ["#SBATCH --array=0-0"]  # the whole map: one array task
    run = RUNS / again.json["run_id"] / "jobs" / "n0"
    why = json.loads((run / "batch.json").read_text())["why"]
    assert "in an earlier run; so 1 array task of 40 elements, each running at most 20 s (a task's start-up)" in why
    assert len(list((run / "tasks").iterdir())) == 1
    note = hpcflow("status", again.json["run_id"], "--json").json["jobs"][0]["note"]
    assert note.startswith("batched: 40 elements in 1 array task of 40 (an element of map_square took ")


def test_a_large_map_is_batched_from_its_first_elements_then_from_the_last_run(hpcflow, slurm_env, tmp_path):
    site = _site(tmp_path, 0.05)  # tasks of at least 0.5 s: tens of 10 ms elements each
    first = hpcflow("submit", f"{SCALE}:napping", "--site", site, "-i", f"n={N}", "--wait", "--json", timeout=600)
    assert first.code == 0 and first.json["outputs"] == {"o0": N}, first.stderr
    run = RUNS / first.json["run_id"] / "jobs" / "n1"
    batching = json.loads((run / "batch.json").read_text())
    batch = batching["batch_size"]
    assert "probing" not in batching and batching["why"].startswith("elements 2-")
    assert 1 < batch < N  # 10 ms elements: more than one per task, and the map needs several tasks
    probe, *rest = _submissions(first.json["run_id"])
    assert probe["role"] == "probe" and probe["batch"] == batch  # the probe's job now stands for task 0
    assert [r["role"] for r in rest] == ["array"] and rest[0]["indices"] == list(range(1, math.ceil(N / batch)))
    assert len(list((run / "tasks").iterdir())) == math.ceil(N / batch)  # one record file per array task
    note = hpcflow("status", first.json["run_id"], "--json").json["jobs"][1]["note"]
    assert note.startswith(f"batched: {N} elements in {math.ceil(N / batch)} array tasks of {batch} (elements 2-")

    again = hpcflow("submit", f"{SCALE}:napping", "--site", site, "-i", f"n={N}", "--wait", "--json", timeout=600)
    assert again.code == 0 and again.json["outputs"] == {"o0": N}, again.stderr
    assert [r["role"] for r in _submissions(again.json["run_id"])] == ["array"]  # no probe: its time is known
    why = json.loads((RUNS / again.json["run_id"] / "jobs" / "n1" / "batch.json").read_text())["why"]
    assert "in an earlier run" in why


def test_a_probe_cancelled_before_it_decides_is_timed_again_by_resume(hpcflow, slurm_env, tmp_path):
    site = _site(tmp_path, 3)  # it decides once 3 s have passed: there is time to cancel it before
    res = hpcflow("submit", f"{SCALE}:napping", "--site", site, "-i", f"n={N}", "--json")
    assert res.code == 0, res.stderr
    run_id = res.json["run_id"]
    tasks = RUNS / run_id / "jobs" / "n1" / "tasks" / "0.json"

    def some_succeeded() -> bool:  # its records are published once a second while it runs
        if not tasks.exists():
            return False
        elements = json.loads(tasks.read_text())["elements"]
        return any(e.get("status", {}).get("state") == "SUCCEEDED" for e in elements.values())

    wait_until(lambda: (RUNS / run_id / "jobs" / "n1" / "slurm.json").exists(), timeout=120)
    wait_until(some_succeeded, timeout=120)
    probe = _submissions(run_id)[0]
    assert probe["role"] == "probe"
    subprocess.run(["scancel", str(probe["id"])], check=True)

    def ended() -> dict:  # polled as a user does
        view = hpcflow("status", run_id, "--json").json
        return view if view["state"] in ("FAILED", "CANCELLED") else {}

    view = wait_until(ended, timeout=120)
    mapped = view["jobs"][1]
    assert mapped["counts"].get("SUCCEEDED", 0) >= 1 and mapped["counts"].get("CANCELLED", 0) >= 1, mapped
    assert sum(mapped["counts"].values()) == N and "timing its first elements" in mapped["note"]
    before = hpcflow("status", run_id, "n1[0]", "--json").json

    assert hpcflow("resume", run_id).code == 0
    done = hpcflow("wait", run_id, "--json", timeout=600)
    assert done.code == 0 and done.json["outputs"] == {"o0": N}, done.stderr
    assert [r["role"] for r in _submissions(run_id)][:2] == ["probe", "probe"]  # not decided: timed again
    after = hpcflow("status", run_id, "n1[0]", "--json").json
    assert after["status"]["started"] == before["status"]["started"]  # what succeeded before the cancel did not run again
