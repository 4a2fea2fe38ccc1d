"""More ShellTask use, written for hpcflow's tests (not from Flyte's docs): int and str inputs,
several outputs, a directory output, script_file=, a ShellTask under map_task, and a failing
script. Run with flytekit (imports swapped back) for expected_shell.json.
"""
import os
from typing import List

from hpcflow import kwtypes, map_task, task, workflow
from hpcflow.extras.tasks.shell import OutputLocation, ShellTask
from hpcflow.types.directory import FlyteDirectory
from hpcflow.types.file import FlyteFile

HERE = os.path.dirname(os.path.abspath(__file__))

repeat = ShellTask(
    name="repeat",
    script="""
    i=0
    while [ $i -lt {inputs.n} ]; do printf '%s\\n' "{inputs.word}" >> {outputs.lines}; i=$((i + 1)); done
    printf '%s' "{inputs.n}" > {outputs.count}
    """,
    inputs=kwtypes(word=str, n=int),
    output_locs=[OutputLocation(var="lines", var_type=FlyteFile, location="lines.txt"),
                 OutputLocation(var="count", var_type=FlyteFile, location="count.txt")],
)

split_words = ShellTask(
    name="split_words",
    script="""
    mkdir -p {outputs.parts}
    for w in $(cat {inputs.text}); do printf '%s' "$w" > {outputs.parts}/$w.txt; done
    """,
    inputs=kwtypes(text=FlyteFile),
    output_locs=[OutputLocation(var="parts", var_type=FlyteDirectory, location="parts")],
)

from_file = ShellTask(
    name="from_file",
    script_file=os.path.join(HERE, "shell_scripts", "shout.sh"),
    inputs=kwtypes(text=FlyteFile),
    output_locs=[OutputLocation(var="loud", var_type=FlyteFile, location="{inputs.text}.loud")],
)

square = ShellTask(
    name="square",
    script="echo $(( {inputs.x} * {inputs.x} )) > {outputs.out}",
    inputs=kwtypes(x=int),
    output_locs=[OutputLocation(var="out", var_type=FlyteFile, location="square.txt")],
)

fails = ShellTask(
    name="fails",
    script="echo 'about to fail' ; echo 'no such input: {inputs.name}' >&2 ; exit 3",
    inputs=kwtypes(name=str),
)


@task
def read_text(f: FlyteFile) -> str:
    with open(f) as handle:
        return handle.read()


@task
def read_all(files: List[FlyteFile]) -> List[int]:
    return [int(open(f).read()) for f in files]


@task
def list_dir(d: FlyteDirectory) -> List[str]:
    return sorted(os.listdir(d))


@workflow
def repeat_wf(word: str = "hello", n: int = 3) -> List[str]:
    lines, count = repeat(word=word, n=n)
    return [read_text(f=lines), read_text(f=count)]


@workflow
def words_wf(text: str = "alpha beta gamma") -> List[str]:
    lines, _ = repeat(word=text, n=1)
    return list_dir(d=split_words(text=lines))


@workflow
def script_file_wf(word: str = "quiet words") -> str:
    lines, _ = repeat(word=word, n=2)
    return read_text(f=from_file(text=lines))


@workflow
def map_shell_wf(xs: List[int] = [1, 2, 3, 4]) -> List[int]:
    return read_all(files=map_task(square)(x=xs))


@workflow
def failing_wf(name: str = "missing.csv"):
    fails(name=name)
