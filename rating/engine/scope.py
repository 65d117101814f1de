"""Scope: the inputs a run sees, as of its batch watermark, attributed to companies.

* `service`   — every visible service period (project → company, from/to).
* `units`     — each (project, company) pair that served within the period: what is rated,
                with the project's attributes (newest service row) and the days served;
                `[project] include` keeps only the projects the scheme rates.
* `exposure`  — households × days served / days in window, per unit and rate window (and
                the exact household-days and window days the engine's rates divide).
* `scope_<k>` — the records of source k a rule may count, each with `_company`: the company
                serving the record's project on the record's date (events name their company),
                and `p__<attribute>` for the project attributes the rules read.
* Complaints held by an integrity scan (waiting for review, or confirmed duplicates) are left
  out, as of the holds watermark the run pins (`analysis.layout.held_complaints_sql`).
* `unattributed` — records on a date no company served their project: kept and reported.

A source that only company-side rules read (`streamed`: no evaluation, no manager rule reads
it) gets no `scope_<k>` table: its scope is a materialised CTE of the statement that makes the
rules' hits (`rating.engine.evaluator.build_hits`), which also sets its unattributed rows
aside. DuckDB materialises a CTE without a table's storage: at 10M the complaints' scope
(3.2M rows) and their hits cost about half the CPU of a `scope_complaints` table and hits
read from it (issue 21).
"""

from __future__ import annotations

from datetime import date

import duckdb

from rating.engine.context import RunContext, exposure_window, window_start
from rating.ruleset.names import project_attributes, project_column
from rating.schema import CONTRACTS
from rating.schema.derived import scope_columns_sql
from rating.schema.holds import held_complaints_sql
from rating.sql import run, sql_text, value
from rating.warehouse import key_sql, visible_rows

FAR_FUTURE = "DATE '9999-12-31'"


def _attributes() -> list[str]:
    """Project attributes held on each service row (all but `project_id` and `days_served`)."""
    return [a.name for a in project_attributes() if a.name not in ("project_id", "days_served")]


def build_service(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`service`: every visible service period, with the project's attributes."""
    attributes = "".join(f', "{a}"' for a in _attributes())
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE service AS
            SELECT project_id, company_uscc{attributes},
                   service_start, coalesce(service_end, {FAR_FUTURE}) AS service_end
            FROM {visible_rows(CONTRACTS["projects"], extras=True)}""",
        ctx.params,
    )
    return int(value(con, "SELECT count(*) FROM service"))


def build_units(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`units`: each (project, company) pair that served in the period and that the scheme
    rates (`[project] include`), with its attributes, days served and score weight."""
    scoring = ctx.ruleset.definition.project
    size = {"households": "households", "floor_area": "floor_area", "equal": "1"}[scoring.weight]
    days = "days_served / $period_days" if scoring.weight_by_days else "1"
    newest = "".join(f', arg_max("{a}", service_start) AS "{a}"' for a in _attributes())
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE units AS
            WITH served AS (
              SELECT *, date_diff('day', greatest(service_start, $period_start),
                                  least(service_end, $period_end)) + 1 AS days
              FROM service WHERE service_start <= $period_end AND service_end >= $period_start)
            SELECT project_id, company_uscc AS company{newest},
                   CAST(sum(days) AS INTEGER) AS days_served
            FROM served GROUP BY project_id, company_uscc""",
        ctx.params,
    )
    include = ctx.ruleset.include
    where = f"WHERE coalesce(({sql_text(include)}), false)" if include is not None else ""
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE units AS
            SELECT *, CAST({size} * {days} AS DECIMAL(24,6)) AS weight FROM units {where}""",
        ctx.params,
    )
    return int(value(con, "SELECT count(*) FROM units"))


def exposure_windows(ctx: RunContext) -> dict[str, tuple[date, date]]:
    """Named rate windows used by per-1,000-households rules."""
    out = {}
    for compiled in ctx.ruleset.rules:
        if compiled.rule.per_1000_households:
            start, end = exposure_window(compiled.rule.window, ctx.period)
            out[f"{start}:{end}"] = (start, end)
    return out


def build_exposure(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> None:
    """`exposure`: per unit and rate window, households × days served ÷ days in the window
    (`households`, a double, for fair rates), and the exact integers behind it
    (`household_days` ÷ `window_days`) that rates per 1,000 households divide by."""
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE exposure (window_id VARCHAR, project_id VARCHAR,
           company VARCHAR, households DOUBLE, household_days HUGEINT, window_days INTEGER)""",
    )
    for window_id, (start, end) in exposure_windows(ctx).items():
        run(
            con,
            """INSERT INTO exposure
               SELECT $window_id, project_id, company_uscc, household_days / window_days,
                      household_days, window_days
               FROM (SELECT s.project_id, s.company_uscc,
                            sum(CAST(s.households AS HUGEINT)
                                * (date_diff('day', greatest(s.service_start, $w_start),
                                             least(s.service_end, $w_end)) + 1)) AS household_days,
                            date_diff('day', $w_start, $w_end) + 1 AS window_days
                     FROM service s JOIN units u
                       ON u.project_id = s.project_id AND u.company = s.company_uscc
                     WHERE s.service_start <= $w_end AND s.service_end >= $w_start
                     GROUP BY s.project_id, s.company_uscc)""",
            {"window_id": window_id, "w_start": start, "w_end": end},
        )


def needed_columns(ctx: RunContext, kind: str) -> set[str]:
    """The columns of `kind` the rules read (and the key naming each evaluation)."""
    names: set[str] = set()
    for compiled in ctx.ruleset.rules:
        if compiled.rule.source == kind:
            names |= compiled.columns
    evaluation = ctx.ruleset.definition.project.evaluation
    if evaluation is not None and evaluation.source == kind:
        names.add(evaluation.key)
    return names


def needed_project_columns(ctx: RunContext, kind: str) -> set[str]:
    """The project attributes the rules over `kind` read beside each record."""
    names: set[str] = set()
    for compiled in ctx.ruleset.rules:
        if compiled.rule.source == kind:
            names |= compiled.project_columns
    return names


def scope_start(ctx: RunContext, kind: str) -> date:
    """The first date a record of `kind` may carry and still count (the period's start when
    only evaluations read the source)."""
    starts = [
        window_start(c.rule.window, ctx.period) for c in ctx.ruleset.rules if c.rule.source == kind
    ]
    return min(starts, default=ctx.period.start)


def scope_predicate(kind: str, start: str = "scope_start") -> str:
    """Extra conditions on `s` (the visible rows of source `kind`) for a row to be in scope:
    dated within the scope (from `$<start>`) and, for complaints, not held out by an
    integrity review."""
    dated = f" AND s._date BETWEEN ${start} AND $period_end"
    held = kept_in_sql(kind)
    return f"{dated} AND {held}" if held else dated


def kept_in_sql(kind: str) -> str | None:
    """The condition on `s` beside its date that a row of `kind` must meet to be in scope, or
    None: complaints held out by an integrity review are not (bind `$holds_watermark`)."""
    if kind == "complaints":
        return f"s.complaint_id NOT IN ({held_complaints_sql()})"
    return None


def streamed(ctx: RunContext) -> list[str]:
    """The sources whose scope only the company-side rules read (sorted): not an evaluation's
    or an evaluating source (`rating.engine.evaluations.build_targets`), not read by a manager
    rule (`rating.engine.managers`). Their scope is computed inside `build_hits`."""
    scoring = ctx.ruleset.definition.project
    read_elsewhere: set[str] = {
        c.rule.source for c in ctx.ruleset.rules if c.rule.target == "manager"
    }
    if scoring.unit == "evaluation" and scoring.evaluation is not None:
        read_elsewhere.add(scoring.evaluation.source)
    elif scoring.without_records != "base":
        read_elsewhere |= set(ctx.ruleset.evaluated_by())
    company_side = {c.rule.source for c in ctx.ruleset.rules if c.rule.target != "manager"}
    return sorted(company_side - read_elsewhere)


def scope_select(ctx: RunContext, kind: str, start: str = "scope_start") -> str:
    """The SELECT of `kind`'s records in the run's scope with their company, the columns the
    rules read, and the project attributes they read (`p__<attribute>`); the scope's first
    date is bound as `$<start>` (`scope_start` of `kind`)."""
    contract = CONTRACTS[kind]
    columns = scope_columns_sql(kind, needed_columns(ctx, kind))
    extra = "".join(f", {c}" for c in columns)
    project = "s.project_id" if "project_id" in contract.columns else "NULL"
    predicate = scope_predicate(kind, start)
    inner = f"""SELECT {key_sql(contract, "s")} AS _key, s._batch, s._row, s._date,
                       {project} AS _project{", s.uscc AS _named_company" if kind == "events" else ""}{extra}
                FROM {visible_rows(contract, extras=True)}{predicate}"""
    if kind == "events":
        select = (
            f"SELECT i.* EXCLUDE (_named_company), i._named_company AS _company FROM ({inner}) i"
        )
    else:
        select = f"""SELECT i.*, sv.company_uscc AS _company FROM ({inner}) i
                     LEFT JOIN service sv ON sv.project_id = i._project
                      AND i._date BETWEEN sv.service_start AND sv.service_end"""
    attributes = sorted(needed_project_columns(ctx, kind))
    if attributes:
        cols = "".join(f', u."{a}" AS "{project_column(a)}"' for a in attributes)
        select = f"""SELECT r.*{cols} FROM ({select}) r
                     LEFT JOIN units u ON u.project_id = r._project AND u.company = r._company"""
    return select


def build_scope(con: duckdb.DuckDBPyConnection, ctx: RunContext, kind: str) -> int | None:
    """`scope_<kind>` (`scope_select`); None and no table for a `streamed` source."""
    run(con, f"DROP TABLE IF EXISTS scope_{kind}")
    if kind in streamed(ctx):
        return None
    run(
        con,
        f"CREATE TEMP TABLE scope_{kind} AS {scope_select(ctx, kind)}",
        {**ctx.params, "scope_start": scope_start(ctx, kind)},
    )
    return int(value(con, f"SELECT count(*) FROM scope_{kind}"))


def build_unattributed(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`unattributed`: records dated when no company served their project (kept, reported);
    those of `streamed` sources were set aside by `build_hits` (`streamed_unattributed`)."""
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE unattributed (source VARCHAR, record_key VARCHAR,
           batch_id INTEGER, line BIGINT, project_id VARCHAR, record_date DATE)""",
    )
    aside = streamed(ctx)
    for kind in ctx.ruleset.sources():
        found = (
            f"streamed_unattributed WHERE source = '{kind}'"
            if kind in aside
            else f"scope_{kind} WHERE _company IS NULL"
        )
        run(
            con,
            f"""INSERT INTO unattributed SELECT '{kind}', _key, _batch, _row, _project, _date
                FROM {found}""",
        )
    return int(value(con, "SELECT count(*) FROM unattributed"))
