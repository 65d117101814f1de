"""The names a rule expression may use, declared once (issue 20: one home).

Each context an expression is written in offers its own names:

* a rule over a source: the source's columns and derived columns (`rating.schema.derived`),
  and `project.<attribute>` — the attributes of the project a record belongs to;
* an indicator formula (`points` of a count/sum/avg/share rule): `value`, and in project
  rules `project.<attribute>`;
* a company fact over projects (`[[facts]]`): each project result (score, grade, …),
  its attributes, and `value('RULE')`, `points('RULE')`, `records('RULE')` of project rules;
* a company condition (grade overrides and caps, `grades.by`, ranks): `COMPANY_FACTS`,
  `points_<bucket>`/`count_<bucket>`, every `[[facts]]` id and every rank's three facts;
  a list condition also `grade` and `streak('…')`.

The loader builds its contexts from here, the type checker its empty typed rows, and a test
checks `rules/README.md` names every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rating.schema import CONTRACTS
from rating.schema.contracts import logical_type
from rating.schema.tables import SQL_TYPES

if TYPE_CHECKING:
    from rating.ruleset.definition import RuleSet

POINTS = "DECIMAL(18,4)"  # scores and points: exact decimals with 4 places
RATIO = "DECIMAL(38,10)"  # quotients the engine makes (values, shares, facts): 10 places


@dataclass(frozen=True)
class Name:
    """One name an expression may use: its DuckDB type as the engine computes it, and meaning."""

    name: str
    sql_type: str
    meaning: str


COMPANY_FACTS: tuple[Name, ...] = (
    Name("score", POINTS, "score: basic score plus every bucket"),
    Name("project_score", POINTS, "basic score: weighted mean of its rated projects' scores"),
    Name("projects", "BIGINT", "projects it served in the period"),
    Name("households", "BIGINT", "households of those projects"),
    Name("floor_area", POINTS, "floor area of those projects (m²)"),
    Name("registered", "BOOLEAN", "takes part in credit management"),
    Name("rated", "BOOLEAN", "has a rated project in the period (else it is not rated)"),
    Name("veto", "BOOLEAN", "a veto rule matched"),
    Name("prev_grade", "VARCHAR", "its grade in the previous period"),
    Name("prev_black", "BOOLEAN", "on the black list in the previous period"),
    Name("name", "VARCHAR", "registered name"),
    Name("district", "VARCHAR", "district of registration"),
)
LIST_FACTS: tuple[Name, ...] = (Name("grade", "VARCHAR", "the grade this run gives"),)

# A manager list condition (`[managers.lists]`), with `streak('…')` of the manager's grades.
MANAGER_FACTS: tuple[Name, ...] = (
    Name("score", POINTS, "the manager's score: base plus points, clamped"),
    Name("points", POINTS, "the manager's points from every rule"),
    Name("grade", "VARCHAR", "the manager's grade this run gives"),
    Name("veto", "BOOLEAN", "a veto rule put the manager in the lowest grade"),
    Name("projects", "BIGINT", "projects the manager was in charge of during the period"),
    Name("days_in_charge", "INTEGER", "days in charge of a project during the period"),
)

# Project contract columns that describe the service period, not the project.
_SERVICE_COLUMNS = ("company_uscc", "service_start", "service_end")

PROJECT_RESULTS: tuple[Name, ...] = (
    Name("score", POINTS, "the project's score in force (empty when not rated)"),
    Name("points", POINTS, "the points of its project rules"),
    Name("grade", "VARCHAR", "its project grade (`project_grades`)"),
    Name("rated", "BOOLEAN", "it has a result in force"),
    Name("evaluated", "BOOLEAN", "it was evaluated in the period (its own records)"),
    Name("carried", "BOOLEAN", "its result is an earlier one still in force"),
    Name("days_served", "INTEGER", "days the company served it in the period"),
)
RULE_FUNCTIONS = {
    "value": (RATIO, "the indicator value of a project rule for the project"),
    "points": (POINTS, "the points of a project rule for the project"),
    "records": ("BIGINT", "the records a project rule counted for the project"),
}


def project_attributes() -> tuple[Name, ...]:
    """Every projects contract column but the service period's, with `days_served`."""
    columns = CONTRACTS["projects"].columns
    found = [
        Name(name, SQL_TYPES[logical_type(col)], str(col.description or ""))
        for name, col in columns.items()
        if name not in _SERVICE_COLUMNS
    ]
    return (*found, Name("days_served", "INTEGER", "days the company served it in the period"))


def project_column(attribute: str) -> str:
    """The engine's column holding a project attribute beside a record or a rule's target."""
    return f"p__{attribute}"


def rule_column(function: str, rule_id: str) -> str:
    """The engine's column holding `value('RULE')` (or points, records) of one project rule."""
    return f"{function}__{rule_id.encode().hex()}"


def streak_column(grade: str) -> str:
    """The engine's column holding `streak('GRADE')`."""
    return f"streak__{grade.encode().hex()}"


def bucket_facts(definition: RuleSet) -> tuple[Name, ...]:
    """`points_<bucket>` (4-place decimal) and `count_<bucket>` (records) of each bucket."""
    out: list[Name] = []
    for bucket in definition.buckets:
        out.append(Name(f"points_{bucket.id}", POINTS, f"points of bucket {bucket.id}"))
        out.append(Name(f"count_{bucket.id}", "BIGINT", f"records of bucket {bucket.id}"))
    return tuple(out)


def fact_names(definition: RuleSet) -> tuple[Name, ...]:
    """The `[[facts]]` of a rule set: counts are whole numbers, the rest 10-place decimals."""
    return tuple(
        Name(f.id, "BIGINT" if f.measure == "count" else RATIO, f.title) for f in definition.facts
    )


def rank_names(definition: RuleSet) -> tuple[Name, ...]:
    """The three facts of each ranking: position, count in its partition, share."""
    out: list[Name] = []
    for r in definition.ranks:
        out.append(Name(r.id, "BIGINT", f"position in ranking {r.id} (1 = first)"))
        out.append(Name(f"{r.id}_count", "BIGINT", f"companies ranked in its {r.id} group"))
        out.append(Name(f"{r.id}_share", RATIO, f"position ÷ count in ranking {r.id}"))
    return tuple(out)


def company_names(
    definition: RuleSet, *, ranks: bool = True, lists: bool = False
) -> tuple[Name, ...]:
    """The names of a company condition: facts, buckets, `[[facts]]`, ranks, list-only names."""
    names = [*COMPANY_FACTS, *bucket_facts(definition), *fact_names(definition)]
    if ranks:
        names += rank_names(definition)
    if lists:
        names += LIST_FACTS
    return tuple(names)


def project_result_names() -> tuple[Name, ...]:
    """The names of a `[[facts]]` expression: project results and attributes (unqualified)."""
    seen = {n.name for n in PROJECT_RESULTS}
    return (*PROJECT_RESULTS, *(a for a in project_attributes() if a.name not in seen))
