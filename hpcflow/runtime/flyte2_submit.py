"""flyte.run(...) in mode "remote": a Flyte 2 root task submitted to a site's Slurm, as `hpcflow submit` does.

The run it returns is the Python API's Run (runtime/handle.py) with Flyte 2's spelling on top:
`run.name`, `run.url`, `run.phase`, `run.wait()`, `run.done()`, and `run.outputs()` as Flyte 2 gives
them (a tuple, `outputs()[0]` or `.o0`). Its jobs import the task from a copy of its file, so a task
defined in a script run as `__main__` is found again under the file's own module name (whose
`if __name__ == "__main__":` block, which called flyte.run, does not run again).
"""
from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from hpcflow.core.states import State
from hpcflow.errors import HpcflowError, InputError
from hpcflow.loader import load_file
from hpcflow.runtime.handle import Run, submit_bound
from hpcflow.runtime.runs import RunView
from hpcflow.sdk.flyte2.runs import Outputs
from hpcflow.sdk.flyte2.task import AsyncFunctionTaskTemplate
from hpcflow.sdk.inputs import bind_inputs
from hpcflow.site.config import load_site

# Flyte 2's phase names for hpcflow's run states
PHASES = {State.PENDING: "QUEUED", State.RUNNING: "RUNNING", State.SUCCEEDED: "SUCCEEDED", State.FAILED: "FAILED",
          State.CANCELLED: "ABORTED"}


class FlyteRun(Run):
    """A remote Flyte 2 run: hpcflow's Run, read the way Flyte 2's Run is read."""

    @property
    def name(self) -> str:
        return self.run_id

    @property
    def url(self) -> str:
        """Where the run lives: its run directory (`hpcflow status NAME` shows it)."""
        return self.rd.path.resolve().as_uri()

    @property
    def phase(self) -> str:
        """QUEUED, RUNNING, SUCCEEDED, FAILED or ABORTED, now."""
        return PHASES.get(self.status().state, self.status().state.value)

    def done(self) -> bool:
        """True once the run has ended, well or not."""
        return self.status().state in (State.SUCCEEDED, State.FAILED, State.CANCELLED)

    def wait(self, timeout: float | None = None, quiet: bool = True, wait_for: str = "terminal") -> RunView:
        """Until the run has ended (Flyte 2's quiet= and wait_for= are accepted; hpcflow prints nothing)."""
        return super().wait(timeout)

    def outputs(self) -> Outputs:  # type: ignore[override] - Flyte 2's Run gives a tuple, hpcflow's a dict
        """The root task's value(s) once the run has succeeded: a tuple, `outputs()[0]` or `outputs().o0`."""
        return Outputs(tuple(super().outputs().values()))

    def __repr__(self) -> str:
        return f"<Run {self.run_id} ({self.url})>"


def submit_flyte2(task: Any, inputs: dict[str, Any], site: str, settings: Any = None) -> FlyteRun:
    """Submit `task` on `inputs` to `site` and return at once, as `hpcflow submit FILE.py:TASK` does."""
    task, module = _importable(task)
    bound = bind_inputs(task.interface, inputs, f"task '{task.name}'")
    submitted = submit_bound(task, module, bound, load_site(site))
    return FlyteRun(submitted.rd, submitted.backend, submitted.job_ids)


def _importable(task: Any) -> tuple[Any, ModuleType]:
    """The task and the module its jobs import it from: a file's own module, never `__main__`."""
    module = sys.modules.get(task.module)
    file = getattr(module, "__file__", None)
    if module is None or not file:
        raise InputError(f"flyte.run(mode='remote') submits tasks defined in a .py file (its jobs import them from "
                         f"there); '{task.name}' comes from {task.module!r}: put it in a file")
    if task.module != "__main__":
        return task, module
    module = load_file(file)
    for value in vars(module).values():
        if isinstance(value, AsyncFunctionTaskTemplate) and value.qualname == task.qualname:
            return value, module
    raise HpcflowError(f"cannot find task '{task.name}' in {file} at its top level; a task submitted with "
                       "mode='remote' must be a module-level name its jobs can import")
