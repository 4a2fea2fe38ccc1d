"""Fitting a run under the cap on queued jobs (core/fitting.py): maps batched as little as fits."""
from __future__ import annotations

import dataclasses

import pytest

from hpcflow.core.compile import compile_plan
from hpcflow.core.fitting import OverSubmitLimit, fit_under, queued_jobs
from hpcflow.core.layout import RunPlace, lay_out
from hpcflow.loader import load_file
from hpcflow.site.config import load_site
from paths import ROOT

CASES = load_file(ROOT / "tests" / "workflows" / "slurm_cases.py")
PLACE = RunPlace("r", "/runs/r")


def _fit(workflow, n: int, headroom: int | None):
    plan = compile_plan(workflow.graph, {"xs": list(range(n))})
    site = load_site("dev-cluster")
    return fit_under(lambda s, window=0: lay_out(plan, s, PLACE, window=window), site, headroom, "the cap is 20")


def test_a_run_over_the_cap_is_batched_as_little_as_fits():
    calls, site = _fit(CASES.squares_summed, 60, None)
    assert queued_jobs(calls) == 61  # no cap: one array task per element, and the reduce
    calls, site = _fit(CASES.squares_summed, 60, 20)
    array = calls[0]
    assert queued_jobs(calls) <= 20 and array.batch == 4 and array.count == 15  # 60 elements in 15 tasks
    looser = dataclasses.replace(site, max_fanout=site.max_fanout + 1)
    assert queued_jobs(lay_out(compile_plan(CASES.squares_summed.graph, {"xs": list(range(60))}), looser, PLACE)) > 20


def test_a_map_that_cannot_be_batched_is_windowed_with_room_for_the_last_task_of_a_window():
    calls, _ = _fit(CASES.squares_one_per_task, 60, 20)
    array, reduce_ = calls
    assert array.window == 18 and array.count == 18 and queued_jobs(calls) == 19  # 18 + the reduce + 1 running
    assert [e.kind for e in reduce_.after] == ["afterok"]


def test_what_cannot_fit_even_windowed_is_an_error_naming_the_cap():
    with pytest.raises(OverSubmitLimit, match=r"needs 61 queued jobs .* but the cap is 20; .*leave no room"):
        _fit(CASES.squares_one_per_task, 60, 2)
