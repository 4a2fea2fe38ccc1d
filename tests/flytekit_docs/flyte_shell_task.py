"""ShellTask, from Flyte's basics guide.

Source: https://github.com/flyteorg/flytesnacks/blob/master/examples/basics/basics/shell_task.py
(flytesnacks at c9b2c44, Apache-2.0). Only the import lines are changed, and one adaptation:
create_entities makes its folder with tempfile.mkdtemp() instead of
flytekit.current_context().working_directory. shell_task_wf_text (not in the guide) reads the
guide's output file, so that its answer can be compared as a value.
"""
import tempfile
from pathlib import Path
from typing import Tuple

from hpcflow import kwtypes, task, workflow
from hpcflow.extras.tasks.shell import OutputLocation, ShellTask
from hpcflow.types.directory import FlyteDirectory
from hpcflow.types.file import FlyteFile

# To create a shell task, provide a name for it,
# specify the bash script to be executed,
# and define inputs and outputs if needed
t1 = ShellTask(
    name="task_1",
    debug=True,
    script="""
    set -ex
    echo "Hey there! Let's run some bash scripts using Flyte's ShellTask."
    echo "Showcasing Flyte's Shell Task." >> {inputs.x}
    if grep "Flyte" {inputs.x}
    then
        echo "Found it!" >> {inputs.x}
    else
        echo "Not found!"
    fi
    """,
    inputs=kwtypes(x=FlyteFile),
    output_locs=[OutputLocation(var="i", var_type=FlyteFile, location="{inputs.x}")],
)


t2 = ShellTask(
    name="task_2",
    debug=True,
    script="""
    set -ex
    cp {inputs.x} {inputs.y}
    tar -zcvf {outputs.j} {inputs.y}
    """,
    inputs=kwtypes(x=FlyteFile, y=FlyteDirectory),
    output_locs=[OutputLocation(var="j", var_type=FlyteFile, location="{inputs.y}.tar.gz")],
)


t3 = ShellTask(
    name="task_3",
    debug=True,
    script="""
    set -ex
    tar -zxvf {inputs.z}
    cat {inputs.y}/$(basename {inputs.x}) | wc -m > {outputs.k}
    """,
    inputs=kwtypes(x=FlyteFile, y=FlyteDirectory, z=FlyteFile),
    output_locs=[OutputLocation(var="k", var_type=FlyteFile, location="output.txt")],
)


# Define a taskk to instantiate `FlyteFile` and `FlyteDirectory`.
# A `.gitkeep` file is created in the FlyteDirectory as a placeholder to ensure the directory exists.
@task
def create_entities() -> Tuple[FlyteFile, FlyteDirectory]:
    working_dir = Path(tempfile.mkdtemp())
    flytefile = working_dir / "test.txt"
    flytefile.touch()

    flytedir = working_dir / "testdata"
    flytedir.mkdir(exist_ok=True)

    flytedir_file = flytedir / ".gitkeep"
    flytedir_file.touch()
    return flytefile, flytedir


# Create a workflow to define the dependencies between the tasks
@workflow
def shell_task_wf() -> FlyteFile:
    x, y = create_entities()
    t1_out = t1(x=x)
    t2_out = t2(x=t1_out, y=y)
    t3_out = t3(x=x, y=y, z=t2_out)
    return t3_out


@task
def read_text(f: FlyteFile) -> str:
    with open(f) as handle:
        return handle.read().strip()


@workflow
def shell_task_wf_text() -> str:
    return read_text(f=shell_task_wf())
