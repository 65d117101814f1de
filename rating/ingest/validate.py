"""The SQL executor of the data contracts.

`check_sql` turns a contract (pandera declarations plus our metadata) and a file's header
mapping into one SELECT over the raw table that yields, per record, the typed values and,
per column, the code of the first problem found in it (`e__<column>`, NULL when the cell is
fine). Checks that need other rows or tables then fill in more codes. Every problem of a
record is reported at once; a record with any problem goes to quarantine, the rest load.
Keeping codes in plain columns (not a list of structs per row) keeps a clean 10-million-row
file cheap to check.

The loader runs this SQL only on the rows with a cell in doubt; clean rows are typed in one
pass (`rating.ingest.fastpath`) and get the relational checks by `relational_update_sql`, or
(`rating.ingest.onepass`) go straight into the source table when nothing is wrong with them.

Problem codes are part of the public interface (`rating.ingest.reasons`, documented in
datasets/CONTRACTS.md).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlglot import exp

from rating.ingest import whens as slow
from rating.ingest.cleaning import (
    changes_sql,
    cleaned_id_sql,
    id_problems_sql,
)
from rating.ingest.reasons import PROBLEM_CODES
from rating.schema import CONTRACTS, FALSE_WORDS, NULL_TOKENS, TRUE_WORDS, Contract, logical_type
from rating.schema.contracts import Check, Column
from rating.schema.tables import SQL_TYPES
from rating.sql import lit, quoted, sql_text
from rating.warehouse import visible_rows

# Excel's error values: a cell holding one gets CELL_ERROR, never a value or empty.
EXCEL_ERRORS = (
    "#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!",
    "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
)  # fmt: skip
# The reader puts this before the formula of a cell that has no computed value.
FORMULA_MARK = "\ue000"
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell


@dataclass(frozen=True)
class FileTraits:
    """What the reader learnt about a file that parsing its cells needs: the Excel date
    system (serial numbers count days from `epoch`: 1899-12-30, or 1904-01-01 for a workbook
    saved with the 1904 system), the bureau's time zone (times with an offset are converted
    to it), and which kinds of damaged cells it saw (`excel_errors`, `formulas`), so that
    clean files pay for no test they cannot fail."""

    epoch: date = date(1899, 12, 30)
    zone: str = "Asia/Shanghai"
    marks: frozenset[str] = field(default_factory=frozenset)


_PARSE_CODES = {
    "int": ("parse_int", "BAD_NUMBER"),
    "decimal": ("parse_dec", "BAD_NUMBER"),
    "date": ("parse_date", "BAD_DATE"),
    "timestamp": ("parse_ts", "BAD_DATE"),
}


@dataclass(frozen=True)
class Mapping:
    """Which raw column (c0…) feeds which contract column, and the header it had."""

    source: dict[str, tuple[str, str]]  # contract column -> (raw column, header text)


def _in(value: str, values: Iterable[Any]) -> str:
    """SQL true when `value` is one of `values` (a list lookup: DuckDB rewrites a long
    `IN (…)` into a join per use, which made validation several times slower)."""
    return f"list_contains({_array(tuple(values))}, {value})"


@functools.lru_cache(maxsize=1024)
def _array(values: tuple[Any, ...]) -> str:
    """A list literal of trusted constants (the same few vocabularies for every file)."""
    return sql_text(exp.Array(expressions=[lit(v) for v in values]))


def _clean(trimmed: str, col: Column) -> str:
    """Over the trimmed cell: the tokens that mean "empty" become NULL."""
    if col.metadata["free_text"]:
        return f"CASE WHEN {trimmed} = '' THEN NULL ELSE {trimmed} END"
    return f"CASE WHEN {_in(trimmed, NULL_TOKENS)} THEN NULL ELSE {trimmed} END"


def _synonyms(clean: str, col: Column) -> str:
    synonyms = col.metadata["synonyms"]
    if not synonyms:
        return clean
    whens = " ".join(
        f"WHEN {sql_text(lit(k))} THEN {sql_text(lit(v))}" for k, v in synonyms.items()
    )
    return f"(CASE {clean} {whens} ELSE {clean} END)"


def _parsed(clean: str, col: Column, identifier: str | None, traits: FileTraits, name: str) -> str:
    dtype = logical_type(col)
    clean = _synonyms(clean, col)
    if identifier:
        return cleaned_id_sql(clean, identifier)
    if dtype == "text":
        return clean
    if dtype == "bool":
        return (
            f"CASE WHEN {_in(clean, TRUE_WORDS)} THEN true "
            f"WHEN {_in(clean, FALSE_WORDS)} THEN false END"
        )
    if dtype in ("date", "timestamp"):
        return slow.parsed_sql(clean, name, dtype)
    if dtype == "decimal" and col.metadata.get("percent"):
        return f"parse_pct({clean})"
    return f"{_PARSE_CODES[dtype][0]}({clean})"


def _when_args(col: Column, traits: FileTraits) -> str:
    """The date macros' arguments after the cell: epoch, zone, earliest instant."""
    earliest = col.metadata["earliest"]
    return (
        f"DATE '{traits.epoch.isoformat()}', {sql_text(lit(traits.zone))}, "
        f"TIMESTAMP '{earliest.isoformat()}'"
    )


def _check_failure(check: Check, value: str) -> tuple[str, str]:
    """(SQL true when the check fails, problem code) for a declared check (pandera's name)."""
    stats: dict[str, Any] = dict(check.statistics)
    if check.name == "isin":
        return f"NOT {_in(value, stats['allowed_values'])}", "BAD_ENUM"
    if check.name == "uscc_checksum":
        return f"NOT uscc_valid({value})", "BAD_USCC"
    if check.name == "id_number_checksum":
        return f"NOT id_number_valid({value})", "BAD_ID_NUMBER"
    if check.name == "not_fraction":
        return f"({value} > 0 AND {value} < 1)", "RATE_AS_FRACTION"
    if check.name == "str_matches":
        return f"NOT regexp_full_match({value}, {sql_text(lit(stats['pattern']))})", "BAD_FORMAT"
    bounds = {
        "greater_than": ("<=", "min_value"),
        "greater_than_or_equal_to": ("<", "min_value"),
        "less_than": (">=", "max_value"),
        "less_than_or_equal_to": (">", "max_value"),
    }
    if check.name in bounds:
        op, key = bounds[check.name]
        return f"{value} {op} {sql_text(lit(stats[key]))}", "OUT_OF_RANGE"
    if check.name == "in_range":
        low = "<" if stats["include_min"] else "<="
        high = ">" if stats["include_max"] else ">="
        lo, hi = sql_text(lit(stats["min_value"])), sql_text(lit(stats["max_value"]))
        return f"({value} {low} {lo} OR {value} {high} {hi})", "OUT_OF_RANGE"
    raise NotImplementedError(f"no SQL for pandera check {check.name}")


@dataclass(frozen=True)
class ColumnSQL:
    """One contract column as staged SQL: trimmed, cleaned, parsed, final value, error code,
    and for an identifier the list of repairs its raw cell needed (`changes`)."""

    trimmed: str  # over the raw column
    last: str  # over the raw column: its last character ("l__name")
    trimmed_at: str  # `trimmed` over the raw column and "l__name"
    clean: str  # over the trimmed column "t__name"
    parsed: str  # over the cleaned column "k__name"
    value: str  # over the parsed column "p__name"
    error: str  # over "k__name", "p__name", the final "name" and the raw column
    changes: str | None = None  # over the raw column
    # dates: CREATE of the slow table the parse stage joins, and the UPDATE filling it in
    slow: tuple[str, str] | None = None


_q = quoted


def error_column(name: str) -> str:
    """The quoted name of the staged column holding `name`'s error code (`e__<name>`)."""
    return _q(f"e__{name}")


def _cell_problems(raw: str, t: str, col: Column, traits: FileTraits) -> list[tuple[str, str]]:
    """(condition, code as SQL) for problems of the cell as a cell, before its value is read
    (the reader said which kinds of damage the file holds; a clean file pays for none of
    these tests)."""
    whens = [(f"contains({raw}, '\ufffd')", "'BAD_ENCODING'")]
    if "formulas" in traits.marks:
        whens.append((f"starts_with({raw}, '{FORMULA_MARK}')", "'FORMULA_NO_VALUE'"))
    if "excel_errors" in traits.marks:
        whens.append((_in(t, EXCEL_ERRORS), "'CELL_ERROR'"))
    if logical_type(col) == "text":
        too_long = f"strlen({t}) > {MAX_CELL_CHARS} AND length({t}) > {MAX_CELL_CHARS}"
        whens.append((too_long, "'CELL_TOO_LONG'"))
    return whens


def column_sql(
    name: str,
    col: Column,
    raw: str | None,
    identifier: str | None = None,
    traits: FileTraits = FileTraits(),  # noqa: B008 - frozen, never changed
) -> ColumnSQL:
    """The staged SQL of one contract column (`ColumnSQL`): trim, clean, parse, final value and
    error code, read from the file's column `raw` (None when the file lacks it: the default, or
    `MISSING_VALUE` for a required column without one). `identifier` names the kind of identifier to
    clean (USCC, key, reference); `traits` carries what the file says of itself (e.g. the date
    system of a workbook)."""
    target = SQL_TYPES[logical_type(col)]
    default = col.metadata["default"]
    t, k, p, v = _q(f"t__{name}"), _q(f"k__{name}"), _q(f"p__{name}"), _q(name)
    if raw is None:
        missing = "'MISSING_VALUE'" if (default is None and not col.nullable) else "NULL"
        return ColumnSQL(
            "NULL::VARCHAR",
            "NULL::VARCHAR",
            "NULL::VARCHAR",
            "NULL::VARCHAR",
            f"NULL::{target}",
            f"CAST({sql_text(lit(default))} AS {target})",
            f"{missing}::VARCHAR",
        )
    value = (
        f"CAST(coalesce({p}, {sql_text(lit(default))}) AS {target})"
        if default is not None
        else f"CAST({p} AS {target})"
    )
    # A personal cell is checked in clear and kept only as its keyed hash (`id_hash`, a
    # function the loader registers for the file; NULL without a key).
    checked = p if col.metadata["personal"] else v
    if col.metadata["personal"]:
        value = f"id_hash({p})"
    whens = _cell_problems(raw, t, col, traits)
    dtype = logical_type(col)
    if dtype == "bool":
        whens.append((f"{k} IS NOT NULL AND {p} IS NULL", "'BAD_BOOLEAN'"))
    elif dtype in ("date", "timestamp"):
        whens.append((f"{k} IS NOT NULL AND {p} IS NULL", slow.problem_column(name)))
    elif dtype in _PARSE_CODES:
        whens.append((f"{k} IS NOT NULL AND {p} IS NULL", f"'{_PARSE_CODES[dtype][1]}'"))
    if identifier:
        whens += [(cond, f"'{code}'") for cond, code in id_problems_sql(v)]
    if not col.nullable and default is None:
        whens.append((f"{v} IS NULL", "'MISSING_VALUE'"))
    for check in col.checks:
        fails, code = _check_failure(check, checked)
        whens.append((f"{checked} IS NOT NULL AND {fails}", f"'{code}'"))
    if dtype in ("date", "timestamp"):
        whens.append((f"{v} < DATE '{col.metadata['earliest'].isoformat()}'", "'DATE_TOO_EARLY'"))
        if not col.metadata["future_ok"]:
            limit = "$today" if dtype == "date" else "$now"
            whens.append((f"{v} > {limit}", "'FUTURE_DATE'"))
    cases = " ".join(f"WHEN {cond} THEN {code}" for cond, code in whens)
    trimmed, clean = f"fast_trim({raw})", _clean(t, col)
    return ColumnSQL(
        trimmed,
        f"{raw}[-1]",
        f"trim_ends({raw}, {_q(f'l__{name}')})",
        clean,
        _parsed(k, col, identifier, traits, name),
        value,
        f"CASE {cases} END",
        changes_sql(raw, identifier) if identifier else None,
        slow.slow_table_sql(
            name, trimmed, clean, _synonyms(k, col), _when_args(col, traits), "{raw_table}"
        )
        if dtype in ("date", "timestamp")
        else None,
    )


def slow_dates_sql(
    contract: Contract,
    mapping: Mapping,
    raw_table: str = "raw",
    traits: FileTraits = FileTraits(),  # noqa: B008 - frozen, never changed
) -> list[tuple[str, str]]:
    """Per date column, the statements making the slow-date table `check_sql` joins
    (`rating.ingest.whens.slow_table_sql`): run them first, over the same raw table — the
    CREATE, then the UPDATE only when the CREATE found cells."""
    return [
        (c.slow[0].replace("{raw_table}", raw_table), c.slow[1])
        for c in _staged(contract, mapping, traits).values()
        if c.slow is not None
    ]


def _staged(contract: Contract, mapping: Mapping, traits: FileTraits) -> dict[str, ColumnSQL]:
    return {
        name: column_sql(
            name, col, mapping.source.get(name, (None, ""))[0], contract.identifier(name), traits
        )
        for name, col in contract.columns.items()
    }


def own_checks_sql(
    contract: Contract,
    mapping: Mapping,
    raw_table: str = "raw",
    traits: FileTraits = FileTraits(),  # noqa: B008 - frozen, never changed
) -> str:
    """SELECT producing `_rid`, `_line`, `_sheet`, one typed column and one error-code column
    per contract column (the first problem of the cell itself), and `x__<column>` (the repairs
    made) per identifier column. The checks across rows and tables come after
    (`check_sql`, `relational_update_sql`).

    Built in stages (last character → trim → clean → parse → value → errors), each a subquery
    over the previous, so every expression names the stage before instead of repeating its
    text (and DuckDB computes each once).
    """
    staged = _staged(contract, mapping, traits)
    dated = [n for n, c in staged.items() if c.slow is not None]
    parse = ", ".join(f"{c.parsed} AS {_q('p__' + n)}" for n, c in staged.items())
    parse += "".join(f", {slow.slow_alias(n)}.problem AS {slow.problem_column(n)}" for n in dated)
    stages = [
        ", ".join(f"{c.last} AS {_q('l__' + n)}" for n, c in staged.items()),
        ", ".join(f"{c.trimmed_at} AS {_q('t__' + n)}" for n, c in staged.items()),
        ", ".join(f"{c.clean} AS {_q('k__' + n)}" for n, c in staged.items()),
        parse,
        ", ".join(f"{c.value} AS {_q(n)}" for n, c in staged.items()),
        ", ".join(f"{c.error} AS {error_column(n)}" for n, c in staged.items()),
    ]
    rows = raw_table
    for i, stage in enumerate(stages):
        joins = "".join(slow.join_sql(n) for n in dated) if i == 3 else ""
        rows = f"(SELECT v.*, {stage} FROM {rows} AS v{joins})"
    names = ", ".join(_q(n) for n in staged)
    errors = ", ".join(error_column(n) for n in staged)
    changes = "".join(
        f", {c.changes} AS {_q('x__' + n)}" for n, c in staged.items() if c.changes is not None
    )
    return f"SELECT _rid, _line, _sheet, {names}, {errors}{changes} FROM {rows} AS v"


def check_sql(
    contract: Contract,
    mapping: Mapping,
    raw_table: str = "raw",
    traits: FileTraits = FileTraits(),  # noqa: B008 - frozen, never changed
) -> str:
    """`own_checks_sql` with the references and cross-column checks applied: the same columns,
    each error code the cell's own problem, else the first relational one."""
    own = own_checks_sql(contract, mapping, raw_table, traits)
    staged = _staged(contract, mapping, traits)
    names = ", ".join(_q(n) for n in staged)
    changes = "".join(f", {_q('x__' + n)}" for n, c in staged.items() if c.changes is not None)
    return (
        f"SELECT _rid, _line, _sheet, {names}, {relational_errors_sql(contract)}{changes} "
        f"FROM ({own}) AS v"
    )


_UNKNOWN = {
    "companies": "UNKNOWN_COMPANY",
    "projects": "UNKNOWN_PROJECT",
    "managers": "UNKNOWN_MANAGER",
}


def _relational_checks(contract: Contract) -> dict[str, list[tuple[str, str]]]:
    """Per column, (condition, code) of problems that need other tables or other columns, in
    the order they apply: known references, then checks across columns. Duplicate keys are
    marked afterwards (`duplicate_key_sql`): a window over the narrow key is far cheaper than
    one carrying every column."""
    checks: dict[str, list[tuple[str, str]]] = {name: [] for name in contract.columns}
    for column, kind in contract.references.items():
        ref = CONTRACTS[kind]
        code = _UNKNOWN[kind]
        checks[column].append(
            (
                f'v."{column}" IS NOT NULL AND v."{column}" NOT IN (SELECT s."{ref.key[0]}" FROM {visible_rows(ref)})',
                code,
            )
        )
    for cross in contract.cross_checks:
        if cross.column == contract.key[0]:  # DUPLICATE_KEY would then have to come first
            raise NotImplementedError(f"{contract.kind}: cross check on the key column")
        checks[cross.column].append((f"coalesce({cross.bad_when}, false)", cross.code))
    return checks


def relational_errors_sql(contract: Contract) -> str:
    """The final error-code columns: a cell's own problem first, else the first relational one."""
    out = []
    for name, checks in _relational_checks(contract).items():
        e = f"v.{error_column(name)}"
        whens = " ".join(f"WHEN {cond} THEN '{code}'" for cond, code in checks)
        final = f"CASE WHEN {e} IS NOT NULL THEN {e} {whens} END" if checks else e
        out.append(f"{final} AS {error_column(name)}")
    return ", ".join(out)


def relational_update_sql(contract: Contract, table: str = "checked") -> str | None:
    """UPDATE giving the rows of `table` (own problems found) the relational problems
    `check_sql` adds in its SELECT: the same codes, on the same cells. None when the
    contract has no such check."""
    checks = {n: c for n, c in _relational_checks(contract).items() if c}
    if not checks:
        return None
    sets = []
    for name, conds in checks.items():
        e = error_column(name)
        whens = " ".join(f"WHEN {cond} THEN '{code}'" for cond, code in conds)
        sets.append(f"{e} = CASE WHEN v.{e} IS NOT NULL THEN v.{e} {whens} END")
    where = " OR ".join(
        f"(v.{error_column(n)} IS NULL AND ({cond}))"
        for n, conds in checks.items()
        for cond, _ in conds
    )
    return f"UPDATE {table} AS v SET {', '.join(sets)} WHERE {where}"


def _duplicates(contract: Contract, rows: str) -> str:
    """SELECT of the `_rid` of the rows of `rows` whose key an earlier row (by `_rid`) has."""
    key_cols = ", ".join(f'"{k}"' for k in contract.key)
    not_null = " AND ".join(f'"{k}" IS NOT NULL' for k in contract.key)
    return f"""SELECT _rid FROM (SELECT _rid, row_number() OVER (PARTITION BY {key_cols} ORDER BY _rid) AS n
                          FROM {rows} WHERE {not_null}) WHERE n > 1"""


def duplicate_key_sql(contract: Contract, table: str = "checked") -> str:
    """UPDATE marking a key seen earlier in the file, on the first key column if still clean."""
    e = error_column(contract.key[0])
    return f"""UPDATE {table} AS v SET {e} = 'DUPLICATE_KEY' WHERE {e} IS NULL AND v._rid IN (
        {_duplicates(contract, table)})"""


def duplicate_rows_sql(contract: Contract, rows: str, target: str) -> str:
    """CREATE of temp table `target` holding the `_rid` of the rows of `rows` (`_rid` and the
    key columns by name) whose key an earlier row has: `duplicate_key_sql`'s rows."""
    return f"CREATE OR REPLACE TEMP TABLE {target} AS {_duplicates(contract, rows)}"


def clean_rows(contract: Contract) -> str:
    """SQL true for a checked record without any problem."""
    return "coalesce(" + ", ".join(error_column(n) for n in contract.columns) + ") IS NULL"


def overlap_check_sql(contract: Contract, table: str = "checked") -> str | None:
    """A new period may not overlap another period of its group (`Contract.no_overlap`): a
    project has one company, and one manager, at a time. The period already loaded with the
    same start is the one being corrected, not another."""
    rule = contract.no_overlap
    if rule is None:
        return None
    g, start, end = _q(rule.group), _q(rule.start), _q(rule.end)
    ok = clean_rows(contract)
    other = f"""(SELECT s.{g}, s.{start}, s.{end} FROM {visible_rows(contract)}
                   AND NOT EXISTS (SELECT 1 FROM {table} n WHERE n.{g} = s.{g}
                                   AND n.{start} = s.{start})
                 UNION ALL SELECT {g}, {start}, {end} FROM {table} WHERE {ok})"""
    return f"""UPDATE {table} AS v SET {error_column(rule.start)} = {sql_text(lit(rule.code))}
        WHERE {ok.replace('"e__', 'v."e__')} AND EXISTS (
          SELECT 1 FROM {other} o WHERE o.{g} = v.{g}
            AND o.{start} <> v.{start}
            AND o.{start} <= coalesce(v.{end}, DATE '9999-12-31')
            AND v.{start} <= coalesce(o.{end}, DATE '9999-12-31'))"""


__all__ = [
    "PROBLEM_CODES",
    "FileTraits",
    "Mapping",
    "check_sql",
    "clean_rows",
    "duplicate_key_sql",
    "duplicate_rows_sql",
    "own_checks_sql",
    "relational_update_sql",
    "slow_dates_sql",
]
