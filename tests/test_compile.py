"""Graph -> Plan: one job per task node, one array per map node, dependencies between them."""
from __future__ import annotations

import json
import sys

import pytest

from golden_files import assert_golden
from hpcflow import map_task, task, workflow
from hpcflow.core.compile import compile_plan
from hpcflow.core.layout import RunPlace
from hpcflow.site.config import load_site
from hpcflow.core.plan import plan_from_json, plan_to_json
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.store.codec import to_display

from hpcflow.loader import load_file
from paths import EXAMPLES, ROOT

sys.path.insert(0, str(EXAMPLES))
import nested_parallelism  # noqa: E402
import partitioned_mean  # noqa: E402


def test_partitioned_mean_plan_shape():
    plan = compile_plan(partitioned_mean.partitioned_mean.graph, {"n": 1000, "parts": 4, "seed": 1})
    assert [(j.id, j.kind, j.name) for j in plan.jobs] == [
        ("n0", "task", "make_data"), ("n1", "task", "partition"),
        ("n2", "map", "map_partial_sum"), ("n3", "task", "combine")]
    make, part, mapped, combine = plan.jobs
    assert part.depends_on == ("n0",) and mapped.depends_on == ("n1",) and combine.depends_on == ("n2",)
    # the map's length comes from an upstream output, so it is decided when that job has run
    assert mapped.size is None and mapped.mapped == ("part",) and mapped.concurrency == 4
    assert mapped.resources.mem_bytes == 500 * 2**20 and mapped.cache and mapped.cache_version == "1"
    assert dict(plan.outputs)["o0"].node == "n3"


def test_map_over_workflow_input_has_a_known_size_and_subworkflows_flatten():
    plan = compile_plan(nested_parallelism.sum_of_squares.graph, {"xs": [1, 2, 3, 4, 5]})
    assert [(j.id, j.kind, j.size) for j in plan.jobs] == [("n0", "map", 5), ("n1", "task", 1)]

    plan = compile_plan(nested_parallelism.chunked_sum_of_squares.graph, {"xs": [1, 2], "chunk": 1})
    assert [(j.id, j.kind) for j in plan.jobs] == [("n0", "dynamic"), ("n1", "task")]

    # a dynamic's sub-workflow, compiled from concrete inputs, flattens the nested workflow
    sub = compile_plan(nested_parallelism.per_chunk.trace({"xs": [1, 2, 3], "chunk": 2}), {})
    assert [(j.id, j.kind, j.size) for j in sub.jobs] == [
        ("n0.n0", "map", 2), ("n0.n1", "task", 1), ("n1.n0", "map", 1), ("n1.n1", "task", 1)]
    assert sub.job("n0.n1").depends_on == ("n0.n0",)


def test_plan_json_round_trip_and_golden_copy():
    plan = compile_plan(partitioned_mean.partitioned_mean.graph, {"n": 1000, "parts": 4, "seed": 1},
                        load_site("dev-cluster"), RunPlace("partitioned_mean-RUN", "/runs/partitioned_mean-RUN"))
    assert [(c.job, c.role.value) for c in plan.calls] == [
        ("n0", "single"), ("n1", "single"), ("n3", "single")]  # n1 submits n2 once it knows its length
    obj = plan_to_json(plan, lambda values: [to_display(v) for v in values])
    assert plan_from_json(obj, lambda values: values) == plan
    assert_golden("partitioned_mean.plan.json", json.dumps(obj, indent=1) + "\n")


@task
def pair(a: int, b: int) -> int:
    return a + b


def test_mapped_lists_of_different_lengths_fail_at_compile_time():
    @workflow
    def wf(xs: list[int], ys: list[int]) -> list[int]:
        return map_task(pair)(a=xs, b=ys)

    with pytest.raises(WorkflowDefinitionError, match="same length, but a has 2, b has 3"):
        compile_plan(wf.graph, {"xs": [1, 2], "ys": [1, 2, 3]})


def test_tasks_defined_in_functions_cannot_go_to_job_processes():
    @task
    def local(x: int) -> int:
        return x

    @workflow
    def wf(x: int) -> int:
        return local(x=x)

    with pytest.raises(WorkflowDefinitionError, match="define it at module level"):
        compile_plan(wf.graph, {"x": 1})


def test_self_recursive_workflow_is_rejected():
    @workflow
    def loop(x: int) -> int:
        return loop(x=x)

    with pytest.raises(WorkflowDefinitionError, match="calls itself.*use a @dynamic"):
        compile_plan(loop.graph, {"x": 1})


def test_max_parallelism_throttles_maps_so_that_what_can_run_at_once_stays_under_it():
    from hpcflow.core.parallelism import concurrent_pairs

    cases = load_file(ROOT / "tests" / "workflows" / "parallel_cases.py")
    chained = compile_plan(cases.two_maps_chained.graph, {"xs": list(range(40))}, max_parallelism=4)
    # element-wise chain: both maps can run at once, so each gets half; the reduce waits for all
    assert [(j.kind, j.concurrency) for j in chained.jobs] == [("map", 2), ("map", 2), ("task", None)]
    apart = compile_plan(cases.two_maps_apart.graph, {"xs": list(range(40))}, max_parallelism=4)
    assert [(j.kind, j.concurrency) for j in apart.jobs] == [("map", 4), ("task", None), ("map", 4), ("task", None)]
    assert frozenset(("n0", "n2")) not in concurrent_pairs(apart.jobs)  # the total ends between them
    with pytest.raises(WorkflowDefinitionError, match="max_parallelism=1, but 2 jobs can run at once"):
        compile_plan(cases.two_maps_chained.graph, {"xs": [1]}, max_parallelism=1)


def test_a_call_read_back_leaves_out_fields_a_newer_hpcflow_added():
    from hpcflow.core.plan import Role, SbatchCall, call_from_json, call_to_json

    call = SbatchCall(job="n0", role=Role.ARRAY, script="s.sh", log="l", entry="e", target="n0", arg="$INDEX",
                      directives=("--array=0-3",), steal_s=1.0)
    assert call_from_json({**call_to_json(call), "added_later": [1]}) == call  # (an image's older hpcflow reads a run's plan)
