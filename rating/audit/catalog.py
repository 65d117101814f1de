"""What the warehouse file defines besides data: its macros, views and tables, checked.

A DuckDB file can hold macros, and a macro in the file's schema is found before a built-in
of the same name: whoever can write the file could redefine `sha256`, `count` or
`arg_max` so that every check reads what they want. `rating verify` therefore first
compares the file's catalog with the layout this engine creates — every user macro with
its exact definition, no views (a run's status is computed by code, `schema.tables.RUN_STATUS`),
every audited table a real table — reading the catalog through the fully qualified
`system.main` functions, which a macro cannot shadow.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import duckdb

from rating.sql import rows

# Tables whose content `rating verify` recomputes or reads: each must be a base table.
AUDITED_TABLES = (
    "ledger",
    "runs",
    "rulesets",
    "published_rows",
    "run_companies",
    "run_projects",
    "run_buckets",
    "run_rule_points",
    "run_evidence",
    "run_unattributed",
    "run_fair_rates",
)

# The view older warehouses kept for a run's status (dropped when opened for writing):
# harmless while unchanged, since no code reads it any more.
LEGACY_VIEW = (
    "run_status",
    "CREATE VIEW run_status AS SELECT r.run_id, COALESCE(s.status, 'draft') AS status "
    "FROM (runs AS r LEFT JOIN (SELECT run_id, arg_max(status, seq) AS status FROM ledger "
    "WHERE (status IS NOT NULL) GROUP BY run_id) AS s USING (run_id));",
)

_FUNCTIONS = """SELECT function_name, function_type, coalesce(macro_definition, ''),
       CAST(parameters AS VARCHAR)
    FROM system.main.duckdb_functions()
    WHERE NOT internal AND database_name NOT IN ('system', 'temp')"""
_VIEWS = """SELECT view_name, sql FROM system.main.duckdb_views()
    WHERE NOT internal AND database_name NOT IN ('system', 'temp')"""
_TABLES = """SELECT table_name FROM system.main.duckdb_tables()
    WHERE database_name NOT IN ('system', 'temp') AND NOT temporary"""


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    name: str


@lru_cache(maxsize=1)
def expected_functions() -> frozenset[tuple[str, str, str, str]]:
    """The macros this engine's layout defines, as DuckDB stores them."""
    from rating.warehouse import ensure_layout

    con = duckdb.connect(":memory:")
    try:
        ensure_layout(con)
        return frozenset(tuple(str(v) for v in r) for r in rows(con, _FUNCTIONS))  # type: ignore[misc]
    finally:
        con.close()


def check_catalog(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """Every macro, view or table of the file that differs from the engine's layout."""
    found: list[Finding] = []
    expected = expected_functions()
    expected_names = {f[0] for f in expected}
    for fn in sorted({tuple(str(v) for v in r) for r in rows(con, _FUNCTIONS)} - expected):
        name = fn[0]
        what = "redefines this engine's macro" if name in expected_names else "is not this engine's"
        found.append(
            Finding(
                "CATALOG_ALTERED",
                f"the warehouse defines {fn[1].replace('_', ' ')} '{name}', which {what}: "
                "it could change what every query (and this check) computes",
                name,
            )
        )
    for name, sql in rows(con, _VIEWS):
        if (str(name), str(sql)) != LEGACY_VIEW:
            found.append(
                Finding(
                    "CATALOG_ALTERED",
                    f"the warehouse defines a view '{name}' this engine does not create",
                    str(name),
                )
            )
    tables = {str(t) for (t,) in rows(con, _TABLES)}
    for name in AUDITED_TABLES:
        if name not in tables:
            found.append(
                Finding(
                    "TABLE_MISSING",
                    f"table '{name}' is missing or was replaced by something that is not a table",
                    name,
                )
            )
    return found
