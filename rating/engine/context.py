"""Everything a run depends on, fixed before the first query runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from rating.periods import Period
from rating.ruleset.definition import Window
from rating.ruleset.loader import LoadedRuleSet

OPEN_START = date(1900, 1, 1)


@dataclass(frozen=True)
class RunContext:
    period: Period
    ruleset: LoadedRuleSet
    watermark: int  # the newest ingest batch the run sees
    as_of: datetime  # when the run was made (aware, bureau time zone)
    history_runs: tuple[tuple[int, str], ...] = ()  # (periods back, run id) used for history
    extra_batches: tuple[
        int, ...
    ] = ()  # correction batches a revised run sees beyond its watermark
    holds_watermark: int = 0  # the newest integrity hold/review the run sees
    forced: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, Any]:
        """DuckDB parameters every engine statement may use."""
        return {
            "period_start": self.period.start,
            "period_end": self.period.end,
            "period_days": self.period.days,
            "watermark": self.watermark,
            "extra_batches": list(self.extra_batches),
            "holds_watermark": self.holds_watermark,
        }

    @property
    def shadow(self) -> bool:
        """Shadow period: scores are computed and stored, sanctions do not take effect."""
        until = self.ruleset.definition.ruleset.shadow_until
        return until is not None and self.period.start <= until


def window_start(window: Window, period: Period) -> date:
    """First date a record may carry and still count (the scope's lower bound)."""
    if window.mode == "period":
        return period.start
    if window.mode == "calendar_year":
        return date(period.end.year, 1, 1)
    if window.mode == "rolling" and window.until_column is None:
        return period.end - timedelta(days=window.days - 1)
    return OPEN_START  # own validity ends or "until rectified": any earlier record may count


def exposure_window(window: Window, period: Period) -> tuple[date, date]:
    """The date range a per-1,000-households rate is normalised over."""
    if window.mode == "calendar_year":
        return date(period.end.year, 1, 1), period.end
    if window.mode == "rolling":
        return period.end - timedelta(days=window.days - 1), period.end
    return period.start, period.end


def window_condition(window: Window) -> str:
    """SQL over a scope table (its `_date` and named columns) true when a record counts."""
    if window.mode == "period":
        return "_date BETWEEN $period_start AND $period_end"
    if window.mode == "calendar_year":
        return "_date BETWEEN make_date(year($period_end), 1, 1) AND $period_end"
    if window.mode == "until_rectified":
        col = f'"{window.rectified_column}"'
        return f"_date <= $period_end AND ({col} IS NULL OR {col} > $period_end)"
    default = f"_date > $period_end - INTERVAL {int(window.days)} DAY AND _date <= $period_end"
    if window.until_column is None:
        return default
    until = f'"{window.until_column}"'
    return f"CASE WHEN {until} IS NULL THEN {default} ELSE _date <= $period_end AND {until} >= $period_end END"
