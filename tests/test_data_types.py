"""flytekit's data types (Enums, nested generics of dataclasses, pickled values) give flytekit's
answers: the guide's examples (tests/flytekit_docs/flyte_enum_type.py, flyte_dataclass.py,
flyte_pickle_type.py) and flyte_types_extra.py, against what flytekit 1.16.31 returned for
them (expected_types.json, written by flytekit_docs/record_types.py), in-process and through
`hpcflow run` with the inputs given on the command line as JSON (Enums by their value).
"""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

from hpcflow.errors import InputError

DOCS = Path(__file__).resolve().parent / "flytekit_docs"
EXPECTED = json.loads((DOCS / "expected_types.json").read_text())
sys.path.insert(0, str(DOCS))
from record_types import plain  # noqa: E402 - the recorder's plain form, applied to both answers
from flyte_types_extra import Color, Crate, Fruit, crate_weight, describe, group, heaviest, pack  # noqa: E402

CASES = [(*key.split("#")[0].split(":"), case["kwargs"], case["result"]) for key, case in EXPECTED["cases"].items()]
FAILS = [(*key.split("#")[0].split(":"), case["kwargs"], case["message"]) for key, case in EXPECTED["fails"].items()]


def _json(value):
    return json.loads(json.dumps(plain(value)))  # dict keys become str, as in the recorded JSON


@pytest.mark.parametrize("module,wf_name,kwargs,expected", CASES, ids=[f"{c[1]}-{c[2]}"[:80] for c in CASES])
def test_in_process_matches_flytekit(module, wf_name, kwargs, expected):
    wf = getattr(importlib.import_module(module), wf_name)
    assert _json(wf(**kwargs)) == expected


@pytest.mark.parametrize("module,wf_name,kwargs,message", FAILS, ids=[c[1] for c in FAILS])
def test_a_value_outside_the_enum_is_refused_as_in_flytekit(module, wf_name, kwargs, message):
    wf = getattr(importlib.import_module(module), wf_name)
    (name, value), = kwargs.items()
    assert f"Value {value} is not in Enum" in message  # flytekit's refusal, before anything ran
    with pytest.raises(InputError, match=f"input '{name}'.*one of .*got '{value}'"):
        wf(**kwargs)


CLI_CASES = [c for c in CASES if c[1] in {
    "coffee_maker_enum", "dataclass_wf", "superhero_wf", "color_wf", "enum_str_wf", "map_colors", "basket_wf",
    "crate_input_wf", "pickle_wf", "map_pickles", "tuple_wf"}]


@pytest.mark.parametrize("module,wf_name,kwargs,expected", CLI_CASES, ids=[f"{c[1]}-{c[2]}"[:80] for c in CLI_CASES])
def test_hpcflow_run_matches_flytekit(hpcflow, module, wf_name, kwargs, expected):
    args = sum((["-i", f"{k}={v if isinstance(v, str) else json.dumps(v)}"] for k, v in kwargs.items()), [])
    res = hpcflow("run", f"{DOCS / module}.py:{wf_name}", *args, "--json")
    assert res.code == 0, res.stderr
    outputs = res.json["outputs"]
    assert (list(outputs.values()) if len(outputs) > 1 else outputs["o0"]) == expected


def test_nested_generics_of_dataclasses_are_checked_when_the_workflow_is_traced():
    from hpcflow import task, workflow
    from hpcflow.errors import TypeMismatchError

    @task
    def crates(groups: dict[str, list[Crate]]) -> int:
        return len(groups)

    @workflow
    def wrong(fruits: list[Fruit]) -> int:
        return crates(groups=group(fruits=fruits))

    @workflow
    def wrong_rows(groups: dict[str, list[Fruit]]) -> Crate:
        return pack(label="x", fruits=heaviest(groups=groups))

    @workflow
    def wrong_constant() -> str:
        return describe(color="purple")

    @workflow
    def constants() -> float:  # constants in the workflow's body: checked, then built as flytekit would
        return crate_weight(crate=Crate("c", [Fruit("a", 1.0, Color.BLUE), Fruit("b", 2.5)]))

    with pytest.raises(TypeMismatchError, match=r"expected dict\[str, list\[Crate\]\], got a promise of "
                                                r"dict\[str, list\[Fruit\]\]"):
        wrong.graph
    with pytest.raises(TypeMismatchError, match=r"expected list\[Fruit\], got a promise of list\[dict\[str, Fruit\]\]"):
        wrong_rows.graph
    with pytest.raises(TypeMismatchError, match="expected Color, got 'purple'"):
        wrong_constant.graph
    assert constants() == 3.5


def test_a_pickled_class_cannot_be_given_on_the_command_line(hpcflow):
    res = hpcflow("run", f"{DOCS / 'flyte_types_extra.py'}:map_pickles", "-i", "starts=[1]")
    assert res.code == 0, res.stderr
    res = hpcflow("run", f"{DOCS / 'flyte_types_extra.py'}:crate_input_wf", "-i", 'crate={"label": "c"}')
    assert res.code != 0 and res.stderr.strip().count("\n") == 0
    assert "input 'crate': Crate needs field(s) fruits" in res.stderr


def test_a_run_that_is_not_yours_loads_none_of_its_pickles(hpcflow, runs_dir, monkeypatch):
    """Pickles in a run directory are loaded only by the run's owner. The other user here is FAKE:
    os.getuid is patched so that the reader is not the run's owner (the same stat-based check
    CacheStore makes, tested with two real users in test_shared_cache.py)."""
    import os

    from hpcflow.runtime.rundir import RunDir
    from hpcflow.runtime.values import job_output
    from hpcflow.store.blobs import PickleRefusedError

    res = hpcflow("run", f"{DOCS / 'flyte_types_extra.py'}:map_pickles", "-i", "starts=[4,5]", "--json")
    assert res.code == 0, res.stderr
    assert res.json["outputs"] == {"o0": [4, 5]}
    mapped = next(j.id for j in RunDir(runs_dir / res.json["run_id"]).plan.jobs if j.name.endswith("open_tally"))
    assert [t.count for t in job_output(RunDir(runs_dir / res.json["run_id"]), mapped, "o0")] == [4, 5]
    real = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real + 1)
    with pytest.raises(PickleRefusedError, match="uid .*'s run is not loaded: unpickling runs code"):
        job_output(RunDir(runs_dir / res.json["run_id"]), mapped, "o0")
