"""Request and response models, with examples (they document the OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rating.periods import PERIOD_MAX_LENGTH, PERIOD_PATTERN, RUN_ID_MAX_LENGTH, RUN_ID_PATTERN
from rating.public.shapes import (
    CompanyCard,
    CompanyPage,
    CompanySummary,
    CompoundCard,
    Legend,
    ListEntry,
    ListPage,
    Provenance,
    PublicMeasure,
    SearchPage,
)

USCC = "91370600MA3C4ULK62"


def _example(**values: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [values]})


class ErrorDetail(BaseModel):
    code: str = Field(examples=["NOT_FOUND"])
    message: str
    status: int
    problems: list[dict[str, Any]] | None = None
    details: dict[str, Any] | None = None
    request_id: str | None = Field(
        None, description="This request's id (also the X-Request-ID header), for the server log"
    )


class ErrorResponse(BaseModel):
    ok: Literal[False] = False
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorResponse, "description": d}
    for s, d in (
        (400, "A request the engine refuses (a file it cannot read, a bad period, …)"),
        (401, "No or bad token"),
        (403, "Token of another role"),
        (404, "Not found"),
        (410, "Gone: a result the public could see before was withdrawn"),
        (409, "Conflicts with the warehouse's state (e.g. already published)"),
        (413, "Upload too large"),
        (422, "Invalid request: `error.problems` names each field"),
        (429, "Rate limited"),
        (503, "The warehouse cannot be used right now"),
    )
}


class HealthRun(BaseModel):
    period: str
    run_id: str
    publicity_ends: str | None = Field(
        default=None, description="In publicity: its last day (inclusive)"
    )


class Health(BaseModel):
    model_config = _example(
        ok=True,
        engine_version="0.1.0",
        published_runs=4,
        current={"period": "2026Q2", "run_id": "2026Q2-01"},
        in_publicity=[{"period": "2026Q3", "run_id": "2026Q3-01", "publicity_ends": "2026-10-22"}],
        companies=5000,
        snapshot_built_at="2026-11-01T09:00:00+08:00",
        ledger_seq=12,
        public_only=False,
    )
    ok: bool
    engine_version: str
    published_runs: int = Field(
        description="Runs published (after their publicity) by now; a run in publicity is not one"
    )
    current: HealthRun | None = Field(
        default=None,
        description="The run the public sees as current: the latest published period's",
    )
    in_publicity: list[HealthRun] = Field(
        default=[], description="Runs in publicity now: shown as proposed, not in force"
    )
    companies: int
    snapshot_built_at: str
    ledger_seq: int = Field(description="The ledger record the public snapshot was built at")
    public_only: bool = Field(description="Served from a static snapshot, without the warehouse")


# The public answers' shapes have one home: rating.public.shapes (re-exported here).
__all__ = [
    "CompanyCard",
    "CompanyPage",
    "CompanySummary",
    "CompoundCard",
    "Legend",
    "ListEntry",
    "ListPage",
    "Provenance",
    "PublicMeasure",
    "SearchPage",
]


class IngestWarning(BaseModel):
    code: str
    message: str


class IngestResponse(BaseModel):
    kind: str
    file: str
    status: str
    batch_id: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_superseding: int
    rows_repeated: int = Field(
        0, description="Of the superseding rows, those re-sent with every value unchanged"
    )
    rows_in_review: int = Field(
        0, description="Hotline orders waiting for an analyst to name their project"
    )
    matched: dict[str, int] = Field(
        default_factory=dict, description="Orders matched to projects by name, per method"
    )
    reasons: dict[str, int]
    format: str | None
    encoding: str | None
    ignored_columns: list[str]
    sha256: str
    rows_skipped: dict[str, int] = Field(
        default_factory=dict, description="Rows that are not data (blank, total, note), by reason"
    )
    normalised: dict[str, int] = Field(
        default_factory=dict, description="Identifier cells cleaned, by kind (tab, fullwidth …)"
    )
    sheets: list[dict[str, str | int]] = Field(
        default_factory=list, description="Each sheet of a workbook: read or skipped, and why"
    )
    header_line: int = Field(1, description="Line or row the header was found on")
    warnings: list[IngestWarning] = Field(
        default_factory=list,
        description="Loaded, but worth a look: EMPTY_FILE (a header without data rows), "
        "FILE_NOT_EXCEL (a file named .xlsx/.xls that was CSV text, read as CSV)",
    )


class QuarantineRow(BaseModel):
    batch_id: int
    kind: str
    file_name: str
    line: int | None
    column_name: str | None
    code: str
    message: str | None
    value: str | None
    sheet: str | None = None


class QuarantineResponse(BaseModel):
    items: list[QuarantineRow]
    page: int
    page_size: int
    truncated: bool


class RunRequest(BaseModel):
    model_config = _example(period="2026Q3", rules=None, force=False)
    period: str = Field(pattern=PERIOD_PATTERN, max_length=PERIOD_MAX_LENGTH)
    rules: str | None = Field(
        default=None, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*(@\d+\.\d+\.\d+)?$"
    )
    force: bool = False
    with_history: bool = Field(
        False,
        description="first rate, oldest first, the earlier periods the rules read that have no run",
    )
    force_period: bool = Field(
        False,
        description="rate a period that has not ended or holds no data (recorded in the manifest)",
    )
    again: bool = Field(
        False,
        description="rate again when a run of the period over the same records and rules exists",
    )


class RunRef(BaseModel):
    run_id: str
    status: str


class HistoryRead(BaseModel):
    depth: int = Field(description="periods back the rule set reads")
    first_data_period: str | None
    needed: list[str] = Field(description="earlier periods the run needs, oldest first")
    runs: dict[str, RunRef] = Field(description="period → the run read for it")
    missing: list[str]


class Override(BaseModel):
    code: str
    message: str


class RunSummary(BaseModel):
    run_id: str
    period: str
    rules: str
    status: str | None = None
    history: HistoryRead | None = None
    history_made: list[str] = Field(
        default_factory=list, description="runs made first for this one (with_history)"
    )
    overrides: list[Override] = Field(
        default_factory=list, description="refusals overridden by force_period"
    )
    companies: int
    grades: dict[str, int]
    red: int
    black: int
    downgrades: int
    vetoes: int
    unattributed_records: int
    shadow: bool
    results_sha256: str


class RunList(BaseModel):
    items: list[RunSummary]
    truncated: bool


class PublishRequest(BaseModel):
    force: bool = False


class PublishResponse(BaseModel):
    run_id: str
    status: str
    ledger_seq: int
    ledger_hash: str
    results_sha256: str
    manifest_sha256: str
    ruleset: str


class ImpactRequest(BaseModel):
    model_config = _example(rules="haikou-2019@1.0.0")
    rules: str = Field(max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*@\d+\.\d+\.\d+$")


class DiscardRequest(BaseModel):
    model_config = _example(reason="录入了错误的期间", by="张三")
    reason: str = Field(min_length=1, max_length=500)
    by: str | None = Field(
        None, max_length=100, description="who withdraws it; default: the token's name"
    )


class Document(BaseModel):
    """A free-form audit document (manifests, replays, impact reports, evidence)."""

    model_config = ConfigDict(extra="allow")


class ObjectionRequest(BaseModel):
    model_config = _example(
        run_id="2026Q3-01",
        uscc=USCC,
        records=["complaints:GD2026080100012"],
        reasons="该投诉已由街道核实为不属实，附街道办复函。",
    )
    run_id: str = Field(pattern=RUN_ID_PATTERN, max_length=RUN_ID_MAX_LENGTH)
    uscc: str = Field(pattern=r"^[0-9A-Z]{18}$")
    records: list[str] = Field(
        min_length=1, max_length=100, description="Disputed records as KIND:KEY"
    )
    reasons: str = Field(min_length=1, max_length=4000)


class DecisionRequest(BaseModel):
    model_config = _example(reason="经复核，投诉内容属实，维持原评价。")
    reason: str = Field(min_length=1, max_length=4000)
    set: dict[str, str] | None = Field(
        default=None,
        description="Upholding only: corrected values for the disputed records (default: void them)",
    )


class RepairRequest(BaseModel):
    model_config = _example(uscc=USCC, proof="已完成整改，附区住建局整改验收意见。")
    uscc: str = Field(pattern=r"^[0-9A-Z]{18}$")
    proof: str = Field(min_length=1, max_length=4000)


class MatchCandidate(BaseModel):
    project_id: str
    name: str | None
    score: float = Field(description="Probability that the order concerns this project (0–1)")
    district: str | None = None
    street: str | None = None
    company: str | None = Field(None, description="Company serving the project on the order's date")
    evidence_for: list[str] = Field([], alias="for", description="What agrees, e.g. 街道一致：幸福")
    evidence_against: list[str] = Field(
        [],
        alias="against",
        description="What contradicts or is missing, e.g. 期/区不符：工单5，登记2",
    )


class ReviewItem(BaseModel):
    review_id: str
    complaint_id: str | None
    received_at: datetime | None
    community_name: str | None
    company_name: str | None
    district: str | None
    street: str | None
    candidates: list[MatchCandidate]
    batch_id: int
    line: int


class ReviewQueue(BaseModel):
    items: list[ReviewItem]
    pending: int
    resolved: int
    rejected: int
    truncated: bool


class ReviewDecision(BaseModel):
    model_config = _example(project_id="XM000237", reject=False, note="秀水新村", decided_by="张三")
    project_id: str | None = Field(None, max_length=64, pattern=r"^[\w\-]+$")
    reject: bool = Field(
        False, description="No project of ours: the spelling is quarantined from now on"
    )
    note: str = Field("", max_length=2000)
    decided_by: str = Field(min_length=1, max_length=100)


class ReviewDecided(BaseModel):
    review_id: str
    project_id: str | None
    resolved: list[str]
    loaded_batch: int | None
    alias: str


class PlanRequest(BaseModel):
    """Make a supervision plan: `period` is a period (2026Q4) or `next` (after the run read)."""

    model_config = _example(period="next")
    period: str = Field("next", max_length=10, pattern=r"^(next|NEXT|\d{4}([QqHh]\d)?)$")
    run: str | None = Field(None, pattern=RUN_ID_PATTERN, max_length=RUN_ID_MAX_LENGTH)
    use_warning: bool = Field(True, description="raise projects by the early warning's band 高")
    limit: int = Field(500, ge=1, le=100_000, description="items returned (all are stored)")


class TenderCreditOut(BaseModel):
    """A company's credit for a tender opened on `on`: excluded, or points."""

    uscc: str
    name: str | None
    on: date
    rated: bool = Field(description="a published result was in force on that day")
    grade: str | None
    period: str | None
    run_id: str | None
    excluded: bool
    points: Decimal
    text: str
    until: str | None = None
    measures: list[dict[str, str | bool | None]] = Field(default_factory=list)


class ManagerOut(BaseModel):
    """A project manager's result in a run (bureau only: the public sees `PublicManagerOut`)."""

    certificate_no: str
    name: str | None
    employer_uscc: str | None = Field(description="the company employing them, per the register")
    projects: list[str] = Field(description="projects they were in charge of during the period")
    days_in_charge: int
    score: float
    grade: str
    veto: bool = Field(description="a veto rule put them in the lowest grade")
    lists: list[str] = Field(description="lists entered: red, black (`[managers.lists]`)")


class ManagerList(BaseModel):
    run_id: str
    total: int
    items: list[ManagerOut]


class ManagerEvidence(BaseModel):
    """A record behind a manager's points, with the project and the company serving it then."""

    source: str
    record_key: str
    project_id: str | None
    company_uscc: str | None
    date: str
    points: float | None


class ManagerRulePoints(BaseModel):
    rule_id: str
    target: str = Field(description="manager: a manager rule; project: a project rule followed")
    value: float | None
    records: int
    points: float
    evidence: list[ManagerEvidence]


class ManagerExplanation(ManagerOut):
    run_id: str
    rules: list[ManagerRulePoints]


class PublicManagerOut(BaseModel):
    certificate_no: str
    name: str | None
    grade: str


class PublicManagerPage(BaseModel):
    """The manager a full certificate number finds (`items`: that one, or empty when the run
    did not score the number); `shown` is false (and `items` empty) when the rule set
    publishes nothing of managers (`[managers] publish = "none"`)."""

    run_id: str
    period: str
    ruleset: str
    ruleset_title: str = Field(description="The rule set's name as residents read it")
    publish: str
    shown: bool
    total: int
    items: list[PublicManagerOut]
