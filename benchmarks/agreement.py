"""Do the engine, the floor and the pandas peer agree? Compared in DuckDB, row by row.

* floor vs engine: per rule and target, the records counted and the indicator value (the
  rate for P-CMP-RATE, the mean for P-STREET, the sum of per-record points otherwise).
* pandas vs engine: the same per rule and target plus raw and capped points; each project's
  score and grade; each company's basic score, score, grade, red and black list.

Numbers agree within 1e-6 (relative to their size, at least 1): the engine counts in
DECIMAL(18,4), pandas in float64.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

TOLERANCE = 1e-6
INDICATOR = "CASE WHEN e.rule_id IN ('P-CMP-RATE', 'P-STREET') THEN e.value ELSE e.raw_points END"


def _differs(a: str, b: str) -> str:
    return (
        f"(({a}) IS NULL) <> (({b}) IS NULL) OR "
        f"abs(({a}) - ({b})) > {TOLERANCE} * greatest(1, abs({a}))"
    )


def _engine_points(run_id: str) -> str:
    return f"""(SELECT rule_id, company_uscc AS company, coalesce(project_id, '') AS project_id,
                       records, value, CAST(raw_points AS DOUBLE) AS raw_points,
                       CAST(points AS DOUBLE) AS points
                FROM run_rule_points WHERE run_id = '{run_id}')"""


def _mismatches(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, Any]:
    """Rows compared (the full join) and those that differ, with a few examples.

    `sql` is `SELECT … FROM <join> WHERE <differs>`, its last WHERE the comparison."""
    head, _, condition = sql.rpartition("WHERE")
    compared = con.execute(f"SELECT count(*) FROM ({head})").fetchone()
    found = con.execute(f"{head} WHERE {condition}").fetchall()
    return {
        "compared": int(compared[0]) if compared else 0,
        "mismatches": len(found),
        "examples": [list(map(str, r)) for r in found[:5]],
    }


def floor_vs_engine(con: duckdb.DuckDBPyConnection, run_id: str, floor: Path) -> dict[str, Any]:
    f = f"(SELECT rule_id, company, coalesce(project_id, '') AS project_id, records, value FROM '{floor}')"
    e = f"(SELECT * FROM {_engine_points(run_id)} WHERE records > 0)"
    return _mismatches(
        con,
        f"""SELECT coalesce(e.rule_id, f.rule_id), coalesce(e.company, f.company),
                   coalesce(e.project_id, f.project_id), e.records, f.records, {INDICATOR}, f.value
            FROM {e} e FULL JOIN {f} f USING (rule_id, company, project_id)
            WHERE e.records IS DISTINCT FROM f.records OR {_differs(INDICATOR, "f.value")}""",
    )


def pandas_vs_engine(con: duckdb.DuckDBPyConnection, run_id: str, out: Path) -> dict[str, Any]:
    p = f"(SELECT * REPLACE (coalesce(project_id, '') AS project_id) FROM '{out / 'rule_points.parquet'}')"
    points = _mismatches(
        con,
        f"""SELECT coalesce(e.rule_id, p.rule_id), coalesce(e.company, p.company),
                   coalesce(e.project_id, p.project_id), e.records, p.records, e.points, p.points
            FROM {_engine_points(run_id)} e FULL JOIN {p} p USING (rule_id, company, project_id)
            WHERE e.records IS DISTINCT FROM p.records OR {_differs("e.raw_points", "p.raw_points")}
               OR {_differs("e.points", "p.points")}
               OR (e.value IS NOT NULL AND {_differs("e.value", "p.value")})""",
    )
    projects = _mismatches(
        con,
        f"""SELECT coalesce(e.project_id, p.project_id), coalesce(e.company_uscc, p.company),
                   e.score, p.score, e.grade, p.grade
            FROM (SELECT * FROM run_projects WHERE run_id = '{run_id}') e
            FULL JOIN '{out / "projects.parquet"}' p
              ON p.project_id = e.project_id AND p.company = e.company_uscc
            WHERE e.grade IS DISTINCT FROM p.grade OR {_differs("e.score", "p.score")}""",
    )
    companies = _mismatches(
        con,
        f"""SELECT coalesce(e.uscc, p.uscc), e.score, p.score, e.grade, p.grade
            FROM (SELECT * FROM run_companies WHERE run_id = '{run_id}') e
            FULL JOIN '{out / "companies.parquet"}' p USING (uscc)
            WHERE e.rated IS DISTINCT FROM p.rated OR e.grade IS DISTINCT FROM p.grade
               OR e.red IS DISTINCT FROM p.red OR e.black IS DISTINCT FROM p.black
               OR {_differs("e.project_score", "p.project_score")}
               OR {_differs("e.score", "p.score")}""",
    )
    return {"rule_points": points, "projects": projects, "companies": companies}


def rules_covered(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """The run's rules that the peers do not implement (the rule set changed under them)."""
    from benchmarks.floor import RULES

    used = {r for (r,) in con.execute(
        "SELECT DISTINCT rule_id FROM run_rule_points WHERE run_id = $r", {"r": run_id}
    ).fetchall()}  # fmt: skip
    missing = sorted(used - set(RULES))
    return {
        "compared": len(used),
        "mismatches": len(missing),
        "examples": [f"{r}: not in benchmarks/floor.py and pandas_peer.py" for r in missing],
    }


def agreed(result: dict[str, Any]) -> bool:
    """True when no comparison in `result` (nested) found a mismatch."""
    if "mismatches" in result:
        return result["mismatches"] == 0
    return all(agreed(v) for v in result.values() if isinstance(v, dict))
