"""The shapes of what a run hands across module boundaries, as `TypedDict`s.

A `TypedDict` is a plain `dict` at run time, so typing a value with one changes nothing in
the JSON it becomes: stored manifests, summaries and results digests stay byte-identical.
The type checker (mypy in `make lint`) then checks every key a caller reads — the CLI, the
API, reports and audits read these instead of `dict[str, Any]`.

Keys a run made by an older engine may lack are `NotRequired`: readers use `.get` on them.
Rows read straight from a result table keep the table's column names and types
(`rating/schema/tables.py`): DECIMAL columns come back as `Decimal`, DATE as `date`.
No `from __future__ import annotations` here: a TypedDict learns which keys are
`NotRequired` from evaluated annotations, and `tests/test_shapes.py` reads them at run time.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NotRequired, TypedDict

from rating.calendar import CalendarRecord
from rating.ruleset.fingerprint import FingerprintRecord


class RulesetRecord(FingerprintRecord):
    """The rule set a run used: name, version, its three fingerprints and its validity."""

    name: str
    version: str
    effective_from: str  # ISO date
    expires_on: str | None
    shadow_until: str | None


class PeriodRecord(TypedDict):
    """A rating period by name (`2025Q3`) with its first and last day (ISO dates)."""

    name: str
    start: str
    end: str


class HistoryRun(TypedDict):
    """A run the history reads: how many periods back, and which run."""

    periods_back: int
    run_id: str


class PeriodRunRecord(TypedDict):
    """The run that counts for a period, and its status (draft, published, …)."""

    run_id: str
    status: str


class HistoryRecord(TypedDict):
    """The history a run needs and had (`history.HistoryCheck.as_dict`)."""

    depth: int  # periods back the rule set reads
    first_data_period: str | None
    needed: list[str]  # oldest first
    runs: dict[str, PeriodRunRecord]  # period → run that counts for it
    missing: list[str]


class InputFingerprint(TypedDict):
    """Rows a source contributed to a run and an order-free hash of them (16 hex digits)."""

    rows: int
    hash: str


class Manifest(TypedDict):
    """Everything needed to replay a run exactly (`runner.manifest`), stored as JSON in
    `runs.manifest`. `run_id` is added once the run has its id."""

    engine_version: str
    duckdb_version: str
    ruleset: RulesetRecord
    period: PeriodRecord
    watermark: int  # the newest ingest batch the run saw
    extra_batches: NotRequired[list[int]]  # correction batches beyond the watermark
    holds_watermark: NotRequired[int]
    as_of: str  # ISO timestamp with offset
    timezone: str  # IANA name, e.g. Asia/Shanghai
    calendar: NotRequired[CalendarRecord]
    history_runs: NotRequired[list[HistoryRun]]
    history: NotRequired[HistoryRecord]
    parameters: dict[str, Any]  # forced, shadow and the caller's extra parameters
    inputs: dict[str, InputFingerprint]  # source kind → rows and hash
    results_digest: NotRequired[str]  # digest scheme; absent means the legacy one
    run_id: NotRequired[str]


class RunSummary(TypedDict):
    """Counts of a run (`runner.summary`), stored as JSON in `runs.summary`."""

    companies: int  # rated companies
    companies_known: int  # every company with a row, rated or not
    grades: dict[str, int]  # grade → rated companies, best grade first
    red: int
    black: int
    downgrades: int
    vetoes: int  # rated companies with a veto rule hit
    projects: int
    unattributed_records: int
    shadow: bool


class ReadRecord(TypedDict):
    """Which run an output was read from and why (`standing.ReadRun.as_dict`)."""

    run_id: str
    period: str
    status: str
    why: str
    in_publicity: str | None  # another run in publicity, if any (what residents see proposed)


class RunRow(TypedDict):
    """A stored run (`explainer.run_row`): the `runs` row, its status and how it was read,
    with the manifest and summary parsed."""

    run_id: str
    period: str
    ruleset: str  # name@version
    ruleset_files_sha256: str
    logic_sha256: str
    watermark: int
    as_of: datetime
    timezone: str
    engine_version: str
    shadow: bool
    forced: bool
    manifest: Manifest
    summary: RunSummary
    results_sha256: str
    created_at: datetime
    status: str
    read: ReadRecord


class RunListItem(TypedDict):
    """One run in the newest-first list of runs (`explainer.runs_list`)."""

    run_id: str
    period: str
    ruleset: str
    status: str
    shadow: bool
    forced: bool
    watermark: int
    as_of: datetime
    summary: RunSummary
    results_sha256: str


class Provenance(TypedDict):
    """Where an output came from (`explainer.provenance`): all strings, hashes in hex."""

    run_id: str
    engine_version: str
    ruleset: str  # name@version
    ruleset_logic_sha256: str
    inputs_sha256: str  # `explainer.inputs_digest`
    period: str
    as_of: str
    timezone: str
    results_sha256: str


class StreakRecord(TypedDict):
    """A company's run of one grade (`history.Streak.as_dict`) and its words."""

    grade: str
    periods: int
    since: str
    from_data_start: bool
    capped: bool
    history_missing: bool
    text: NotRequired[str]


class CompanyListRow(TypedDict):
    """A company in one list of a run (`explainer.list_companies`)."""

    uscc: str
    name: str | None
    district: str | None
    projects: int | None
    households: int | None
    score: Decimal | None
    grade: str | None
    prev_grade: str | None
    red: bool | None
    black: bool | None
    black_reason: str | None
    downgrade: bool | None
    downgrade_reason: str | None
    veto_rules: list[str] | None
    grade_reason: str | None
    # `rating show` adds each black-list row's streak (the ground it may meet).
    streak: NotRequired[StreakRecord | None]


class CompanyRow(CompanyListRow):
    """A company's full `run_companies` row (`explainer.company_row`)."""

    run_id: str
    rated: bool
    project_score: Decimal | None
    band_grade: str | None
    veto: bool | None
    sanctions_suspended: bool | None


class ReasonRow(TypedDict):
    """A rule that moved a company's score (`explainer.reasons`), ranked by effect."""

    rule_id: str
    target: str  # project or company
    bucket: str | None
    records: int
    effect: Decimal  # points on the company score (project points weighted)
    points: Decimal
    value: float | None
    rank: int
    title: str
    clause: str
    design_choice: bool
    veto: bool


class EvidenceRow(TypedDict):
    """A record behind a company's points (`explainer.evidence`)."""

    rule_id: str
    project_id: str | None
    source: str
    record_key: str
    batch_id: int
    file_name: str | None
    line: int | None
    record_date: date | None
    contribution: Decimal | None  # points (each), 1 (count), value (sum/avg), 1/0 (share)
    measure: str | None  # the rule's measure, which says what `contribution` is
    valid_until: date | None  # the record's own validity end (rules reading one), else None


class FairRateRow(TypedDict):
    """A fair (shrunk) rate behind a rule (`explainer.fair_rates`); rates in ‰."""

    rule_id: str
    project_id: str
    pool: str | None  # district, or None for the city pool
    records: int
    households: Decimal
    raw_rate: Decimal | None
    pool_records: int
    pool_households: Decimal
    pool_rate: Decimal | None
    prior_households: int
    fair_rate: Decimal | None
    fair_low: Decimal | None
    fair_high: Decimal | None
    text: NotRequired[str]


class ProjectRow(TypedDict):
    """A company's project in a run (`explainer.projects`)."""

    project_id: str
    project_name: str | None
    district: str | None
    street: str | None
    households: int | None
    days_served: int | None
    points: Decimal | None
    score: Decimal | None
    grade: str | None


class BucketRow(TypedDict):
    """A company's bucket in a run (`explainer.buckets`): points before and after the clamp."""

    bucket: str
    records: int
    raw_points: Decimal
    points: Decimal


class RankRecord(TypedDict):
    """A company's place in one ranking of a run (`positions.RankLine`)."""

    rank_id: str
    title: str
    position: int  # 1 is first
    count: int  # companies ranked in the partition
    value: float | None  # the value ranked on
    partition: str | None  # e.g. the district, None for the city
    text: str  # the line an auditor can redo


class FactRecord(TypedDict):
    """A fact over a company's projects in a run (`positions.FactLine`)."""

    fact_id: str
    title: str
    value: Decimal | None
    text: str


class EvaluationRecord(TypedDict):
    """An evaluation behind a project's result in a run (`positions.EvaluationLine`)."""

    project_id: str
    evaluation_id: str | None
    evaluated_on: date | None
    score: Decimal | None
    grade: str | None
    in_force: bool  # the evaluation that counts in the period
    carried_from: str | None  # the run it was carried from, if not made in this one


class StepLog(TypedDict):
    """One step of a run as `runner.compute` logs it."""

    step: str  # the step's name, e.g. "rule hits"
    rows: int | None  # rows the step made, None when it makes no table
    ms: float  # wall time in milliseconds, one decimal


class RunReportRecord(RunSummary):
    """A run just made (`runner.RunReport.as_dict`): its id, period, rules, the summary's counts
    and the results digest."""

    run_id: str
    period: str
    rules: str  # name@version
    results_sha256: str


class RefusalRecord(TypedDict):
    """A refusal a user overrode (`planner.Refusal`): its code and message."""

    code: str
    message: str


class RateRecord(RunReportRecord):
    """`rating run`'s answer (`planner.RateResult.as_dict`): the run made, the history it
    needed and had, the history runs made first, and the refusals overridden."""

    history: HistoryRecord
    history_made: list[RunReportRecord]
    overrides: list[RefusalRecord]


class Explanation(TypedDict):
    """Why a company got its grade in a run (`explainer.explain`)."""

    run_id: str
    period: str
    rules: str
    read: ReadRecord
    provenance: Provenance
    company: CompanyRow
    grade_reason: str
    streak: StreakRecord | None
    history: HistoryRecord | None
    buckets: list[BucketRow]
    reasons: list[ReasonRow]
    projects: list[ProjectRow]
    fair_rates: list[FairRateRow]
    ranks: list[RankRecord]
    facts: list[FactRecord]
    evaluations: list[EvaluationRecord]
    evidence: list[EvidenceRow]
    # `rating explain` (the CLI) adds the measures the company faces and, with --path,
    # the way back up; the API answers without them.
    measures: NotRequired[dict[str, Any]]
    path: NotRequired[dict[str, Any]]
