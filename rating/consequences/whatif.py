"""What-if for one company of a stored run: its grade had some counted records not counted.

`Company` holds what the run stored for a company — its rule points per project and bucket,
every record behind them with its points (`run_evidence`), its projects' weights — and
`evaluate` recomputes, for each set of removed records, every rule those records touch
(each, count, sum, avg and share rules; per-1,000-households rates over the same exposure;
fair rates over the same pool less the records; caps), the project scores with their clamp,
the buckets with theirs, the veto, and then the grade, red and black list with the rule
set's own compiled override and list conditions — in DuckDB, with the engine's types, so
the numbers are the engine's numbers. Removing a record removes it from every rule that
counted it, as removing it from the inputs and re-running would.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from rating.engine import explainer
from rating.engine.evaluator import band_sql
from rating.engine.evidence import evidence_rows_sql
from rating.engine.shapes import CompanyRow, Manifest
from rating.errors import NotFoundError
from rating.ruleset.definition import Rule
from rating.ruleset.loader import LoadedRuleSet
from rating.ruleset.names import streak_column
from rating.sql import dicts, lit, rows, sql_text

Q4 = Decimal("0.0001")
RecordId = tuple[str, str]  # (source, record key)
Slot = tuple[str, str | None]  # (rule id, project id or None for company rules)


@dataclass(frozen=True)
class Hit:
    """One record a rule counted, with its contribution (points, 1, a value or 1/0)."""

    rule_id: str
    project_id: str | None
    source: str
    key: str
    points: Decimal
    record_date: Any

    @property
    def record(self) -> RecordId:
        return (self.source, self.key)


@dataclass
class Slotted:
    """One rule's stored result for the company (a project of it, or the company)."""

    rule: Rule
    project_id: str | None
    value: float | None
    records: int
    points: Decimal
    hits: list[Hit] = field(default_factory=list)


@dataclass
class Company:
    """What the run stored for one company, loaded once."""

    run_id: str
    uscc: str
    ruleset: LoadedRuleSet
    row: CompanyRow
    projects: dict[str, dict[str, Any]]  # project id → name, weight, score
    slots: dict[Slot, Slotted]
    fair: dict[Slot, dict[str, Any]]
    facts: dict[str, Any]  # registered, prev_grade, prev_black, projects, households, floor_area
    earlier: dict[str, int]  # grade → consecutive earlier periods with it (for streaks)
    shadow: bool

    index: dict[RecordId, list[Slot]] = field(default_factory=dict)  # record → slots counting it

    def __post_init__(self) -> None:
        found: dict[RecordId, list[Slot]] = defaultdict(list)
        for key, slot in self.slots.items():
            for h in slot.hits:
                found[h.record].append(key)
        self.index = dict(found)


def _earlier(con: duckdb.DuckDBPyConnection, manifest: Manifest, uscc: str) -> dict[str, int]:
    pinned = sorted((h["periods_back"], h["run_id"]) for h in manifest.get("history_runs", []))
    grades = dict(
        rows(
            con,
            "SELECT run_id, grade FROM run_companies WHERE uscc = $u AND list_contains($runs, run_id)",
            {"u": uscc, "runs": [r for _, r in pinned]},
        )
    )
    out: dict[str, int] = {}
    first = grades.get(pinned[0][1]) if pinned else None
    if first is not None and pinned[0][0] == 1:
        n = 0
        for k, run_id in pinned:
            if k != n + 1 or grades.get(run_id) != first:
                break
            n += 1
        out[first] = n
    return out


def load_company(con: duckdb.DuckDBPyConnection, run_id: str, uscc: str) -> Company:
    """Everything `evaluate` needs for `uscc` in `run_id`. Raises NotFoundError."""
    info = explainer.run_row(con, run_id)
    rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
    row = explainer.company_row(con, run_id, uscc)
    params = {"run": run_id, "u": uscc}
    projects = {
        r["project_id"]: r
        for r in dicts(
            con,
            """SELECT project_id, project_name, weight, score, floor_area FROM run_projects
               WHERE run_id = $run AND company_uscc = $u ORDER BY project_id""",
            params,
        )
    }
    rules = {r.id: r for r in rs.definition.rules}
    slots: dict[Slot, Slotted] = {}
    for r in dicts(
        con,
        """SELECT rule_id, target, project_id, value, records, points FROM run_rule_points
           WHERE run_id = $run AND company_uscc = $u ORDER BY rule_id, project_id""",
        params,
    ):
        slot = (r["rule_id"], r["project_id"] if r["target"] == "project" else None)
        slots[slot] = Slotted(
            rules[r["rule_id"]], slot[1], r["value"], int(r["records"]), r["points"]
        )
    for r in dicts(
        con,
        f"""SELECT rule_id, project_id, source, record_key, points, record_date
            FROM ({evidence_rows_sql("e.run_id = $run AND e.company_uscc = $u")})
            ORDER BY rule_id, record_date, record_key""",
        params,
    ):
        rule = rules[r["rule_id"]]
        slot = (rule.id, r["project_id"] if rule.target == "project" else None)
        if slot in slots:
            slots[slot].hits.append(
                Hit(
                    rule.id,
                    r["project_id"],
                    r["source"],
                    r["record_key"],
                    r["points"],
                    r["record_date"],
                )
            )
    fair = {}
    if any(r.shrink is not None for r in rs.definition.rules):
        fair = {
            (r["rule_id"], r["project_id"]): r
            for r in dicts(
                con,
                "SELECT * FROM run_fair_rates WHERE run_id = $run AND company_uscc = $u",
                params,
            )
        }
    registered = rows(
        con,
        """SELECT coalesce(arg_max(registered, _batch), true) FROM src_companies
           WHERE uscc = $u AND _batch <= $wm""",
        {"u": uscc, "wm": info["watermark"]},
    )
    prev = [h["run_id"] for h in info["manifest"].get("history_runs", []) if h["periods_back"] == 1]
    prev_black = bool(
        prev
        and rows(
            con,
            "SELECT coalesce(any_value(black), false) FROM run_companies WHERE run_id = $r AND uscc = $u",
            {"r": prev[0], "u": uscc},
        )[0][0]
    )
    facts = {
        "registered": bool(registered[0][0]) if registered else True,
        "prev_grade": row["prev_grade"],
        "prev_black": prev_black,
        "projects": row["projects"],
        "households": row["households"],
        "floor_area": sum((p["floor_area"] or 0) for p in projects.values()),
    }
    return Company(
        run_id, uscc, rs, row, projects, slots, fair, facts, _earlier(con, info["manifest"], uscc),
        bool(info["shadow"]),
    )  # fmt: skip


# ------------------------------------------------------------------------ recomputation


def _indicator(slot: Slotted, hits: list[Hit], fair: dict[str, Any] | None) -> float | None:
    """The rule's value over the remaining hits, as the engine computes it."""
    rule = slot.rule
    n, total = len(hits), sum((h.points for h in hits), Decimal(0))
    if rule.measure in ("avg", "share"):
        return float(total) / n if n else None
    amount = float(n) if rule.measure == "count" else float(total)
    if not rule.per_1000_households:
        return amount
    if fair is not None:  # the fair rate over the same pool, less the records removed
        removed = int(fair["records"]) - n
        k = float(fair["prior_households"])
        pool_h = float(fair["pool_households"])
        pool_rate = 1000.0 * (int(fair["pool_records"]) - removed) / pool_h if pool_h else 0.0
        return (1000.0 * n + k * pool_rate) / (float(fair["households"]) + k)
    before = (
        float(slot.records) if rule.measure == "count" else float(sum(h.points for h in slot.hits))
    )
    if slot.value in (None, 0) or before == 0:
        return 0.0 if amount == 0 else None
    exposure = before * 1000.0 / float(slot.value)
    return amount * 1000.0 / exposure


def _points(
    con: duckdb.DuckDBPyConnection, company: Company, slot: Slotted, hits: list[Hit]
) -> Decimal:
    rule = slot.rule
    if rule.measure == "each":
        raw = sum((h.points for h in hits), Decimal(0))
    else:
        value = _indicator(slot, hits, company.fair.get((rule.id, slot.project_id)))
        if rule.bands:
            raw = (
                Decimal(0)
                if value is None
                else next(
                    (b.points for b in rule.bands if b.upto is not None and value <= float(b.upto)),
                    rule.bands[-1].points,
                )
            )
        else:
            compiled = next(c for c in company.ruleset.rules if c.rule.id == rule.id)
            assert compiled.points is not None
            raw = Decimal(
                str(
                    rows(
                        con,
                        f"SELECT CAST(coalesce({sql_text(compiled.points)}, 0) AS DECIMAL(18,4)) "
                        "FROM (SELECT CAST($v AS DOUBLE) AS value)",
                        {"v": value},
                    )[0][0]
                )
            )
    raw = raw.quantize(Q4)
    if rule.cap is not None and abs(raw) > rule.cap:
        return (rule.cap if raw > 0 else -rule.cap).quantize(Q4)
    return raw


def _clamp(x: Decimal, low: Decimal | None, high: Decimal | None) -> Decimal:
    if low is not None:
        x = max(x, low)
    if high is not None:
        x = min(x, high)
    return x


def recompute(
    con: duckdb.DuckDBPyConnection, company: Company, removed: frozenset[RecordId]
) -> tuple[dict[Slot, tuple[int, Decimal]], dict[str, Decimal], dict[str, Any]]:
    """(per slot: records and points; per project: score; company facts) with `removed`
    records not counted. Only the slots the removed records touch are recomputed."""
    defn = company.ruleset.definition
    touched = {key for r in removed for key in company.index.get(r, [])}
    out: dict[Slot, tuple[int, Decimal]] = {}
    for key, slot in company.slots.items():
        if key not in touched:
            out[key] = (slot.records, slot.points)
            continue
        kept = [h for h in slot.hits if h.record not in removed]
        out[key] = (len(kept), _points(con, company, slot, kept))
    by_project: dict[str | None, Decimal] = defaultdict(Decimal)
    for (_rid, pid), (_n, points) in out.items():
        by_project[pid] += points
    scoring = defn.project
    scores = {
        p: _clamp(scoring.base + by_project.get(p, Decimal(0)), scoring.min, scoring.max).quantize(
            Q4
        )
        for p in company.projects
    }
    facts: dict[str, Any] = dict(company.facts)
    bucket_total = Decimal(0)
    for b in defn.buckets:
        mine = [out[k] for k, s in company.slots.items() if k[1] is None and s.rule.bucket == b.id]
        points = _clamp(sum((p for _n, p in mine), Decimal(0)), b.min, b.max).quantize(Q4)
        facts[f"points_{b.id}"] = points
        facts[f"count_{b.id}"] = sum(n for n, _p in mine)
        bucket_total += points
    facts["bucket_total"] = bucket_total
    facts["veto"] = any(out[k][0] > 0 for k, s in company.slots.items() if s.rule.veto)
    return out, scores, facts


@dataclass(frozen=True)
class Outcome:
    """A company's result with some records removed."""

    score: Decimal | None
    grade: str | None
    grade_reason: str
    red: bool
    black: bool


def _grade_sql(company: Company) -> tuple[str, str]:
    rs = company.ruleset
    lowest = sql_text(lit(rs.definition.lowest_grade))
    grade = ["CASE WHEN NOT rated THEN NULL", f"WHEN veto THEN {lowest}"]
    reason = ["CASE WHEN NOT rated THEN 'not_rated'", "WHEN veto THEN 'veto'"]
    for override, node in rs.overrides:
        cond = f"coalesce({sql_text(node)}, false)"
        grade.append(f"WHEN {cond} THEN {sql_text(lit(override.grade))}")
        reason.append(f"WHEN {cond} THEN {sql_text(lit('override:' + override.id))}")
    return " ".join([*grade, "ELSE band_grade END"]), " ".join([*reason, "ELSE 'band' END"])


def evaluate(
    con: duckdb.DuckDBPyConnection, company: Company, removals: Iterable[frozenset[RecordId]]
) -> list[Outcome]:
    """The outcome of each set of removed records, in order (one DuckDB statement)."""
    rs, defn = company.ruleset, company.ruleset.definition
    facts_rows, project_rows = [], []
    for i, removed in enumerate(removals):
        _slots, scores, facts = recompute(con, company, removed)
        facts_rows.append({"cand": i, **{k: v for k, v in facts.items()}})
        project_rows += [
            {"cand": i, "score": s, "weight": Decimal(str(company.projects[p]["weight"]))}
            for p, s in scores.items()
        ]
    if not facts_rows:
        return []
    fx = pl.DataFrame(facts_rows, infer_schema_length=None)
    px = pl.DataFrame(
        project_rows,
        schema={"cand": pl.Int64, "score": pl.Decimal(18, 4), "weight": pl.Decimal(24, 6)},
    )
    grade, reason = _grade_sql(company)
    streaks = "".join(
        f", CASE WHEN grade = {sql_text(lit(g))} THEN {1 + company.earlier.get(g, 0)} ELSE 0 END "
        f'AS "{streak_column(g)}"'
        for g in sorted(rs.streak_grades)
    )
    red = f"coalesce({sql_text(rs.red)}, false)" if rs.red is not None else "false"
    black = f"coalesce({sql_text(rs.black)}, false)" if rs.black is not None else "false"
    shadow = "true" if company.shadow else "false"
    con.register("whatif_facts", fx)
    con.register("whatif_projects", px)
    try:
        found = rows(
            con,
            f"""WITH ps AS (SELECT cand, CAST(sum(score * weight) / nullif(sum(weight), 0)
                                           AS DECIMAL(18,4)) AS project_score
                            FROM whatif_projects GROUP BY cand),
                f AS (SELECT x.* EXCLUDE (bucket_total), ps.project_score,
                             ps.project_score IS NOT NULL AS rated,
                             CAST(ps.project_score + CAST(x.bucket_total AS DECIMAL(18,4))
                                  AS DECIMAL(18,4)) AS score
                      FROM whatif_facts x LEFT JOIN ps USING (cand)),
                g AS (SELECT *, {band_sql("score", defn.grades.bands)} AS band_grade FROM f),
                h AS (SELECT *, {grade} AS grade, {reason} AS grade_reason FROM g),
                s AS (SELECT *{streaks} FROM h)
            SELECT cand, score, grade, grade_reason, rated AND {red},
                   rated AND {black} AND NOT {shadow}
            FROM s ORDER BY cand""",
        )
    finally:
        con.unregister("whatif_facts")
        con.unregister("whatif_projects")
    return [
        Outcome(score, grade, reason, bool(r), bool(b)) for _c, score, grade, reason, r, b in found
    ]


def require_rated(company: Company) -> None:
    """Raise `NotFoundError` (`COMPANY_NOT_RATED`) when the company was not rated in the run: an
    unrated company has no grade to improve."""
    if not company.row["rated"]:
        raise NotFoundError(
            f"company {company.uscc} was not rated in {company.run_id}: no way up to compute",
            code="COMPANY_NOT_RATED",
        )
