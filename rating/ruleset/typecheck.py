"""Type-check compiled rule expressions against the real table layout, with no data.

The allow-list proves an expression uses only permitted names and constructs; binding it in
an empty in-memory DuckDB — over the warehouse's own source tables, and over typed empty
rows built from `rating.ruleset.names` for company facts and project results — proves the
types fit (no text added to a number, no non-boolean `when`), so a faulty rule file fails at
load time with its rule id, never halfway through a run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Literal

import duckdb

from rating.errors import ProblemCollector
from rating.ruleset import arithmetic
from rating.ruleset.names import (
    MANAGER_FACTS,
    RATIO,
    RULE_FUNCTIONS,
    Name,
    company_names,
    project_attributes,
    project_column,
    project_result_names,
    rule_column,
    streak_column,
)
from rating.schema.derived import scope_columns_sql
from rating.sql import sql_text

if TYPE_CHECKING:
    from sqlglot import exp

    from rating.ruleset.compiled import Compiled
    from rating.ruleset.definition import RuleSet

PARAMS = {"period_start": date(2025, 7, 1), "period_end": date(2025, 9, 30)}
Want = Literal["BOOLEAN", "NUMBER", "VALUE"]


@contextmanager
def empty_warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the source tables and the arithmetic macros, no data."""
    from rating.schema.tables import layout_ddl

    con = duckdb.connect(":memory:")
    try:
        for statement in layout_ddl():
            con.execute(statement)
        arithmetic.install(con)
        yield con
    finally:
        con.close()


_BINDING: list[duckdb.DuckDBPyConnection] = []  # one empty warehouse per process
_BINDING_LOCK = threading.Lock()


@contextmanager
def binding_warehouse() -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on this process's one empty warehouse (`empty_warehouse`'s tables and macros),
    for binding expressions only: nothing may be written to it. Building the layout took a
    third of a second of CPU per rule set checked (issue 21); binding leaves no state, and
    each caller gets its own cursor, so threads may check at once."""
    with _BINDING_LOCK:
        if not _BINDING:
            from rating.schema.tables import layout_ddl

            con = duckdb.connect(":memory:")
            for statement in layout_ddl():
                con.execute(statement)
            _BINDING.append(con)
        cursor = _BINDING[0].cursor()
    try:
        arithmetic.install(cursor)  # TEMP macros: each connection has its own
        yield cursor
    finally:
        cursor.close()


NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "INTEGER_LITERAL",
)


class _Binder:
    """Binds expressions in the empty warehouse and records what does not fit."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, problems: ProblemCollector, origin: str
    ) -> None:
        self.con, self.problems, self.origin = con, problems, origin

    def check(self, node: exp.Expr | None, source: str, want: Want, rule: str, what: str) -> None:
        """Bind `node` over `source` and check it gives `want` (VALUE: any single value)."""
        if node is None:
            return
        sql = f"DESCRIBE SELECT ({sql_text(node)}) AS x FROM ({source})"
        try:
            found = self.con.execute(
                sql, {k: v for k, v in PARAMS.items() if f"${k}" in sql}
            ).fetchall()
        except (duckdb.Error, RecursionError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._add(rule, f"{what}: {message}")
            return
        kind = str(found[0][1]).upper()
        if want == "BOOLEAN" and kind not in ("BOOLEAN", '"NULL"'):
            self._add(rule, f"{what}: must give true or false, gives {kind}")
        elif want == "NUMBER" and not (kind.startswith(NUMERIC) or kind == '"NULL"'):
            self._add(rule, f"{what}: must give a number, gives {kind}")
        elif want == "VALUE" and (kind.endswith("[]") or kind.startswith(("STRUCT", "MAP"))):
            self._add(rule, f"{what}: must give one value, gives {kind}")

    def _add(self, rule: str, message: str) -> None:
        self.problems.add("RULESET_TYPE", message, file=self.origin, rule=rule)


def typed_row(names: Iterable[Name]) -> str:
    """`SELECT` of one row of typed empty values, one column per name."""
    cols = [f'CAST(NULL AS {n.sql_type}) AS "{n.name}"' for n in names]
    return "SELECT " + ", ".join(cols or ["1 AS one"])


def _project_columns() -> list[Name]:
    return [Name(project_column(a.name), a.sql_type, "") for a in project_attributes()]


def _check_rules(b: _Binder, c: Compiled) -> None:
    project = ", ".join(f'CAST(NULL AS {n.sql_type}) AS "{n.name}"' for n in _project_columns())
    for r in c.rules:
        kind = r.rule.source
        cols = ", ".join(["s._date", *scope_columns_sql(kind, set(r.columns)), project])
        scope = f"SELECT {cols} FROM src_{kind} s"
        b.check(r.when, scope, "BOOLEAN", r.rule.id, "when")
        b.check(r.of, scope, "BOOLEAN", r.rule.id, "of")
        b.check(r.value, scope, "NUMBER", r.rule.id, "value")
        formula = (
            scope if r.rule.measure == "each" else f"SELECT CAST(1 AS {RATIO}) AS value, {project}"
        )
        b.check(r.points, formula, "NUMBER", r.rule.id, "points")


def _check_facts(b: _Binder, c: Compiled) -> None:
    for f in c.facts:
        numbers = [
            Name(rule_column(fn, rule_id), RULE_FUNCTIONS[fn][0], "")
            for fn, rule_id in sorted(f.rule_numbers)
        ]
        row = typed_row([*project_result_names(), *numbers])
        b.check(f.when, row, "BOOLEAN", f.fact.id, "when")
        b.check(f.of, row, "BOOLEAN", f.fact.id, "of")
        b.check(f.value, row, "NUMBER", f.fact.id, "value")


def _check_company(b: _Binder, definition: RuleSet, c: Compiled) -> None:
    unranked = typed_row(company_names(definition, ranks=False))
    for r in c.ranks:
        b.check(r.keys[0].node, unranked, "NUMBER", r.rank.id, "by")
        for i, key in enumerate(r.keys[1:]):
            b.check(key.node, unranked, "VALUE", r.rank.id, f"then[{i}].by")
        b.check(r.partition, unranked, "VALUE", r.rank.id, "partition")
        b.check(r.among, unranked, "BOOLEAN", r.rank.id, "among")
    company = typed_row(company_names(definition))
    for override, node in c.overrides:
        b.check(node, company, "BOOLEAN", override.id, "when")
    for cap, node in c.caps:
        b.check(node, company, "BOOLEAN", cap.id, "when")
    b.check(c.grade_by, company, "NUMBER", "grades.by", "by")
    streaks = [Name(streak_column(g), "BIGINT", "") for g in sorted(c.streak_grades)]
    lists = typed_row([*company_names(definition, lists=True), *streaks])
    b.check(c.red, lists, "BOOLEAN", "lists.red", "when")
    b.check(c.black, lists, "BOOLEAN", "lists.black", "when")
    m = c.manager_lists
    if m is not None:
        streaks = [Name(streak_column(g), "BIGINT", "") for g in sorted(m.streak_grades)]
        row = typed_row([*MANAGER_FACTS, *streaks])
        b.check(m.red, row, "BOOLEAN", "managers.lists.red", "when")
        b.check(m.black, row, "BOOLEAN", "managers.lists.black", "when")


def check_types(
    definition: RuleSet, compiled: Compiled, problems: ProblemCollector, origin: str
) -> None:
    """Bind every compiled expression with no data; add each misfit to `problems`."""
    with binding_warehouse() as con:
        b = _Binder(con, problems, origin)
        _check_rules(b, compiled)
        _check_facts(b, compiled)
        _check_company(b, definition, compiled)
        b.check(compiled.include, typed_row(project_attributes()), "BOOLEAN", "project", "include")
