"""Work stealing in a small map's first run (runtime/stealing.py): which maps' tasks may steal (core/layout.py),
what their jobscripts do (runtime/jobscript.py), and the claims, run by the element entry point itself
as an array task runs it. The real cluster's side is tests/slurm/test_stealing_slurm.py."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpcflow.core.layout import RunPlace, lay_out
from hpcflow.core.plan import STEAL_VARIABLE, Role
from hpcflow.loader import load_file
from hpcflow.runtime import stealing
from hpcflow.runtime.jobscript import render_call
from hpcflow.core.states import State
from hpcflow.runtime.rundir import ElementStatus, RunDir
from hpcflow.runtime.runs import compile_for, create_run
from hpcflow.site.config import load_site
from paths import ROOT

CASES = load_file(ROOT / "tests" / "workflows" / "stealing.py")
SITE = load_site("dev-cluster")  # task_start 1 s, auto_batch_above 1000
PLACE = RunPlace("r", "/runs/r")


def _array_call(plan, **options):
    return next(c for c in lay_out(plan, SITE, PLACE, **options) if c.role is Role.ARRAY)


def test_only_a_small_map_of_unknown_cost_submitted_whole_steals():
    plan = compile_for(CASES.two_at_a_time, {"xs": list(range(200))})
    assert _array_call(plan).steal_s == SITE.task_start_s
    assert _array_call(plan, seconds={"n0": 1e-4}).steal_s == 0  # its cost known: batched instead
    assert _array_call(plan, seconds={"n0": 0.8}).steal_s == 0  # known too long to share a task: no claims
    assert _array_call(plan, done={"n0": frozenset({3})}).steal_s == 0  # a resume: the rest, as they are
    assert _array_call(plan, window=50).steal_s == 0  # windows are separate arrays
    large = compile_for(CASES.two_at_a_time, {"xs": list(range(1001))})  # above auto_batch_above: probed
    assert all(c.steal_s == 0 for c in lay_out(large, SITE, PLACE))
    for change in ({"interruptible": True}, {"retries": 1}):  # requeued, or retried in their own allocation
        other = dataclasses.replace(plan, jobs=tuple(dataclasses.replace(j, **change) if j.kind == "map" else j
                                                     for j in plan.jobs))
        assert _array_call(other).steal_s == 0
    reduce_ = next(c for c in lay_out(plan, SITE, PLACE) if c.role is not Role.ARRAY)
    assert reduce_.steal_s == 0 and [e.kind for e in reduce_.after] == ["afterany"]  # stolen tasks are cancelled
    chain = compile_for(load_file(ROOT / "tests" / "workflows" / "slurm_cases.py").three_stages, {"xs": list(range(50))})
    assert [c.steal_s for c in lay_out(chain, SITE, PLACE)] == [0, 0, 0]  # element-wise stages keep aftercorr


def _script(tmp_path: Path, python: str) -> Path:
    plan = compile_for(CASES.two_at_a_time, {"xs": list(range(10))})
    call = _array_call(plan)
    text = render_call(call, plan.job(call.job), run_id="r", run_dir=tmp_path, python=python)
    assert f"export {STEAL_VARIABLE}=1\n" in text
    (tmp_path / "jobs" / "n0" / "logs").mkdir(parents=True)
    (tmp_path / "jobs" / "n0" / "claims").mkdir()
    script = tmp_path / "job.sh"
    script.write_text(text)
    return script


def _bash(script: Path, task: int) -> int:
    return subprocess.run(["bash", str(script)], env={"SLURM_ARRAY_TASK_ID": str(task), "PATH": "/usr/bin:/bin"},
                          capture_output=True).returncode


def test_a_task_whose_element_another_ran_well_exits_at_once(tmp_path):
    fake = tmp_path / "python"  # stands for the element's Python: says it ran, and fails
    fake.write_text('#!/bin/bash\necho ran >> "$(dirname "$0")/ran-$5"\nexit 3\n')
    fake.chmod(0o755)
    script = _script(tmp_path, str(fake))
    (tmp_path / "jobs" / "n0" / "claims" / "5.done").touch()
    assert _bash(script, 5) == 0 and not (tmp_path / "ran-5").exists()  # stolen, ended well: no Python at all
    assert _bash(script, 3) == 3 and (tmp_path / "ran-3").exists()  # its own: the task ends as its Python does


def test_a_map_that_does_not_steal_ignores_a_budget_left_in_the_submitting_shell(tmp_path):
    plan = compile_for(CASES.two_at_a_time, {"xs": list(range(10))})
    call = dataclasses.replace(_array_call(plan), steal_s=0.0)
    text = render_call(call, plan.job(call.job), run_id="r", run_dir=tmp_path, python="python3")
    assert f"\nunset {STEAL_VARIABLE}\n" in text and f"export {STEAL_VARIABLE}" not in text  # sbatch --export=ALL


@pytest.mark.parametrize("text", ["soon", "-1", "nan", "inf", "0"])
def test_a_budget_that_is_not_a_number_of_seconds_is_ignored_with_one_line(tmp_path, text):
    rd = _run(tmp_path, CASES.two_at_a_time, {"xs": list(range(4))})
    env = {**os.environ, STEAL_VARIABLE: text, "SLURM_JOB_ID": "1000"}
    done = subprocess.run([sys.executable, "-m", "hpcflow.runtime.entry", str(rd.path), "n0", "1"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if STEAL_VARIABLE in line]
    assert len(warned) == (text != "0") and "Traceback" not in done.stderr
    statuses = RunDir(rd.path).statuses("n0")
    assert [s.state.value for s in statuses] == ["PENDING", "SUCCEEDED", "PENDING", "PENDING"]  # it ran its own only


def _run(tmp_path: Path, workflow, inputs: dict) -> RunDir:
    plan = compile_for(workflow, inputs)
    return create_run(workflow, CASES, plan, tmp_path / "runs", index=False,  # (local: nothing to cancel)
                      cache_dir=tmp_path / "cache")


def _element(rd: RunDir, index: int) -> subprocess.CompletedProcess:
    """Array task `index` of the map, as its jobscript starts it (Slurm's SLURM_JOB_ID: a made-up one)."""
    env = {**os.environ, STEAL_VARIABLE: "1", "SLURM_JOB_ID": str(1000 + index)}
    return subprocess.run([sys.executable, "-m", "hpcflow.runtime.entry", str(rd.path), "n0", str(index)],
                          env=env, capture_output=True, text=True, timeout=120)


def test_the_first_task_runs_the_map_from_the_top_and_a_late_task_takes_its_elements_outcome(tmp_path):
    rd = _run(tmp_path, CASES.two_at_a_time, {"xs": list(range(10))})
    first = _element(rd, 0)
    assert first.returncode == 0, first.stderr
    statuses = RunDir(rd.path).statuses("n0")
    assert [s.state.value for s in statuses] == ["SUCCEEDED"] * 10
    assert [s.ran_in for s in statuses] == [None] + [0] * 9  # trivial: one process ran them all
    assert "element 9, taken over from its own array task" in first.stderr
    assert sorted(p.name for p in (rd.job_dir("n0") / "claims").glob("*.done")) == sorted(f"{i}.done" for i in range(10))
    thief = _run(tmp_path / "again", CASES.two_at_a_time, {"xs": list(range(10))})
    assert _element(thief, 5).returncode == 0  # a later task first: it steals element 0, which keeps its cost
    assert RunDir(thief.path).status("n0", 0).ran_in == 5
    assert len(list((tmp_path / "again" / "cache" / "timings").glob("*.json"))) == 1
    late = _element(rd, 4)  # (its jobscript would not even start it: 4.done)
    assert late.returncode == 0 and "taken over" not in late.stderr
    assert RunDir(rd.path).status("n0", 4).pid == statuses[4].pid  # not run again


def test_a_stolen_failure_stops_the_thief_and_fails_only_its_own_task(tmp_path):
    rd = _run(tmp_path, CASES.one_refuses, {"xs": list(range(10)), "bad": 7})
    first = _element(rd, 0)
    assert first.returncode == 0, first.stderr  # its own element ended well
    statuses = RunDir(rd.path).statuses("n0")
    assert [s.state.value for s in statuses[7:]] == ["FAILED", "SUCCEEDED", "SUCCEEDED"] and statuses[7].ran_in == 0
    assert [s.state.value for s in statuses[1:7]] == ["PENDING"] * 6  # it stopped at the failure
    assert not (rd.job_dir("n0") / "claims" / "7.done").exists()
    own = _element(rd, 7)
    assert own.returncode == 1 and "element 7 ran in array task 0 (taken over): FAILED" in own.stderr
    assert "element 7 refuses" in own.stderr
    assert _element(rd, 3).returncode == 0 and RunDir(rd.path).status("n0", 3).ran_in is None


def test_a_claim_whose_holder_stopped_touching_it_is_taken_back(tmp_path, monkeypatch):
    rd = _run(tmp_path, CASES.two_at_a_time, {"xs": list(range(4))})
    monkeypatch.setenv("SLURM_JOB_ID", "2000")
    claims = stealing.Claims(rd.job_dir("n0") / "claims")
    assert claims.take(2) and claims.take(3)  # a thief's claims: it died before 2 started, and while 3 ran
    RunDir(rd.path).write_status("n0", 3, ElementStatus(State.RUNNING, started=1.0, pid=7, ran_in=0))
    monkeypatch.setenv("SLURM_JOB_ID", "1002")
    assert not stealing.Claims(claims.folder).take(2) and not stealing.Claims(claims.folder).mine(2)
    monkeypatch.setattr(stealing, "STALE_S", 0.3)
    assert stealing.run_or_steal(RunDir(rd.path), "n0", 2, 1.0) == 0  # never started there: run here
    status = RunDir(rd.path).status("n0", 2)
    assert status.state.value == "SUCCEEDED" and status.ran_in is None
    assert claims.holder(2).startswith("1002 ")
    monkeypatch.setenv("SLURM_JOB_ID", "1003")
    assert stealing.run_or_steal(RunDir(rd.path), "n0", 3, 1.0) == 1  # lost while it ran: an attempt, and no retries
    status = RunDir(rd.path).status("n0", 3)
    assert (status.state, status.attempts, status.ran_in) == (State.FAILED, 1, 0)
    assert status.error.startswith("lost in attempt 1 with the process that ran it in another array task (Slurm job 2000, ")
    assert not (claims.folder / "3.done").exists()


def test_an_array_task_run_again_in_its_own_job_finds_its_own_claim(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "77")
    claims = stealing.Claims(tmp_path / "claims")
    assert claims.take(1) and not claims.take(1)
    again = stealing.Claims(tmp_path / "claims")  # a requeue, or its recover step's run again: the same job id
    assert again.mine(1)
    monkeypatch.setenv("SLURM_JOB_ID", "78")
    assert not stealing.Claims(tmp_path / "claims").mine(1)
    monkeypatch.delenv("SLURM_JOB_ID")
    assert not stealing.Claims(tmp_path / "claims").mine(1)  # no job: never another process's claim
