"""Read a stored run back: summaries, lists, and why a company got its grade.

Reasons are ranked by their effect on the company score: a company rule counts with its
points; a project rule with its points averaged over the company's projects by the same
weights the score uses. Wording (titles, clauses) comes from the rule set stored with the
run, so an explanation years later reads what the bureau published then.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import duckdb

from rating.engine import history, positions, standing
from rating.engine.evidence import evidence
from rating.engine.shapes import (
    BucketRow,
    CompanyListRow,
    CompanyRow,
    Explanation,
    FairRateRow,
    Manifest,
    ProjectRow,
    Provenance,
    ReasonRow,
    RunListItem,
    RunRow,
)
from rating.errors import NotFoundError
from rating.ruleset import registry
from rating.ruleset.definition import RuleSet
from rating.ruleset.loader import LoadedRuleSet, load_from_bytes
from rating.schema.tables import RUN_STATUS
from rating.sql import dicts, frame, rows

if TYPE_CHECKING:  # frames only for exports: a run or a lookup imports no polars
    import polars as pl

LISTS = ("grades", "red", "black", "downgrades", "vetoes", "unrated")


def latest_run_id(con: duckdb.DuckDBPyConnection) -> str:
    """The latest run as `rating.engine.standing` defines it (newest published, else newest
    draft; never a discarded one)."""
    return standing.latest_run(con).run_id


def run_row(con: duckdb.DuckDBPyConnection, run_id: str | None) -> RunRow:
    """A run's row with its status, manifest and summary; `read` says which run was read and
    why (named, or the latest run). None reads the latest run."""
    read = standing.read_run(con, run_id)
    row = dicts(
        con,
        f"SELECT r.*, s.status FROM runs r JOIN {RUN_STATUS} s USING (run_id) WHERE run_id = $id",
        {"id": read.run_id},
    )[0]
    row["read"] = read.as_dict()
    row["manifest"] = json.loads(row["manifest"])
    row["summary"] = json.loads(row["summary"])
    return cast(RunRow, row)


def stored_ruleset(con: duckdb.DuckDBPyConnection, ref: str, files_sha: str) -> LoadedRuleSet:
    """The rule set a run used, loaded from the files stored with it.

    Raises `NotFoundError` (`RULESET_NOT_FOUND`) when the warehouse does not hold them."""
    files = registry.stored_files(con, ref, files_sha)
    if files is None:
        raise NotFoundError(
            f"rule set {ref} ({files_sha[:12]}) is not stored", code="RULESET_NOT_FOUND"
        )
    return _load_cached(tuple(sorted(files.items())))


@lru_cache(maxsize=16)
def _load_cached(files: tuple[tuple[str, bytes], ...]) -> LoadedRuleSet:
    return load_from_bytes(dict(files), origin="stored rule set")


_LIST_FILTERS = {
    "grades": "rated",
    "red": "red",
    "black": "black",
    "downgrades": "downgrade",
    "vetoes": "veto AND rated",
    "unrated": "NOT rated",
}


def list_companies(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    which: str = "grades",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[CompanyListRow], bool]:
    """(rows, truncated) of one list of a run, fetching one extra row to know truncation."""
    where = _LIST_FILTERS[which]
    found = dicts(
        con,
        f"""SELECT uscc, name, district, projects, households, score, grade, prev_grade, red, black,
                   black_reason, downgrade, downgrade_reason, veto_rules, grade_reason
            FROM run_companies WHERE run_id = $run AND {where}
            ORDER BY score DESC NULLS LAST, uscc LIMIT $limit OFFSET $offset""",
        {"run": run_id, "limit": limit + 1, "offset": offset},
    )
    return cast(list[CompanyListRow], found[:limit]), len(found) > limit


def list_frame(con: duckdb.DuckDBPyConnection, run_id: str, which: str) -> pl.DataFrame:
    """Every company of one list of a run (no page limit), best score first: for exports."""
    found: pl.DataFrame = frame(
        con,
        f"""SELECT uscc, name, district, projects, households, score, grade, prev_grade, red,
                   black, black_reason, downgrade, downgrade_reason, veto_rules, grade_reason
            FROM run_companies WHERE run_id = $run AND {_LIST_FILTERS[which]}
            ORDER BY score DESC NULLS LAST, uscc""",
        {"run": run_id},
    )
    return found


def projects_frame(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """Every rated (project, company) pair of a run with its score and grade: for exports."""
    found: pl.DataFrame = frame(
        con,
        """SELECT project_id, company_uscc, project_name, district, street, households,
                  floor_area, days_served, weight, points, score, grade
           FROM run_projects WHERE run_id = $run ORDER BY project_id, company_uscc""",
        {"run": run_id},
    )
    return found


def company_row(con: duckdb.DuckDBPyConnection, run_id: str, uscc: str) -> CompanyRow:
    """The company's row of the run; raises `NotFoundError` (`COMPANY_NOT_FOUND`)."""
    found = dicts(
        con,
        "SELECT * FROM run_companies WHERE run_id = $run AND uscc = $u",
        {"run": run_id, "u": uscc},
    )
    if not found:
        raise NotFoundError(f"company {uscc} is not in run {run_id}", code="COMPANY_NOT_FOUND")
    return cast(CompanyRow, found[0])


def reasons(
    con: duckdb.DuckDBPyConnection, run_id: str, uscc: str, definition: RuleSet
) -> list[ReasonRow]:
    """Every rule that moved this company's score, most harmful first."""
    found = dicts(
        con,
        """WITH w AS (SELECT project_id, weight, sum(weight) OVER () AS total
                      FROM run_projects WHERE run_id = $run AND company_uscc = $u)
           SELECT rp.rule_id, rp.target, rp.bucket, sum(rp.records) AS records,
                  CAST(sum(CASE WHEN rp.target = 'project' THEN rp.points * w.weight / nullif(w.total, 0)
                           ELSE rp.points END) AS DECIMAL(18,4)) AS effect,
                  CAST(sum(rp.points) AS DECIMAL(18,4)) AS points,
                  CASE WHEN count(*) = 1 THEN any_value(rp.value) END AS value
           FROM run_rule_points rp LEFT JOIN w ON w.project_id = rp.project_id
           WHERE rp.run_id = $run AND rp.company_uscc = $u
           GROUP BY rp.rule_id, rp.target, rp.bucket
           HAVING sum(rp.records) > 0 OR sum(rp.points) <> 0
           ORDER BY effect ASC, rule_id""",
        {"run": run_id, "u": uscc},
    )
    by_id = {r.id: r for r in definition.rules}
    for rank, item in enumerate(found, 1):
        rule = by_id.get(item["rule_id"])
        item["rank"] = rank
        item["title"] = rule.title if rule else item["rule_id"]
        item["clause"] = rule.clause if rule else ""
        item["design_choice"] = rule.design_choice if rule else False
        item["veto"] = rule.veto if rule else False
    return cast(list[ReasonRow], found)


def _number(x: Any, places: int = 2) -> str:
    return f"{float(x):,.{places}f}"


def _households(x: Any) -> str:
    return f"{float(x):,.1f}".removesuffix(".0")


def fair_rate_text(row: dict[str, Any], source: str, level: float) -> str:
    """One line an auditor can redo: counts, the raw and pool rates, the weighing, the interval."""
    noun = source.removesuffix("s") if row["records"] == 1 else source
    pool = f"district {row['pool']}" if row["pool"] is not None else "city"
    own, prior = _households(row["households"]), row["prior_households"]
    if row["fair_rate"] is None:
        return f"{row['records']} {noun}, no households served in the rate window: no rate"
    pool_rate = _number(row["pool_rate"] or 0)
    return (
        f"{row['records']} {noun} over {own} households: raw {_number(row['raw_rate'])}‰; "
        f"{pool} {pool_rate}‰ ({row['pool_records']} over "
        f"{_households(row['pool_households'])}); fair {_number(row['fair_rate'])}‰ = "
        f"({own} × {_number(row['raw_rate'])} + {prior} × {pool_rate}) ÷ ({own} + {prior}), "
        f"{level:.0%} interval {_number(row['fair_low'])}–{_number(row['fair_high'])}"
    )


def fair_rates(
    con: duckdb.DuckDBPyConnection, run_id: str, uscc: str, definition: RuleSet
) -> list[FairRateRow]:
    """The fair rates behind this company's shrunk rules (rules with `shrink`), per project."""
    shrunk = {r.id: r for r in definition.rules if r.shrink is not None}
    if not shrunk:
        return []  # and a warehouse older than run_fair_rates is never asked
    found = dicts(
        con,
        """SELECT rule_id, project_id, pool, records, households, raw_rate, pool_records,
                  pool_households, pool_rate, prior_households, fair_rate, fair_low, fair_high
           FROM run_fair_rates WHERE run_id = $run AND company_uscc = $u
           ORDER BY rule_id, project_id""",
        {"run": run_id, "u": uscc},
    )
    for item in found:
        rule = shrunk.get(item["rule_id"])
        if rule is not None and rule.shrink is not None:
            item["text"] = fair_rate_text(item, rule.source, rule.shrink.interval)
    return cast(list[FairRateRow], found)


def projects(con: duckdb.DuckDBPyConnection, run_id: str, uscc: str) -> list[ProjectRow]:
    """The company's projects in the run: attributes, days served, points, score, grade."""
    found = dicts(
        con,
        """SELECT project_id, project_name, district, street, households, days_served, points, score, grade
           FROM run_projects WHERE run_id = $run AND company_uscc = $u ORDER BY project_id""",
        {"run": run_id, "u": uscc},
    )
    return cast(list[ProjectRow], found)


def buckets(con: duckdb.DuckDBPyConnection, run_id: str, uscc: str) -> list[BucketRow]:
    """The company's buckets in the run: records and points before and after the clamp."""
    found = dicts(
        con,
        "SELECT bucket, records, raw_points, points FROM run_buckets WHERE run_id = $run AND company_uscc = $u ORDER BY bucket",
        {"run": run_id, "u": uscc},
    )
    return cast(list[BucketRow], found)


def grade_reason_text(row: Mapping[str, Any], definition: RuleSet) -> str:
    """Why a company got its grade, in words: veto, override, cap, not rated or band."""
    reason = row.get("grade_reason") or ""
    if reason == "veto":
        return f"{definition.grades.veto_title} ({', '.join(row.get('veto_rules') or [])})"
    if reason.startswith("override:"):
        oid = reason.split(":", 1)[1]
        for override in definition.grades.overrides:
            if override.id == oid:
                return f"{override.title}" + (f" — {override.clause}" if override.clause else "")
    if reason.startswith("cap:"):
        cid = reason.split(":", 1)[1]
        for cap in definition.grades.caps:
            if cap.id == cid:
                return (
                    f"at most {cap.grade}: {cap.title}"
                    + (f" — {cap.clause}" if cap.clause else "")
                    + f" (band {row.get('band_grade')})"
                )
    if reason == "not_rated":
        return "not rated: the company had no rated project in the period"
    by = definition.grades.by
    if by is not None:
        return f"{by} falls in the band of grade {row.get('band_grade')} (score {row.get('score')})"
    return f"score {row.get('score')} falls in the band of grade {row.get('band_grade')}"


def explain(
    con: duckdb.DuckDBPyConnection, run_id: str | None, uscc: str, limit: int = 20
) -> Explanation:
    """Why `uscc` got its grade in a run (default: the latest): grade reason, buckets,
    reasons ranked by effect, projects, fair rates, rankings, facts over projects,
    evaluations and the first `limit` evidence records per rule. Raises `NotFoundError`."""
    info = run_row(con, run_id)
    rid = info["run_id"]
    loaded = stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
    rs = loaded.definition
    row = company_row(con, rid, uscc)
    streak = history.streaks(con, rid, info["manifest"], loaded.streak_grades, uscc).get(uscc)
    return {
        "run_id": rid,
        "period": info["period"],
        "rules": info["ruleset"],
        "read": info["read"],
        "provenance": provenance(info),
        "company": row,
        "grade_reason": grade_reason_text(row, rs),
        "streak": {**streak.as_dict(), "text": streak.text()} if streak else None,
        "history": info["manifest"].get("history"),
        "buckets": buckets(con, rid, uscc),
        "reasons": reasons(con, rid, uscc, rs),
        "projects": projects(con, rid, uscc),
        "fair_rates": fair_rates(con, rid, uscc, rs),
        "ranks": [r.as_dict() for r in positions.ranks(con, rid, uscc, rs)],
        "facts": [f.as_dict() for f in positions.facts(con, rid, uscc, rs)],
        "evaluations": [e.as_dict() for e in positions.evaluations(con, rid, uscc, rs)],
        "evidence": evidence(con, rid, uscc, rs, limit=limit),
    }


def provenance(info: RunRow) -> Provenance:
    """Where an output read from run `info` came from: run id, engine version, rule set
    (name@version) and its logic fingerprint, the inputs digest (`inputs_digest`), period, as-of
    time and time zone, and the results digest — the fields STYLE.md asks of every output. Raises
    `KeyError` for a manifest without them."""
    m = info["manifest"]
    return {
        "run_id": info["run_id"],
        "engine_version": m["engine_version"],
        "ruleset": f"{m['ruleset']['name']}@{m['ruleset']['version']}",
        "ruleset_logic_sha256": m["ruleset"]["logic"],
        "inputs_sha256": inputs_digest(m),
        "period": m["period"]["name"],
        "as_of": m["as_of"],
        "timezone": m["timezone"],
        "results_sha256": info["results_sha256"],
    }


def inputs_digest(manifest: Manifest) -> str:
    """One hex SHA-256 for a run's inputs: the watermark and the per-source rows and hashes of the
    manifest's `inputs` as compact sorted JSON, joined by `|`. Equal digests, equal inputs."""
    text = json.dumps(manifest["inputs"], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{manifest['watermark']}|{text}".encode()).hexdigest()


def runs_list(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[RunListItem]:
    """The newest `limit` runs (by creation time, then id, newest first) with their status from the
    ledger and their summary parsed."""
    found = dicts(
        con,
        f"""SELECT r.run_id, r.period, r.ruleset, s.status, r.shadow, r.forced, r.watermark, r.as_of,
                  r.summary, r.results_sha256
           FROM runs r JOIN {RUN_STATUS} s USING (run_id) ORDER BY r.created_at DESC, r.run_id DESC LIMIT $limit""",
        {"limit": limit},
    )
    for r in found:
        r["summary"] = json.loads(r["summary"])
    return cast(list[RunListItem], found)


__all__ = ["LISTS", "explain", "list_companies", "run_row", "runs_list", "latest_run_id", "rows"]
