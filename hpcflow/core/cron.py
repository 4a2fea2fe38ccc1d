"""Cron schedules as cron(8) and Slurm's scrontab read them: five fields, validated without running them.

Pure: `parse_cron("0 3 * * mon-fri")` gives the set of values each field allows, or raises
InvalidValueError naming the field; a day of the month that no allowed month has (`0 0 31 2 *`)
is refused, since such a schedule would never fire.
"""
from __future__ import annotations

from dataclasses import dataclass

from hpcflow.errors import InvalidValueError

# flytekit's aliases and the five-field line each stands for (scrontab takes the @ forms).
_HOURLY, _DAILY, _WEEKLY, _MONTHLY, _YEARLY = "0 * * * *", "0 0 * * *", "0 0 * * 0", "0 0 1 * *", "0 0 1 1 *"
ALIAS_LINES = {"hourly": _HOURLY, "hours": _HOURLY, "@hourly": _HOURLY, "daily": _DAILY, "days": _DAILY,
               "@daily": _DAILY, "weekly": _WEEKLY, "weeks": _WEEKLY, "@weekly": _WEEKLY, "monthly": _MONTHLY,
               "months": _MONTHLY, "@monthly": _MONTHLY, "annually": _YEARLY, "@annually": _YEARLY,
               "yearly": _YEARLY, "years": _YEARLY, "@yearly": _YEARLY}
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # February's 29th happens in leap years
# name, lowest, highest, names for lowest, lowest + 1, ...
_FIELDS = [("minute", 0, 59, []), ("hour", 0, 23, []), ("day of month", 1, 31, []),
           ("month", 1, 12, _MONTHS), ("day of week", 0, 7, _DAYS)]


@dataclass(frozen=True)
class Cron:
    """The values each field allows; `*_any` says the field was `*` (cron ORs the two day fields
    only when both are restricted)."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 and 7 are both Sunday, kept as 0
    days_any: bool
    weekdays_any: bool


def alias_line(schedule: str) -> str | None:
    """The five-field line of an alias such as `@daily` or `days`, else None."""
    return ALIAS_LINES.get(schedule.lower())


def parse_cron(schedule: str) -> Cron:
    """Parse a five-field cron line (or an alias); raise InvalidValueError when it is malformed or never fires."""
    line = alias_line(schedule) or schedule
    fields = line.split()
    if len(fields) != 5:
        raise InvalidValueError(f"Schedule is invalid. Provided schedule: {schedule} Error: a cron schedule has 5 "
                                "fields (minute hour day-of-month month day-of-week) or is an alias such as @daily")
    values = [_field(text, *spec, schedule) for text, spec in zip(fields, _FIELDS)]
    weekdays = frozenset(0 if d == 7 else d for d in values[4])
    cron = Cron(*values[:4], weekdays, fields[2] in ("*", "?"), fields[4] in ("*", "?"))
    if cron.weekdays_any and not any(d <= _DAYS_IN_MONTH[m - 1] for m in cron.months for d in cron.days):
        raise InvalidValueError(f"Schedule is invalid. Provided schedule: {schedule} Error: no month it allows has "
                                f"day {min(cron.days)}, so it would never run")
    return cron


def _field(text: str, name: str, low: int, high: int, names: list[str], schedule: str) -> frozenset[int]:
    def bad(why: str) -> InvalidValueError:
        return InvalidValueError(f"Schedule is invalid. Provided schedule: {schedule} Error: {name} field "
                                 f"'{text}': {why}")

    def number(token: str) -> int:
        if token.lower() in names:
            return names.index(token.lower()) + low
        if not token.isdigit():
            raise bad(f"'{token}' is not a number{' or a name such as ' + names[0] if names else ''}")
        value = int(token)
        if not low <= value <= high:
            raise bad(f"{value} is outside {low}-{high}")
        return value

    allowed: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise bad(f"step '{step_text}' must be a whole number > 0")
            step = int(step_text)
        if base in ("*", "?"):
            start, stop = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, stop = number(first), number(last)
            if start > stop:
                raise bad(f"range {base} runs backwards")
        else:
            start = number(base)
            stop = high if step_text else start
        allowed.update(range(start, stop + 1, step))
    return frozenset(allowed)
