"""Impact report: what adopting another rule version would change, before anyone adopts it.

Both sides are rated over the same frozen inputs (a run's watermark and pinned history, or
the current warehouse for `impact --period`), then compared company by company: the grade
transition matrix, companies entering and leaving each list, downgrades added and removed,
and for each company whose result changed, the rules whose points changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb

from rating.audit.replay import context_from_manifest
from rating.engine import explainer, grading
from rating.engine.context import RunContext
from rating.engine.runner import compute, store
from rating.engine.store import source_table
from rating.periods import Period
from rating.ruleset.loader import LoadedRuleSet
from rating.settings import Settings
from rating.sql import rows, run
from rating.warehouse import watermark

NOT_RATED = "not rated"


@dataclass
class ImpactReport:
    base: str
    candidate: str
    period: str
    companies: int = 0
    grades_changed: int = 0
    transitions: dict[str, dict[str, int]] = field(default_factory=dict)
    lists: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    downgrades: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    changed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changed and self.grades_changed == 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "empty": self.empty}


def _side(prefix: str, param: str, table: str) -> str:
    """One side's rows of a result table; the run id is bound as `$param`."""
    return f"(SELECT * FROM {source_table(table, prefix)} WHERE run_id = ${param})"


def _effects(prefix: str, param: str) -> str:
    """Per company and rule: the rule's effect on the score (project rules weighted)."""
    return f"""(SELECT rp.company_uscc AS uscc, rp.rule_id,
                       CAST(sum(CASE WHEN rp.target = 'project' THEN rp.points * w.weight / nullif(w.total, 0)
                                ELSE rp.points END) AS DECIMAL(18,4)) AS effect
                FROM {_side(prefix, param, "run_rule_points")} rp
                LEFT JOIN (SELECT company_uscc, project_id, weight,
                                  sum(weight) OVER (PARTITION BY company_uscc) AS total
                           FROM {_side(prefix, param, "run_projects")}) w
                  ON w.company_uscc = rp.company_uscc AND w.project_id = rp.project_id
                GROUP BY ALL)"""


def compare(
    con: duckdb.DuckDBPyConnection,
    base: tuple[str, str],
    cand: tuple[str, str],
    labels: tuple[str, str],
    period: str,
) -> ImpactReport:
    """Compare two result sets of `period` company by company: `base` and `cand` are (table prefix,
    run id) — prefix "" is the stored results, another prefix a candidate computed into temp tables
    — and `labels` name the two sides. Returns the grade transition matrix (not rated counts as a
    grade), companies entering and leaving the red and black lists, downgrades added and removed,
    and every company whose grade, score or rule points changed, largest score move first."""
    report = ImpactReport(labels[0], labels[1], period)
    found = rows(
        con,
        f"""
        SELECT coalesce(a.uscc, b.uscc), coalesce(a.name, b.name), a.grade, b.grade, a.score, b.score,
               coalesce(a.red, false), coalesce(b.red, false), coalesce(a.black, false), coalesce(b.black, false),
               coalesce(a.downgrade, false), coalesce(b.downgrade, false)
        FROM {_side(base[0], "a", "run_companies")} a
        FULL OUTER JOIN {_side(cand[0], "b", "run_companies")} b USING (uscc)
        ORDER BY 1""",
        {"a": base[1], "b": cand[1]},
    )
    rules = _rule_changes(con, base, cand)
    for uscc, name, ga, gb, sa, sb, ra, rb, ba, bb, da, db in found:
        report.companies += 1
        fa, fb = ga or NOT_RATED, gb or NOT_RATED
        report.transitions.setdefault(fa, {}).setdefault(fb, 0)
        report.transitions[fa][fb] += 1
        who = {"uscc": uscc, "name": name}
        _moves(report.lists.setdefault("red", {"entering": [], "leaving": []}), ra, rb, who)
        _moves(report.lists.setdefault("black", {"entering": [], "leaving": []}), ba, bb, who)
        dg = report.downgrades.setdefault("added", []), report.downgrades.setdefault("removed", [])
        if db and not da:
            dg[0].append(who)
        if da and not db:
            dg[1].append(who)
        if fa != fb:
            report.grades_changed += 1
        if fa != fb or sa != sb or uscc in rules:
            report.changed.append(
                {**who, "grade": [ga, gb], "score": [sa, sb], "rules": rules.get(uscc, [])}
            )
    report.changed.sort(key=lambda c: -abs(_delta(c["score"])))
    return report


def _delta(pair: list[Any]) -> Decimal:
    a, b = pair
    return Decimal(b or 0) - Decimal(a or 0)


def _moves(
    lists: dict[str, list[dict[str, Any]]], before: bool, after: bool, who: dict[str, Any]
) -> None:
    if after and not before:
        lists["entering"].append(who)
    if before and not after:
        lists["leaving"].append(who)


def _rule_changes(
    con: duckdb.DuckDBPyConnection, base: tuple[str, str], cand: tuple[str, str]
) -> dict[str, list[dict[str, Any]]]:
    found = rows(
        con,
        f"""
        SELECT coalesce(a.uscc, b.uscc), coalesce(a.rule_id, b.rule_id), a.effect, b.effect
        FROM {_effects(base[0], "a")} a FULL OUTER JOIN {_effects(cand[0], "b")} b USING (uscc, rule_id)
        WHERE coalesce(a.effect, 0) <> coalesce(b.effect, 0)
        ORDER BY 1, 2""",
        {"a": base[1], "b": cand[1]},
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for uscc, rule_id, a, b in found:
        out.setdefault(uscc, []).append({"rule_id": rule_id, "base": a, "candidate": b})
    return out


def _compute_into(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, prefix: str, label: str
) -> tuple[str, str]:
    compute(con, ctx)
    store(con, label, prefix=prefix)
    return prefix, label


def impact_of_run(
    con: duckdb.DuckDBPyConnection, run_id: str, candidate: LoadedRuleSet
) -> ImpactReport:
    """The stored run against the same inputs rated under another rule version."""
    info = explainer.run_row(con, run_id)
    base_rules = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
    ctx = context_from_manifest(info, base_rules)
    cand_ctx = RunContext(
        ctx.period, candidate, ctx.watermark, ctx.as_of, ctx.history_runs, forced=True
    )
    cand = _compute_into(con, cand_ctx, "candidate_", "candidate")
    return compare(
        con,
        ("", run_id),
        cand,
        (f"run {run_id} ({info['ruleset']})", candidate.ref),
        info["period"],
    )


def impact_between(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: Period,
    base: LoadedRuleSet,
    candidate: LoadedRuleSet,
) -> ImpactReport:
    """Two rule versions over the warehouse as it is now, for one period."""
    mark = watermark(con)
    history = grading.resolve_history(
        con, period, base.definition.ruleset.name, base.definition.history_periods
    )
    now = settings.current_time()
    a = _compute_into(
        con, RunContext(period, base, mark, now, history, forced=True), "base_", "base"
    )
    b = _compute_into(
        con,
        RunContext(period, candidate, mark, now, history, forced=True),
        "candidate_",
        "candidate",
    )
    return compare(con, a, b, (base.ref, candidate.ref), str(period))


def save(con: duckdb.DuckDBPyConnection, report: ImpactReport, at: datetime) -> str:
    """Store an impact report in `impact_reports` under the id `impact-<at, to the microsecond>`
    with its counts (grades changed, list entries and leavers, downgrades) and the whole report as
    JSON; returns the id."""
    report_id = f"impact-{at.strftime('%Y%m%dT%H%M%S%f')}"
    summary = {
        "grades_changed": report.grades_changed,
        "companies": report.companies,
        "red_entering": len(report.lists["red"]["entering"]),
        "red_leaving": len(report.lists["red"]["leaving"]),
        "black_entering": len(report.lists["black"]["entering"]),
        "black_leaving": len(report.lists["black"]["leaving"]),
        "downgrades_added": len(report.downgrades["added"]),
        "downgrades_removed": len(report.downgrades["removed"]),
    }
    run(
        con,
        "INSERT INTO impact_reports VALUES ($id, $at, $base, $cand, $summary, $report)",
        {
            "id": report_id,
            "at": at,
            "base": report.base,
            "cand": report.candidate,
            "summary": json.dumps(summary),
            "report": json.dumps(report.as_dict(), ensure_ascii=False, default=str),
        },
    )
    return report_id
