"""Working days: Monday to Friday, minus the holidays a rule set lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def add_working_days(start: date, days: int, holidays: Iterable[date] = ()) -> date:
    """The last day of a span of `days` working days that begins the working day after `start`.

    Publicity started on a Wednesday with 7 working days ends on the Friday of the next week.
    With 0 days the span is empty and `start` itself is returned.
    """
    off = set(holidays)
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            counted += 1
    return day


def add_months(start: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    for day in range(start.day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(start.day, 28))
