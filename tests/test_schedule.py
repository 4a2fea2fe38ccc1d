"""flytekit's launch-plan schedules: validated as flytekit validates them, kept on the plan, and
named by `hpcflow run|submit` with the scrontab line that keeps them (hpcflow has no scheduler)."""
from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from hpcflow import CronSchedule, FixedRate, LaunchPlan, task, workflow
from hpcflow.errors import WorkflowDefinitionError


@task
def double(x: int) -> int:
    return 2 * x


@workflow
def doubled(x: int = 3) -> int:
    return double(x=x)


@pytest.mark.parametrize("line", ["foo", "* *", "0 0 31 2 *", "0 0 30 2 *", "0 0 31 4 *", "61 * * * *", "0 0 * 13 *",
                                  "*/0 * * * *", "5-1 * * * *"])
def test_a_cron_schedule_that_is_malformed_or_never_fires_is_a_value_error(line: str):
    with pytest.raises(ValueError, match="Schedule is invalid"):
        CronSchedule(schedule=line)


def test_valid_schedules_and_their_cron_lines():
    assert CronSchedule(schedule="*/5 9-17 * jan-jun mon-fri").cron_line() == "*/5 9-17 * jan-jun mon-fri"
    assert CronSchedule(schedule="0 0 31 2 1").cron_line() == "0 0 31 2 1"  # both day fields: cron ORs them
    assert CronSchedule(schedule="@daily").cron_line() == CronSchedule(schedule="days").cron_line() == "0 0 * * *"
    assert CronSchedule(schedule="0 0 29 2 *").cron_line() == "0 0 29 2 *"  # leap years
    assert CronSchedule(schedule="@hourly", offset="PT10M").cron_line() is None  # cron cannot shift it
    assert FixedRate(datetime.timedelta(minutes=15)).cron_line() == "*/15 * * * *"
    assert FixedRate(datetime.timedelta(hours=6)).cron_line() == "0 */6 * * *"
    assert FixedRate(datetime.timedelta(minutes=7)).cron_line() is None


def test_flytekits_refusals():
    with pytest.raises(AssertionError, match="deprecated"):
        CronSchedule("* * ? * * *")
    with pytest.raises(ValueError, match="Offset is invalid"):
        CronSchedule(schedule="days", offset="foo")
    with pytest.raises(AssertionError, match="less than a minute"):
        FixedRate(datetime.timedelta(seconds=30))


def test_a_scheduled_launch_plan_keeps_its_schedule_and_runs_when_called():
    every_day = CronSchedule(schedule="0 6 * * *")
    lp = LaunchPlan.get_or_create(doubled, "doubled_daily", schedule=every_day)
    assert lp.schedule == every_day and lp(x=4) == 8
    with pytest.raises(WorkflowDefinitionError, match="schedule= takes CronSchedule"):
        LaunchPlan.get_or_create(doubled, "doubled_bad", schedule="0 6 * * *")


def test_run_says_the_schedule_is_not_kept_and_gives_the_scrontab_line(hpcflow, tmp_path: Path):
    source = tmp_path / "scheduled.py"
    source.write_text(
        "from hpcflow import CronSchedule, LaunchPlan, task, workflow\n\n"
        "@task\ndef double(x: int) -> int:\n    return 2 * x\n\n"
        "@workflow\ndef doubled(x: int = 3) -> int:\n    return double(x=x)\n\n"
        "nightly = LaunchPlan.get_or_create(doubled, 'nightly', schedule=CronSchedule(schedule='@daily'))\n")
    res = hpcflow("run", f"{source}:nightly", "--json")
    assert res.code == 0 and res.json["outputs"] == {"o0": 6}
    assert "has a schedule, which hpcflow does not keep" in res.stderr
    assert "`0 0 * * * cd " in res.stderr and f"hpcflow run {source}:nightly" in res.stderr
