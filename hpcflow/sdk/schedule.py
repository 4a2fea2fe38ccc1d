"""flytekit's launch-plan schedules, `CronSchedule` and `FixedRate`: validated and recorded.

hpcflow has no scheduler service: a launch plan keeps its schedule (`plan.schedule`), runs in-process
and under `hpcflow run|submit` like any plan (as flytekit's local run does), and `run`/`submit`
say on stderr that the schedule is not kept by hpcflow and give the scrontab line that keeps it
(`cron_line()`; Slurm's scrontab runs `hpcflow submit` on a cluster, cron on any machine).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hpcflow.core.cron import alias_line, parse_cron
from hpcflow.errors import DefinitionAssertionError, InvalidValueError
from hpcflow.sdk.spec import is_timedelta

if TYPE_CHECKING:
    import datetime

_OFFSET = re.compile(r"([-+]?)P([-+0-9YMWD]+)?(T([-+0-9HMS.,]+)?)?")  # an ISO 8601 duration, roughly


@dataclass(frozen=True, init=False)
class CronSchedule:
    """Run a launch plan on a cron schedule: `CronSchedule(schedule="*/5 * * * *")` or an alias (`"@daily"`)."""

    schedule: str | None
    offset: str | None
    kickoff_time_input_arg: str | None

    def __init__(self, cron_expression: str | None = None, schedule: str | None = None, offset: str | None = None,
                 kickoff_time_input_arg: str | None = None):
        if cron_expression:
            raise DefinitionAssertionError("CronSchedule(cron_expression=...) is deprecated, as in flytekit; use "
                                           "CronSchedule(schedule='minute hour day month weekday')")
        if schedule is not None:
            parse_cron(schedule)
        if offset is not None and _OFFSET.fullmatch(offset) is None:
            raise InvalidValueError(f"Offset is invalid. It must be an ISO 8601 duration such as PT1H. "
                                    f"Provided offset: {offset}")
        object.__setattr__(self, "schedule", schedule)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "kickoff_time_input_arg", kickoff_time_input_arg)

    def cron_line(self) -> str | None:
        """The five cron fields that run it (an offset cannot be written in them: None then)."""
        if self.schedule is None or self.offset is not None:
            return None
        return alias_line(self.schedule) or " ".join(self.schedule.split())


@dataclass(frozen=True)
class FixedRate:
    """Run a launch plan every `duration` (whole minutes, as in flytekit)."""

    duration: datetime.timedelta
    kickoff_time_input_arg: str | None = None

    def __post_init__(self) -> None:
        if not is_timedelta(self.duration) or self.duration.total_seconds() <= 0:
            raise InvalidValueError(f"FixedRate(duration={self.duration!r}) takes a positive datetime.timedelta")
        if self.duration.microseconds or self.duration.seconds % 60:
            raise DefinitionAssertionError(f"Granularity of less than a minute is not supported for FixedRate "
                                           f"schedules. Received: {self.duration}; use whole minutes")

    def cron_line(self) -> str | None:
        """The five cron fields that run it, when cron can (a rate that divides an hour or a day), else None."""
        minutes = int(self.duration.total_seconds()) // 60
        if minutes < 60 and 60 % minutes == 0:
            return f"*/{minutes} * * * *"
        if minutes % 60 == 0 and minutes <= 24 * 60 and (24 * 60) % minutes == 0:
            return f"0 */{minutes // 60} * * *" if minutes < 24 * 60 else "0 0 * * *"
        return None


Schedule = CronSchedule | FixedRate
