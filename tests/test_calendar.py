"""Working days by the State Council's schedules: deadlines computed by hand.

Each expected date below was counted on paper from the State Council's notices
(国务院办公厅关于2025年/2026年部分节假日安排的通知), not from the library:

* 2025 Spring Festival: 28 January – 4 February off; Sunday 26 January and Saturday 8 February
  are working days.
* 2025 National Day and Mid-Autumn: 1–8 October off; Sunday 28 September and Saturday
  11 October are working days.
* 2026 Spring Festival: 15–23 February off; Saturdays 14 and 28 February are working days.
* 2026 Mid-Autumn: 25–27 September off. National Day: 1–7 October off; Sunday 20 September
  and Saturday 10 October are working days.

A span of N working days begins the day after the start (publicity put up on day D runs
from D+1), so "7 working days from 2026-09-30" counts Oct 8, 9, 10 (Sat), 12, 13, 14, 15.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rating.calendar import WorkingCalendar
from rating.errors import UsageError
from rating.ruleset.definition import Disclosure


@functools.cache
def official_calendar() -> WorkingCalendar:
    """The shipped calendar, built when a test first asks (not at collection)."""
    return WorkingCalendar.official()


def _weekdays_only(start: date, days: int) -> date:
    """What the engine did before: Monday to Friday."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        counted += day.weekday() < 5
    return day


@pytest.mark.parametrize(
    ("start", "days", "official", "weekdays"),
    [
        # 2026 National Day: the example — objections closed 4 working days early.
        ("2026-09-30", 7, "2026-10-15", "2026-10-09"),
        # 2026 Spring Festival: 14 Feb (Sat) works, 15–23 off.
        ("2026-02-10", 7, "2026-02-26", "2026-02-19"),
        # 2026 Mid-Autumn: 20 Sep (Sun) works, 25 Sep (Fri) off.
        ("2026-09-18", 7, "2026-09-29", "2026-09-29"),
        # 2025 Spring Festival: 26 Jan (Sun) works, 28 Jan – 4 Feb off, 8 Feb (Sat) works.
        ("2025-01-24", 7, "2025-02-10", "2025-02-04"),
        # 2025 National Day: 28 Sep (Sun) works, 1–8 Oct off, 11 Oct (Sat) works.
        ("2025-09-26", 7, "2025-10-13", "2025-10-07"),
        # The day after the 2025 holiday: 11 Oct (Sat) is a working day.
        ("2025-10-09", 7, "2025-10-17", "2025-10-20"),
        # Zero working days: the start itself.
        ("2026-10-01", 0, "2026-10-01", "2026-10-01"),
    ],
)
def test_deadlines_follow_the_state_council_schedule(
    start: str, days: int, official: str, weekdays: str
) -> None:
    begin = date.fromisoformat(start)
    assert official_calendar().add_working_days(begin, days) == date.fromisoformat(official)
    assert _weekdays_only(begin, days) == date.fromisoformat(weekdays)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-10-10", True),  # Saturday, 调休上班
        ("2026-09-20", True),  # Sunday, 调休上班
        ("2026-10-07", False),  # Wednesday, National Day
        ("2026-10-08", True),  # Thursday after the holiday
        ("2026-02-14", True),  # Saturday before Spring Festival
        ("2026-02-23", False),  # Monday, last day off
        ("2025-10-08", False),  # Wednesday, 2025's eighth day off
        ("2025-02-08", True),  # Saturday, 调休上班
        ("2026-11-28", False),  # an ordinary Saturday
    ],
)
def test_single_days(day: str, working: bool) -> None:
    assert official_calendar().is_working_day(date.fromisoformat(day)) is working


def test_local_days_from_the_rule_set() -> None:
    day_off = WorkingCalendar.official(holidays=[date(2026, 10, 8)])
    # 8 Oct a local day off: Oct 9, 10 (Sat), 12, 13, 14, 15, 16.
    assert day_off.add_working_days(date(2026, 9, 30), 7) == date(2026, 10, 16)
    local = WorkingCalendar.official(
        holidays=[date(2026, 10, 8)], working_days=[date(2026, 10, 11)]
    )
    # and Sunday 11 Oct a local working day: Oct 9, 10, 11, 12, 13, 14, 15.
    assert local.add_working_days(date(2026, 9, 30), 7) == date(2026, 10, 15)
    assert local.describe()["local_holidays"] == ["2026-10-08"]
    assert local.describe()["local_working_days"] == ["2026-10-11"]


def test_a_day_cannot_be_both_off_and_working() -> None:
    with pytest.raises(ValueError, match="both"):
        Disclosure(holidays=(date(2026, 10, 8),), working_days=(date(2026, 10, 8),))


def test_beyond_the_published_schedules_is_refused_not_guessed() -> None:
    last = official_calendar().schedule.last_year
    with pytest.raises(UsageError) as err:
        official_calendar().add_working_days(date(last, 12, 30), 7)
    assert err.value.code == "CALENDAR_NOT_COVERED"
    assert str(last + 1) in err.value.message and "chinesecalendar" in err.value.message
    # A local day is answered even there (a bureau's own notice).
    beyond = date(last + 1, 1, 4)
    assert WorkingCalendar.official(working_days=[beyond]).is_working_day(beyond)


def test_the_calendar_names_itself() -> None:
    described = official_calendar().describe()
    assert described["calendar"].startswith("chinesecalendar ")
    assert described["covers"][0] <= 2025 and described["covers"][1] >= 2026


@given(
    st.dates(min_value=date(2005, 1, 1), max_value=date(2026, 9, 1)),
    st.integers(min_value=0, max_value=40),
)
def test_a_deadline_is_a_working_day_after_exactly_n_working_days(start: date, n: int) -> None:
    end = official_calendar().add_working_days(start, n)
    between = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(official_calendar().is_working_day(d) for d in between) == n
    assert n == 0 or official_calendar().is_working_day(end)
