"""The typed shapes of everything the public sees — one home (issue 20).

The snapshot builds these models from the warehouse, the static snapshot directory stores them
as JSON files and reads them back, and the API declares them as its response models
(`api/models.py` imports them from here), so a card's shape is written once. Dates are ISO
strings (`2026-01-20`), scores decimals with two places, grades as the rule set writes them.
Nothing personal ever has a field here: no complainant, no complaint text, no record id.
"""

from __future__ import annotations

import builtins
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["published", "proposed"]
Ground = Literal["veto", "streak"]
RepairState = Literal["pending", "rejected"]
USCC = "91370600MA3C4ULK62"


class Shape(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Reason(Shape):
    rule_id: str = Field(description="The rule's id (for machines; the pages show the title)")
    title: str = Field(description="The reason in plain words, as the rule file words it")
    points: float
    clause: str = Field(description="The source clause, as the rule file cites it")


class ScoreLine(Shape):
    """One line of how the score is made, as shown (`rating.scores.shown_score`)."""

    kind: Literal["base", "reason", "others", "limits", "rounding"] = Field(
        description="base: the score every company starts from; reason: a reason shown (in "
        "`reasons` order); others: the reasons not shown, together; limits: the scheme's caps "
        "and floors; rounding: each figure is cut to the places shown, not rounded"
    )
    label: str = Field(description="The line in plain words (基础分, 其他2项合计 …)")
    points: float = Field(description="As shown; the lines add up to `total` exactly")


class ScoreBreakdown(Shape):
    """How the shown score is made: base + each reason shown + the others + limits + rounding
    = the score shown, to the last shown digit."""

    lines: list[ScoreLine]
    others: int = Field(description="How many reasons are not shown one by one")
    total: float = Field(description="The score as the card shows it")


class ProjectManager(Shape):
    """The project manager (项目经理) in charge of a compound, as a company card shows them:
    masked, since a card is the most widely seen page (`rating.public.managers`)."""

    name: str = Field(description="The surname, the rest masked: 张** (never the full name)")
    certificate_no: str = Field(
        description="The certificate number masked as identity numbers are: WY******48"
    )
    grade: str | None = Field(
        description="The manager's grade in the period, as the scheme names it"
    )
    red: bool = Field(description="On the managers' red list of the period")
    black: bool = Field(description="On the managers' black list of the period")


class ProjectGrade(Shape):
    project_id: str
    name: str | None
    district: str | None
    street: str | None
    households: int | None
    score: float | None
    grade: str | None
    manager: ProjectManager | None = Field(
        None,
        description="The manager in charge on the last day the company served the compound in "
        "the period, when the rule set scores and publishes managers and the period is "
        "published; null otherwise",
    )
    served_until: str | None = Field(
        None,
        description="The last day the company served the compound (ISO), when it no longer "
        "serves it on the card's day; such a compound carries no project measure",
    )


class HistoryEntry(Shape):
    period: str
    status: Status
    grade: str | None
    score: float | None
    red: bool
    black: bool


class Listing(Shape):
    """Why and until when a company is on the black list (or proposed for it)."""

    grounds: list[Ground] = Field(
        description="veto: a veto item (严重违法违规行为); streak: the lowest grade N times running"
    )
    veto_items: list[str] = Field(description="The veto items found, in plain words")
    streak: list[str] = Field(
        description="The periods of the streak of lowest grades, oldest first"
    )
    reason: str = Field(description="The ground in plain words")
    clause: str = Field(description="The legal basis, as the rule file cites it")
    period: str | None = Field(
        None, description="The period whose results listed it (may be older than the card's)"
    )
    grade: str | None = Field(
        None, description="Its grade in that period (列入时等级), not necessarily the current one"
    )
    since: str | None = Field(description="Listed from (the publication); None while proposed")
    earliest_removal: str | None = Field(
        description="From this day credit repair may end the listing (the minimum duration)"
    )
    latest_expiry: str | None = Field(description="The listing ends on this day at the latest")
    safety: bool = Field(description="A safety matter: the minimum duration is longer")
    repair: RepairState | None = Field(description="A credit-repair application, if any")
    repair_applied_on: str | None = None


class RedListing(Shape):
    """Why and from when until when a company is on the red list (or proposed for it). The
    rule sets give the red list no duration: the red list in force is the latest published
    period's (docs/decisions/0012-public-in-force.md), so a listing lasts from its period's
    publication until the next period's publication."""

    period: str = Field(description="The period whose published results listed it")
    grade: str | None = Field(description="Its grade in that period (列入时等级)")
    reason: str = Field(description="The ground: the list's condition in the rule set's words")
    clause: str = Field(description="The legal basis, as the rule file words it for the public")
    since: str | None = Field(description="Listed from (the publication); None while proposed")
    until: str | None = Field(
        description="Listed until: the day the next period's results were published; None "
        "while none has been (see `until_text`) or while proposed"
    )
    until_text: str = Field(
        description="`until` in words: 2026年4月20日, or 至下一期评价结果公布之日 while no next "
        "period is published"
    )
    in_force: bool = Field(description="On the red list in force on the day of the answer")


class Publicity(Shape):
    """A period whose results are in publicity (公示): proposed, not in force until published."""

    period: str
    starts_on: str | None = Field(default=None, description="The first day of the publicity")
    ends_on: str | None = Field(
        default=None, description="The last day of the publicity (inclusive)"
    )
    objections_until: str | None = Field(
        default=None, description="The last day to raise an objection (异议), inclusive"
    )
    ended: bool = Field(
        default=False,
        description="True once `ends_on` has passed on the day of the answer (`as_of`): the "
        "publicity is over and the results await publication; no objection is invited",
    )

    def on(self, day: date) -> Publicity:
        """This publicity as seen at the end of `day`: `ended` when its last day is before."""
        return self.model_copy(
            update={"ended": bool(self.ends_on) and day.isoformat() > str(self.ends_on)}
        )


class Proposal(Shape):
    """A company proposed for the red or black list in publicity (公示中（拟列入）). Not in force:
    `Current.red`/`Current.black` say what is in force; this is shown beside them."""

    kind: Literal["red", "black"]
    publicity: Publicity
    reason: str | None = Field(default=None, description="The black-list ground in plain words")
    clause: str = Field(default="", description="The list's legal basis, as the rule file cites it")


class GradeStreak(Shape):
    """A company's run of one grade up to the period, as the run's rules counted it (shown for
    a grade the rule set counts, e.g. C, when it says something: more than one period, or the
    count starts at the first period with data)."""

    grade: str
    periods: int = Field(description="consecutive periods with this grade, this one included")
    since: str = Field(description="the first of them")
    from_data_start: bool = Field(
        description="the count starts at the first period with data: there is nothing earlier"
    )
    capped: bool = Field(description="the count reaches the deepest period the rule set reads")
    history_missing: bool = Field(
        False, description="the period before had no run when the run was made"
    )


class Current(Shape):
    period: str
    status: Status = Field(description="proposed: shown during publicity, not yet published")
    grade: str | None
    grade_meaning: str | None = Field(None, description="What the grade means, from the rule set")
    grade_reason: str | None = Field(
        None,
        description="Why this grade, in plain words: the score's band, or the rule set's "
        "override, cap or veto that gave it (as the run recorded it)",
    )
    band_grade: str | None = Field(
        None, description="The grade of the score's band, before any override, cap or veto"
    )
    score: float | None
    red: bool = Field(description="On the red list in force: the latest published period's")
    black: bool = Field(description="On the black list in force: an entry of a publication")
    list_reason: str | None = Field(description="The black-list ground in plain words")
    listing: Listing | None = Field(None, description="The black-list entry in force")
    red_listing: RedListing | None = Field(
        None, description="The red-list entry in force: since when, until when, on what ground"
    )
    publicity: Publicity | None = Field(
        None, description="When `status` is proposed: until when, and until when to object"
    )
    proposed: list[Proposal] = Field(
        default=[], description="Lists the company is proposed for in publicity (not in force)"
    )
    streak: GradeStreak | None = Field(
        None, description="for a grade whose consecutive count the rules read, e.g. C"
    )


class Provenance(Shape):
    run_id: str
    engine_version: str
    ruleset: str
    ruleset_logic_sha256: str
    inputs_sha256: str
    period: str
    as_of: str
    timezone: str
    results_sha256: str
    disclosed_at: str | None = Field(
        description="When these results were published (公布), as seen on `as_of`; null while "
        "they are in publicity (公示) on that day — nothing was published yet"
    )
    publicity_from: str | None = Field(
        default=None,
        description="When these results were put up for publicity (公示), if they were; the "
        "publicity's days are in `current.publicity`",
    )
    served_by: str


class PublicMeasure(Shape):
    """A public measure in force (rule set's `[consequences]`): what it is, for which project,
    until when, on what clause. Inspection frequencies and the way back up stay internal."""

    kind: str = Field(description="tender, fee_tier, reward, honours, market_exit …")
    kind_name: str = Field(description="The kind in plain words (招投标, 收费等级 …)")
    text: str = Field(description="The measure in plain words, the strictest when several apply")
    project_id: str | None = None
    project_name: str | None = None
    until: str = Field(description="Its span in words, e.g. 至下次评价结果公布")
    ends: str | None = Field(None, description="The day it ends (ISO); None: no fixed end")
    clauses: list[str] = Field(default=[], description="The legal basis, as the rule file cites it")
    points: float | None = Field(None, description="tender: credit points (negative: deducted)")
    excluded: bool | None = Field(None, description="tender: barred from tenders; reward: none")


class PathGoal(Shape):
    """One goal of the way back up: its aim, and the options that reach it (no record ids)."""

    aim: str = Field(description="Up one grade (to which), or off the black list")
    reachable: bool
    options: list[str] = Field(default=[], description="Each way to the goal, in words")
    notes: list[str] = Field(default=[], description="Why it cannot be reached, when so")


class PublicPath(Shape):
    """The way back up (信用修复路径) of the result shown, only where the rule set's
    `[consequences] public_path = true`: for a company below standard or black-listed."""

    period: str
    run_id: str
    ruleset: str
    goals: list[PathGoal]
    listing: str | None = Field(None, description="The minimum listing time and the way off")
    earliest: str = Field(description="When it can come back at the earliest, in words")
    basis: str = Field(description="What the path is computed from")


class CompanyCard(Shape):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "uscc": USCC,
                    "name": "云港阳光物业服务有限公司",
                    "former_names": ["云港市阳光物业管理有限公司"],
                    "district": "海港区",
                    "as_of": "2026-11-01",
                    "current": {
                        "period": "2026Q3",
                        "status": "published",
                        "grade": "A",
                        "grade_meaning": "信用一般",
                        "score": 74.5,
                        "red": False,
                        "black": False,
                        "list_reason": None,
                        "listing": None,
                    },
                    "reasons": [
                        {
                            "rule_id": "P-CMP-RATE",
                            "title": "有效投诉率偏高（每千户有效投诉件数）",
                            "points": -2.0,
                            "clause": "只计有效(属实)投诉",
                        }
                    ],
                    "projects": [],
                    "history": [],
                }
            ]
        },
    )
    uscc: str
    name: str
    former_names: list[str] = Field(default=[], description="Names the register held before")
    district: str | None
    as_of: str
    current: Current
    reasons: list[Reason]
    breakdown: ScoreBreakdown | None = Field(
        None,
        description="How the score is made: base, the reasons shown, the others together, "
        "= the score shown; null when there is no score (not rated, C(缺失))",
    )
    projects: list[ProjectGrade]
    history: list[HistoryEntry]
    measures: list[PublicMeasure] = Field(
        default=[],
        description="Public measures in force on the day (tenders, fees, rewards, honours …)",
    )
    path: PublicPath | None = Field(
        None,
        description="The way back up, when the rule set publishes it (`public_path`) and the "
        "company is below standard or black-listed; null otherwise",
    )
    provenance: Provenance


class CompanySummary(Shape):
    uscc: str
    name: str
    district: str
    grade: str | None
    period: str
    status: Status
    red: bool = Field(description="On the red list in force")
    black: bool = Field(description="On the black list in force")
    proposed: list[Literal["red", "black"]] = Field(
        default=[], description="Lists it is proposed for in publicity (公示中（拟列入）)"
    )
    publicity_ended: bool = Field(
        default=False,
        description="Its proposed result's publicity is over on the day (公示期已结束，待正式公布): "
        "`status` proposed and `proposed` then no longer mean 公示中",
    )


class Service(Shape):
    """One company's service of a compound (a hand-over starts the next)."""

    uscc: str
    company: str
    start: str
    end: str | None = Field(description="Last day served; None while still serving")


class CompoundGrade(Shape):
    period: str
    status: Status
    uscc: str
    grade: str | None
    score: float | None


class CompoundCard(Shape):
    project_id: str
    name: str
    district: str | None
    street: str | None
    address: str | None
    households: int | None
    as_of: str
    serving: CompanySummary | None = Field(
        description="The company serving the compound on `as_of`, with its published grade"
    )
    serving_company: str | None = Field(description="Its name, also when it has no grade")
    grade: CompoundGrade | None = Field(description="The compound's own (project) grade")
    services: list[Service] = Field(description="Who served it, newest first")
    upcoming: list[Service] = Field(
        default_factory=list,
        description="Registered services that start after `as_of` (who will serve it, from "
        "when), earliest first: a compound whose first contract has not started yet",
    )


class SearchHit(Shape):
    kind: Literal["compound", "company"]
    relevance: float = Field(description="0–1; results are ordered by it")
    matched: str = Field(description="What matched: name, former_name, address, uscc, compound")
    project_id: str | None = None
    compound: str | None = None
    district: str | None = None
    street: str | None = None
    address: str | None = None
    company: CompanySummary | None = None
    company_name: str | None = None


NoticeCode = Literal[
    "QUERY_NORMALISED",
    "USCC_INVALID",
    "COMPANY_NOT_RATED",
    "COMPANY_NOT_FOUND",
    "COMPOUND_NOT_SERVED",
    "DISTRICT_UNKNOWN",
    "NO_MATCH",
    "NOTHING_PUBLISHED",
]


class SearchNotice(Shape):
    """Why a search found what it found, or nothing: a stable `code` for machines and a
    `message` in the pages' language (`rating.public.notices`)."""

    code: NoticeCode = Field(
        description="QUERY_NORMALISED (a USCC typed with spaces, dashes, lower case or full "
        "width: searched as `uscc`), USCC_INVALID (an 18-character code failing GB 32100-2015: "
        "`reason`, `found`, `expected`), COMPANY_NOT_RATED (registered, not in the published "
        "rating of `period`: `reason` not_rated or not_in_run), COMPANY_NOT_FOUND (a valid USCC "
        "no company has), COMPOUND_NOT_SERVED (no company serves `project_id` now), "
        "DISTRICT_UNKNOWN (`district` names no district of the register: `name`, `expected` "
        "the districts there are, joined by 、), NO_MATCH, NOTHING_PUBLISHED (no result "
        "has been published yet: nothing can be found)"
    )
    message: str
    uscc: str | None = None
    name: str | None = None
    project_id: str | None = None
    period: str | None = None
    reason: str | None = None
    found: str | None = None
    expected: str | None = None
    changes: list[str] = Field(
        default_factory=list, description="fullwidth, space, dash, lower_case"
    )


class SearchPage(Shape):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "kind": "compound",
                            "relevance": 1.0,
                            "matched": "compound",
                            "project_id": "XM000123",
                            "compound": "阳光花园",
                            "district": "莱山区",
                            "street": "初家街道",
                            "address": "港城东大街1号",
                            "company": {
                                "uscc": USCC,
                                "name": "云港阳光物业服务有限公司",
                                "district": "莱山区",
                                "grade": "A",
                                "period": "2026Q3",
                                "status": "published",
                                "red": False,
                                "black": False,
                            },
                            "company_name": "云港阳光物业服务有限公司",
                        }
                    ],
                    "total": 1,
                    "page": 1,
                    "page_size": 20,
                    "truncated": False,
                }
            ]
        },
    )
    items: list[SearchHit]
    total: int
    page: int
    page_size: int
    truncated: bool
    notices: list[SearchNotice] = Field(
        default_factory=list,
        description="Why nothing (or this) was found: a mistyped USCC, a code normalised, a "
        "company registered but not rated, a compound no company serves now",
    )


class CompanyPage(Shape):
    items: list[CompanySummary]
    total: int
    page: int
    page_size: int
    truncated: bool
    notices: list[SearchNotice] = Field(
        default_factory=list,
        description="Why the search found these companies or none, as for /v1/public/search "
        "(no COMPOUND_NOT_SERVED: compounds are not listed here)",
    )


class ListEntry(Shape):
    uscc: str
    name: str
    district: str | None
    grade: str | None
    score: float | None
    period: str
    status: Status
    reason: str | None = Field(description="The ground in plain words (both lists)")
    listing: Listing | None = Field(default=None, description="The black-list entry")
    red_listing: RedListing | None = Field(default=None, description="The red-list entry")


class ProposedList(Shape):
    """The companies proposed for a list in publicity, shown apart from the list in force."""

    publicity: Publicity
    items: builtins.list[ListEntry]


class ListPage(Shape):
    list: Literal["red", "black"]
    period: str | None = Field(
        description="The period whose list this is; for the red list in force, the latest "
        "published period; None for the black list in force (entries of several periods)"
    )
    as_of: str
    current: bool = Field(
        False, description="The list in force (asked for without a period), not a period's"
    )
    in_force: bool = Field(
        True, description="False when the period is in publicity: its entries are proposed"
    )
    publicity: Publicity | None = Field(None, description="The period's publicity, if in it")
    proposed: ProposedList | None = Field(
        None, description="Beside the list in force: who is proposed for it in publicity"
    )
    title: str = Field(description="What the list is, from the rule set")
    clause: str = Field(description="Its legal basis, as the rule file cites it")
    items: builtins.list[ListEntry]
    total: int
    page: int
    page_size: int
    truncated: bool


class GradeBand(Shape):
    grade: str
    meaning: str | None
    rule: str = Field(description="The score range or condition, in plain words")


class Legend(Shape):
    ruleset: str
    title: str
    document: str
    citation: str = Field(
        "",
        description="The document as the public pages cite it: 《title》（document number）; the "
        "basis of a public measure",
    )
    documents: list[str] = Field(
        default=[],
        description="The documents the rule set rests on, each cited apart (《title》（number）), "
        "none nested in another's brackets; the pages join them with ；",
    )
    effective_from: str
    grades: list[GradeBand]
    project_grades: list[GradeBand]
    red: str | None
    red_clause: str | None
    black: str | None
    black_clause: str | None
    black_minimum_months: int
    black_minimum_months_safety: int
    black_maximum_months: int
    repair: bool


class Period(Shape):
    period: str
    status: Status
    ruleset: str
