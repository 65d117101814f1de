"""Shared query parameters."""

from __future__ import annotations

from datetime import date

from fastapi import Query
from fastapi.exceptions import RequestValidationError

DAY = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


def as_of_query(description: str) -> str | None:
    """`as_of` as text in the form YYYY-MM-DD (pydantic would also take a bare number as a date)."""
    return Query(  # type: ignore[no-any-return]
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
