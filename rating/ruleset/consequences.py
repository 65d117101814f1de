"""What a grade sets in motion: the `[consequences]` part of a rule set (declarations only).

Supervision by class (分级分类监管), fee tiers by service grade (分级定价), graded rewards
(分级奖励), credit in tenders, honours, no new projects and market exit: each measure is one
`[[consequences.measure]]` table saying which companies or projects it applies to (`when`),
what it sets, from when and until when counted from the decision, and whether the public
sees it. The format is documented field by field in `rules/README.md` (a test checks it);
`rating.ruleset.consequence_logic` checks a table, resolves it for a company and warns when
a better grade would bring a harsher measure. Fields named like the rule's WORDING fields
(`title`, `clause`, `note`, `design_choice`) change no result and stay out of the logic
fingerprint.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Level = Literal["市", "区", "街道"]
MeasureKind = Literal[
    "inspection",  # inspection frequency and 双随机 sampling ratio at one level
    "fee_ceiling",  # the fee tier a project may charge up to (分级定价)
    "reward",  # reward or subsidy tier for a project (分级奖励), or none
    "tender",  # credit points in tenders, or excluded from tenders
    "honours",  # eligibility for honours and awards (评优评先)
    "new_projects",  # may not take on new projects
    "market_exit",  # market-exit proceedings start
    "notice",  # a named measure with no number (e.g. media exposure, 约谈)
]
Honours = Literal["priority", "eligible", "reduced", "excluded"]
Lasts = Literal["next_rating", "listing", "open"]
KINDS: tuple[str, ...] = MeasureKind.__args__  # type: ignore[attr-defined]
PROJECT_KINDS = frozenset({"inspection", "fee_ceiling", "reward"})


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StreakAtLeast(_Model):
    """At least `min` consecutive periods graded `grade`, this one included."""

    grade: str
    min: int = Field(ge=1, le=40)


class Selector(_Model):
    """Which companies (and projects) a measure applies to; every field given must hold."""

    grades: tuple[str, ...] = ()  # the company's grade is one of these
    project_grades: tuple[str, ...] = ()  # per project: the project's grade is one of these
    rated: bool | None = None  # false: companies not rated in the run (no project served)
    red: bool | None = None  # on (true) or off (false) the run's red list
    black: bool | None = None  # on (true) or off (false) the black list
    streak: StreakAtLeast | None = None  # e.g. { grade = "C", min = 8 }

    @property
    def per_project(self) -> bool:
        return bool(self.project_grades)


class Measure(_Model):
    """One consequence: what it sets, for whom, its source clause and its time span."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
    title: str
    clause: str = ""
    design_choice: bool = False
    note: str = ""
    when: Selector = Selector()
    kind: MeasureKind
    level: Level | None = None  # inspection: 市, 区 or 街道
    per_year: Decimal | None = Field(default=None, ge=0, le=366)  # inspection: times a year
    sampling: Decimal | None = Field(default=None, ge=0, le=1)  # inspection: 双随机 ratio
    tier: str | None = None  # fee_ceiling: one of fee_tiers; reward: one of reward_tiers
    points: Decimal | None = None  # tender: credit points added (negative: deducted)
    excluded: bool = False  # tender / reward: excluded altogether
    honours: Honours | None = None  # honours: priority, eligible, reduced or excluded
    starts_months: int = Field(default=0, ge=0, le=120)  # months after the decision
    lasts: Lasts | int = "next_rating"  # until the next results / while listed / open / months
    public: bool = False  # shown on the public card and lists

    @model_validator(mode="after")
    def _months_are_positive(self) -> Measure:
        if isinstance(self.lasts, int) and not 1 <= self.lasts <= 240:
            raise ValueError("lasts: a number of months from 1 to 240")
        return self


class Raise(_Model):
    """Extra inspections the supervision plan adds for a reason outside the grades."""

    level: Level
    extra: int = Field(default=1, ge=1, le=12)  # inspections added in the planned period
    title: str = ""
    clause: str = ""
    design_choice: bool = False
    note: str = ""


class Supervision(_Model):
    """What raises a project's inspections in the plan beyond its class."""

    high_risk: Raise | None = None  # the early warning puts the company in band 高
    held_complaints: Raise | None = None  # complaints of the project held by an integrity scan
    note: str = ""


class Consequences(_Model):
    """The consequence table of a rule set: `[consequences]` with its measures."""

    standard: str | None = None  # the lowest grade that meets the standard (达标)
    fee_tiers: tuple[str, ...] = ()  # 分级定价 tiers, highest ceiling first
    reward_tiers: tuple[str, ...] = ()  # 分级奖励 tiers, largest first
    public_path: bool = False  # show the way back up on the public card
    supervision: Supervision = Supervision()
    measures: tuple[Measure, ...] = Field(default=(), alias="measure")
    note: str = ""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
