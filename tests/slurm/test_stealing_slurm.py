"""Work stealing on the real test cluster (runtime/stealing.py): in a small map's first run, an array task
whose element was trivial runs elements whose own tasks have not started, and those tasks end at once
with their element's outcome, so the map's dependents, and Slurm's view of every task, stay truthful.
Every map here runs at most two array tasks at a time (Slurm's %2 throttle), so that what is stolen is
certain: when the first task has run its element, the map's top has not started."""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from hpcflow.runtime.rundir import RunDir
from run_records import element_status
from slurm_helpers import ROOT, RUNS, sacct_states, slurm_calls, wait_until

CASES = str(ROOT / "tests" / "workflows" / "stealing.py")
N = 30


def _array_id(run_id: str) -> int:
    (array,) = json.loads((RUNS / run_id / "jobs" / "n0" / "slurm.json").read_text())
    return array["id"]


def _ended(array_id: int) -> dict[str, str]:
    """sacct's states of the array's tasks once none runs or waits (a range of cancelled pending tasks is one line)."""
    states = sacct_states([array_id])
    return states if states and not any(s.startswith(("RUNNING", "PENDING")) for s in states.values()) else {}


def _task_of(job_id: int) -> int:
    """The array task that the Slurm job `job_id` is (an array task's own SLURM_JOB_ID)."""
    (key,) = sacct_states([job_id])
    return int(key.split("_")[1])


def _statuses(run_id: str) -> list[dict]:
    return [element_status(RUNS / run_id, "n0", i) for i in range(N)]


def test_a_trivial_map_runs_in_a_few_processes_and_every_task_and_the_reduce_complete(hpcflow, slurm_env):
    xs = list(range(N))
    res = hpcflow("submit", f"{CASES}:two_at_a_time", "--site", "dev-cluster", "-i", f"xs={xs}", "--wait", "--json",
                  timeout=600)
    assert res.code == 0 and res.json["outputs"] == {"o0": sum(x * x for x in xs)}, res.stderr
    run_id = res.json["run_id"]
    script = (RUNS / run_id / "jobs" / "n0" / "job.sh").read_text()
    assert "export HPCFLOW_STEAL_S=1\n" in script and "--array=0-29%2" in script
    statuses = _statuses(run_id)
    assert {s["state"] for s in statuses} == {"SUCCEEDED"}
    stolen = [i for i, s in enumerate(statuses) if s["ran_in"] is not None]
    assert stolen and N - 1 in stolen  # the first thief starts at the top
    assert len({s["pid"] for s in statuses}) < N  # fewer Pythons than elements
    # Slurm's word agrees: the tasks that ran ended well; those of the stolen elements never started (cancelled
    # while pending) or ended well at once; and the reduce waited for the array's end in any state
    array_id = _array_id(run_id)
    ran_in = {s["ran_in"] if s["ran_in"] is not None else i for i, s in enumerate(statuses)}

    def accounted() -> dict[str, str]:  # (sacct may hear of a task's end a moment after it)
        states = _ended(array_id)
        return states if all(states.get(f"{array_id}_{t}") == "COMPLETED" for t in ran_in) else {}
    states = wait_until(accounted, timeout=60)
    assert all(v == "COMPLETED" or v.startswith("CANCELLED") for v in states.values()), states
    (sbatch_reduce,) = [c for c in slurm_calls(slurm_env) if c[0] == "sbatch" and "n1" in c[-1]]
    assert f"--dependency=afterany:{array_id}" in sbatch_reduce
    # a stolen element's log is its thief's, which says where it came from
    k = stolen[0]
    shown = hpcflow("status", run_id, f"n0[{k}]")  # which task ran it, and its log
    assert f"ran_in=task{statuses[k]['ran_in']} log=" in shown.stdout and f"logs/{statuses[k]['ran_in']}.log" in shown.stdout
    log = hpcflow("logs", run_id, f"n0[{k}]")
    assert log.code == 0 and f"element {k}, taken over from its own array task" in log.stdout, log.stdout + log.stderr


def test_a_stolen_element_that_fails_fails_its_own_array_task_and_the_run(hpcflow, slurm_env):
    xs, bad = list(range(N)), N - 1  # the top: the first element a thief takes
    res = hpcflow("submit", f"{CASES}:one_refuses", "--site", "dev-cluster", "-i", f"xs={xs}", "-i", f"bad={bad}",
                  "--wait", "--json", timeout=600)
    assert res.code != 0 and res.json["state"] == "FAILED", res.stdout + res.stderr
    run_id = res.json["run_id"]
    failed = element_status(RUNS / run_id, "n0", bad)
    assert failed["state"] == "FAILED" and "element 29 refuses" in failed["error"] and failed["ran_in"] is not None
    assert all(s["state"] == "SUCCEEDED" for i, s in enumerate(_statuses(run_id)) if i != bad)
    assert "n0[29] (map_square_but) did not succeed" in res.json["error"]
    array_id = _array_id(run_id)

    def accounted() -> dict[str, str]:  # the failed element's task listed, or the array's pending rest cancelled
        states = _ended(array_id)  # (until sacct has split the array's record, it may list the last task as the array)
        return states if f"{array_id}_{bad}" in states or states.get(str(array_id), "").startswith("CANCELLED") else {}
    states = wait_until(accounted, timeout=60)
    # no task failed in Slurm but (if it started before the failed run cancelled what was queued) the
    # failed element's own: not its thief's, whose own element ended well
    assert states.pop(f"{array_id}_{bad}", "CANCELLED").startswith(("FAILED", "CANCELLED"))
    assert all(v == "COMPLETED" or v.startswith("CANCELLED") for v in states.values()), states
    status = hpcflow("status", run_id, "--json").json
    assert status["jobs"][0]["counts"] == {"SUCCEEDED": N - 1, "FAILED": 1}
    assert status["jobs"][1]["counts"] == {"CANCELLED": 1}  # the reduce ran nothing
    log = hpcflow("logs", run_id, f"n0[{bad}]")  # the thief's log, with the traceback
    assert "ValueError: element 29 refuses" in log.stdout, log.stdout + log.stderr


def test_a_thief_killed_in_a_stolen_element_fails_it_in_its_own_task_while_someone_watches(
        hpcflow, slurm_env, tmp_path: Path):
    xs, slow, flag = list(range(N)), N - 1, tmp_path / "stuck"
    res = hpcflow("submit", f"{CASES}:one_stuck_once", "--site", "dev-cluster", "-i", f"xs={xs}",
                  "-i", f"slow={slow}", "-i", f"flag={flag}", "--json")
    assert res.code == 0, res.stderr
    run_id = res.json["run_id"]
    wait_until(lambda: flag.exists() and flag.read_text(), timeout=120)
    holder = (RUNS / run_id / "jobs" / "n0" / "claims" / str(slow)).read_text().split()
    assert int(holder[2]) == int(flag.read_text())  # a thief runs it, in its own process
    seen = hpcflow("status", run_id, "--json")
    assert seen.code == 0 and seen.json["state"] == "RUNNING"
    os.kill(int(holder[2]), signal.SIGKILL)  # the thief dies (as on a lost node) while its own element is done

    def finished() -> dict:  # someone polls the run, as users do
        look = hpcflow("status", run_id, "--json")
        assert look.code == 0, look.stderr
        return look.json if look.json["state"] not in ("RUNNING", "PENDING") else {}
    final = wait_until(finished, timeout=300, interval=1)
    # as an element killed in its own task with no retries: it failed, and says how; the run says which
    assert final["state"] == "FAILED" and "n0[29]" in final["error"], final
    lost = element_status(RUNS / run_id, "n0", slow)
    assert lost["state"] == "FAILED" and lost["attempts"] == 1
    assert f"lost in attempt 1 with the process that ran it in another array task (Slurm job {holder[0]}" in lost["error"]
    assert final["jobs"][0]["counts"] == {"SUCCEEDED": N - 1, "FAILED": 1}
    # Slurm's word: the thief's task failed (its process was killed) though its own element, which had
    # ended well, stays so; the lost element's own task failed, as its element did
    thief, array_id = int(holder[0]), _array_id(run_id)
    assert list(wait_until(lambda: sacct_states([thief]), timeout=60).values()) == ["FAILED"]
    assert RunDir(RUNS / run_id).status("n0", _task_of(thief)).state.ok
    assert wait_until(lambda: sacct_states([array_id]).get(f"{array_id}_{slow}"), timeout=60) == "FAILED"
    log = hpcflow("logs", run_id, f"n0[{slow}]")  # the thief's log: where the element ran
    assert log.code == 0 and f"element {slow}, taken over from its own array task" in log.stdout
