"""Which measures of a run's consequence table apply to which companies and projects.

One DuckDB statement over the run's stored results: the table's selectors (as a JSON
parameter) joined to `run_companies` (grade, red list, black list, streak) and, for the
kinds that apply to a project, to `run_projects` (project grade). A company counts as
black-listed when the run lists it or a black-list entry of it is in force on the day asked
(`listed`), so the measures of an entry that outlives the run that started it stay in force.
A project's measure carries the last day the company serves the project in the register as
it stands now (`served_until`, NULL while it serves it): a measure for a compound applies
only while the company serves it, so a hand-over ends it on the former company's card.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

import duckdb

from rating.consequences.basis import Basis
from rating.engine.explainer import run_row
from rating.engine.history import streaks
from rating.ruleset.consequences import PROJECT_KINDS, Consequences, Selector
from rating.schema import CONTRACTS
from rating.sql import rows
from rating.warehouse import visible_rows, watermark


class WhenFields(TypedDict):
    """A measure's `when` as the flat fields `CONDITION` reads (JSON bound to `$measures`)."""

    grades: list[str]
    project_grades: list[str]
    rated: bool | None
    red: bool | None
    black: bool | None
    streak_grade: str | None
    streak_min: int | None


# The DuckDB types of `WhenFields`, in its order, for `from_json` of the measures parameter.
WHEN_TYPES: dict[str, object] = {
    "grades": ["VARCHAR"],
    "project_grades": ["VARCHAR"],
    "rated": "BOOLEAN",
    "red": "BOOLEAN",
    "black": "BOOLEAN",
    "streak_grade": "VARCHAR",
    "streak_min": "INTEGER",
}


def when_fields(when: Selector) -> WhenFields:
    """`when` as `CONDITION` reads it: lists for the grade sets, NULL where a field is not
    given (the streak as its grade and minimum)."""
    return {
        "grades": list(when.grades),
        "project_grades": list(when.project_grades),
        "rated": when.rated,
        "red": when.red,
        "black": when.black,
        "streak_grade": when.streak.grade if when.streak else None,
        "streak_min": when.streak.min if when.streak else None,
    }


_SCHEMA = json.dumps(
    [{"id": "VARCHAR", **WHEN_TYPES, "per_project": "BOOLEAN", "project_kind": "BOOLEAN"}]
)

# `st(uscc, periods)`: the streaks of `streaks_json`, bound to `$streaks`.
STREAKS_CTE = """st AS (SELECT unnest(from_json($streaks, '[{"uscc": "VARCHAR", "periods": "INTEGER"}]'),
                     recursive := true))"""

CONDITION = """(m.rated IS NULL OR m.rated = c.rated)
    AND (len(m.grades) = 0 OR list_contains(m.grades, c.grade))
    AND (m.red IS NULL OR m.red = c.red)
    AND (m.black IS NULL OR m.black = c.black)
    AND (m.streak_grade IS NULL OR (c.grade = m.streak_grade AND c.streak >= m.streak_min))"""

_MATCHED_CTES = f"""
WITH m AS (SELECT unnest(from_json($measures, '{_SCHEMA}'), recursive := true)),
{STREAKS_CTE},
c AS (SELECT r.uscc, r.rated, r.grade, coalesce(r.red, false) AS red,
             coalesce(r.black, false) OR list_contains($listed::VARCHAR[], r.uscc) AS black,
             coalesce(st.periods, 0) AS streak
      FROM run_companies r LEFT JOIN st USING (uscc)
      WHERE r.run_id = $run AND ($uscc IS NULL OR r.uscc = $uscc))"""
_COMPANY_MATCH = f"c JOIN m ON NOT m.per_project AND {CONDITION}"
_PROJECT_MATCH = f"""c JOIN run_projects p ON p.run_id = $run AND p.company_uscc = c.uscc
JOIN m ON m.project_kind AND {CONDITION}
  AND (len(m.project_grades) = 0 OR list_contains(m.project_grades, p.grade))"""

MATCH_SQL = f"""{_MATCHED_CTES},
-- the last day each company serves each project (NULL: serves it still)
sv AS (SELECT s.project_id, s.company_uscc,
              CASE WHEN bool_or(s.service_end IS NULL) THEN NULL ELSE max(s.service_end) END
                AS served_until
       FROM {visible_rows(CONTRACTS["projects"])} AND ($uscc IS NULL OR s.company_uscc = $uscc)
       GROUP BY ALL)
SELECT c.uscc, NULL::VARCHAR AS project_id, m.id, NULL::DATE AS served_until
FROM {_COMPANY_MATCH}
UNION ALL
SELECT c.uscc, p.project_id, m.id, sv.served_until
FROM {_PROJECT_MATCH}
LEFT JOIN sv ON sv.project_id = p.project_id AND sv.company_uscc = c.uscc
ORDER BY 1, 2 NULLS FIRST, 3"""
# The same (company, project or none, measure) rows as `MATCH_SQL`, unordered and without
# `served_until`: what a statement that groups the matches reads (`classes.CLASSES_SQL`).
# Reading the project register for the hand-over days and sorting cost 0.1 s of the
# 0.25 s `rating run` spent on supervision by class at 10M (issue 21).
MATCHED_SQL = f"""{_MATCHED_CTES}
SELECT c.uscc, NULL::VARCHAR AS project_id, m.id FROM {_COMPANY_MATCH}
UNION ALL
SELECT c.uscc, p.project_id, m.id FROM {_PROJECT_MATCH}"""


def selectors_json(table: Consequences) -> str:
    """The table's selectors as the JSON the statement reads (constants of the rule set)."""
    return json.dumps(
        [
            {
                "id": m.id,
                **when_fields(m.when),
                "per_project": m.when.per_project,
                "project_kind": m.kind in PROJECT_KINDS,
            }
            for m in table.measures
        ],
        ensure_ascii=False,
    )


def streak_grades(table: Consequences) -> set[str]:
    """The grades whose streaks the measures table's conditions read (`when.streak`), so only those
    streaks are computed."""
    return {m.when.streak.grade for m in table.measures if m.when.streak is not None}


def streaks_json(
    con: duckdb.DuckDBPyConnection, basis: Basis, table: Consequences, uscc: str | None
) -> str:
    """Per company graded one of the grades a streak selector reads: the periods in a row."""
    grades = streak_grades(table)
    if not grades:
        return "[]"
    manifest = run_row(con, basis.run_id)["manifest"]
    found = streaks(con, basis.run_id, manifest, grades, uscc)
    return json.dumps([{"uscc": u, "periods": s.periods} for u, s in sorted(found.items())])


@dataclass(frozen=True)
class Match:
    """Measure `measure_id` applies to company `uscc` (and to its project `project_id`, which
    the company serves up to `served_until` inclusive; None: still serves it, or no project)."""

    uscc: str
    project_id: str | None
    measure_id: str
    served_until: date | None = None


def match_params(
    con: duckdb.DuckDBPyConnection,
    basis: Basis,
    *,
    uscc: str | None = None,
    listed: Collection[str] = (),
) -> dict[str, object]:
    """The parameters `MATCH_SQL` binds for a run's table (one company, or all when None)."""
    table = basis.table
    return {
        "measures": selectors_json(table),
        "streaks": streaks_json(con, basis, table, uscc),
        "listed": sorted(listed),
        "run": basis.run_id,
        "uscc": uscc,
        # the register as it stands: a hand-over recorded after the run still ends them
        "watermark": watermark(con),
    }


def match(
    con: duckdb.DuckDBPyConnection,
    basis: Basis,
    *,
    uscc: str | None = None,
    listed: Collection[str] = (),
) -> list[Match]:
    """Every (company, project or none, measure) the run's table gives, ordered."""
    if not basis.table.measures:
        return []
    found = rows(con, MATCH_SQL, match_params(con, basis, uscc=uscc, listed=listed))
    return [Match(u, p, m, s) for u, p, m, s in found]
