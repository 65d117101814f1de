"""The shapes the hotline review queue hands to the CLI and the API, as `TypedDict`s (issue 20).

A `TypedDict` is a plain `dict` at run time, so the JSON the CLI prints and the API answers is
unchanged; the names and types say what flows. Times are `datetime` (TIMESTAMPTZ in the bureau's
zone, `RATING_TZ`) until the caller renders them; scores are probabilities in [0, 1].
No `from __future__ import annotations`: TypedDict reads its fields from evaluated annotations.
"""

from datetime import datetime
from typing import TypedDict

# `for` is a Python keyword, so this one is declared the functional way.
Candidate = TypedDict(
    "Candidate",
    {
        "project_id": str,
        "name": str,  # the project's registered name
        "score": float,  # the match probability, 4 places (`rating.matching.model`)
        "weight": float,  # the Fellegi-Sunter weight (log2 odds) behind the score
        "district": str | None,
        "street": str | None,
        "company": str | None,
        "for": list[str],  # evidence for, in the bureau's words (`rating.matching.reasons.FOR`)
        "against": list[str],  # evidence against (`rating.matching.reasons.AGAINST`)
    },
)


class PendingOrder(TypedDict):
    """An order waiting for review (`review.pending`): the spelling as written, its candidates
    (best first, at most `matcher.SHOWN`) and where it came from."""

    review_id: str
    complaint_id: str
    received_at: datetime | None
    community_name: str | None
    company_name: str | None
    district: str | None
    street: str | None
    candidates: list[Candidate]
    batch_id: int  # the ingest batch that read it
    line: int  # its record number in that file


class ReviewDecision(TypedDict):
    """What `review.resolve` recorded: the order decided, every order of the same spelling
    that followed it, the batch that loaded them (None on a rejection) and the alias taught."""

    review_id: str
    project_id: str | None  # None: rejected, no project of ours
    resolved: list[str]  # review ids decided at once, sorted
    loaded_batch: int | None
    alias: str  # the spelling's alias key


class AliasEntry(TypedDict):
    """One taught spelling (`review.aliases`), newest decision first; `current` marks the
    decision in force for its spelling."""

    alias_key: str
    project_id: str | None
    origin: str | None  # "review <review id>", or the import that taught it
    decided_by: str | None
    recorded_at: datetime
    seq: int
    current: bool


class Verdict(TypedDict):
    """One filled row of an edited review export (`bulk.verdicts`) and why it is refused
    (`code`, None: accepted)."""

    _line: int  # the row's line in the file
    review_id: str
    project_id: str | None  # None: rejected (拒绝)
    decided_by: str | None
    note: str | None
    alias_key: str | None  # None: no such order in the queue
    code: str | None  # REVIEW_NOT_FOUND, REVIEW_DECIDED, UNKNOWN_PROJECT, …
    earlier_by: str | None  # who decided it before, for REVIEW_DECIDED
    earlier_at: datetime | None


class ThresholdRow(TypedDict):
    """One grid threshold on the training orders (`fit.threshold_table`)."""

    threshold: float
    auto: int  # orders matched automatically at this threshold
    right: int  # of those, matched to their true project
    unregistered: int  # of those, orders whose true project is not registered


class WeightsFile(TypedDict):
    """The content of `rating/matching/weights.json` as `fit.fit` writes it."""

    version: str
    method: str
    fitted_on: dict[str, object]  # what the caller says it was fitted on, plus pair counts
    prior: float  # share of orders with no right candidate
    threshold: float  # the lowest grid threshold meeting `threshold_target`
    threshold_target: dict[str, float]
    thresholds_on_training: list[ThresholdRow]
    comparisons: dict[str, dict[str, dict[str, float]]]  # comparison → level → m, u, counts
