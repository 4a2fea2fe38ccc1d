"""What an element alone in its array task writes (issue "Overhead at the floor": one write publishes an
element's result and status): under Slurm, whose squeue says that it runs, an element that ends within a
second publishes its task's records once, start and end together; a local run's element, which nothing
but its record shows running, publishes its start at once too."""
from __future__ import annotations

from pathlib import Path

import pytest

from hpcflow.loader import load_file
from hpcflow.runtime import entry, records
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.runs import compile_for, create_run
from paths import ROOT

CASES = load_file(ROOT / "tests" / "workflows" / "stealing.py")


@pytest.mark.parametrize("backend, writes", [("slurm", 1), ("local", 2)])
def test_an_element_alone_in_its_task_publishes_its_records_once_where_the_scheduler_shows_it_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, writes: int):
    plan = compile_for(CASES.two_at_a_time, {"xs": [3, 4, 5]})
    rd = create_run(CASES.two_at_a_time, CASES, plan, tmp_path / "runs", backend=backend, index=False)
    published: list[Path] = []
    real = records.atomic.write_json_compact
    monkeypatch.setattr(records.atomic, "write_json_compact", lambda path, obj: (published.append(path), real(path, obj)))
    monkeypatch.delenv("HPCFLOW_STEAL_S", raising=False)
    assert entry.main([str(rd.path), "n0", "1"]) == 0
    assert [p.name for p in published] == ["1.json"] * writes
    status = RunDir(rd.path).status("n0", 1)
    assert status.state.value == "SUCCEEDED" and status.started is not None and status.host
