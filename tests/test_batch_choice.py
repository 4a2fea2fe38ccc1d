"""Batch sizes chosen from the work (core/batching.py, core/layout.py): the guides' rule that an array
task runs at least ten times its start-up, within the site's max_fanout."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from hpcflow.core.batching import BatchChoice, choose_batch, from_work
from hpcflow.core.compile import compile_plan
from hpcflow.core.layout import RunPlace, lay_out
from hpcflow.core.plan import Role
from hpcflow.loader import load_file
from hpcflow.site.config import load_site
from paths import ROOT

CASES = load_file(ROOT / "tests" / "workflows" / "slurm_cases.py")
PLACE = RunPlace("r", "/runs/r")
SITE = load_site("dev-cluster")  # task_start 1 s: a task must run 10 s; auto_batch_above 1000


def _map(workflow, n: int):
    plan = compile_plan(workflow.graph, {"xs": list(range(n))})
    return plan, next(job for job in plan.jobs if job.is_array)


def test_a_cost_known_from_an_earlier_run_sizes_tasks_to_ten_start_ups():
    _, job = _map(CASES.squares_summed, 100_000)
    choice = choose_batch(job, 100_000, SITE, seconds=0.002)  # 2 ms an element: 5,000 make 10 s
    assert choice.batch == 5000 and not choice.probe
    assert "20 array task(s) of 5000" in choice.why and "earlier run" in choice.why


def test_slow_elements_run_one_per_task_and_the_fanout_limit_still_holds():
    _, job = _map(CASES.squares_summed, 100_000)
    assert choose_batch(job, 100_000, SITE, seconds=30.0).batch == 10  # 30 s each, but at most 10,000 tasks
    _, small = _map(CASES.squares_summed, 5000)
    assert choose_batch(small, 5000, SITE, seconds=30.0).batch is None  # one element per task
    assert from_work(5000, 30.0, SITE, 7, "seen").batch == 7  # never fewer than array task 0 already holds


def test_an_unknown_cost_is_timed_by_a_probe_and_small_maps_stay_unbatched():
    _, job = _map(CASES.squares_summed, 5000)
    assert choose_batch(job, 5000, SITE).probe
    _, small = _map(CASES.squares_summed, 1000)
    assert choose_batch(small, 1000, SITE) == BatchChoice(None)  # at most auto_batch_above: never probed
    off = dataclasses.replace(SITE, auto_batch_above=0)
    assert not choose_batch(job, 5000, off).probe and choose_batch(job, 5000, off).batch is None


def test_a_given_batch_size_and_maps_whose_tasks_are_not_plain_batches_are_not_sized_by_work():
    _, job = _map(CASES.squares_in_fours, 5000)
    assert choose_batch(job, 5000, SITE, seconds=1e-6).batch == 4  # map_task(batch_size=4) wins
    for change in ({"interruptible": True}, {"pool": "warm"}, {"launcher": "mpi"}):
        other = dataclasses.replace(job, batch_size=None, **change)
        assert choose_batch(other, 5000, SITE, seconds=1e-6).batch is None
    retried = dataclasses.replace(job, batch_size=None, retries=2)  # the history sizes it, no probe
    assert not choose_batch(retried, 5000, SITE).probe and choose_batch(retried, 5000, SITE, 0.001).batch == 5000


def test_a_small_map_with_a_known_cost_is_batched_so_a_task_runs_at_most_one_start_up():
    _, job = _map(CASES.squares_summed, 200)
    choice = choose_batch(job, 200, SITE, seconds=4e-5)  # x*x: 1 s of start-up holds all 200
    assert (choice.batch, choice.probe) == (200, False)
    assert choice.why == ("an element of map_square took 0.04 ms in an earlier run; so 1 array task of 200 elements, "
                          "each running at most 1 s (a task's start-up)")
    assert choose_batch(job, 200, SITE, seconds=0.1).batch == 10  # 10 of 0.1 s fill a start-up: 20 tasks
    assert "20 array tasks of 10 elements" in choose_batch(job, 200, SITE, seconds=0.1).why
    assert choose_batch(job, 200, SITE, seconds=0.3).batch == 3  # floor(1 / 0.3): never over a start-up
    assert choose_batch(job, 200, SITE, seconds=1 / 3).batch == 3  # (3 of a third fit, floats or not)
    _, full = _map(CASES.squares_summed, 1000)  # at auto_batch_above: still a small map, no probe
    assert choose_batch(full, 1000, SITE, seconds=1e-3) == BatchChoice(
        1000, "an element of map_square took 1 ms in an earlier run; so 1 array task of 1000 elements, each running "
              "at most 1 s (a task's start-up)")


def test_a_small_map_is_batched_only_when_at_least_two_elements_fit_in_a_start_up():
    _, job = _map(CASES.squares_summed, 200)
    assert choose_batch(job, 200, SITE, seconds=0.5).batch == 2  # two of 0.5 s: exactly one start-up
    for seconds in (0.51, 0.9, 1.0, 30.0):  # one a task: batching would make the map end later
        assert choose_batch(job, 200, SITE, seconds=seconds) == BatchChoice(None)
    _, one = _map(CASES.squares_summed, 1)
    assert choose_batch(one, 1, SITE, seconds=1e-6).batch is None  # a batch of one is no batch


def test_a_small_map_batched_by_its_cost_stays_within_max_fanout():
    _, job = _map(CASES.squares_summed, 900)
    narrow = dataclasses.replace(SITE, max_fanout=100)
    assert choose_batch(job, 900, narrow).batch == 9  # no history: the fanout rule, as before
    assert choose_batch(job, 900, narrow, seconds=0.9).batch == 9  # 1 fits a start-up, 9 the fanout
    choice = choose_batch(job, 900, narrow, seconds=0.4)  # 2 fit a start-up, but 100 tasks at most: 9 each
    assert choice.batch == 9 and "the site's max_fanout is 100" in choice.why
    assert choose_batch(job, 900, narrow, seconds=0.01).batch == 100  # 100 fit a start-up: 9 tasks


def test_small_maps_of_kinds_not_sized_by_work_keep_their_batching_whatever_their_history():
    _, job = _map(CASES.squares_in_fours, 200)
    assert choose_batch(job, 200, SITE, seconds=1e-6).batch == 4  # map_task(batch_size=4) wins
    for change in ({"interruptible": True}, {"pool": "warm"}, {"launcher": "mpi"}):
        other = dataclasses.replace(job, batch_size=None, **change)
        assert choose_batch(other, 200, SITE, seconds=1e-6) == BatchChoice(None)
    off = dataclasses.replace(SITE, auto_batch_above=0)  # the site never batches by work
    assert choose_batch(dataclasses.replace(job, batch_size=None), 200, off, seconds=1e-6) == BatchChoice(None)


def test_large_maps_keep_ten_start_ups_a_task_whatever_the_small_maps_rule():
    _, job = _map(CASES.squares_summed, 1001)  # just above auto_batch_above
    assert choose_batch(job, 1001, SITE).probe
    assert choose_batch(job, 1001, SITE, seconds=0.002).batch == 1001  # 10 s / 2 ms = 5,000: one task
    assert choose_batch(job, 1001, SITE, seconds=0.04).batch == 250  # 10 s / 40 ms, not 1 s / 40 ms
    assert "each running at least 10 s" in choose_batch(job, 1001, SITE, seconds=0.04).why


def test_the_layout_batches_a_small_map_from_history_and_a_resume_keeps_its_recorded_batch():
    plan, job = _map(CASES.squares_summed, 200)
    unbatched, _ = lay_out(plan, SITE, PLACE)
    assert unbatched.role is Role.ARRAY and (unbatched.batch, unbatched.count) == (None, 200) and not unbatched.why
    array, reduce_ = lay_out(plan, SITE, PLACE, seconds={job.id: 4e-5})
    assert (array.batch, array.count) == (200, 1) and "at most 1 s" in array.why
    assert [e.kind for e in reduce_.after] == ["afterok"]
    array, _ = lay_out(plan, SITE, PLACE, recorded={job.id: 50}, seconds={job.id: 4e-5})
    assert (array.batch, array.count) == (50, 4)  # a resume keeps the batches its records follow
    array, _ = lay_out(plan, SITE, PLACE, done={job.id: frozenset(range(100))}, recorded={job.id: 50},
                       seconds={job.id: 4e-5})
    assert (array.batch, array.indices) == (50, (2, 3))  # only the tasks of the elements left
    # a first submission that ran one element a task (its history unknown then): its resume keeps that
    array, _ = lay_out(plan, SITE, PLACE, done={job.id: frozenset(range(100))}, recorded={job.id: 1},
                       seconds={job.id: 4e-5})
    assert array.batch == 1 and array.indices == tuple(range(100, 200))


def test_a_small_map_batched_from_history_is_not_paired_task_by_task_with_another():
    plan = compile_plan(CASES.three_stages.graph, {"xs": list(range(200))})
    a, b, c = [job for job in plan.jobs if job.is_array]
    def edges(calls, job):  # noqa: E306
        return [e.kind for e in next(call for call in calls if call.job == job.id).after]
    calls = lay_out(plan, SITE, PLACE)
    assert edges(calls, b) == edges(calls, c) == ["aftercorr"]  # unbatched, element-wise: task i after task i
    calls = lay_out(plan, SITE, PLACE, seconds={a.id: 4e-5, b.id: 0.9})  # a batched, b not (one fits a start-up)
    assert [call.batch for call in calls] == [200, None, None]
    assert edges(calls, b) == ["afterok"] and edges(calls, c) == ["aftercorr"]


def test_the_layout_submits_a_probe_alone_then_batches_from_history_or_the_recorded_batch():
    plan, job = _map(CASES.squares_summed, 5000)
    probe, reduce_ = lay_out(plan, SITE, PLACE)
    assert probe.role is Role.PROBE and probe.count == 1 and probe.batch == 5000 and probe.entry.endswith("probe")
    assert "--array" not in "\n".join(probe.directives)
    assert [e.kind for e in reduce_.after] == ["afterok"]
    array, _ = lay_out(plan, SITE, PLACE, seconds={job.id: 0.004})  # 2,500 an array task
    assert array.role is Role.ARRAY and (array.batch, array.count) == (2500, 2) and "earlier run" in array.why
    array, _ = lay_out(plan, SITE, PLACE, recorded={job.id: 700}, seconds={job.id: 0.004})
    assert (array.batch, array.count) == (700, 8)  # a resume keeps the batches its records follow


def test_a_local_run_times_a_large_map_in_its_probe_then_batches_the_next_run_from_that_time(hpcflow, runs_dir):
    scale = str(ROOT / "tests" / "workflows" / "scale.py")
    first = hpcflow("run", f"{scale}:napping", "-i", "n=1500", "--json")
    assert first.code == 0 and first.json["outputs"] == {"o0": 1500}, first.stderr
    job = runs_dir / first.json["run_id"] / "jobs" / "n1"
    batching = json.loads((job / "batch.json").read_text())
    assert "probing" not in batching and batching["why"].startswith("elements 2-")
    # 10 ms elements and tasks of at least 2.5 s (10x a local process's 0.25 s start-up): a few hundred each
    assert 1 < batching["batch_size"] < 1500
    assert (job / "probe.sh").exists() and len(list((job / "tasks").iterdir())) == -(-1500 // batching["batch_size"])
    again = hpcflow("run", f"{scale}:napping", "-i", "n=1500", "--json")
    assert again.code == 0 and again.json["outputs"] == {"o0": 1500}, again.stderr
    job = runs_dir / again.json["run_id"] / "jobs" / "n1"
    assert "in an earlier run" in json.loads((job / "batch.json").read_text())["why"] and not (job / "probe.sh").exists()


def test_a_local_run_of_a_small_trivial_map_records_its_cost_then_the_next_run_batches_it(hpcflow, runs_dir,
                                                                                          tmp_path):
    cases, xs = str(ROOT / "tests" / "workflows" / "slurm_cases.py"), list(range(50))
    first = hpcflow("run", f"{cases}:squares_summed", "-i", f"xs={json.dumps(xs)}", "--json")
    assert first.code == 0 and first.json["outputs"] == {"o0": sum(x * x for x in xs)}, first.stderr
    job = runs_dir / first.json["run_id"] / "jobs" / "n0"
    # no history: one element a task (never probed), and element 0 kept what its call cost
    assert not (job / "batch.json").exists() and not (job / "probe.sh").exists()
    assert len(list((job / "tasks").iterdir())) == 50
    timings = list((tmp_path / "home").rglob("timings/*.json"))
    assert len(timings) == 1
    seconds = json.loads(timings[0].read_text())["seconds"]
    # x*x: microseconds, the call alone, not the process's start-up (its wall time: a loaded machine may keep
    # it waiting for a CPU for tens of ms, and the batch below follows what was measured); under 125 ms, at
    # least two such elements fit a local task's 0.25 s start-up
    assert 0 < seconds < 0.125
    again = hpcflow("run", f"{cases}:squares_summed", "-i", f"xs={json.dumps(xs)}", "--json")
    assert again.code == 0 and again.json["outputs"] == {"o0": sum(x * x for x in xs)}, again.stderr
    job = runs_dir / again.json["run_id"] / "jobs" / "n0"
    batching = json.loads((job / "batch.json").read_text())
    # a local process's 0.25 s start-up holds all 50 (unless the machine's load stretched the one timed call)
    batch = min(50, int(0.25 / seconds * (1 + 1e-9)))
    tasks = -(-50 // batch)
    assert batching["batch_size"] == batch and "probing" not in batching
    said = f"in an earlier run; so {tasks} array task{'s' if tasks > 1 else ''} of {batch} elements"
    assert said in batching["why"] and "each running at most 250 ms (a task's start-up)" in batching["why"]
    assert len(list((job / "tasks").iterdir())) == tasks  # the array tasks' records
    status = hpcflow("status", again.json["run_id"])
    assert status.code == 0 and said in status.stdout, status.stderr


def test_editing_a_tasks_body_times_it_afresh_rather_than_batching_it_on_the_old_bodys_cost(hpcflow, runs_dir,
                                                                                              tmp_path):
    """A map tried out on trivial work must not be batched as trivial once its body does real work."""
    source = tmp_path / "edited.py"
    body = '''
from hpcflow import map_task, task, workflow


@task
def step(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def wf(xs: list[int]) -> int:
    return total(xs=map_task(step)(x=xs))
'''
    xs = json.dumps(list(range(20)))
    source.write_text(body)
    for _ in range(2):  # timed, then batched on that time
        res = hpcflow("run", f"{source}:wf", "-i", f"xs={xs}", "--json")
        assert res.code == 0 and res.json["outputs"] == {"o0": sum(x * x for x in range(20))}, res.stderr
    assert (runs_dir / res.json["run_id"] / "jobs" / "n0" / "batch.json").exists()
    source.write_text(body.replace("return x * x", "return x * x + 1  # now the real work"))
    edited = hpcflow("run", f"{source}:wf", "-i", f"xs={xs}", "--json")
    assert edited.code == 0 and edited.json["outputs"] == {"o0": sum(x * x + 1 for x in range(20))}, edited.stderr
    job = runs_dir / edited.json["run_id"] / "jobs" / "n0"
    assert not (job / "batch.json").exists() and len(list((job / "tasks").iterdir())) == 20  # one element a task
    assert len(list((tmp_path / "home").rglob("timings/*.json"))) == 2  # the old body's time and the new one's


def test_a_batch_keeps_its_elements_pace_so_a_slower_run_makes_the_next_batches_smaller(hpcflow, runs_dir, tmp_path):
    source, pause = tmp_path / "naps.py", tmp_path / "pause"
    source.write_text('''
import functools
import time

from hpcflow import map_task, task, workflow


@task
def nap(x: int, pause: str) -> int:
    time.sleep(float(open(pause).read()))  # the same inputs, whatever the file says: a node got slower, say
    return x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def wf(xs: list[int], pause: str) -> int:
    return total(xs=map_task(functools.partial(nap, pause=pause))(x=xs))
''')

    def run(seconds: float) -> Path:
        pause.write_text(str(seconds))
        res = hpcflow("run", f"{source}:wf", "-i", f"xs={json.dumps(list(range(20)))}", "-i", f"pause={pause}",
                      "--json", timeout=600)
        assert res.code == 0 and res.json["outputs"] == {"o0": sum(range(20))}, res.stderr
        return runs_dir / res.json["run_id"] / "jobs" / "n0"

    run(0.0)  # element 0 keeps a cost of microseconds
    slow = run(0.05)  # so the work, now slower, runs as one batch (20 x 50 ms in one local task of 0.25 s start-up)
    assert json.loads((slow / "batch.json").read_text())["batch_size"] == 20
    (timings,) = (tmp_path / "home").rglob("timings/*.json")
    assert json.loads(timings.read_text())["seconds"] >= 0.05  # the batch kept the pace it found
    again = run(0.05)
    batch = json.loads((again / "batch.json").read_text())["batch_size"]
    assert batch < 20 and len(list((again / "tasks").iterdir())) == -(-20 // batch)  # at most a start-up a task


def test_what_an_element_cost_is_kept_per_inputs_so_a_trial_on_small_data_does_not_batch_the_real_run(hpcflow,
                                                                                                       runs_dir):
    cases = str(ROOT / "tests" / "workflows" / "slurm_cases.py")

    def run(xs: list[int]) -> Path:
        res = hpcflow("run", f"{cases}:squares_summed", "-i", f"xs={json.dumps(xs)}", "--json")
        assert res.code == 0 and res.json["outputs"] == {"o0": sum(x * x for x in xs)}, res.stderr
        return runs_dir / res.json["run_id"] / "jobs" / "n0"

    trial = list(range(20))
    run(trial)
    assert (run(trial) / "batch.json").exists()  # the same work again: batched on what it cost
    real = run([x + 100 for x in trial])  # other inputs: their cost is not known, whatever the task's was
    assert not (real / "batch.json").exists() and len(list((real / "tasks").iterdir())) == 20


def test_the_work_key_follows_constants_by_value_and_upstream_outputs_by_their_tasks_key():
    from hpcflow.runtime.timings import work_key

    scale = load_file(ROOT / "tests" / "workflows" / "scale.py")
    fed = compile_plan(scale.napping.graph, {"n": 1500})  # items(n) feeds the map
    mapped = next(j for j in fed.jobs if j.kind == "map")
    again = compile_plan(scale.napping.graph, {"n": 1500})
    other = compile_plan(scale.napping.graph, {"n": 1501})
    assert work_key(fed, mapped) is not None
    assert work_key(fed, mapped) == work_key(again, next(j for j in again.jobs if j.kind == "map"))
    assert work_key(fed, mapped) != work_key(other, next(j for j in other.jobs if j.kind == "map"))
