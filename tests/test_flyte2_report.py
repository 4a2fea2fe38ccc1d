"""Flyte 2's flyte.report: a task's HTML report, in tabs, written next to the run's data.

As in the flyte SDK 2.6: log appends to the "main" tab, replace overwrites it, get_tab gives
others; flush writes the page, and a report=True task's page is written when it returns."""
from __future__ import annotations

from pathlib import Path

import pytest

import hpcflow as flyte
import hpcflow.report

env = flyte.TaskEnvironment(name="reports")


@env.task(report=True)
async def charts(n: int) -> int:
    await flyte.report.log.aio("<h1>Run</h1>")
    flyte.report.log("<p>first</p>")
    flyte.report.get_tab("Charts").log("<svg id='c'></svg>")
    return n * 2


@env.task
async def streams() -> str:
    await flyte.report.replace.aio("<p>old</p>", do_flush=True)
    await flyte.report.replace.aio("<p>new</p>")
    return str(await flyte.report.flush.aio())


@env.task
async def writes_nothing() -> int:
    return 1


@env.task(report=True)
async def parent() -> int:
    flyte.report.log("<p>parent</p>")
    return await charts(1)


def _report(home: Path, run: object, action: str = "a0") -> str:
    return (home / "data" / run.name / action / "report.html").read_text()


def test_a_report_task_writes_its_tabs_when_it_returns(tmp_path, monkeypatch):
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path))
    run = flyte.run(charts, n=3)
    assert run.outputs()[0] == 6
    page = _report(tmp_path, run)
    assert page.index("<h1>Run</h1>") < page.index("<p>first</p>")
    assert "<svg id='c'></svg>" in page and ">Charts</li>" in page and ">main</li>" in page


def test_flush_writes_the_page_and_replace_overwrites_the_main_tab(tmp_path, monkeypatch):
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path))
    run = flyte.run(streams)
    path = Path(run.outputs()[0])
    assert path == tmp_path / "data" / run.name / "a0" / "report.html"
    assert "<p>new</p>" in path.read_text() and "<p>old</p>" not in path.read_text()


def test_each_call_has_its_own_report_and_an_empty_one_is_not_written(tmp_path, monkeypatch):
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path))
    run = flyte.run(parent)
    assert "<p>parent</p>" in _report(tmp_path, run) and "<p>first</p>" not in _report(tmp_path, run)
    assert "<p>first</p>" in _report(tmp_path, run, "a0-1")
    assert not (tmp_path / "data" / flyte.run(writes_nothing).name).exists()


def test_outside_a_task_reports_go_nowhere(tmp_path, monkeypatch):
    monkeypatch.setenv("HPCFLOW_HOME", str(tmp_path))
    flyte.report.log("<p>lost</p>", do_flush=True)
    assert flyte.report.flush() is None and not (tmp_path / "data").exists()
    assert flyte.report.current_report().name == "dummy"
    with pytest.raises(ValueError, match="does not exist"):
        flyte.report.get_tab("missing", create_if_missing=False)
