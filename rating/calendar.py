"""Working days by the State Council's holiday schedule, and calendar months.

A working day in mainland China is not "Monday to Friday": every year the State Council's
notice (国务院办公厅关于某年部分节假日安排的通知) moves public holidays next to weekends
(放假调休) and makes some Saturdays and Sundays working days (调休上班). Deadlines of due
process — the end of publicity (公示), the last day for objections (异议) — count those days.

The schedules come from the `chinesecalendar` package (LKI/chinese-calendar, MIT), which
types each year's notice in as it is published and refuses a year it has no notice for;
`holidays` (python-holidays) was considered and not chosen because for a year whose notice
is not in its data it *computes* holidays by rule, without the make-up working days, i.e. it
would quietly give a wrong deadline. Beyond the years the package covers, this module refuses
(`CALENDAR_NOT_COVERED`) rather than guess: upgrade the package when the State Council
publishes the next year's schedule (each November). A rule set may add local days off
(`[disclosure] holidays`) and local working days (`working_days`); those are answered even
outside the covered years. `WorkingCalendar.describe()` names the package, its version, the
years it covers and the local days, so a deadline recorded in the ledger can be recomputed
years later with the same calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import TypedDict

from rating.errors import UsageError

CALENDAR_PACKAGE = "chinesecalendar"


class CalendarRecord(TypedDict):
    """What `WorkingCalendar.describe` says: enough to recompute a deadline years later."""

    calendar: str  # package and version of the official schedule
    covers: list[int]  # first and last year the schedule covers
    local_holidays: list[str]  # ISO dates the rule set adds as days off
    local_working_days: list[str]  # ISO dates the rule set makes working days


@dataclass(frozen=True)
class OfficialSchedule:
    """What the installed package knows: its version and the years it has notices for."""

    package: str
    version: str
    first_year: int
    last_year: int
    holidays: frozenset[date]  # days off on weekdays and weekends alike (放假)
    workdays: frozenset[date]  # Saturdays and Sundays that are working days (调休上班)


@lru_cache(maxsize=1)
def official_schedule() -> OfficialSchedule:
    """The State Council schedules as typed into `chinesecalendar` (cached; read once)."""
    from chinese_calendar import constants

    try:
        version = package_version(CALENDAR_PACKAGE)
    except PackageNotFoundError:  # installed under its other distribution name
        version = package_version("chinese-calendar")
    days = list(constants.holidays) + list(constants.workdays)
    return OfficialSchedule(
        package=CALENDAR_PACKAGE,
        version=version,
        first_year=min(d.year for d in days),
        last_year=max(d.year for d in days),
        holidays=frozenset(constants.holidays),
        workdays=frozenset(constants.workdays),
    )


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days: the official schedule, plus a rule set's local days off and working days.

    A local working day wins over a local day off listed for the same date (a rule set that
    lists a date in both is refused when it loads).
    """

    schedule: OfficialSchedule
    local_holidays: frozenset[date] = field(default_factory=frozenset)
    local_working_days: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def official(
        cls, holidays: Iterable[date] = (), working_days: Iterable[date] | None = ()
    ) -> WorkingCalendar:
        """The official schedule with a rule set's `[disclosure]` local days off and working days."""
        return cls(official_schedule(), frozenset(holidays), frozenset(working_days or ()))

    def covers(self, day: date) -> bool:
        s = self.schedule
        return s.first_year <= day.year <= s.last_year

    def is_working_day(self, day: date) -> bool:
        """True on a working day. Raises UsageError `CALENDAR_NOT_COVERED` for a day of a year
        the schedule has no notice for (unless a local day decides it)."""
        if day in self.local_working_days:
            return True
        if day in self.local_holidays:
            return False
        if not self.covers(day):
            s = self.schedule
            raise UsageError(
                f"no official holiday schedule for {day.year}: {s.package} {s.version} covers "
                f"{s.first_year}–{s.last_year}; upgrade it (pip install -U {s.package}) once the "
                "State Council has published that year's schedule",
                code="CALENDAR_NOT_COVERED",
                details={"day": day.isoformat(), **self.describe()},
            )
        if day in self.schedule.workdays:
            return True
        return day.weekday() < 5 and day not in self.schedule.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The last day of a span of `days` working days that begins the day after `start`.

        Publicity put up on Wednesday 2026-09-30 for 7 working days ends on Thursday
        2026-10-15: 1–7 October are days off, Saturday 10 October is a working day.
        With 0 days the span is empty and `start` itself is returned.
        """
        day, counted = start, 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def describe(self) -> CalendarRecord:
        """Name, version, covered years and local days: enough to recompute a deadline."""
        s = self.schedule
        return {
            "calendar": f"{s.package} {s.version}",
            "covers": [s.first_year, s.last_year],
            "local_holidays": sorted(d.isoformat() for d in self.local_holidays),
            "local_working_days": sorted(d.isoformat() for d in self.local_working_days),
        }


def add_working_days(start: date, days: int, holidays: Iterable[date] = ()) -> date:
    """`WorkingCalendar.official(holidays).add_working_days(start, days)`."""
    return WorkingCalendar.official(holidays).add_working_days(start, days)


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
