"""What a rule set says: frozen models, declarations only (no SQL, no I/O).

The file format is documented field by field in `rules/README.md`; a test checks that every
field declared here appears there. Fields marked WORDING change no result; the fingerprint
keeps them apart (`rating.ruleset.fingerprint`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rating.ruleset.consequences import Consequences

Kind = Literal["complaints", "inspections", "contracts", "opinions", "events", "surveys"]
Measure = Literal["each", "count", "sum", "avg", "share"]
FactMeasure = Literal["count", "share", "sum", "max", "min", "avg"]
WindowMode = Literal["period", "rolling", "calendar_year", "until_rectified"]
Rounding = Literal["half_up", "half_even"]
Order = Literal["desc", "asc"]

# A number of a rule file: finite and within ±10¹² (a bigger one is a typo, and would
# overflow the engine's DECIMAL(18,4) points at run time instead of failing here).
Number = Annotated[Decimal, Field(allow_inf_nan=False, ge=Decimal("-1e12"), le=Decimal("1e12"))]
FactId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]

WORDING_FIELDS = frozenset(
    {
        "title",
        "clause",
        "note",
        "summary",
        "document",
        "design_choice",
        "reason",
        "meaning",
        "score_places",
        "basis",
    }
)

# Options added after versions were published: while unset (None or empty) they are left out
# of the logic fingerprint, so the published versions keep the fingerprints their runs recorded.
LATER_OPTIONS = frozenset(
    {
        "shrink",
        "rounding",
        "ranks",
        "facts",
        "caps",
        "by",
        "include",
        "unit",
        "evaluation",
        "evaluated_by",
        "not_evaluated",
        "working_days",
        "rewords",
        "meaning",
        "score_places",
        "managers",
        "consequences",
        "lists",
        "basis",
    }
)

# Decimal places scores and points are shown with when a rule set does not say.
DEFAULT_SCORE_PLACES = 2


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rewords(Model):
    """The version a wording revision rewords: its number and validity, as that file says."""

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    effective_from: date
    expires_on: date | None = None


class Header(Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: str
    document: str = ""
    summary: str = ""
    effective_from: date
    expires_on: date | None = None
    shadow_until: date | None = None
    # A wording revision: only wording differs from that version, so it shares its logic
    # fingerprint (checked when both are loaded from a rules folder).
    rewords: Rewords | None = None
    score_places: int | None = Field(default=None, ge=0, le=4)


class Evaluation(Model):
    """What one evaluation is, when each is scored and graded on its own (`unit = "evaluation"`)."""

    source: Kind  # the records that make evaluations (e.g. inspections)
    key: str  # the column naming the evaluation a record belongs to (e.g. inspection_id)


class ProjectScoring(Model):
    base: Number
    min: Number | None = None
    max: Number | None = None
    weight: Literal["households", "floor_area", "equal"] = "households"
    weight_by_days: bool = True
    include: str | None = None  # which projects the scheme rates (project attributes)
    unit: Literal["period", "evaluation"] | None = None  # None: period
    evaluation: Evaluation | None = None
    evaluated_by: tuple[Kind, ...] = ()  # None/empty: every source a project rule reads
    not_evaluated: Literal["base", "not_rated", "latest"] | None = None  # None: base
    note: str = ""

    @property
    def without_records(self) -> str:
        """What a project without an evaluation in the period gets (see rules/README.md)."""
        if self.not_evaluated is not None:
            return self.not_evaluated
        return "latest" if self.unit == "evaluation" else "base"


class Bucket(Model):
    id: FactId
    title: str
    min: Number | None = None
    max: Number | None = None
    note: str = ""


class Band(Model):
    grade: str = Field(min_length=1, max_length=80)
    min: Number | None = None  # inclusive lower bound; the last band has none
    meaning: str | None = None  # what the grade means in plain words (烟台: AAA 信用优秀)


class Override(Model):
    id: str
    when: str
    grade: str
    title: str
    clause: str = ""
    # what the public pages cite: the local document as it words it (clause: for auditors)
    basis: str | None = None
    meaning: str | None = None  # what the grade it gives means, in plain words
    design_choice: bool = False


class Cap(Model):
    """A grade the company gets at most when `when` holds (e.g. any project 不合格 → at most B)."""

    id: str
    when: str
    grade: str
    title: str
    clause: str = ""
    # what the public pages cite: the local document as it words it (clause: for auditors)
    basis: str | None = None
    design_choice: bool = False


class Grades(Model):
    bands: tuple[Band, ...]
    by: str | None = None  # the number the bands read (company facts); None: score
    extra: tuple[str, ...] = ()  # grades only overrides give, ranked below the bands
    overrides: tuple[Override, ...] = ()
    caps: tuple[Cap, ...] = ()
    veto_title: str = "一票否决"
    note: str = ""


class IndicatorBand(Model):
    upto: Number | None = None  # value <= upto; the last band has none
    points: Number


class Window(Model):
    mode: WindowMode = "period"
    days: int = Field(default=365, ge=1, le=3660)
    until_column: str | None = None  # a record's own validity end (e.g. events.valid_until)
    rectified_column: str | None = None  # for until_rectified


class Shrink(Model):
    """Empirical-Bayes shrinkage of a per-1,000-households rate towards its pool's rate.

    fair = (1000 × records + prior_households × pool rate) ÷ (households + prior_households):
    the pool's rate counts as if `prior_households` more households had shown it.
    """

    towards: Literal["district", "city"] = "district"
    prior_households: int = Field(ge=1, le=1_000_000)
    interval: float = Field(default=0.9, ge=0.5, le=0.99)


class Rule(Model):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    title: str
    clause: str = ""
    # what the public pages cite: the local document as it words it (clause: for auditors)
    basis: str | None = None
    design_choice: bool = False
    note: str = ""
    source: Kind
    target: Literal["project", "company", "manager"] = "project"
    bucket: str | None = None
    when: str = "true"
    measure: Measure = "each"
    value: str | None = None  # sum/avg: expression over the record
    of: str | None = None  # share: the base the share is taken of
    per_1000_households: bool = False
    shrink: Shrink | None = None  # a fair rate for small projects (count rates of projects)
    points: Number | str | None = None  # each: points per record; indicator: formula of `value`
    bands: tuple[IndicatorBand, ...] = ()
    cap: Number | None = Field(default=None, ge=0)
    window: Window = Window()
    veto: bool = False


class ListPolicy(Model):
    when: str
    title: str
    clause: str = ""
    # what the public pages cite: the local document as it words it (clause: for auditors)
    basis: str | None = None
    design_choice: bool = False


class Lists(Model):
    red: ListPolicy | None = None
    black: ListPolicy | None = None


class ManagerScoring(Model):
    """The manager part (项目经理信用): each manager in charge of a project during the period is
    scored from `base`, plus the points of `target = "manager"` rules over the records on
    the days they were in charge (and events naming them), plus — with `follow_projects`
    (Yinchuan: the manager also loses the points deducted from the project) — the points of
    every per-record (`each`) project rule over those records."""

    base: Decimal
    min: Decimal | None = None
    max: Decimal | None = None
    follow_projects: bool = False
    bands: tuple[Band, ...]
    publish: Literal["none", "name_and_certificate"] = "none"
    lists: Lists | None = None  # red/black lists of managers, over `MANAGER_FACTS`
    note: str = ""


class RankKey(Model):
    by: str  # an expression over company facts
    order: Order = "desc"


class Rank(Model):
    """A ranking of the period's companies: facts `<id>` (position), `<id>_count`, `<id>_share`."""

    id: FactId
    title: str
    by: str  # what companies are ranked on (an expression over company facts)
    order: Order = "desc"  # desc: the highest value is position 1
    then: tuple[RankKey, ...] = ()  # tie-break keys, in order
    ties: Literal["shared", "uscc"] = "shared"  # still equal: share the position, or by USCC
    partition: str | None = None  # rank within groups (e.g. district)
    among: str = "rated"  # which companies are ranked
    clause: str = ""
    design_choice: bool = False
    note: str = ""


class Fact(Model):
    """A company fact over its projects' results (e.g. projects rated 不合格)."""

    id: FactId
    title: str
    measure: FactMeasure
    when: str = "true"  # which projects count
    value: str | None = None  # sum/max/min/avg: the project number aggregated
    of: str | None = None  # share: the projects the share is taken of (default: all)
    clause: str = ""
    design_choice: bool = False
    note: str = ""


class Downgrade(Model):
    on_grade_drop: bool = True
    on_black_entry: bool = True
    note: str = ""


class ListDuration(Model):
    min_months: int = Field(default=3, ge=0, le=120)
    min_months_safety: int = Field(default=12, ge=0, le=120)
    max_months: int = Field(default=36, ge=1, le=240)
    safety_rules: tuple[str, ...] = ()
    note: str = ""


class Disclosure(Model):
    publicity_working_days: int = Field(default=7, ge=0, le=60)
    show_proposed: bool = True
    objection_working_days: int | None = Field(default=None, ge=0, le=60)
    holidays: tuple[date, ...] = ()  # local days off, beyond the State Council's schedule
    working_days: tuple[date, ...] | None = None  # local working days (e.g. a local 调休)
    black_list: ListDuration = ListDuration()
    repair: bool = True
    note: str = ""

    @model_validator(mode="after")
    def _days_are_one_or_the_other(self) -> Disclosure:
        both = sorted(set(self.holidays) & set(self.working_days or ()))
        if both:
            raise ValueError(f"days listed both as holidays and as working_days: {both}")
        return self


class RuleSet(Model):
    ruleset: Header
    project: ProjectScoring
    buckets: tuple[Bucket, ...] = ()
    grades: Grades
    project_grades: tuple[Band, ...] = ()
    rules: tuple[Rule, ...] = Field(default=(), alias="rule")
    facts: tuple[Fact, ...] = ()
    ranks: tuple[Rank, ...] = ()
    lists: Lists = Lists()
    downgrade: Downgrade = Downgrade()
    disclosure: Disclosure = Disclosure()
    history_periods: int = Field(default=8, ge=1, le=40)
    managers: ManagerScoring | None = None
    rounding: Rounding | None = None  # None: half_up
    consequences: Consequences | None = None  # what each grade sets in motion (分级分类监管)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def ref(self) -> str:
        """`name@version`."""
        return f"{self.ruleset.name}@{self.ruleset.version}"

    @property
    def grade_order(self) -> tuple[str, ...]:
        """Best first; the last is the lowest grade (what a veto gives)."""
        return tuple(b.grade for b in self.grades.bands) + self.grades.extra

    @property
    def score_places(self) -> int:
        """Decimal places scores and points are shown with (results keep 4)."""
        places = self.ruleset.score_places
        return DEFAULT_SCORE_PLACES if places is None else places

    @property
    def lowest_grade(self) -> str:
        return self.grades.bands[-1].grade

    @property
    def rounding_mode(self) -> Rounding:
        """How `round` and the engine's own rounding treat a half (rules/README.md)."""
        return self.rounding or "half_up"

    def rule(self, rule_id: str) -> Rule:
        """The rule with id `rule_id`; raises KeyError."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)
