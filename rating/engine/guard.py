"""No rule file can crash a run: DuckDB errors in rule SQL become coded rule-set errors.

A rule set that checks at load time can still fail on data (an overflow of DECIMAL(18,4)
points from `points = "1e11 * deducted"`, the logarithm of zero cast to a decimal…). Every
step that evaluates rule expressions runs under `run_step`: a DuckDB error there becomes a
`RuleSetError` with code `RULESET_RUNTIME`, naming the step and — for the per-rule steps —
the first rule whose own SQL fails alone. Errors of steps with no rule SQL pass unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from rating.engine.context import RunContext
from rating.errors import Problem, RuleSetError
from rating.ruleset import arithmetic

Step = Callable[[duckdb.DuckDBPyConnection, RunContext], int | None]

# Steps whose SQL holds rule-set expressions or numbers.
RULE_STEPS = frozenset(
    {
        "rated units",
        "evaluations",
        "rule hits",
        "fair rates",
        "rule points",
        "project scores",
        "buckets",
        "company facts",
        "company scores",
        "grades",
        "lists and downgrades",
        "project managers",
    }
)


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Install the exact-arithmetic macros rule SQL calls (`rating.ruleset.arithmetic`)."""
    arithmetic.install(con)


def _culprit(con: duckdb.DuckDBPyConnection, name: str, ctx: RunContext) -> str | None:
    """The first rule whose own hits or points fail, for the per-rule steps."""
    from rating.engine.evaluator import hits_statement, rule_points_select

    if name not in ("rule hits", "rule points"):
        return None
    try:
        con.execute("SELECT 1").fetchall()
    except duckdb.Error:
        return None  # an aborted transaction: nothing more can be asked
    for compiled in ctx.ruleset.rules:
        if name == "rule hits":
            statement = hits_statement(ctx, [compiled])
            select, bound = statement.sql, statement.params
        else:
            select, bound = rule_points_select(compiled, ctx), ctx.params
        try:  # materialised: a count alone would let DuckDB skip the failing column
            params = {k: v for k, v in bound.items() if f"${k}" in select}
            con.execute(f"CREATE OR REPLACE TEMP TABLE guard_probe AS {select}", params)
        except duckdb.Error:
            return compiled.rule.id
    con.execute("DROP TABLE IF EXISTS guard_probe")
    return None


def run_step(name: str, step: Step, con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int | None:
    """Run one step; a DuckDB error in a rule step is raised as `RULESET_RUNTIME`.

    Raises `RuleSetError` (code `RULESET_RUNTIME`, problem naming the rule when found)."""
    try:
        return step(con, ctx)
    except duckdb.Error as exc:
        if name not in RULE_STEPS:
            raise
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        rule = _culprit(con, name, ctx)
        message = f"rule set {ctx.ruleset.ref} cannot be evaluated on this data ({name}): {detail}"
        raise RuleSetError(
            message,
            code="RULESET_RUNTIME",
            problems=[Problem("RULESET_RUNTIME", detail, rule=rule)],
        ) from None
