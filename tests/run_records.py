"""What tests read of an element's records: through RunDir, as `hpcflow status NODE[INDEX]` does
(records live in per-array-task files, runtime/records.py, not in files per element)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hpcflow.runtime.rundir import RunDir


def element_status(run_dir: Path, job_id: str, index: int) -> dict[str, Any]:
    """The status of one element as a JSON object (all fields)."""
    return RunDir(run_dir).status(job_id, index).to_json()


def element_error(run_dir: Path, job_id: str, index: int) -> str:
    """The traceback one element recorded."""
    return RunDir(run_dir).error_text(job_id, index)


def recorded_states(root: Path) -> list[str]:
    """The state of every element of every run (and sub-run) under `root`."""
    states = []
    for plan in sorted(Path(root).rglob("plan.json")):
        rd = RunDir(plan.parent)
        for job in rd.plan.jobs:
            states += [st.state.value for st in rd.statuses(job.id)]
    return states
