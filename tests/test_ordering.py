"""`a >> b` orders two calls without data between them, in-process, through hpcflow run and in
the plan Slurm gets (an afterok edge, never aftercorr: b waits for all of a)."""
from __future__ import annotations

import pytest

from hpcflow.core.compile import compile_plan
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.loader import load_workflow
from paths import ROOT

ORDERING = f"{ROOT}/tests/workflows/ordering.py"


@pytest.fixture
def log(tmp_path, monkeypatch):
    path = tmp_path / "order.log"
    monkeypatch.setenv("ORDERING_LOG", str(path))
    return lambda: path.read_text().split() if path.exists() else []


def test_in_process_calls_run_in_the_order_given(log):
    wf, _ = load_workflow(f"{ORDERING}:chain_tasks_wf")
    wf()
    assert log() == ["t0", "t1", "t2"]  # called t2, t1, t0; ordered t0 >> t1 >> t2
    chained, _ = load_workflow(f"{ORDERING}:chain_workflows_wf")
    chained()
    assert log()[3:] == ["t0", "t1"]


def test_the_plan_waits_on_the_whole_upstream_job(log):
    wf, _ = load_workflow(f"{ORDERING}:chain_tasks_wf")
    assert {j.name: j.depends_on for j in compile_plan(wf.graph, {}).jobs} == {"t2": ("n1",), "t1": ("n2",), "t0": ()}
    subs, _ = load_workflow(f"{ORDERING}:chain_workflows_wf")
    assert [(j.id, j.depends_on) for j in compile_plan(subs.graph, {}).jobs] == [("n1.n0", ()), ("n0.n0", ("n1.n0",))]


def test_a_map_ordered_after_a_task_runs_after_it_through_hpcflow_run(hpcflow, log, tmp_path):
    res = hpcflow("run", f"{ORDERING}:map_after_task", "-i", "xs=[1, 2, 3]", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": [1, 4, 9]}, res.stderr
    assert log()[0] == "t0" and sorted(log()[1:]) == ["square1", "square2", "square3"]


def test_a_cycle_of_orderings_is_refused_at_trace_time():
    wf, _ = load_workflow(f"{ORDERING}:cycle")
    with pytest.raises(WorkflowDefinitionError, match="make a cycle"):
        wf.graph
