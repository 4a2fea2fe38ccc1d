"""Imperative workflows as flytekit users build them beyond the guide's example: the brief's
`my_workflow`, a map task, a sub-workflow, a launch plan, a node with no outputs, several
outputs (a NamedTuple, as flytekit returns), a list output with its python_type, an imperative
workflow called from a @workflow, and nodes ordered with `>>`. hpcflow's own code (no
flytekit source); only the import lines would change for flytekit.
"""
import os
import typing
from pathlib import Path

from hpcflow import LaunchPlan, Workflow, map_task, task, workflow


@task
def t1(a: str) -> str:
    return f"{a} world"


@task
def square(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def split_word(word: str) -> typing.Tuple[str, int]:
    return word.upper(), len(word)


def _log(message: str) -> int:
    """Append to the log the tests read; how many lines it has then (0 without a log)."""
    log = os.environ.get("IMPERATIVE_LOG")
    if not log:
        return 0
    with open(log, "a") as f:
        f.write(message + "\n")
    return len(Path(log).read_text().split())


@task
def note(message: str) -> None:
    _log(message)  # a node with no outputs: it leaves a mark that the tests can read


@task
def mark_and_count(message: str) -> int:
    return _log(message)


@workflow
def add_wf(a: int, b: int = 10) -> int:
    return add(a=a, b=b)


add_lp = LaunchPlan.get_or_create(add_wf, name="add_hundred", default_inputs={"b": 100})


# the brief's example
my_workflow = Workflow(name="my_workflow")
my_workflow.add_workflow_input("in1", str)
node = my_workflow.add_entity(t1, a=my_workflow.inputs["in1"])
my_workflow.add_workflow_output("from_n0t1", node.outputs["o0"])


# a map, a reduce, a sub-workflow and a launch plan; three outputs
pipeline = Workflow(name="pipeline")
xs = pipeline.add_workflow_input("xs", list[int])
squares = pipeline.add_entity(map_task(square), x=xs)
summed = pipeline.add_task(total, xs=squares.outputs["o0"])
plus_ten = pipeline.add_subwf(add_wf, a=summed.outputs["o0"])
plus_hundred = pipeline.add_launch_plan(add_lp, a=plus_ten.outputs["o0"])
pipeline.add_workflow_output("squares", squares.outputs["o0"])
pipeline.add_workflow_output("plus_ten", plus_ten.outputs["o0"])
pipeline.add_workflow_output("plus_hundred", plus_hundred.outputs["o0"])


# a node with no outputs, ordered before the one whose output is returned
ordered = Workflow(name="ordered")
word = ordered.add_workflow_input("word", str)
first = ordered.add_entity(note, message=word)
counted = ordered.add_entity(mark_and_count, message=word)
first >> counted
ordered.add_workflow_output("count", counted.outputs["o0"])


# a task with two outputs; a list output built from promises needs its python_type
shapes = Workflow(name="shapes")
w = shapes.add_workflow_input("word", str)
n = shapes.add_workflow_input("n", int)
parts = shapes.add_entity(split_word, word=w)
sq = shapes.add_entity(square, x=n)
shapes.add_workflow_output("upper", parts.outputs["o0"])
shapes.add_workflow_output("sizes", [parts.outputs["o1"], sq.outputs["o0"]], python_type=list[int])


# only side effects: no outputs
side_effects = Workflow(name="side_effects")
side_effects.add_entity(note, message=side_effects.add_workflow_input("message", str))


# an imperative workflow inside a @workflow
inner = Workflow(name="inner")
inner_node = inner.add_entity(square, x=inner.add_workflow_input("x", int))
inner.add_workflow_output("o0", inner_node.outputs["o0"])


@workflow
def outer(x: int) -> int:
    return add(a=inner(x=x), b=1)
