"""What a rule set says: frozen models, declarations only (no SQL, no I/O).

The file format is documented field by field in `rules/README.md`; a test checks that every
field declared here appears there. Fields marked WORDING change no result; the fingerprint
keeps them apart (`rating.ruleset.fingerprint`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rating.ruleset.consequences import Consequences

Kind = Literal["complaints", "inspections", "contracts", "opinions", "events"]
Measure = Literal["each", "count", "sum", "avg", "share"]
WindowMode = Literal["period", "rolling", "calendar_year", "until_rectified"]

WORDING_FIELDS = frozenset(
    {"title", "clause", "note", "summary", "document", "design_choice", "reason"}
)

# Options added after versions were published: while unset they are left out of the logic
# fingerprint, so the published versions keep the fingerprints their runs recorded.
LATER_OPTIONS = frozenset({"shrink", "working_days", "consequences"})


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Header(Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: str
    document: str = ""
    summary: str = ""
    effective_from: date
    expires_on: date | None = None
    shadow_until: date | None = None


class ProjectScoring(Model):
    base: Decimal
    min: Decimal | None = None
    max: Decimal | None = None
    weight: Literal["households", "floor_area", "equal"] = "households"
    weight_by_days: bool = True
    note: str = ""


class Bucket(Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    min: Decimal | None = None
    max: Decimal | None = None
    note: str = ""


class Band(Model):
    grade: str
    min: Decimal | None = None  # inclusive lower bound; the last band has none


class Override(Model):
    id: str
    when: str
    grade: str
    title: str
    clause: str = ""
    design_choice: bool = False


class Grades(Model):
    bands: tuple[Band, ...]
    extra: tuple[str, ...] = ()  # grades only overrides give, ranked below the bands
    overrides: tuple[Override, ...] = ()
    veto_title: str = "一票否决"
    note: str = ""


class IndicatorBand(Model):
    upto: Decimal | None = None  # value <= upto; the last band has none
    points: Decimal


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
    design_choice: bool = False
    note: str = ""
    source: Kind
    target: Literal["project", "company"] = "project"
    bucket: str | None = None
    when: str = "true"
    measure: Measure = "each"
    value: str | None = None  # sum/avg: expression over the record
    of: str | None = None  # share: the base the share is taken of
    per_1000_households: bool = False
    shrink: Shrink | None = None  # a fair rate for small projects (count rates of projects)
    points: Decimal | str | None = None  # each: points per record; indicator: formula of `value`
    bands: tuple[IndicatorBand, ...] = ()
    cap: Decimal | None = Field(default=None, ge=0)
    window: Window = Window()
    veto: bool = False


class ListPolicy(Model):
    when: str
    title: str
    clause: str = ""
    design_choice: bool = False


class Lists(Model):
    red: ListPolicy | None = None
    black: ListPolicy | None = None


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
    lists: Lists = Lists()
    downgrade: Downgrade = Downgrade()
    disclosure: Disclosure = Disclosure()
    history_periods: int = Field(default=8, ge=1, le=40)
    consequences: Consequences | None = None  # what each grade sets in motion (分级分类监管)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def ref(self) -> str:
        return f"{self.ruleset.name}@{self.ruleset.version}"

    @property
    def grade_order(self) -> tuple[str, ...]:
        """Best first; the last is the lowest grade (what a veto gives)."""
        return tuple(b.grade for b in self.grades.bands) + self.grades.extra

    @property
    def lowest_grade(self) -> str:
        return self.grades.bands[-1].grade

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)
