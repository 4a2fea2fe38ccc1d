"""Batch sizes chosen from the work (core/batching.py, core/layout.py): the guides' rule that an array
task runs at least ten times its start-up, within the site's max_fanout."""
from __future__ import annotations

import dataclasses
import json

from hpcflow.core.batching import choose_batch, from_work
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
    assert choose_batch(small, 1000, SITE) == choose_batch(small, 1000, SITE, seconds=1e-6)
    assert choose_batch(small, 1000, SITE).batch is None  # at most auto_batch_above: one element per task
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
