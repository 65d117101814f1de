"""A score as shown: the one rule every channel (command line, public pages and JSON, reports,
workbooks, paths) uses to write a score or points figure for people.

Scores are shown to the rule set's `score_places` (`rating.ruleset.definition`), rounded DOWN
(ROUND_FLOOR): a shown figure is never above the value, so it never reaches a band's minimum the
score itself does not (59.996 shows 59.99, grade C under a B from 60), and 39.4459 shows 39.44
everywhere — never 39.45 on one screen and 39.44 on another.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any

DEFAULT_PLACES = 2  # rating.ruleset.definition.DEFAULT_SCORE_PLACES (not imported: ground floor)


def shown_score(value: Any, places: int = DEFAULT_PLACES) -> Decimal:
    """`value` (float, Decimal, int or numeric text) rounded down to `places` decimals:
    39.4459 → 39.44, −23.425 → −23.43; never −0.00. Raises decimal.InvalidOperation for
    text that is not a number. The value goes through `str` so a float's shortest form is
    floored (39.44 stays 39.44, not 39.43 from its binary expansion)."""
    d = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR)
    return abs(d) if d == 0 else d


def shown_float(value: Any, places: int = DEFAULT_PLACES) -> float | None:
    """`shown_score` as a float for JSON and spreadsheets (None stays None)."""
    return None if value is None else float(shown_score(value, places))


def shown_text(value: Any, places: int = DEFAULT_PLACES) -> str:
    """`shown_score` as text with exactly `places` decimals, no grouping: `39.44`."""
    return f"{shown_score(value, places):.{places}f}"
