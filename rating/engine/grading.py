"""Company facts → grade → red/black list → downgrade.

Order of precedence for a grade: not rated (no rated project in the period) → a veto gives
the lowest grade → the first override whose condition holds → the band of the score (or of
`grades.by`; a rated company whose `by` is empty gets the lowest band); then every cap whose
condition holds lowers the grade to at most its grade (`grade_reason` `cap:<id>`, the first
cap in file order giving the lowest). Rankings are computed before grades, so grades,
overrides, caps and lists may read them. History (the
previous periods' grades, for streaks and downgrades) comes from earlier runs, pinned by id
in the run's manifest so a replay sees the same history.
"""

from __future__ import annotations

import duckdb

from rating.engine.companyfacts import build_ranks
from rating.engine.context import RunContext
from rating.engine.evaluator import band_sql
from rating.engine.history import streak_sql
from rating.engine.standing import period_runs
from rating.periods import Period
from rating.sql import lit, rows, run, sql_text, value


def resolve_history(
    con: duckdb.DuckDBPyConnection, period: Period, ruleset_name: str, depth: int
) -> tuple[tuple[int, str], ...]:
    """For each earlier period, the run whose grades count as that period's grades: its
    published run, else its newest draft or run in publicity under the same rule set, else
    its newest (`rating.engine.standing.period_runs`; discarded runs never count)."""
    wanted = {str(period.previous(k)): k for k in range(1, depth + 1)}
    found = period_runs(con, list(wanted), prefer_ruleset=ruleset_name)
    return tuple((k, found[p].run_id) for p, k in wanted.items() if p in found)


def build_history(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`hist(uscc, k, grade, black)`: the grades of the pinned history runs, k periods back."""
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE hist (uscc VARCHAR, k INTEGER, grade VARCHAR, black BOOLEAN)",
    )
    for k, run_id in ctx.history_runs:
        run(
            con,
            "INSERT INTO hist SELECT uscc, $k, grade, black FROM run_companies WHERE run_id = $run",
            {"k": k, "run": run_id},
        )
    return int(value(con, "SELECT count(*) FROM hist"))


def _rank_sql(column: str, order: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN {sql_text(lit(g))} THEN {i}" for i, g in enumerate(order))
    return f"(CASE {column} {whens} END)"


def _grade_sql(ctx: RunContext) -> tuple[str, str]:
    lowest = sql_text(lit(ctx.ruleset.definition.lowest_grade))
    grade = ["CASE WHEN NOT rated THEN NULL", f"WHEN veto THEN {lowest}"]
    reason = ["CASE WHEN NOT rated THEN 'not_rated'", "WHEN veto THEN 'veto'"]
    for override, node in ctx.ruleset.overrides:
        cond = f"coalesce({sql_text(node)}, false)"
        grade.append(f"WHEN {cond} THEN {sql_text(lit(override.grade))}")
        reason.append(f"WHEN {cond} THEN {sql_text(lit('override:' + override.id))}")
    grade.append("ELSE band_grade END")
    reason.append("ELSE 'band' END")
    return " ".join(grade), " ".join(reason)


def _band_sql(ctx: RunContext) -> str:
    """The band grade of a company: of its score, or of `grades.by` (empty → lowest band)."""
    defn = ctx.ruleset.definition
    if ctx.ruleset.grade_by is None:
        return band_sql("f.score", defn.grades.bands)
    by = f"({sql_text(ctx.ruleset.grade_by)})"
    lowest = sql_text(lit(defn.lowest_grade))
    return f"CASE WHEN NOT f.rated THEN NULL WHEN {by} IS NULL THEN {lowest} ELSE {band_sql(by, defn.grades.bands)} END"


def _capped_sql(ctx: RunContext) -> tuple[str, str]:
    """(grade, reason) after the caps: the worst grade of the caps that hold, when worse."""
    order = ctx.ruleset.definition.grade_order
    holding = [
        (f"coalesce({sql_text(node)}, false)", order.index(cap.grade), cap.id)
        for cap, node in ctx.ruleset.caps
    ]
    worst = "greatest(" + ", ".join(f"CASE WHEN {c} THEN {r} END" for c, r, _ in holding) + ")"
    applies = f"rated AND NOT veto AND coalesce({worst} > {_rank_sql('grade', order)}, false)"
    names = " ".join(f"WHEN {i} THEN {sql_text(lit(g))}" for i, g in enumerate(order))
    reasons = " ".join(
        f"WHEN {c} AND {r} = {worst} THEN {sql_text(lit('cap:' + cap_id))}"
        for c, r, cap_id in holding
    )
    grade = f"CASE WHEN {applies} THEN (CASE {worst} {names} END) ELSE grade END"
    reason = f"CASE WHEN {applies} THEN (CASE {reasons} END) ELSE grade_reason END"
    return grade, reason


def build_grades(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """`facts`: company scores, the previous period, rankings, band grade, grade and reason."""
    defn = ctx.ruleset.definition
    grade, reason = _grade_sql(ctx)
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE facts AS
            SELECT c.*, h.grade AS prev_grade, coalesce(h.black, false) AS prev_black
            FROM company_scores c LEFT JOIN (SELECT * FROM hist WHERE k = 1) h USING (uscc)""",
    )
    build_ranks(con, ctx)
    run(
        con,
        f"CREATE OR REPLACE TEMP TABLE facts AS SELECT f.*, {_band_sql(ctx)} AS band_grade FROM facts f",
    )
    run(
        con,
        f"CREATE OR REPLACE TEMP TABLE facts AS SELECT *, {grade} AS grade, {reason} AS grade_reason FROM facts",
    )
    if ctx.ruleset.caps:
        capped, capped_reason = _capped_sql(ctx)
        run(
            con,
            f"""CREATE OR REPLACE TEMP TABLE facts AS
                SELECT * REPLACE ({capped} AS grade, {capped_reason} AS grade_reason) FROM facts""",
        )
    streaks = "".join(
        ", " + streak_sql(g, defn.history_periods, history="hist", key="uscc", row="f")
        for g in sorted(ctx.ruleset.streak_grades)
    )
    run(con, f"CREATE OR REPLACE TEMP TABLE facts AS SELECT f.*{streaks} FROM facts f")


def build_decisions(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """`decided`: facts with red, black (not in a shadow period), downgrade and the reasons."""
    defn = ctx.ruleset.definition
    red = (
        f"rated AND coalesce({sql_text(ctx.ruleset.red)}, false)"
        if ctx.ruleset.red is not None
        else "false"
    )
    black = (
        f"rated AND coalesce({sql_text(ctx.ruleset.black)}, false)"
        if ctx.ruleset.black is not None
        else "false"
    )
    order = defn.grade_order
    dropped = f"coalesce({_rank_sql('grade', order)} > {_rank_sql('prev_grade', order)}, false)"
    black_title = sql_text(lit(defn.lists.black.title if defn.lists.black else ""))
    shadow = "true" if ctx.shadow else "false"
    downgrade_if = []
    if defn.downgrade.on_grade_drop:
        downgrade_if.append(dropped)
    if defn.downgrade.on_black_entry:
        downgrade_if.append("(black_due AND NOT prev_black)")
    due = " OR ".join(downgrade_if) or "false"
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE decided AS
            SELECT *, black_due AND NOT {shadow} AS black, downgrade_due AND NOT {shadow} AS downgrade,
                   {shadow} AS sanctions_suspended,
                   CASE WHEN black_due THEN {black_title}
                        || CASE WHEN veto THEN ' [' || array_to_string(veto_rules, ', ') || ']' ELSE '' END
                        || CASE WHEN {shadow} THEN ' (shadow period: not in effect)' ELSE '' END END AS black_reason,
                   CASE WHEN downgrade_due THEN concat_ws('; ',
                        CASE WHEN {dropped} THEN '等级由' || prev_grade || '降为' || grade END,
                        CASE WHEN black_due AND NOT prev_black THEN '列入黑名单' END)
                        || CASE WHEN {shadow} THEN ' (shadow period: not in effect)' ELSE '' END END AS downgrade_reason
            FROM (SELECT *, {red} AS red, {black} AS black_due FROM facts)
            CROSS JOIN LATERAL (SELECT rated AND ({due}) AS downgrade_due)""",
    )


def grade_counts(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> dict[str, int]:
    """Rated companies per grade, best grade first."""
    counts = dict(rows(con, "SELECT grade, count(*) FROM decided WHERE rated GROUP BY grade"))
    order = [g for g in ctx.ruleset.definition.grade_order if g in counts]
    return {g: int(counts[g]) for g in order}
