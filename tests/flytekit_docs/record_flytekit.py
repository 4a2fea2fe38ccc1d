"""Record flytekit's answers for the imperative-workflow, create_node, TaskMetadata and Resources
examples into expected_imperative.json (tests/test_imperative.py holds hpcflow to them).

Run it with a Python that has flytekit (never a dependency of hpcflow), from anywhere:

    /tmp/flytekit-venv/bin/python tests/flytekit_docs/record_flytekit.py

Each example file is copied with its import lines swapped back (`hpcflow` -> `flytekit`), every
case below is run under flytekit, and each refusal snippet is run to record the exception
flytekit raises (its class and the built-in class it is, which hpcflow's error must also be).
"""
from __future__ import annotations

import importlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "expected_imperative.json"

CASES = {  # module -> workflow -> inputs
    "flyte_imperative": {"imperative_wf": {"x": [-3, 0, 3], "y": [7, 4, -2]}},
    "flyte_imperative_more": {
        "my_workflow": {"in1": "hello"},
        "pipeline": {"xs": [1, 2, 3]},
        "ordered": {"word": "hi"},
        "shapes": {"word": "abc", "n": 4},
        "side_effects": {"message": "only"},
        "outer": {"x": 5},
    },
    "flyte_create_node": {
        "serial_wf": {"x": 1.5},
        "setup_teardown_wf": {"x": 2.0},
        "named_outputs_wf": {"xs": [4, 1, 9]},
        "map_node_wf": {"xs": [1, 2, 3]},
    },
    "flyte_task_metadata": {
        "retried_map": {"xs": [1, 2, 3]},
        "default_ratio_map": {"xs": [2, 3]},
        "resources_wf": {"x": 1},
    },
}

# What flytekit refuses. Each snippet runs with the package's names imported (task, workflow,
# map_task, Resources, TaskMetadata, Workflow) and the example modules as m_imp (flyte_imperative_more).
REFUSALS = {
    "resources_triple": "Resources(cpu=('1', '2', '3'))",
    "resources_one_tuple": "Resources(mem=('1Gi',))",
    "resources_mem_float": "Resources(mem=1.5)",
    "resources_gpu_float": "Resources(gpu=1.0)",
    "resources_cpu_dict": "Resources(cpu={'a': 1})",
    "resources_none_in_pair": "Resources(cpu=('1', None))",
    "resources_unknown_field": "Resources(storage='1')",  # disk= is Flyte 2's name, which hpcflow takes
    "resources_with_requests": "task(resources=Resources(cpu=('1', '2')), requests=Resources(cpu='1'))(m_meta.plain_function)",
    "override_resources_with_requests":
        "workflow(m_meta.resources_override_with_requests)(x=1)",
    "override_requests_pair": "workflow(m_meta.requests_pair_override)(x=1)",
    "metadata_timeout_str": "TaskMetadata(timeout='30')",
    "metadata_cache_without_version": "TaskMetadata(cache=True)",
    "metadata_serialize_without_cache": "TaskMetadata(cache_serialize=True)",
    "metadata_unknown_field": "TaskMetadata(foo=1)",
    "imperative_without_name": "Workflow()",
    "imperative_duplicate_input": "m_imp.my_workflow.add_workflow_input('in1', str)",
    "imperative_duplicate_output": "m_imp.my_workflow.add_workflow_output('from_n0t1', m_imp.node.outputs['o0'])",
    "imperative_no_nodes": "Workflow(name='empty')()",
    "imperative_unknown_input_name": "m_imp.my_workflow.inputs['nope']",
    "imperative_unknown_output_name": "m_imp.node.outputs['o9']",
    "imperative_promise_list_without_type":
        "Workflow(name='lst').add_workflow_output('both', [m_imp.sq.outputs['o0'], m_imp.sq.outputs['o0']])",
    "imperative_entity_not_flyte": "Workflow(name='bad').add_entity(len, x=1)",
    "imperative_wrong_input_type": "m_imp.my_workflow.add_entity(m_imp.t1, a=3)",
    "create_node_outside_workflow": "create_node(m_imp.t1, a='x')",
}


def swapped(source: str) -> str:
    """The file as flytekit code: hpcflow's import lines back to flytekit's."""
    return re.sub(r"^(\s*)(from|import) hpcflow\b", r"\1\2 flytekit", source, flags=re.M)


def plain(value):
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return value


def builtin_base(exc: BaseException) -> str:
    """The first built-in exception class the error is (ValueError, AssertionError, ...)."""
    return next(c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins")


def main() -> None:
    import flytekit
    from flytekit.core.local_cache import LocalTaskCache
    from flytekit import Resources, TaskMetadata, Workflow, map_task, task, workflow
    from flytekit.core.node_creation import create_node

    work = Path(tempfile.mkdtemp(prefix="record-flytekit-"))
    for name in CASES:
        (work / f"{name}.py").write_text(swapped((HERE / f"{name}.py").read_text()))
    sys.path.insert(0, str(work))
    os.chdir(work)
    LocalTaskCache.clear()
    cases: dict = {}
    for module, wfs in CASES.items():
        mod = importlib.import_module(module)
        for wf_name, kwargs in wfs.items():
            os.environ.pop("FLAKY_DIR", None)  # flytekit's local run does not retry a map's elements
            os.environ["IMPERATIVE_LOG"] = os.environ["CREATE_NODE_LOG"] = str(work / f"{wf_name}.log")
            result = plain(getattr(mod, wf_name)(**kwargs))
            log = Path(os.environ["IMPERATIVE_LOG"])
            cases.setdefault(f"{module}.py", {})[wf_name] = {
                "kwargs": kwargs, "result": result, "log": log.read_text().split() if log.exists() else []}
    names = {"task": task, "workflow": workflow, "map_task": map_task, "Resources": Resources,
             "TaskMetadata": TaskMetadata, "Workflow": Workflow, "create_node": create_node,
             "m_imp": importlib.import_module("flyte_imperative_more"),
             "m_meta": importlib.import_module("flyte_task_metadata")}
    refusals = {}
    for label, code in REFUSALS.items():
        try:
            eval(code, dict(names))
        except BaseException as exc:  # noqa: BLE001 - recording what flytekit raises is the point
            refusals[label] = {"code": code, "flytekit": type(exc).__name__, "builtin": builtin_base(exc),
                               "message": str(exc).splitlines()[0][:300] if str(exc) else ""}
        else:
            refusals[label] = {"code": code, "flytekit": None, "builtin": None, "message": "accepted"}
    OUT.write_text(json.dumps({"flytekit": flytekit.__version__, "cases": cases, "refusals": refusals},
                              indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
