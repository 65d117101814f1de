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


class PrecisionRecall(TypedDict):
    """One class of flags scored against truth (`evaluation.integrity_quality`). Ratios are
    rounded to 4 places and None where their denominator is zero."""

    tp: int  # flagged with this reason and truly of this kind
    predicted: int  # flagged with this reason
    actual: int  # truly of this kind
    precision: float | None
    recall: float | None
    f1: float | None


class DuplicateQuality(PrecisionRecall):
    """Near-duplicate flags against the truth's duplicates."""

    recall_any_reason: float | None  # true duplicates held for any reason
    matched_original: float | None  # share of caught duplicates whose best match is the original


class CampaignQuality(PrecisionRecall):
    """Campaign flags against the truth's campaign members."""

    recall_any_reason: float | None
    campaigns: int  # campaigns in the truth
    campaigns_detected: int  # of them, with at least half their members flagged CAMPAIGN


class BurstQuality(TypedDict):
    """Burst flags have no truth class of their own: how many, and how many hit a known kind."""

    predicted: int
    true_flags: int


class IntegrityQuality(TypedDict):
    """How well a scan's holds match a truth table (`evaluation.integrity_quality`)."""

    complaints: int  # complaints in scope (loaded, received in the periods, not repeats)
    any_flag: PrecisionRecall  # held for any reason vs of any kind
    near_duplicate: DuplicateQuality
    campaign: CampaignQuality
    burst: BurstQuality


class SweepPoint(TypedDict):
    """Near-duplicate detection at one probability threshold (`evaluation.duplicate_sweep`)."""

    threshold: float
    predicted: int
    tp: int
    precision: float | None  # 4 places; None where nothing is predicted
    recall: float | None
    f1: float | None


class StatedFacts(TypedDict):
    """The facts a scan read from one complaint's description, as its evidence shows them
    (`facts.readable`); None where the text does not state it."""

    building: int | None
    unit: int | None
    room: int | None
    phone: str | None  # masked: 138****5678, or ***…**** when only the tail is stated
    facility: list[str]  # the FACILITIES mentioned, in table order
    problem: list[str]  # the PROBLEMS mentioned
    stated_days: int | None  # how long the problem has lasted, in days
    filed_before: bool | None  # says it was reported before
    broke_again: bool | None  # says it recurred after a repair
