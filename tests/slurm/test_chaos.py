"""Faults injected on the real test cluster while someone watches the run, as users do.

Each test injects one fault (kill -9 of a running element, the controller going away between
sbatch calls or during polls, a resume while elements still run) and asserts the outcome a
user expects: the retry happens, the run succeeds, nothing runs twice, the message tells the
truth. A controller outage at one exact call cannot be produced on a shared test cluster
without disturbing the other tests, so those tests put a wrapper on PATH in front of the real
Slurm command that fails the chosen calls the way Slurm's clients do when slurmctld is gone
("Unable to contact slurm controller (connect failure)"); everything else is real.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from slurm_helpers import ROOT, RUNS, sacct_states, sacct_steps, slurm_calls, wait_until
from run_records import element_status

CHAOS = str(ROOT / "tests" / "workflows" / "chaos.py")
DOWN = "Unable to contact slurm controller (connect failure)"


def _wrap(bin_dir: Path, command: str, fail_from: int = 0, fail_until: int = 10**9, error: str = DOWN) -> Path:
    """A `command` on PATH that fails its calls number fail_from..fail_until-1 (0-based) with
    `error` (by default, as if slurmctld were down), and passes the others to the real command."""
    real = shutil.which(command, path="/usr/bin:/usr/local/bin:/bin")
    count = bin_dir / f"{command}.count"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / command).write_text(
        "#!/bin/sh\n"
        f"n=$(cat {count} 2>/dev/null || echo 0); echo $((n+1)) > {count}\n"
        f"if [ $n -ge {fail_from} ] && [ $n -lt {fail_until} ]; then\n"
        f"  echo '{command}: error: {error}' >&2; exit 1\nfi\n"
        f"exec {real} \"$@\"\n")
    (bin_dir / command).chmod(0o755)
    return count


def _with_path(bin_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", **extra}


def _cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hpcflow.cli.main", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env or dict(os.environ), timeout=timeout)


def _queued(stderr: str) -> list[int]:
    """The Slurm ids a failed submission had queued, from its run's records."""
    run_dir = RUNS / re.search(r"run (\S+): submission failed", stderr).group(1)
    return [r["id"] for job in ("n0", "n1") for r in json.loads((run_dir / "jobs" / job / "slurm.json").read_text())]


def _status(run_id: str, index: int) -> dict:
    return element_status(RUNS / run_id, "n0", index)


def test_an_element_killed_while_wait_polls_is_retried_and_the_run_succeeds(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CHAOS}:retried_map", "--site", "dev-cluster", "-i", "xs=[0,1,2,3]", "-i", "seconds=15",
                  "--json")
    assert res.code == 0, res.stderr
    run_id = res.json["run_id"]
    watcher = subprocess.Popen([sys.executable, "-m", "hpcflow.cli.main", "wait", run_id, "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        running = wait_until(lambda: _status(run_id, 1).get("state") == "RUNNING" and _status(run_id, 1), timeout=120)
        os.kill(running["pid"], signal.SIGKILL)  # as the OOM killer or a node's watchdog would
        out, err = watcher.communicate(timeout=300)
    finally:
        watcher.kill()
    assert watcher.returncode == 0, err
    assert json.loads(out) == {"run_id": run_id, "state": "SUCCEEDED", "outputs": {"o0": 60}}
    assert _status(run_id, 1)["attempts"] == 2 and _status(run_id, 1)["state"] == "SUCCEEDED"
    assert all(_status(run_id, i)["attempts"] == 1 for i in (0, 2, 3))
    # it ran again at once, not once the array had ended: before the others (15 s each) were done
    assert _status(run_id, 1)["started"] < max(_status(run_id, i)["finished"] for i in (0, 2, 3))


def test_a_controller_lost_between_sbatch_calls_is_rolled_back(hpcflow, slurm_env, tmp_path):
    bin_dir = tmp_path / "bin"
    _wrap(bin_dir, "sbatch", fail_from=2)  # the third of three sbatch calls never reaches slurmctld
    res = _cli("submit", f"{CHAOS}:three_steps", "--site", "dev-cluster", "--json",
               env=_with_path(bin_dir, HPCFLOW_SLURM_RETRY_S="2"))
    assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "cancelled the 2 job(s) it had queued" in res.stderr and DOWN in res.stderr
    queued = _queued(res.stderr)
    assert len(queued) == 2

    def all_gone() -> bool:  # the first may have run to the end already; the second never starts
        states = sacct_states(queued)
        return (len(states) == 2 and states[str(queued[1])].startswith("CANCELLED")
                and all(s.startswith(("CANCELLED", "COMPLETED")) for s in states.values()))

    wait_until(all_gone, timeout=60)


def test_when_the_rollback_cannot_reach_slurm_the_message_names_the_jobs_left(hpcflow, slurm_env, tmp_path):
    bin_dir = tmp_path / "bin"
    _wrap(bin_dir, "sbatch", fail_from=2)
    _wrap(bin_dir, "scancel")  # the controller is still away when the rollback runs
    res = _cli("submit", f"{CHAOS}:three_steps", "--site", "dev-cluster", "--json",
               env=_with_path(bin_dir, HPCFLOW_SLURM_RETRY_S="2"))
    queued = _queued(res.stderr)
    run_dir = RUNS / re.search(r"run (\S+): submission failed", res.stderr).group(1)
    try:
        assert res.returncode == 1 and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert "could not cancel the 2 job(s) it had queued" in res.stderr
        assert f"cancel them with: scancel {queued[0]} {queued[1]}" in res.stderr
        assert "cancelled the" not in res.stderr
        assert hpcflow("status", run_dir.name, "--json").json["state"] == "FAILED"
    finally:
        subprocess.run(["scancel", *map(str, queued)], check=True)


def test_sbatch_timed_out_twice_then_accepted_submits_each_job_once(hpcflow, slurm_env, tmp_path):
    """A busy controller: the first two sbatch calls time out (a wrapper on PATH: no job was
    queued), the third is taken; the run gets one job per call and the right answer."""
    bin_dir = tmp_path / "bin"
    sbatches = _wrap(bin_dir, "sbatch", fail_until=2,
                     error="Batch job submission failed: Socket timed out on send/recv operation")
    res = _cli("submit", f"{CHAOS}:three_steps", "--site", "dev-cluster", "--wait", "--json", env=_with_path(bin_dir))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["outputs"] == {"o0": 4}
    assert int(sbatches.read_text()) == 2 + 3  # two refusals, then one call per job of the three


def test_status_and_wait_ride_out_a_controller_outage(hpcflow, slurm_env, tmp_path):
    res = hpcflow("submit", f"{CHAOS}:three_steps", "--site", "dev-cluster", "--json")
    assert res.code == 0, res.stderr
    bin_dir = tmp_path / "bin"
    squeues = _wrap(bin_dir, "squeue", fail_until=4)  # the first four polls find no controller
    _wrap(bin_dir, "sacct", fail_until=4)
    env = _with_path(bin_dir)
    status = _cli("status", res.json["run_id"], "--json", env=env)
    assert status.returncode == 0, status.stderr
    done = _cli("wait", res.json["run_id"], "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outputs"] == {"o0": 4}
    assert int(squeues.read_text()) > 4  # the outage really happened, and was waited out


def test_resume_while_elements_still_run_refuses_and_after_them_succeeds(hpcflow, slurm_env, tmp_path):
    res = hpcflow("submit", f"{CHAOS}:fails_while_others_run", "--site", "dev-cluster", "-i", "xs=[0,1,2]",
                  "-i", f"folder={tmp_path}", "--json")
    assert res.code == 0, res.stderr
    run_id = res.json["run_id"]
    # element 0 fails once 1 and 2 run; they go on for 20 s, and resuming now would run them twice
    wait_until(lambda: hpcflow("status", run_id, "--json").json["state"] == "FAILED", timeout=120)
    early = hpcflow("resume", run_id)
    assert early.code == 1 and len(early.stderr.strip().splitlines()) == 1, early.stderr
    assert "still has running elements" in early.stderr and f"hpcflow cancel {run_id}" in early.stderr
    # element 1 publishes its record only when it ends (one write): meanwhile its view is what squeue says
    running = hpcflow("status", run_id, "n0[1]", "--json")
    assert running.code == 0 and running.json["state"] == "RUNNING", running.stdout
    done = hpcflow("wait", run_id, "--json")  # the run is FAILED; its running elements finish on their own
    wait_until(lambda: not any(j["counts"].get("RUNNING") for j in hpcflow("status", run_id, "--json").json["jobs"]),
               timeout=120)
    assert done.json["state"] == "FAILED"
    again = hpcflow("resume", run_id, "--wait", "--json")
    assert again.code == 0, again.stderr
    assert again.json["outputs"] == {"o0": 3}
    assert [_status(run_id, i)["attempts"] for i in (0, 1, 2)] == [1, 1, 1]  # nothing ran twice


def test_out_of_memory_is_real_and_the_retry_gets_twice_the_memory(hpcflow, slurm_env):
    config = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, check=True).stdout
    assert "cr_core_memory" in config.lower(), "the test cluster does not enforce --mem; restart it with " \
                                       "sudo scripts/dev-cluster.sh --enforce-memory"
    res = hpcflow("submit", f"{CHAOS}:out_of_memory_then_more", "--site", "dev-cluster", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 180}
    run_dir = RUNS / res.json["run_id"] / "jobs" / "n0"
    first, retry = json.loads((run_dir / "slurm.json").read_text())  # the job, and the one it handed on to
    steps = sacct_steps(first["id"])  # the element ran in a step of its own: the OOM killer ended that step
    assert steps[f"{first['id']}.0"] == "OUT_OF_MEMORY" and steps[str(first["id"])] == "COMPLETED"
    assert sacct_states([retry["id"]])[str(retry["id"])] == "COMPLETED"
    assert "--mem=128M" in (run_dir / "job.sh").read_text()
    assert "--mem=256M" in Path(RUNS / res.json["run_id"] / retry["script"]).read_text()
    assert _status(res.json["run_id"], 0)["attempts"] == 2
    assert len([c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]) == 2


def test_an_out_of_memory_element_holds_back_what_waits_on_it_element_wise(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CHAOS}:out_of_memory_in_a_chain", "--site", "dev-cluster", "-i", "xs=[0,1,2]",
                  "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": [1, 11, 21]}
    run = RUNS / res.json["run_id"]
    assert "--dependency=aftercorr:" in " ".join(next(c for c in slurm_calls(slurm_env) if c[0] == "sbatch"
                                                      and c[-1] == str(run / "jobs" / "n1" / "job.sh")))
    later = element_status(run, "n1", 1)
    first = element_status(run, "n0", 1)
    assert first["attempts"] == 2 and later["started"] >= first["finished"]  # it read the resubmission's output


def test_a_chain_of_four_nodes_with_retries_makes_four_sbatch_calls(hpcflow, slurm_env):
    res = hpcflow("submit", f"{CHAOS}:retried_chain", "--site", "dev-cluster", "--wait", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": 4}
    sbatch = [c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]
    assert len(sbatch) == 4 and len(set(json.loads(Path(RUNS / res.json["run_id"] / "slurm" / "registry.json")
                                                   .read_text())["submitted"])) == 4
