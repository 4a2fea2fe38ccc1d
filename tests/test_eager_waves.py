"""flytekit's @eager through `hpcflow run`: the body runs in a job and its children in waves (sdk/waves.py),
with the answers of the in-process run; a body that is not deterministic between waves is named."""
from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import pytest

from hpcflow.sdk.waves import replay
from paths import ROOT

WAVES = str(ROOT / "tests" / "workflows" / "eager_waves.py")
GUIDE = ROOT / "tests" / "flytekit_docs" / "flyte_eager_workflows.py"
# flytekit's guide, its answers worked out from its code (flytekit 1.16.31's own local run raises here)
GUIDE_CASES = [("simple_eager_workflow", 1, 4), ("another_eager_workflow", 1, 2),
               ("eager_workflow_with_conditionals", 1, 4), ("eager_workflow_with_conditionals", 200, 100),
               ("eager_workflow_with_for_loop", 3, 12), ("eager_workflow_with_static_subworkflow", 2, 6),
               ("nested_eager_workflow", 5, 12), ("eager_workflow_with_exception", 0, -1),
               ("eager_workflow_with_exception", 7, 7)]


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name,x,expected", GUIDE_CASES, ids=[f"{c[0]}[{c[1]}]" for c in GUIDE_CASES])
def test_the_eager_guide_gives_the_same_answer_in_process_and_through_hpcflow_run(hpcflow, name, x, expected):
    assert asyncio.run(getattr(_module(GUIDE, "eager_guide"), name)(x=x)) == expected
    res = hpcflow("run", f"{GUIDE}:{name}", "-i", f"x={x}", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": expected}


def test_each_wave_is_one_map_per_task_under_its_parent(hpcflow, runs_dir: Path):
    res = hpcflow("run", f"{WAVES}:three_waves", "-i", "xs=[1,2,3,4]", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": sum(2 * (x + 1) + 1 for x in [1, 2, 3, 4])}
    status = hpcflow("status", res.json["run_id"])
    rows = [line.split()[:4] for line in status.stdout.splitlines()[2:]]
    maps = [r for r in rows if r[2] == "map"]
    assert [(r[1], r[3]) for r in maps] == [("map_add_one", "4"), ("map_double", "4"), ("map_add_one", "4")]
    depths = [r[0].count("/") for r in maps]
    assert depths == sorted(depths) and len(set(depths)) == 3, "each wave's array under the parent's continuation"


def test_a_recursive_eager_sorts_in_one_wave_of_merges_per_level(hpcflow):
    xs = [5, 3, 9, 1, 7, 2, 8, 6]
    res = hpcflow("run", f"{WAVES}:merge_sort", "-i", f"xs={json.dumps(xs)}", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": sorted(xs)}
    status = hpcflow("status", res.json["run_id"]).stdout
    assert [line.split()[3] for line in status.splitlines() if "map_merge" in line] == ["4", "2", "1"]


def test_a_body_that_is_not_deterministic_between_waves_fails_naming_the_call(hpcflow):
    res = hpcflow("run", f"{WAVES}:not_deterministic", "-i", "x=1", "--json")
    assert res.code != 0 and res.json["state"] == "FAILED"
    assert "did not call task 'add_one' again with the inputs of an earlier wave" in res.json["error"]


def test_replay_answers_known_calls_and_stops_at_the_children_it_waits_on():
    module = _module(Path(WAVES), "eager_waves_replay")
    first = replay(module.three_waves.run_body, {"xs": [1, 2]}, {})
    assert not first.done and [c.inputs for c in first.pending] == [{"x": 1}, {"x": 2}]
    known = {first.pending[0].key: 2, first.pending[1].key: 3}
    second = replay(module.three_waves.run_body, {"xs": [1, 2]}, known)
    assert [(c.entity.name, c.inputs) for c in second.pending] == [("double", {"x": 2}), ("double", {"x": 3})]
