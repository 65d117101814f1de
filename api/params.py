"""Shared query parameters."""

from __future__ import annotations

from datetime import date

from fastapi import Path, Query
from fastapi.exceptions import RequestValidationError

from rating.errors import RatingError, UsageError
from rating.periods import (
    PERIOD_MAX_LENGTH,
    PERIOD_PATTERN,
    RUN_ID_MAX_LENGTH,
    RUN_ID_PATTERN,
    Period,
)
from rating.uscc import require as require_uscc

# A run id in a path, as the library writes it (`rating.periods.RUN_ID_PATTERN`).
RUN_ID_PATH = Path(
    pattern=RUN_ID_PATTERN, max_length=RUN_ID_MAX_LENGTH, description="A run id such as 2026Q3-01"
)


def period_query(description: str = "A period such as 2026Q3.") -> str | None:
    """`period` as a query parameter: 2026Q3, 2026H1 or 2026 (lower case accepted)."""
    return Query(
        None, pattern=PERIOD_PATTERN, max_length=PERIOD_MAX_LENGTH, description=description
    )


# A day written YYYY-MM-DD; `to_day` checks it is a calendar day from EARLIEST to LATEST (a
# pattern naming the range would call 9999-12-31 badly written, which it is not).
DAY = r"^\d{4}-\d{2}-\d{2}$"
# The days `as_of` may name: earlier than any credit scheme, later than any plan; beyond them
# a day's arithmetic would overflow (9999-12-31 + 1 day).
EARLIEST, LATEST = date(1990, 1, 1), date(2099, 12, 31)


def as_of_query(description: str) -> str | None:
    """`as_of` as text in the form YYYY-MM-DD (pydantic would also take a bare number as a date)."""
    return Query(
        None,
        pattern=DAY,
        description=f"{description} From {EARLIEST} to {LATEST}.",
        examples=["2026-10-01"],
        json_schema_extra={"format": "date"},
    )


def to_day(text: str | None, field: str = "as_of") -> date | None:
    """A query's calendar day (YYYY-MM-DD) as a date, None when absent. Raises
    RequestValidationError naming `field` for text that is no calendar day or lies outside
    the years the engine handles: 400 `DATE_INVALID` on public routes and pages, 422
    `INVALID_FIELD` on the bureau's (`api.errors.validation_error`)."""
    if text is None:
        return None
    day = _calendar_day(text, field)
    if not EARLIEST <= day <= LATEST:
        raise _invalid(field, f"{text} is outside {EARLIEST} … {LATEST}")
    return day


def public_day(text: str | None, today: date, field: str = "as_of") -> date | None:
    """The day a public route (lookup pages and `/v1/public/`) is asked about, or None.

    A day after `today` (the server's clock in the bureau's zone, `Snapshot.today`) is refused
    with UsageError DATE_IN_FUTURE (400, `details.today`): the public lookup shows what was
    published, never a forecast. Badly written days are 422 as for `to_day`.
    """
    if text is None:
        return None
    if _calendar_day(text, field) > today:  # before the range check: 9999-12-31 is a 400
        raise UsageError(
            f"{field} {text} is after today ({today.isoformat()})",
            code="DATE_IN_FUTURE",
            details={"today": today.isoformat(), "field": field},
        )
    return to_day(text, field)


def _calendar_day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _invalid(field, f"'{text}' is not a calendar date") from None


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", field), "msg": message, "type": "value_error"}]
    )


# The public routes' identity inputs: a malformed one is one status and one code on every
# route, page or JSON, whether the schema's pattern or the code found it (README "Public
# lookup: bad input"): 400 USCC_INVALID, PERIOD_INVALID, DATE_INVALID, PAGE_INVALID or
# FORMAT_INVALID.
DAY_FIELDS = ("as_of", "on")
# Paging and download bounds shared by the pages and `/v1/public/` (400 PAGE_INVALID,
# FORMAT_INVALID with the bounds in `details`).
PAGE_MAX, PAGE_SIZE_MAX = 10_000, 200
PAGE_FIELDS = {"page": {"max": str(PAGE_MAX)}, "page_size": {"max": str(PAGE_SIZE_MAX)}}
FORMATS = ("json", "csv", "xlsx")


def require_page_within(page: int, page_size: int, total: int) -> None:
    """Nothing when page `page` of `total` entries `page_size` to a page holds any (page 1
    always does); else UsageError PAGE_INVALID (400) naming the last page (`details`: field,
    value, max, pages) — a page past the end is a mistyped address, not an empty result."""
    last = max(1, -(-total // page_size))
    if page > last:
        raise UsageError(
            f"page {page} is past the last page, {last}",
            code="PAGE_INVALID",
            details={"field": "page", "value": str(page), "max": str(last), "pages": str(last)},
        )


def public_period(text: str | None) -> str | None:
    """`text` as a canonical period (2026Q3, 2026H1, 2026), None when absent or blank; else
    UsageError PERIOD_INVALID (400, `details`: field, value)."""
    if text is None or not text.strip():
        return None
    try:
        return str(Period.parse(text))
    except UsageError:
        raise _period_invalid(text) from None


def normalised_params(params: dict[str, str]) -> dict[str, str]:
    """`params` with a well-formed `period` in its canonical form (2025q3 → 2025Q3), so an
    answer echoes the period the route looked up, not its spelling."""
    try:
        return {**params, "period": str(Period.parse(params["period"]))}
    except (KeyError, UsageError):
        return params


def _period_invalid(text: str) -> UsageError:
    return UsageError(
        f"'{text}' is not a period: write 2026Q3, 2026H1 or 2026",
        code="PERIOD_INVALID",
        details={"field": "period", "value": text},
    )


def public_input_error(fields: list[tuple[str, str]]) -> RatingError | None:
    """The coded error of the first malformed USCC, period, day, page or format among `fields`
    ((name, value) of each field a validation error named), or None when none is one of those."""
    for name, value in fields:
        if name == "uscc":
            try:
                require_uscc(value)
            except UsageError as found:
                return found
        if name == "period":
            return _period_invalid(value)
        if name in PAGE_FIELDS:
            return UsageError(
                f"{name} '{value}' is not a whole number within its bounds",
                code="PAGE_INVALID",
                details={"field": name, "value": value, **PAGE_FIELDS[name]},
            )
        if name == "format":
            return UsageError(
                f"format '{value}' is not one of {', '.join(FORMATS)}",
                code="FORMAT_INVALID",
                details={"field": name, "value": value, "allowed": ", ".join(FORMATS)},
            )
        if name in DAY_FIELDS:
            return UsageError(
                f"{name} '{value}' is not a calendar day from {EARLIEST} to {LATEST} "
                "written YYYY-MM-DD",
                code="DATE_INVALID",
                details={"field": name, "value": value},
            )
    return None
