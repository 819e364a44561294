"""Schedule expressions of EventBridge rules, on the lab's virtual clock: pure functions.

- ``rate(value unit)``: every *value* minutes, hours or days (``rate(1 minute)``,
  ``rate(5 minutes)``, ``rate(1 hour)``, ``rate(7 days)``); the singular unit is
  required for 1 and the plural for more, as AWS insists.  The first event comes one
  period after the rule is created.
- ``cron(minutes hours day-of-month month day-of-week year)``: six fields, in UTC;
  one of day-of-month and day-of-week must be ``?``.  Fields take ``*``, numbers,
  lists ``a,b``, ranges ``a-b``, steps ``*/n`` and ``a/n``, names ``JAN``-``DEC`` and
  ``SUN``-``SAT`` (day-of-week 1-7 is SUN-SAT); ``L``, ``W`` and ``#`` are not modelled.
  ``cron(0 * * * ? *)`` fires at the top of every hour.

https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}


class ScheduleError(ValueError):
    """The expression is not one EventBridge accepts."""


@dataclass(frozen=True)
class Rate:
    seconds: int


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int] | None  # None: "?"
    months: frozenset[int]
    weekdays: frozenset[int] | None  # 1 = Sunday ... 7 = Saturday; None: "?"
    years: frozenset[int] | None  # None: any


Schedule = Rate | Cron


def parse(expression: str) -> Schedule:
    """A schedule from ``rate(...)`` or ``cron(...)``; ScheduleError if EventBridge would refuse it."""
    text = expression.strip()
    hit = _RATE.match(text)
    if hit:
        value, unit = int(hit.group(1)), hit.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise ScheduleError(expression)
        return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])
    hit = _CRON.match(text)
    if not hit:
        raise ScheduleError(expression)
    fields = hit.group(1).split()
    if len(fields) != 6:
        raise ScheduleError(expression)
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(expression)  # exactly one of the two must be "?"
    return Cron(
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        days=None if dom == "?" else _field(dom, 1, 31),
        months=_field(month, 1, 12, _MONTHS),
        weekdays=None if dow == "?" else _field(dow, 1, 7, _DAYS),
        years=None if year == "*" else _field(year, 1970, 2199),
    )


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise ScheduleError(text)
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high and start <= end):
            raise ScheduleError(text)
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ScheduleError(text)
    return int(text)


def next_after(schedule: Schedule, when: datetime, *, start: datetime | None = None) -> datetime:
    """The first time the schedule fires strictly after ``when`` (UTC).

    A rate counts its periods from ``start`` (when the rule was created)."""
    if isinstance(schedule, Rate):
        origin = start or when
        periods = int((when - origin).total_seconds() // schedule.seconds) + 1
        return origin + timedelta(seconds=periods * schedule.seconds)
    day = when.replace(second=0, microsecond=0)
    for offset in range(366 * 8):
        date = (day + timedelta(days=offset)).replace(hour=0, minute=0)
        if not _day_matches(schedule, date):
            continue
        for hour in sorted(schedule.hours):
            for minute in sorted(schedule.minutes):
                at = date.replace(hour=hour, minute=minute)
                if at > when:
                    return at
    raise ScheduleError("the schedule never fires again")


def _day_matches(cron: Cron, date: datetime) -> bool:
    if date.month not in cron.months:
        return False
    if cron.years is not None and date.year not in cron.years:
        return False
    if cron.days is not None:
        return date.day in cron.days
    weekday = (date.isoweekday() % 7) + 1  # Monday=1 (ISO) -> 2; Sunday=7 (ISO) -> 1
    return cron.weekdays is None or weekday in cron.weekdays


def fire_times(expression: str, start: datetime, until: datetime) -> list[datetime]:
    """Every firing in (start, until], for tables and tests."""
    schedule = parse(expression)
    out: list[datetime] = []
    at = start
    while True:
        at = next_after(schedule, at, start=start)
        if at > until:
            return out
        out.append(at)
