"""Rating periods: quarters (2025Q3), half-years (2025H1) and years (2025)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from rating.errors import UsageError

# How a period and a run id are written, for every boundary that checks one (contracts, API).
# `Period.parse` also accepts lower case (`2025q3`) and writes the canonical form back.
# Years 1990–2100, as `Period.parse` accepts them.
_YEAR = r"(199\d|20\d\d|2100)"
PERIOD_PATTERN = rf"^{_YEAR}([Qq][1-4]|[Hh][12])?$"
CANONICAL_PERIOD_PATTERN = rf"^{_YEAR}(Q[1-4]|H[12])?$"
RUN_ID_PATTERN = rf"^{_YEAR}(Q[1-4]|H[12])?-\d{{2,}}$"
PERIOD_MAX_LENGTH = 6
RUN_ID_MAX_LENGTH = 20

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:(?P<kind>[QqHh])(?P<n>\d))?$")


@dataclass(frozen=True, order=True)
class Period:
    """A closed date range named the way bureaus name it."""

    year: int
    kind: str  # "Q", "H" or "Y"
    n: int

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PATTERN.match(text.strip())
        if not m:
            raise UsageError(
                f"'{text}' is not a period: write 2025Q3, 2025H1 or 2025", code="PERIOD_INVALID"
            )
        year = int(m["year"])
        kind = (m["kind"] or "Y").upper()
        n = int(m["n"] or 1)
        if (kind == "Q" and not 1 <= n <= 4) or (kind == "H" and not 1 <= n <= 2):
            raise UsageError(
                f"'{text}' is not a period: no such part of the year", code="PERIOD_INVALID"
            )
        if not 1990 <= year <= 2100:
            raise UsageError(f"'{text}' is not a period: year out of range", code="PERIOD_INVALID")
        return cls(year, kind, n)

    @property
    def months(self) -> int:
        return {"Q": 3, "H": 6, "Y": 12}[self.kind]

    @property
    def start(self) -> date:
        return date(self.year, (self.n - 1) * self.months + 1, 1)

    @property
    def end(self) -> date:
        month = self.n * self.months
        first_of_next = date(self.year + (month == 12), month % 12 + 1, 1)
        return first_of_next - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self, steps: int = 1) -> Period:
        per_year = 12 // self.months
        index = self.year * per_year + (self.n - 1) - steps
        year, n = divmod(index, per_year)
        return Period(year, self.kind, n + 1)

    def __str__(self) -> str:
        return f"{self.year}" if self.kind == "Y" else f"{self.year}{self.kind}{self.n}"


def quarters_between(first: Period, last: Period) -> list[Period]:
    """Every quarter from `first` to `last`, both included."""
    out: list[Period] = []
    p = first
    while p <= last:
        out.append(p)
        p = p.previous(-1)
    return out


def quarter_of(day: date) -> Period:
    """The calendar quarter (`YYYYQn`) holding `day`."""
    return Period(day.year, "Q", (day.month - 1) // 3 + 1)
