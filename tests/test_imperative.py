"""flytekit's imperative Workflow(name=...), create_node, TaskMetadata and Resources forms give
flytekit 1.16.31's answers (expected_imperative.json, made by flytekit_docs/record_flytekit.py)
in-process and through `hpcflow run`, and what flytekit refuses is refused, as the same built-in
exception class, with a one-line message."""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

import hpcflow
from hpcflow import Resources, TaskMetadata, Workflow, create_node, map_task, task, workflow
from hpcflow.core.compile import compile_plan
from hpcflow.errors import HpcflowError, WorkflowDefinitionError
from hpcflow.loader import load_workflow
from hpcflow.sdk.imperative import ImperativeWorkflow

DOCS = Path(__file__).resolve().parent / "flytekit_docs"
EXPECTED = json.loads((DOCS / "expected_imperative.json").read_text())
CASES = [(m[:-3], wf, c["kwargs"], c["result"], c["log"]) for m, wfs in EXPECTED["cases"].items() for wf, c in wfs.items()]
IDS = [f"{c[0]}:{c[1]}" for c in CASES]
sys.path.insert(0, str(DOCS))


def _plain(value):
    return [_plain(v) for v in value] if isinstance(value, (tuple, list)) else value


@pytest.fixture
def logs(tmp_path, monkeypatch):
    path = tmp_path / "order.log"
    for name in ("IMPERATIVE_LOG", "CREATE_NODE_LOG"):
        monkeypatch.setenv(name, str(path))
    monkeypatch.delenv("FLAKY_DIR", raising=False)
    return lambda: path.read_text().split() if path.exists() else []


@pytest.mark.parametrize("module,wf_name,kwargs,expected,log", CASES, ids=IDS)
def test_in_process_matches_flytekit(logs, module, wf_name, kwargs, expected, log):
    wf = getattr(importlib.import_module(module), wf_name)
    assert _plain(wf(**kwargs)) == expected
    assert logs() == log


@pytest.mark.parametrize("module,wf_name,kwargs,expected,log", CASES, ids=IDS)
def test_hpcflow_run_matches_flytekit(hpcflow, logs, module, wf_name, kwargs, expected, log):
    args = sum((["-i", f"{k}={json.dumps(v)}"] for k, v in kwargs.items()), [])
    res = hpcflow("run", f"{DOCS / module}.py:{wf_name}", *args, "--json")
    assert res.code == 0, res.stderr
    outputs = list(res.json["outputs"].values())
    assert (outputs if len(outputs) > 1 else outputs[0] if outputs else None) == expected
    assert logs() == log


REFUSALS = list(EXPECTED["refusals"].items())


@pytest.mark.parametrize("label,case", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_what_flytekit_refuses_is_refused_as_the_same_builtin_exception(label, case):
    names = {"task": task, "workflow": workflow, "map_task": map_task, "Resources": Resources,
             "TaskMetadata": TaskMetadata, "Workflow": Workflow, "create_node": create_node,
             "m_imp": importlib.import_module("flyte_imperative_more"),
             "m_meta": importlib.import_module("flyte_task_metadata")}
    assert case["builtin"], f"flytekit accepts {case['code']}"
    with pytest.raises(BaseException) as info:
        eval(case["code"], names)
    builtin = getattr(__builtins__, case["builtin"], None) or __builtins__[case["builtin"]]  # type: ignore[index]
    assert isinstance(info.value, builtin), f"{case['code']}: {info.value!r}, flytekit raised {case['flytekit']}"
    if case["builtin"] not in ("KeyError", "TypeError") or isinstance(info.value, HpcflowError):
        message = str(info.value)
        assert isinstance(info.value, HpcflowError) and "\n" not in message and len(message) < 300, message


def test_the_top_level_workflow_is_the_imperative_builder_and_the_loader_takes_it():
    assert hpcflow.Workflow is ImperativeWorkflow
    wf, _ = load_workflow(f"{DOCS / 'flyte_imperative.py'}:imperative_wf")
    assert isinstance(wf, hpcflow.sdk.workflow.Workflow) and wf.name == "imperative_workflow"
    with pytest.raises(hpcflow.errors.LoadError, match="imperative_wf"):  # it is listed among the file's workflows
        load_workflow(f"{DOCS / 'flyte_imperative.py'}:slope")


def test_an_imperative_graph_is_the_graph_the_same_decorated_workflow_traces():
    guide = importlib.import_module("flyte_imperative")

    @workflow
    def decorated(x: list[int], y: list[int]) -> float:
        return guide.intercept(x=x, y=y, slope=guide.slope(x=x, y=y))

    shape = lambda g: [(n.id, n.kind, n.entity, dict(n.inputs), n.after) for n in g.nodes]  # noqa: E731
    imperative = guide.imperative_wf.graph
    assert shape(imperative) == shape(decorated.graph)
    assert [b for _, b in imperative.outputs] == [b for _, b in decorated.graph.outputs]
    assert imperative.interface.output_names == ("wf_output",) and imperative.interface.input_names == ("x", "y")


def test_a_sub_workflow_and_a_launch_plan_flatten_into_the_plan_and_the_map_is_an_array():
    pipeline = importlib.import_module("flyte_imperative_more").pipeline
    plan = compile_plan(pipeline.graph, {"xs": [1, 2, 3]})
    assert [(j.id, j.kind, j.size, j.depends_on) for j in plan.jobs] == [
        ("n0", "map", 3, ()), ("n1", "task", 1, ("n0",)), ("n2.n0", "task", 1, ("n1",)),
        ("n3.n0.n0", "task", 1, ("n2.n0",))]


def test_nodes_can_be_added_after_a_run_and_the_next_run_has_them():
    @task
    def neg(x: int) -> int:
        return -x

    wb = Workflow(name="grows")
    node = wb.add_entity(neg, x=wb.add_workflow_input("x", int))
    wb.add_workflow_output("o0", node.outputs["o0"])
    assert wb(x=2) == -2 and wb(3) == -3  # flytekit takes the inputs in order too
    again = wb.add_entity(neg, x=node.outputs["o0"])
    wb.add_workflow_output("back", again.outputs["o0"])
    assert wb(x=2) == (-2, 2) and wb(x=2).back == 2 and type(wb(x=2)).__name__ == "DefaultNamedTupleOutput"


def test_create_node_outputs_by_attribute_and_by_name_and_ordering():
    mod = importlib.import_module("flyte_create_node")

    @workflow
    def both(xs: list[int]) -> int:
        s = create_node(mod.stats, xs=xs)
        low, high = s.outputs["low"], s.high
        n = create_node(mod.inc, x=high)
        s >> n
        return mod.inc(x=low)

    nodes = both.graph.nodes
    assert [n.entity.name for n in nodes] == ["stats", "inc", "inc"] and nodes[1].after == ("n0",)
    assert both(xs=[3, 7]) == 4

    @workflow
    def missing(xs: list[int]) -> int:
        return create_node(mod.stats, xs=xs).o9

    with pytest.raises(AttributeError, match="no output 'o9'; its outputs are: low, high"):
        missing.graph


def test_map_task_metadata_replaces_the_tasks_options_in_the_plan_and_retries_through_hpcflow_run(hpcflow, tmp_path, monkeypatch):
    meta = importlib.import_module("flyte_task_metadata")
    job = compile_plan(meta.retried_map.graph, {"xs": [1, 2]}).jobs[0]
    assert (job.retries, job.cache, job.cache_version, job.timeout_s) == (1, True, "1", 300.0)
    assert compile_plan(meta.default_ratio_map.graph, {"xs": [1]}).jobs[0].min_success_ratio == 1.0
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setenv("FLAKY_DIR", str(marks))  # each element fails once: retries=1 makes it succeed
    res = hpcflow("run", f"{DOCS / 'flyte_task_metadata.py'}:retried_map", "-i", "xs=[1, 2, 3]", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": [1, 4, 9]}, res.stderr
    assert sorted(p.name for p in marks.iterdir()) == ["seen-1", "seen-2", "seen-3"]
    marks_again = tmp_path / "again"
    marks_again.mkdir()
    monkeypatch.setenv("FLAKY_DIR", str(marks_again))  # without retries, the first failure is final
    res = hpcflow("run", f"{DOCS / 'flyte_task_metadata.py'}:default_ratio_map", "-i", "xs=[2]", "--json")
    assert res.code != 0


def test_resources_pairs_become_requests_and_limits_and_slurm_gets_the_requests():
    meta = importlib.import_module("flyte_task_metadata")
    assert (meta.paired.spec.requests, meta.paired.spec.limits) == (Resources(cpu="1", mem="1Gi"), Resources(cpu="2", mem="2Gi"))
    jobs = compile_plan(meta.resources_wf.graph, {"x": 1}).jobs
    assert [(j.resources.cpus, j.resources.mem_bytes) for j in jobs] == [(1, 2**30), (2, 3 * 2**30), (2, None)]  # an override replaces all the requests, as in flytekit


def test_a_later_with_overrides_replaces_the_resources_of_an_earlier_one():
    meta = importlib.import_module("flyte_task_metadata")

    @workflow
    def twice(x: int) -> int:
        return meta.sized(x=x).with_overrides(requests=Resources(cpu="3")).with_overrides(
            resources=Resources(cpu=("4", "8")))

    assert compile_plan(twice.graph, {"x": 1}).jobs[0].resources.cpus == 4


def test_taskmetadata_options_hpcflow_cannot_honour_are_refused():
    with pytest.raises(WorkflowDefinitionError, match="Kubernetes pods"):
        TaskMetadata(pod_template_name="gpu-pod")
    with pytest.raises(WorkflowDefinitionError, match="metadata= takes TaskMetadata"):
        map_task(importlib.import_module("flyte_task_metadata").sized, metadata={"retries": 1})


def test_an_imperative_node_takes_overrides_and_a_sub_workflow_with_a_conditional():
    cond = importlib.import_module("flyte_conditional")
    meta = importlib.import_module("flyte_task_metadata")
    wb = Workflow(name="with_branches")
    radius = wb.add_workflow_input("radius", float)
    shape = wb.add_entity(cond.shape_properties, radius=radius)
    sized = wb.add_entity(meta.sized, x=wb.add_workflow_input("x", int)).with_overrides(
        requests=Resources(cpu="2"), retries=2)
    wb.add_workflow_output("area", shape.outputs["o0"])
    wb.add_workflow_output("sized", sized.o0)
    expected = json.loads((DOCS / "expected_conditional.json").read_text())["cases"]["shape_properties#1"]
    assert wb(radius=expected["kwargs"]["radius"], x=1) == (pytest.approx(expected["result"]), 2)
    job = next(j for j in compile_plan(wb.graph, {"radius": 3.0, "x": 1}).jobs if j.name == "sized")
    assert (job.resources.cpus, job.retries) == (2, 2)


def test_a_launch_plan_of_an_imperative_workflow_takes_its_defaults():
    pipeline = importlib.import_module("flyte_imperative_more").pipeline
    plan = hpcflow.LaunchPlan.get_or_create(pipeline, name="imperative_pipeline_lp", default_inputs={"xs": [2, 3]})
    assert plan() == ([4, 9], 23, 123) and plan(xs=[1]).plus_hundred == 111
