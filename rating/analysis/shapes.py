"""The shapes complaint integrity and grade stability hand to the CLI, the API and the reports,
as `TypedDict`s (issue 20).

A `TypedDict` is a plain `dict` at run time, so the JSON printed, answered and exported is
unchanged. Times are `datetime` (TIMESTAMPTZ in the bureau's zone, `RATING_TZ`) until the caller
renders them. No `from __future__ import annotations`: TypedDict reads its fields from evaluated
annotations.
"""

from datetime import datetime
from typing import Any, TypedDict

# A hold's evidence as the detector recorded it (JSON): its keys depend on the reason —
# NEAR_DUPLICATE `matches` (complaint_id, probability, …), CAMPAIGN `campaign`, `size`,
# `span_hours`, `members`, BURST the project's counts — plus `scan` and `score`
# (`rating.analysis.detection`); a review's detail holds `note`, `hold_seq` and `previous`.
Evidence = dict[str, Any]


class HoldAction(TypedDict):
    """One row of a complaint's hold and review trail (`integrity.history`)."""

    seq: int  # the action's place in `complaint_holds`; a run pins the largest it saw
    action: str  # hold, release or confirm
    reason: str  # NEAR_DUPLICATE, CAMPAIGN, BURST, …
    detail: Evidence  # {} when empty
    actor: str  # integrity-scan, or the reviewer
    recorded_at: datetime
    status: str  # held, released or confirmed: what the action leads to


class ReviewRecord(TypedDict):
    """A reviewer's decision as `integrity.review` recorded it."""

    complaint_id: str
    seq: int
    decision: str  # release or confirm
    status: str  # released or confirmed
    reason: str  # the hold's reason
    actor: str
    note: str
    recorded_at: datetime
    holds_watermark: int  # the new largest seq: a run after it sees the decision


class HeldComplaint(TypedDict):
    """A held complaint's latest state (`integrity.list_holds`); the complaint's own fields are
    None when it is not loaded."""

    complaint_id: str
    reason: str
    actor: str  # who acted last
    recorded_at: datetime  # when
    evidence: Evidence  # the hold's evidence
    received_at: datetime | None
    project_id: str | None
    channel: str | None
    content: str | None
    status: str  # held, released or confirmed
    note: str | None  # the reviewer's note, once decided


class ComplaintText(TypedDict):
    """A complaint as shown beside a held one (`integrity.show`)."""

    complaint_id: str
    received_at: datetime | None
    channel: str | None
    project_id: str | None
    category: str | None
    content: str | None
    fact_finding: str | None
    is_repeat: bool
    repeat_of: str | None


class HoldCase(TypedDict):
    """A held complaint beside the complaints its evidence names, and its trail
    (`integrity.show`)."""

    complaint_id: str
    status: str
    reason: str
    evidence: Evidence
    trail: list[HoldAction]
    complaints: list[ComplaintText]  # it and the complaints it was matched with


class HoldCount(TypedDict):
    """Held complaints of one reason and status (`integrity.summary`)."""

    reason: str
    status: str  # held, released or confirmed
    complaints: int


class GradeShift(TypedDict):
    """The population stability index of two runs' grade distributions
    (`stability.compare_runs`)."""

    before: str  # run id of the expected distribution
    after: str  # run id of the actual one
    psi: float  # 4 places, ≥ 0
    level: str  # stable, watch or warning (`stability.level`)
    threshold: float  # the PSI above which `level` is "warning"
    counts_before: dict[str, int]  # grade → rated companies
    counts_after: dict[str, int]


class PeriodShift(GradeShift):
    """A `GradeShift` between a period's run and the previous period's (`stability.series`)."""

    period: str  # the later period, e.g. 2025Q3
