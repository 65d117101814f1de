"""Red and black lists of project managers (`[managers.lists]`), as companies have theirs.

Issue 19 asks the manager part of a rule set for "grades, lists, streaks" as for companies. A
list condition reads the manager's results (`rating.ruleset.names.MANAGER_FACTS`: score,
points, grade, veto, projects, days in charge) and `streak('GRADE')`: the consecutive periods,
this one included, in which the manager had that grade, from the manager results of the
history runs the run pinned (`history_periods` back, as for companies) — so a streak follows
the manager across projects and companies, like their record.

* `manager_facts`  — `manager_scores` with `projects` as a count and one streak column per
                     grade the conditions read.
* `manager_lists`  — one row per manager and list entered: `list` ('red' | 'black'),
                     `reason` (the list's title; a black entry in a shadow period says it is not
                     in effect, as for companies).
"""

from __future__ import annotations

import duckdb

from rating.engine.context import RunContext
from rating.engine.history import streak_sql
from rating.sql import lit, run, sql_text, value

EMPTY = "certificate_no VARCHAR, list VARCHAR, reason VARCHAR"


def _history(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """`mhist(certificate_no, k, grade)`: managers' grades in the pinned history runs."""
    run(
        con, "CREATE OR REPLACE TEMP TABLE mhist (certificate_no VARCHAR, k INTEGER, grade VARCHAR)"
    )
    for k, run_id in ctx.history_runs:
        run(
            con,
            """INSERT INTO mhist SELECT certificate_no, $k, grade FROM run_managers
               WHERE run_id = $run""",
            {"k": k, "run": run_id},
        )


def build_manager_lists(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`manager_lists` of the run (empty without `[managers.lists]`); returns its row count."""
    compiled = ctx.ruleset.manager_lists
    part = ctx.ruleset.definition.managers
    if compiled is None or part is None or part.lists is None:
        run(con, f"CREATE OR REPLACE TEMP TABLE manager_lists ({EMPTY})")
        return 0
    _history(con, ctx)
    depth = ctx.ruleset.definition.history_periods
    streaks = "".join(
        ", " + streak_sql(g, depth, history="mhist", key="certificate_no", row="m")
        for g in sorted(compiled.streak_grades)
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE manager_facts AS
            SELECT m.* REPLACE (CAST(len(m.projects) AS BIGINT) AS projects){streaks}
            FROM manager_scores m""",
    )
    selects = []
    shadow = " (shadow period: not in effect)" if ctx.shadow else ""
    for name, node, policy in (
        ("red", compiled.red, part.lists.red),
        ("black", compiled.black, part.lists.black),
    ):
        if node is None or policy is None:
            continue
        reason = policy.title + (shadow if name == "black" else "")
        selects.append(
            f"""SELECT certificate_no, '{name}' AS list, {sql_text(lit(reason))} AS reason
                FROM manager_facts WHERE coalesce({sql_text(node)}, false)"""
        )
    if selects:
        run(con, "CREATE OR REPLACE TEMP TABLE manager_lists AS " + "\nUNION ALL\n".join(selects))
    else:
        run(con, f"CREATE OR REPLACE TEMP TABLE manager_lists ({EMPTY})")
    return int(value(con, "SELECT count(*) FROM manager_lists"))
