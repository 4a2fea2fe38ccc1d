"""Every example runs through `hpcflow run --json` and in-process, with the same, checked outputs."""
from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

from paths import EXAMPLES
from hpcflow.store.codec import to_display

sys.path.insert(0, str(EXAMPLES))

CASES = [
    ("mean", "mean_wf", {"n": 5000, "seed": 3}),
    ("partitioned_mean", "partitioned_mean", {"n": 10_000, "parts": 5, "seed": 2}),
    ("nested_dynamic", "nested_dynamic", {"groups": [[1, 2], [3], [4, 5, 6]], "scale": 2}),
    ("nested_parallelism", "chunked_sum_of_squares", {"xs": [1, 2, 3, 4, 5, 6, 7], "chunk": 3}),
    ("resources", "fit_line", {"n": 50, "slope": 2.0, "seed": 1}),
]


def _expected(module: str, inputs: dict) -> dict:
    """What each example must give, computed independently of hpcflow."""
    if module == "mean":
        return {"o0": float(np.random.default_rng(inputs["seed"]).normal(10.0, 2.0, inputs["n"]).mean())}
    if module == "partitioned_mean":
        return {"o0": float(np.random.default_rng(inputs["seed"]).uniform(0, 100, inputs["n"]).mean())}
    if module == "nested_dynamic":
        s = inputs["scale"]
        return {"o0": [round((x / s) ** 2 + 0.5, 6) for g in inputs["groups"] for x in g]}
    if module == "nested_parallelism":
        return {"o0": sum(x * x for x in inputs["xs"])}
    rng = np.random.default_rng(inputs["seed"])
    x = np.linspace(0.0, 10.0, inputs["n"])
    slope, icpt = (round(float(v), 2) for v in np.polyfit(x, inputs["slope"] * x + 1.0 + rng.normal(0, 0.1, inputs["n"]), 1))
    return {"o0": {"slope": slope, "intercept": icpt}, "o1": f"slope={slope} intercept={icpt}"}


@pytest.mark.parametrize("module,wf_name,inputs", CASES, ids=[c[0] for c in CASES])
def test_example_cli_matches_in_process(hpcflow, module, wf_name, inputs):
    args = [f"{k}={__import__('json').dumps(v)}" for k, v in inputs.items()]
    res = hpcflow("run", f"examples/{module}.py:{wf_name}", *sum((["-i", a] for a in args), []), "--json")
    assert res.code == 0, res.stderr
    assert res.json["state"] == "SUCCEEDED" and res.json["run_id"].startswith(wf_name)

    wf = getattr(importlib.import_module(module), wf_name)
    in_process = wf(**inputs)
    names = wf.interface.output_names
    in_process = dict(zip(names, in_process if len(names) > 1 else (in_process,)))
    assert res.json["outputs"] == to_display(in_process)
    expected = _expected(module, inputs)
    if module == "resources":
        assert res.json["outputs"] == expected
    else:
        assert res.json["outputs"]["o0"] == pytest.approx(expected["o0"])


def test_example_defaults_run_with_no_inputs(hpcflow):
    res = hpcflow("run", "examples/nested_parallelism.py:chunked_sum_of_squares", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": 140}
