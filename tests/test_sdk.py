"""The programming model, run in-process, and its compile-time errors."""
from __future__ import annotations

import dataclasses
import datetime
import functools
from typing import NamedTuple, Optional

import numpy as np
import pytest

from hpcflow import Resources, dynamic, map_task, task, workflow
from hpcflow.errors import InputError, TypeMismatchError, WorkflowDefinitionError


class Stats(NamedTuple):
    total: int
    count: int


@dataclasses.dataclass
class Point:
    x: float
    y: float


@task
def inc(x: int) -> int:
    return x + 1


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def stats(xs: list[int]) -> Stats:
    return Stats(sum(xs), len(xs))


@task
def divmod_task(a: int, b: int) -> tuple[int, int]:
    return divmod(a, b)


def test_task_options_are_frozen_in_the_spec():
    @task(cache=True, cache_version="2", cache_serialize=True, cache_ignore_input_vars=["seed"], retries=3,
          timeout=datetime.timedelta(minutes=2), interruptible=True,
          requests=Resources(cpu="2", mem="16Gi", gpu="1"), limits=Resources(mem="32Gi"),
          environment={"OMP_NUM_THREADS": "2"})
    def t(x: int, seed: int) -> int:
        return x

    spec = t.spec
    assert (spec.cache, spec.cache_version, spec.cache_serialize, spec.cache_ignore_input_vars) == (True, "2", True, ("seed",))
    assert (spec.retries, spec.timeout, spec.interruptible) == (3, 120.0, True)
    assert spec.requests == Resources(cpu="2", mem="16Gi", gpu="1") and spec.environment == {"OMP_NUM_THREADS": "2"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.retries = 1  # type: ignore[misc]


def test_tuple_and_namedtuple_outputs_with_attribute_access():
    @workflow
    def wf(xs: list[int]) -> tuple[int, int, int]:
        s = stats(xs=xs)
        q, r = divmod_task(a=s.total, b=s.count)
        return q, r, add(a=s.count, b=r)

    assert wf(xs=[1, 2, 4]) == (2, 1, 4)


def test_dataclass_attribute_access_and_defaults():
    @task
    def make(x: float) -> Point:
        return Point(x, 2 * x)

    @task
    def norm2(x: float, y: float) -> float:
        return x * x + y * y

    @workflow
    def wf(x: float = 1.5) -> float:
        p = make(x=x)
        return norm2(x=p.x, y=p.y)

    assert wf() == pytest.approx(1.5 ** 2 + 3.0 ** 2)
    assert wf(x=1) == 5.0


def test_map_task_with_partial_bound_to_a_task_output_and_several_lists():
    @task
    def scale(x: int, y: int, factor: int) -> int:
        return (x + y) * factor

    @workflow
    def wf(xs: list[int], ys: list[int]) -> list[int]:
        factor = inc(x=1)
        return map_task(functools.partial(scale, factor=factor), concurrency=2)(x=xs, y=ys)

    assert wf(xs=[1, 2, 3], ys=[10, 20, 30]) == [22, 44, 66]


def test_map_of_namedtuple_outputs_gives_lists_by_field():
    @workflow
    def wf(groups: list[list[int]]) -> tuple[list[int], list[int]]:
        s = map_task(stats)(xs=groups)
        return s.total, s.count

    assert wf(groups=[[1, 2], [3], []]) == ([3, 3, 0], [2, 1, 0])


def test_min_success_ratio_turns_failures_into_none():
    @task
    def fragile(x: int) -> int:
        if x % 3 == 0:
            raise ValueError("multiple of three")
        return x

    @workflow
    def wf(xs: list[int], ratio: float = 0.5) -> list[Optional[int]]:
        return map_task(fragile, min_success_ratio=0.6)(x=xs)

    assert wf(xs=[1, 2, 3, 4, 5]) == [1, 2, None, 4, 5]
    with pytest.raises(Exception, match="below min_success_ratio"):
        wf(xs=[3, 6, 1])


def test_with_overrides_on_task_and_map_calls():
    @workflow
    def wf(xs: list[int]) -> list[int]:
        first = inc(x=1).with_overrides(requests=Resources(cpu="4"), retries=2, name="first")
        return map_task(functools.partial(add, b=first))(a=xs).with_overrides(concurrency=1, timeout=30)

    assert wf(xs=[1, 2]) == [3, 4]
    n0, n1 = wf.graph.nodes
    assert n0.name == "first" and n0.overrides["requests"] == Resources(cpu="4")
    assert n1.overrides == {"concurrency": 1, "timeout": 30}


def test_workflows_call_workflows_with_default_inputs():
    @workflow
    def inner(x: int, step: int = 10) -> int:
        return add(a=x, b=step)

    @workflow
    def outer(x: int) -> tuple[int, int]:
        return inner(x=x), inner(x=x, step=1)

    assert outer(x=5) == (15, 6)


@dynamic
def fib(n: int) -> int:
    if n < 2:
        return n
    return add(a=fib(n=n - 1), b=fib(n=n - 2))


def test_recursive_dynamic_on_concrete_values():
    @workflow
    def wf(n: int) -> int:
        return fib(n=n)

    assert [wf(n=n) for n in range(8)] == [0, 1, 1, 2, 3, 5, 8, 13]
    assert fib(n=6) == 8  # a dynamic called outside a workflow runs too


def test_numpy_arrays_flow_between_tasks():
    @task
    def ones(n: int) -> np.ndarray:
        return np.ones(n)

    @task
    def total(a: np.ndarray) -> float:
        return float(a.sum())

    @workflow
    def wf(n: int) -> float:
        return total(a=ones(n=n))

    assert wf(n=7) == 7.0


def test_retries_in_process_apply_to_recoverable_errors_only():
    from hpcflow import RecoverableError

    calls = []

    @task(retries=2)
    def flaky(x: int) -> int:
        calls.append(x)
        if len(calls) < 3:
            raise RecoverableError("transient")
        return x

    @task(retries=2)
    def buggy(x: int) -> int:
        calls.append(x)
        raise KeyError("a bug: retrying cannot help")

    @workflow
    def wf(x: int) -> int:
        return flaky(x=x)

    @workflow
    def wf2(x: int) -> int:
        return buggy(x=x)

    assert wf(x=4) == 4 and len(calls) == 3
    with pytest.raises(KeyError):
        wf2(x=1)
    assert len(calls) == 4  # a user error fails at once


# --- errors: each names the workflow, the node and the parameter ---------------------------

def _trace(fn):
    return workflow(fn).graph


def test_wrong_type_is_reported_at_compile_time():
    def wf(x: str) -> int:
        return inc(x=x)

    with pytest.raises(TypeMismatchError, match=r"workflow 'wf', node 'n0' \(inc\), parameter 'x': expected int, got a promise of str"):
        _trace(wf)

    def wf2() -> int:
        return inc(x="three")

    with pytest.raises(TypeMismatchError, match=r"parameter 'x': expected int, got 'three' \(str\)"):
        _trace(wf2)


def test_missing_unknown_and_positional_inputs():
    def missing() -> int:
        return add(a=1)

    def unknown() -> int:
        return add(a=1, b=2, c=3)

    def positional() -> int:
        return add(1, 2, 3)

    def twice() -> int:
        return add(1, a=2)

    with pytest.raises(WorkflowDefinitionError, match=r"node 'n0' \(add\): missing input 'b' \(int\)"):
        _trace(missing)
    with pytest.raises(WorkflowDefinitionError, match="unknown input 'c'; its inputs are: a, b"):
        _trace(unknown)
    with pytest.raises(AssertionError, match=r"node 'n0' \(add\): Received more arguments than expected: 3 given, it "
                       r"takes 2 \(a, b\)"):
        _trace(positional)
    with pytest.raises(TypeError, match="Got multiple values for argument 'a'"):
        _trace(twice)


def test_inputs_by_position_as_in_flytekit_in_a_workflow_in_process_and_for_the_workflow_itself():
    def chained(x: int, y: int) -> int:
        return add(add(x, b=y), y)

    wf = workflow(chained)
    assert wf(1, 2) == 5 and wf(1, y=2) == 5 and add(2, 3) == 5 and add(2, b=3) == 5
    with pytest.raises(AssertionError, match="task 'add': Received unexpected keyword argument 'c'"):
        add(c=6)
    with pytest.raises(AssertionError, match="task 'add': Received more arguments than expected"):
        add(1, 2, 3)


def test_output_arity_mismatch():
    def two_declared_one_returned(x: int) -> tuple[int, int]:
        return inc(x=x)

    def none_declared(x: int):
        return inc(x=x)

    with pytest.raises(WorkflowDefinitionError, match=r"returns 1 output\(s\) but its return annotation declares 2"):
        _trace(two_declared_one_returned)
    with pytest.raises(WorkflowDefinitionError, match="declares no outputs"):
        _trace(none_declared)


def test_task_returning_wrong_arity_fails_when_run():
    @task
    def bad() -> tuple[int, int]:
        return (1, 2, 3)  # type: ignore[return-value]

    @workflow
    def wf() -> tuple[int, int]:
        return bad()

    with pytest.raises(TypeMismatchError, match="must return 2 outputs"):
        wf()


def test_promises_cannot_drive_python_control_flow():
    def wf(x: int) -> int:
        y = inc(x=x)
        if y:
            return y
        return x

    with pytest.raises(WorkflowDefinitionError, match="move that logic into a @dynamic"):
        _trace(wf)


def test_bad_workflow_inputs_in_process():
    @workflow
    def wf(xs: list[int]) -> int:
        return stats(xs=xs).total

    with pytest.raises(InputError, match="input 'xs': expected int, got 'a'"):
        wf(xs=["a"])
    with pytest.raises(InputError, match="missing input 'xs'"):
        wf()
    with pytest.raises(WorkflowDefinitionError, match="Received more arguments than expected: 2 given, it takes 1"):
        wf([1], [2])


def test_bad_options_fail_where_declared():
    with pytest.raises(WorkflowDefinitionError, match="not a quantity"):
        Resources(mem="16 gigs")
    with pytest.raises(WorkflowDefinitionError, match="retries"):
        task(retries=-1)(lambda x: x)
    with pytest.raises(WorkflowDefinitionError, match="map_task takes a @task"):
        map_task(lambda x: x)
    with pytest.raises(WorkflowDefinitionError, match="cache_serialize=True needs cache=True"):
        task(cache_serialize=True)(lambda x: x)


def test_environment_and_reuse_policy_reach_the_plan():
    from hpcflow import Environment, ReusePolicy
    from hpcflow.core.compile import compile_plan

    with pytest.raises(WorkflowDefinitionError, match="replicas >= 1"):
        ReusePolicy(replicas=0)
    with pytest.raises(WorkflowDefinitionError, match="simple name"):
        Environment("a b")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "workflows"))
    import slurm_cases

    plan = compile_plan(slurm_cases.warm_pipeline.graph, {"xs": [1, 2]})
    job = plan.jobs[0]
    assert (job.pool, job.pool_replicas, job.pool_concurrency, job.pool_idle_ttl_s) == ("warm", 1, 2, 5.0)


def test_launch_plans_take_defaults_keep_fixed_inputs_and_refuse_what_they_cannot_honour():
    from hpcflow import LaunchPlan, workflow
    from hpcflow.errors import WorkflowDefinitionError

    @workflow
    def add_up(a: int, b: int = 1) -> int:
        return add(a=a, b=b)

    lp = LaunchPlan.get_or_create(add_up, "lp_add_up", default_inputs={"a": 10}, fixed_inputs={"b": 5})
    assert lp() == 15 and lp(a=1) == 6 and LaunchPlan.get_or_create(add_up, "lp_add_up") is lp
    with pytest.raises(WorkflowDefinitionError, match="input b is fixed"):
        lp(a=1, b=2)
    with pytest.raises(WorkflowDefinitionError, match="names c, which the workflow does not take"):
        LaunchPlan.get_or_create(add_up, "lp_bad", default_inputs={"c": 1})
    with pytest.raises(WorkflowDefinitionError, match=r"schedule= takes CronSchedule"):
        LaunchPlan.get_or_create(add_up, "lp_sched", schedule="0 * * * *")
    assert LaunchPlan.get_or_create(add_up, "lp_par", max_parallelism=4).max_parallelism == 4
    with pytest.raises(WorkflowDefinitionError, match="exists with other inputs"):
        LaunchPlan.get_or_create(add_up, "lp_add_up", default_inputs={"a": 11})


def test_flytekits_names_and_deep_imports_resolve():
    import hpcflow
    from hpcflow.types.directory import FlyteDirectory
    from hpcflow.types.file import FlyteFile

    assert hpcflow.FlyteRecoverableException is hpcflow.RecoverableError
    assert FlyteFile is hpcflow.File and FlyteDirectory is hpcflow.Directory


def test_array_node_map_task_and_run_all_sub_nodes():
    import functools

    from hpcflow import ArrayNodeMapTask, map_task

    @task
    def label(a: int, b: float, c: str) -> str:
        return f"{a}-{b}-{c}"

    ran: list[int] = []

    @task
    def picky(a: int) -> int:
        ran.append(a)
        if a == 1:
            raise ValueError("one")
        return a

    assert ArrayNodeMapTask(label, bound_inputs_values={"c": "x"})(a=[1, 2], b=[0.5, 1.5]) == ["1-0.5-x", "2-1.5-x"]
    assert ArrayNodeMapTask(functools.partial(label, c="y"), bound_inputs_values={"c": "x"})(a=[1], b=[0.5]) == ["1-0.5-x"]
    with pytest.raises(ValueError, match="should have the same keys"):
        ArrayNodeMapTask(label, bound_inputs_values={"c": "x"}, bound_inputs={"b"})
    with pytest.raises(ValueError, match="is bound to \\['x'\\], which is not a str"):
        map_task(functools.partial(label, c=["x"]))
    assert map_task(picky).run_all_sub_nodes is False
    with pytest.raises(ValueError, match="one"):
        map_task(picky, run_all_sub_nodes=True)(a=[1, 2, 3])
    assert ran == [1, 2, 3]  # every element ran before the map failed


def test_one_reuse_policy_serves_environment_and_flyte2_ranges():
    import datetime

    from hpcflow import ReusePolicy

    fixed = ReusePolicy(replicas=3, concurrency=2)
    assert (fixed.min_replicas, fixed.max_replicas, fixed.scaledown_ttl_s) == (3, 3, 60.0)
    scaling = ReusePolicy(replicas=(2, 10), concurrency=5, scaledown_ttl=datetime.timedelta(minutes=10),
                          idle_ttl=datetime.timedelta(hours=1))
    assert (scaling.min_replicas, scaling.max_replicas, scaling.scaledown_ttl_s, scaling.idle_ttl_s) == (2, 10, 600.0, 3600.0)
    with pytest.raises(WorkflowDefinitionError, match="replicas"):
        ReusePolicy(replicas=(5, 2))


def test_resources_take_flyte2_names():
    from hpcflow import Resources
    from hpcflow.errors import InvalidValueError

    r = Resources(cpu=2, memory="1Gi", gpu="A100:2", disk="10Gi")
    assert (r.mem, r.ephemeral_storage, r.gpu, r.gpu_type) == ("1Gi", "10Gi", 2, "A100")
    assert r.parsed.mem_bytes == 2**30 and r.parsed.gpus == 2
    assert Resources(memory="1Gi") == Resources(mem="1Gi")
    request, limit = Resources(cpu=(1, 2), memory=("1Gi", "2Gi")).requests_and_limits()
    assert (request.cpu, limit.mem) == (1, "2Gi")
    with pytest.raises(InvalidValueError, match="not both"):
        Resources(mem="1Gi", memory="2Gi")
    with pytest.raises(WorkflowDefinitionError, match="memory="):
        Resources(shm="auto")
