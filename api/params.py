"""Shared query parameters."""

from __future__ import annotations

from datetime import date

from fastapi import Path, Query
from fastapi.exceptions import RequestValidationError

from rating.periods import PERIOD_MAX_LENGTH, PERIOD_PATTERN, RUN_ID_MAX_LENGTH, RUN_ID_PATTERN

# A run id in a path, as the library writes it (`rating.periods.RUN_ID_PATTERN`).
RUN_ID_PATH = Path(
    pattern=RUN_ID_PATTERN, max_length=RUN_ID_MAX_LENGTH, description="A run id such as 2026Q3-01"
)


def period_query(description: str = "A period such as 2026Q3.") -> str | None:
    """`period` as a query parameter: 2026Q3, 2026H1 or 2026 (lower case accepted)."""
    return Query(
        None, pattern=PERIOD_PATTERN, max_length=PERIOD_MAX_LENGTH, description=description
    )


DAY = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


def as_of_query(description: str) -> str | None:
    """`as_of` as text in the form YYYY-MM-DD (pydantic would also take a bare number as a date)."""
    return Query(
        None,
        pattern=DAY,
        description=description,
        examples=["2026-10-01"],
        json_schema_extra={"format": "date"},
    )


def to_day(text: str | None, field: str = "as_of") -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", field),
                    "msg": f"'{text}' is not a calendar date",
                    "type": "value_error",
                }
            ]
        ) from None
