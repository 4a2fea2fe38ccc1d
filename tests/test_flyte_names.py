"""flytekit's names that code imports beyond the decorators: exceptions, LaunchPlan.create,
current_context's default launch plan; each behaves as hpcflow's own class does."""
from __future__ import annotations

import typing

import pytest

from hpcflow import LaunchPlan, task, workflow
from hpcflow.core.retry import is_recoverable
from hpcflow.errors import HpcflowError, RecoverableError, TypeMismatchError, WorkflowDefinitionError
from hpcflow.exceptions.base import FlyteException
from hpcflow.exceptions.system import FlyteSystemException
from hpcflow.exceptions.user import (
    FlyteAssertion, FlyteRecoverableException, FlyteTypeException, FlyteValidationException, FlyteValueException,
)


flaky_calls: list[int] = []


@task(retries=2)
def flaky(x: int) -> int:
    if len(flaky_calls) < 2:  # the first two attempts fail
        flaky_calls.append(x)
        raise FlyteRecoverableException("try again")
    return x


@workflow
def adds(a: int = 1) -> int:
    return flaky(x=a)


def test_flytekit_exceptions_are_hpcflow_errors_so_either_except_catches_them():
    assert issubclass(FlyteAssertion, (AssertionError, HpcflowError)) and issubclass(FlyteException, HpcflowError)
    assert issubclass(FlyteTypeException, (TypeError, TypeMismatchError))
    assert issubclass(FlyteValidationException, WorkflowDefinitionError) and issubclass(FlyteValueException, ValueError)
    assert is_recoverable(FlyteRecoverableException("x")) and is_recoverable(FlyteSystemException("x"))
    assert not is_recoverable(FlyteAssertion("x"))
    with pytest.raises(RecoverableError):
        raise FlyteRecoverableException("caught as hpcflow's own")


def test_a_task_raising_flytes_recoverable_exception_is_retried_in_process():
    flaky_calls.clear()
    assert adds(a=5) == 5 and flaky_calls == [5, 5]


def test_launch_plan_create_and_the_default_launch_plan():
    lp = LaunchPlan.create("adds_with_ten", adds, default_inputs={"a": 10})
    assert lp.name == "adds_with_ten" and LaunchPlan.create("adds_with_ten", adds, default_inputs={"a": 10}) is lp
    flaky_calls.clear()
    flaky_calls.extend([0, 0])  # no failures this time
    assert lp() == 10
    assert LaunchPlan.get_default_launch_plan(None, adds).workflow is adds


# flytekit 1.16.31's answers for flyte_echo.noop_in_conditional(radius=0.4, seed=s), s = 1, 2, 3, 5, 7
# (the file run with its import lines swapped back), and for echo(radius=2.0)
ECHO_ANSWERS = [2.513272, 0.4, 2.513272, 0.4, 2.513272]


def test_echo_passes_its_input_through_a_branch_as_flytekit_does(hpcflow):
    from paths import ROOT

    from hpcflow.loader import load_file

    m = load_file(str(ROOT / "tests" / "flytekit_docs" / "flyte_echo.py"), "flyte_echo")
    assert [m.noop_in_conditional(radius=0.4, seed=s) for s in (1, 2, 3, 5, 7)] == ECHO_ANSWERS
    assert m.echo(radius=2.0) == 2.0
    res = hpcflow("run", "tests/flytekit_docs/flyte_echo.py", "noop_in_conditional", "--radius", "0.4", "--seed", "5",
                  "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": 0.4}, res.stderr


def test_iterator_outputs_are_lists_and_batch_size_is_accepted(hpcflow):
    from paths import ROOT

    from hpcflow.loader import load_workflow

    wf, _ = load_workflow(f"{ROOT}/tests/workflows/iterators.py:greetings")
    assert wf(names=["a", "b", "c"]) == ["hello a", "hello b", "hello c"]  # flytekit 1.16.31 gives the list too
    mapped, _ = load_workflow(f"{ROOT}/tests/workflows/iterators.py:shouted")
    assert mapped(names=["a", "b"]) == ["HELLO A", "HELLO B"]
    res = hpcflow("run", f"{ROOT}/tests/workflows/iterators.py:shouted", "-i", 'names=["x"]', "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": ["HELLO X"]}, res.stderr


def test_pickle_untyped_makes_unannotated_inputs_and_returns_any(hpcflow):
    """flytekit 1.16.31 gives pair's interface {'a': Any, 'b': int} -> {'o0': Any}, none for `-> None`,
    and untyped(a={'x'}, b=2) == [{'x'}, 2]."""
    from typing import Any

    from paths import ROOT

    from hpcflow.loader import load_file

    m = load_file(str(ROOT / "tests" / "workflows" / "untyped.py"), "untyped_cases")
    assert [(p.name, p.type) for p in m.pair.interface.inputs] == [("a", Any), ("b", int)]
    assert m.pair.interface.outputs == (("o0", Any),) and m.nothing.interface.outputs == ()
    assert m.untyped(a={"x"}, b=2) == [{"x"}, 2]
    with pytest.raises(WorkflowDefinitionError, match="pickle_untyped=True"):
        task(lambda a: a).interface


def test_flytekits_exception_classes_where_flytekit_raises_them():
    from hpcflow import Resources, conditional, create_node, map_task
    from hpcflow.exceptions.user import FlyteMissingReturnValueException, FlyteMissingTypeException

    @task
    def inc(a: int) -> int:
        return a + 1

    @task
    def nothing(a: int) -> None:
        return None

    with pytest.raises(FlyteMissingTypeException, match="'a' has no type"):  # where it is declared
        @task
        def untyped(a) -> int:  # type: ignore[no-untyped-def]
            return a

    @workflow
    def forgets_return() -> int:
        inc(a=1)

    @workflow
    def returns_undeclared():
        return inc(a=1)

    @workflow
    def binds_nothing(a: int) -> int:
        return inc(a=nothing(a=a))

    @workflow
    def binds_node_outputs(a: int) -> int:
        return create_node(inc, a=a).outputs  # type: ignore[return-value]

    @workflow
    def promised_retries(a: int, r: int) -> int:
        return inc(a=a).with_overrides(retries=r)

    @workflow
    def bad_timeout(a: int) -> int:
        return inc(a=a).with_overrides(timeout="soon")

    @workflow
    def maps_a_workflow(a: typing.List[int]) -> typing.List[int]:
        return map_task(forgets_return)(a=a)

    @workflow
    def bare_condition(a: int) -> int:
        return conditional("c").if_(inc(a=a)).then(inc(a=a)).else_().then(inc(a=1))

    @workflow
    def fails(a: int) -> int:
        return conditional("c").if_(a > 0).then(inc(a=a)).else_().fail("a must be positive")

    # the body is traced before the inputs are bound, so these fail for the body, not the missing inputs
    with pytest.raises(FlyteMissingReturnValueException, match="returns nothing"):
        forgets_return()
    for wf in (returns_undeclared,):
        with pytest.raises(FlyteValueException, match="declares no outputs"):
            wf()
    for wf in (binds_nothing, binds_node_outputs, promised_retries, bare_condition):
        with pytest.raises(AssertionError):
            wf()
    with pytest.raises(ValueError, match="datetime.timedelta or int seconds"):
        bad_timeout()
    with pytest.raises(ValueError, match="map_task takes a @task"):
        maps_a_workflow()
    with pytest.raises(ValueError, match="a must be positive"):
        fails(a=-1)
    with pytest.raises(ValueError, match=r"Unrecognized argument\(s\) for task: dict_keys\(\['template'\]\)"):
        task(template="x")
    with pytest.raises(ValueError, match="node_dependency_hints should only be used on dynamic tasks"):
        task(node_dependency_hints=[inc])
    with pytest.raises(ValueError, match="`resource` can not be used together with"):
        task(resources=Resources(cpu=("1", "2")), limits=Resources(cpu="1"))
    assert task(_task_function=lambda: None).name == "<lambda>"  # flytekit's name for the function argument


def test_resources_json_and_resource_spec():
    from hpcflow import ResourceSpec, Resources

    r = Resources(cpu="4", mem="2Gi", gpu="2", ephemeral_storage="20Gi")
    assert '"cpu": "4"' in r.to_json() and Resources.from_json(r.to_json()) == r
    assert ResourceSpec.from_multiple_resource(Resources(cpu=["1", "2"], mem="1Gi")) == \
        ResourceSpec(requests=Resources(cpu="1", mem="1Gi"), limits=Resources(cpu="2"))

    @task(resources=Resources(cpu=("1", "2"), mem=(1024, 2048), gpu=1))
    def sized() -> None: ...

    assert sized.resources == ResourceSpec(Resources(cpu="1", mem=1024, gpu=1), Resources(cpu="2", mem=2048))
    assert Resources(cpu="10M").parsed.cpus == 10_000_000  # Kubernetes' suffixes, for CPUs too


Out = typing.NamedTuple("Out", [("text", str)])


def test_with_overrides_aliases_are_checked():
    from hpcflow import create_node

    @task
    def say(a: int) -> Out:
        return Out(str(a))

    @workflow
    def wf(a: int) -> str:
        return create_node(say, a=a).with_overrides(aliases={"text": "shown"}).text

    @workflow
    def wrong(a: int) -> str:
        return create_node(say, a=a).with_overrides(aliases={"txt": "shown"}).text

    assert wf(a=3) == "3"
    with pytest.raises(WorkflowDefinitionError, match="'txt' is not one of text|txt is not one of text"):
        wrong(a=3)


def test_workflow_metadata_shows_the_failure_policy_and_checks_its_values():
    from hpcflow import WorkflowFailurePolicy, WorkflowMetadata, WorkflowMetadataDefaults

    with pytest.raises(FlyteValidationException, match="not acceptable"):
        WorkflowMetadata(on_failure=0)
    with pytest.raises(FlyteValidationException, match="must be boolean"):
        WorkflowMetadataDefaults(3)
    assert adds.workflow_metadata == WorkflowMetadata(on_failure=WorkflowFailurePolicy.FAIL_IMMEDIATELY)
    assert adds.workflow_metadata_defaults.interruptible is False

    @workflow(failure_policy=WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE)
    def patient(a: int = 1) -> int:
        return flaky(x=a)

    assert patient.workflow_metadata.on_failure is WorkflowFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE


def test_flytekits_environment_is_a_bundle_of_task_options(capsys):
    from hpcflow import Environment, dynamic, inherit

    env = Environment(retries=2)

    @env.task
    def foo() -> None:
        pass

    @env(cache=True, cache_version="1")
    def bar() -> None:
        pass

    @env.dynamic
    def dyn() -> None:
        foo()

    assert (foo.spec.retries, bar.spec.retries, bar.spec.cache, dyn.spec.retries) == (2, 2, True, 2)
    assert type(dyn) is type(dynamic(lambda: None))
    assert env.extend(retries=0).task(lambda: None).spec.retries == 0 and env.task_options == {"retries": 2}
    env.update(retries=1)
    assert env.task(lambda: None).spec.retries == 1 and foo.spec.retries == 2  # declared tasks keep theirs
    env.show()
    assert "'retries': 1" in capsys.readouterr().out
    assert inherit({"cache": False, "timeout": 10}, {"cache": True}) == {"cache": True, "timeout": 10}


def test_a_named_environment_gives_its_tasks_both_the_place_and_the_options():
    from hpcflow import Environment

    sim = Environment("sim", modules=["gcc/12"], retries=3)

    @sim.task
    def simulate() -> None:
        pass

    assert simulate.spec.retries == 3 and simulate.spec.environment == Environment("sim", modules=["gcc/12"])
    with pytest.raises(WorkflowDefinitionError, match="decorate with @env.task to apply them"):
        task(environment=sim)(lambda: None)
    with pytest.raises(WorkflowDefinitionError, match="holds @task options, not where a task runs"):
        task(environment=Environment(retries=2))(lambda: None)
    with pytest.raises(WorkflowDefinitionError, match=r"needs a name, e.g. Environment\('sim', modules="):
        Environment(modules=["gcc/12"])
    with pytest.raises(HpcflowError, match="unrecognized task option.* modlues"):
        Environment("sim", modlues=["gcc/12"])


def test_reference_entities_are_declared_and_refuse_to_run():
    from hpcflow import reference_task, reference_workflow

    @reference_workflow(project="project", domain="domain", name="name", version="version")
    def ref_wf(p1: str, p2: str) -> None:
        ...

    @reference_task(project="project", domain="domain", name="square", version="1")
    def ref_square(x: int) -> int:
        ...

    @workflow
    def uses(x: int) -> int:
        return ref_square(x=x)

    lp = LaunchPlan.create("reference-wf-12345", ref_wf, fixed_inputs={"p1": "a", "p2": "b"})
    assert lp.workflow is ref_wf and (ref_wf.id.project, ref_wf.id.name, ref_wf.id.version) == ("project", "name", "version")
    assert ref_square.interface.input_names == ("x",)
    with pytest.raises(WorkflowDefinitionError, match="reference_workflow 'name' .* registered on a Flyte cluster"):
        lp()
    with pytest.raises(WorkflowDefinitionError, match="reference_task 'square' .* import its code and call it instead"):
        uses(x=2)
