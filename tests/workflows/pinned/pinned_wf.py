"""A workflow whose first task edits and deletes its own sources, as a user editing while jobs
queue would; the second task must still run the code that was submitted (tests/test_pinning.py)."""
import os

import pinned_helper
from hpcflow import task, workflow


@task
def vandal(folder: str) -> int:
    wf = os.path.join(folder, "pinned_wf.py")
    with open(wf) as fh:
        text = fh.read()
    with open(wf, "w") as fh:
        fh.write(text.replace("x + pinned_helper.value()", "x + 1000"))
    os.remove(os.path.join(folder, "pinned_helper.py"))
    return 1


@task
def after(x: int) -> int:
    return x + pinned_helper.value()


@workflow
def pinned(folder: str) -> int:
    return after(x=vandal(folder=folder))
