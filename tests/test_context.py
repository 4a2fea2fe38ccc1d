"""flytekit's current_context(): a working directory and a checkpoint per element, in-process
and in runs, the checkpoint kept across attempts of the same element."""
from __future__ import annotations

import textwrap
from pathlib import Path

from hpcflow import current_context
from hpcflow.loader import load_file

# after flytesnacks' advanced_composition/checkpoint.py (Apache-2.0,
# https://github.com/flyteorg/flytesnacks/blob/master/examples/advanced_composition/advanced_composition/checkpoint.py):
# an element that fails every 5th iteration resumes from its checkpoint on the next attempt
CHECKPOINTED = textwrap.dedent('''
    from pathlib import Path
    from hpcflow import current_context, task, workflow
    from hpcflow.errors import RecoverableError

    @task(retries=3)
    def use_checkpoint(n_iterations: int) -> int:
        cp = current_context().checkpoint
        prev = cp.read()
        start = 0 if prev is None else int(prev.decode())
        for index in range(start, n_iterations):
            if index > start and index % 5 == 0:  # a failure the checkpoint lets the next attempt skip past
                raise RecoverableError(f"failed at iteration {index}")
            cp.write(f"{index + 1}".encode())
        return start

    @task
    def where_i_work() -> str:
        folder = Path(current_context().working_directory)
        (folder / "note.txt").write_text("mine")
        return str(folder)

    @workflow
    def checkpointing_example(n_iterations: int) -> int:
        return use_checkpoint(n_iterations=n_iterations)

    @workflow
    def two_folders() -> list[str]:
        return [where_i_work(), where_i_work()]
''')


def test_in_process_a_retry_resumes_from_the_checkpoint_and_each_call_has_its_own_folder(tmp_path):
    path = tmp_path / "checkpointed.py"
    path.write_text(CHECKPOINTED)
    m = load_file(str(path), "checkpointed_a")
    assert m.checkpointing_example(n_iterations=12) == 10  # attempts start at 0, 5, 10
    first, second = m.two_folders()
    assert first != second and Path(first, "note.txt").read_text() == "mine"
    assert current_context().execution_id.name.startswith("local-")


def test_in_a_run_the_checkpoint_lives_in_the_elements_folder(tmp_path, hpcflow, runs_dir):
    path = tmp_path / "checkpointed.py"
    path.write_text(CHECKPOINTED)
    res = hpcflow("run", f"{path}:checkpointing_example", "-i", "n_iterations=12", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": 10}, res.stderr
    element = runs_dir / res.json["run_id"] / "jobs" / "n0" / "0"
    assert (element / "checkpoint" / "checkpoint").read_text() == "12"
    assert hpcflow("status", res.json["run_id"], "--json").json["jobs"][0]["counts"] == {"SUCCEEDED": 1}
