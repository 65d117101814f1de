"""The fast path of validation: rows whose every cell is already clean skip the staged checks.

Nearly every row of an export is valid and canonical: no space to trim, no null token, a
value the cheapest reading gives (a timestamp `2026-07-03 15:20:15`, a plain ASCII id, a
word of the column's vocabulary). `fast_predicate_sql` is one test per row over the raw
cells, true only when each cell is such a cell and passes every check of its own
(`rating.ingest.validate.column_sql`: encoding, length, vocabulary, range, date bounds,
identifier problems); `fast_rows_sql` gives those rows their typed values straight away,
with no problem code. Every other row — one cell in doubt is enough — goes through the
staged SQL as before, which finds every reason. Checks across rows and tables (known
references, cross-column rules, duplicate keys, overlapping periods) run afterwards over
both alike. (For most contracts the loader uses these readings through
`rating.ingest.onepass`, which writes no typed copy of the plain rows at all.)

The promise is exactness, not a heuristic: for a row the predicate accepts, the staged SQL
would give the same values and no problem of the row's own cells
(`tests/test_ingest_fastpath.py` checks both paths on arbitrary mixes of good and bad cells).
A test that is unsure says "not fast"; the price of that is only speed.
"""

from __future__ import annotations

from dataclasses import dataclass

from rating.ingest import validate as v
from rating.schema import FALSE_WORDS, NULL_TOKENS, TRUE_WORDS, Contract, logical_type
from rating.schema.contracts import Column
from rating.schema.tables import SQL_TYPES
from rating.sql import lit, quoted, sql_text

# An integer at most this long is read exactly through the double `parse_int` goes by.
_EXACT_INT_DIGITS = 15


_q = quoted


def _digit_ends(r: str) -> str:
    """SQL true when the cell starts and ends with an ASCII digit: nothing to trim, no null
    token, no Excel error or formula mark (comparing bytes, as `may_trim_at` does). The last
    character is named once (`BETWEEN` computes its operand once; two comparisons had DuckDB
    find `r[-1]` twice): for the one character it is, `<= '9'` is `< ':'`."""
    return f"({r} >= '0' AND {r} < ':' AND {r}[-1] BETWEEN '0' AND '9')"


def _plain_id(r: str) -> str:
    """SQL true for an identifier cell of ASCII letters, digits, `_` and `-` only, not a null
    token and not a number in scientific notation: `cleaning.plain_sql` holds for it (the id
    stays as it is) and no problem of `cleaning.id_problems_sql` can (no space, control
    character or `.`). One regular expression instead of their four; the exponent's only for
    a cell with an `E` or `e` (a CASE branch runs on its rows alone, where `OR` ran the
    expression on every row: 0.01 - 0.03 s of CPU per 340k ids). For a NULL cell the whole
    is NULL, as it was."""
    exponent = f"regexp_full_match({r}, '[0-9]+[Ee][+-]?[0-9]+')"
    return (
        f"(regexp_full_match({r}, '[0-9A-Za-z_-]+') AND {_not_null_token(r)}"
        f" AND CASE WHEN contains({r}, 'E') OR contains({r}, 'e') THEN NOT {exponent} ELSE true END)"
    )


def _not_null_token(r: str) -> str:
    longest = max(len(t.encode()) for t in NULL_TOKENS)  # most cells are longer: one test
    return f"(strlen({r}) > {longest} OR NOT {v._in(r, NULL_TOKENS)})"


def _vocabulary(col: Column) -> list[str] | None:
    """The cells of an enumerated column (its only check `isin`, or a boolean) that are
    clean as they stand: trimmed, not a null token, and a word of the column (directly or
    through a synonym). None for other columns."""
    synonyms: dict[str, str] = col.metadata["synonyms"]
    if logical_type(col) == "bool":
        allowed = {*TRUE_WORDS, *FALSE_WORDS}
    elif logical_type(col) == "text" and [c.name for c in col.checks] == ["isin"]:
        allowed = set(col.checks[0].statistics["allowed_values"])
    else:
        return None

    def clean(word: str) -> bool:
        ends = (ord(word[0]), ord(word[-1])) if word else (0, 0)
        trims = any(cp <= 32 or 160 <= cp <= 12288 or cp == 65279 for cp in ends)
        damaged = "\ufffd" in word or word.startswith(v.FORMULA_MARK) or word in v.EXCEL_ERRORS
        return not trims and not damaged and word not in NULL_TOKENS

    words = [w for w in sorted({*allowed, *synonyms}) if synonyms.get(w, w) in allowed]
    return [w for w in words if clean(w)]


def _fast_value(r: str, col: Column, identifier: str | None) -> tuple[str, str] | None:
    """(SQL over the non-NULL cell `r` and `@V`, its typed value: true when the cell is clean
    as it stands and reads the cheap way; that value before the final cast), or None when
    this column has no fast reading."""
    dtype = logical_type(col)
    x = v._synonyms(r, col)
    words = None if identifier else _vocabulary(col)
    if identifier:
        if col.metadata["synonyms"]:
            return None
        return _plain_id(r), r
    if words is not None:
        value = v._in(x, TRUE_WORDS) if dtype == "bool" else x
        return v._in(r, words), value
    if dtype == "text":
        return _text_is_clean(r, col), x
    if dtype in ("date", "timestamp"):
        parsed = f"parse_ts_fast({x})"
        reads = f"({_digit_ends(r)} AND NOT contains({r}, '\ufffd') AND @V IS NOT NULL)"
        return reads, f"CAST({parsed} AS DATE)" if dtype == "date" else parsed
    if dtype == "int":  # canonical: the integer written back is the cell
        reads = f"({_digit_ends(r)} AND strlen({x}) <= {_EXACT_INT_DIGITS} AND CAST(@V AS VARCHAR) = {x})"
        return reads, f"TRY_CAST({x} AS BIGINT)"
    if dtype == "decimal":
        # `parse_dec`/`parse_pct` without their repairs: nothing to repair in an ASCII cell
        # without a thousands separator or a percent sign.
        plain = f"strlen({x}) = length({x}) AND NOT contains({x}, ',') AND NOT contains({x}, '%')"
        return (
            f"({_digit_ends(r)} AND {plain} AND @V IS NOT NULL)",
            f"TRY_CAST({x} AS DECIMAL(18,4))",
        )
    return None


def _own_checks(name: str, col: Column, value: str, identifier: str | None) -> list[str]:
    """SQL conditions, each true when the typed `value` (not NULL) fails a check of its own
    column: the same tests and bounds `validate.column_sql` applies (a vocabulary cell has
    passed its `isin` already)."""
    fails = []
    if identifier or _vocabulary(col) is None:
        fails += [v._check_failure(check, value)[0] for check in col.checks]
    if logical_type(col) in ("date", "timestamp"):
        fails.append(f"{value} < DATE '{col.metadata['earliest'].isoformat()}'")
        if not col.metadata["future_ok"]:
            fails.append(f"{value} > {'$today' if logical_type(col) == 'date' else '$now'}")
    return fails


def _text_is_clean(r: str, col: Column) -> str:
    """SQL true when the non-NULL text cell `r` needs no trim, is no null token and shows no
    damage (`validate._cell_problems`)."""
    empty = f"{r} <> ''" if col.metadata["free_text"] else _not_null_token(r)
    return (
        f"(NOT may_trim_at({r}) AND NOT may_trim_end({r}) AND NOT contains({r}, '\ufffd')"
        f" AND {empty} AND strlen({r}) <= {v.MAX_CELL_CHARS})"
    )


def _damage_marks(r: str, traits: v.FileTraits) -> str:
    """SQL true when the file may hold formulas without value or Excel errors and `r` is one."""
    tests = []
    if "formulas" in traits.marks:
        tests.append(f"starts_with({r}, '{v.FORMULA_MARK}')")
    if "excel_errors" in traits.marks:
        tests.append(v._in(r, v.EXCEL_ERRORS))
    return " OR ".join(tests) or "false"


@dataclass(frozen=True)
class FastCell:
    """The fast reading of one column."""

    ok: str  # SQL over the raw cell and its typed value (`f__<name>`): the cell is clean
    value: str  # SQL over the raw cell: its final value when it is


def _column(
    name: str, col: Column, raw: str | None, identifier: str | None, traits: v.FileTraits
) -> FastCell | None:
    """The fast reading of column `name`, or None when its cells never have one (a required
    column the file lacks, a column without a cheap reading)."""
    target = SQL_TYPES[logical_type(col)]
    default = col.metadata["default"]
    empty_value = f"CAST({sql_text(lit(default))} AS {target})"
    required = default is None and not col.nullable
    if raw is None:
        return None if required else FastCell("true", empty_value)
    empty_ok = "false" if required else "true"
    if col.metadata["personal"]:  # kept only as a keyed hash: the staged path does that
        return FastCell(f"({raw} IS NULL AND {empty_ok})", f"NULL::{target}")
    fast = _fast_value(raw, col, identifier)
    if fast is None:
        return None
    reads, parsed = fast
    f = _q(f"f__{name}")
    failing = _own_checks(name, col, f, identifier)
    passes = " AND ".join(f"NOT coalesce({c}, true)" for c in failing) or "true"
    ok = f"({reads.replace('@V', f)} AND NOT ({_damage_marks(raw, traits)}) AND {passes})"
    return FastCell(
        f"CASE WHEN {raw} IS NULL THEN {empty_ok} ELSE coalesce({ok}, false) END",
        f"CASE WHEN {raw} IS NULL THEN {empty_value} ELSE CAST({parsed} AS {target}) END",
    )


def fast_columns(
    contract: Contract, mapping: v.Mapping, traits: v.FileTraits
) -> dict[str, FastCell] | None:
    """Each column's fast reading (`FastCell`), or None when a column has none (then no row
    of this file can be fast)."""
    out = {}
    for name, col in contract.columns.items():
        raw = mapping.source.get(name, (None, ""))[0]
        one = _column(name, col, raw, contract.identifier(name), traits)
        if one is None:
            return None
        out[name] = one
    return out


def fast_table_sql(contract: Contract, mapping: v.Mapping, traits: v.FileTraits) -> str | None:
    """SELECT over the raw table giving every row the columns `validate.own_checks_sql` gives
    (`_rid`, `_line`, `_sheet`, the typed values, error codes, `x__…` repairs) as if each cell
    were clean — values read the cheap way, no problem code, no repair — and `_fast`: true
    when they are (every cell clean: see the module doc). One pass, each value read once.
    None when no row of this file can be fast (a required column is missing, a column has no
    fast reading). Uses `$today` and `$now` (the FUTURE_DATE bound)."""
    columns = fast_columns(contract, mapping, traits)
    if columns is None:
        return None
    typed = ", ".join(f"{c.value} AS {_q('f__' + n)}" for n, c in columns.items())
    values = ", ".join(f"{_q('f__' + n)} AS {_q(n)}" for n in columns)
    errors = ", ".join(f"NULL::VARCHAR AS {v.error_column(n)}" for n in columns)
    changes = "".join(
        f", NULL::VARCHAR[] AS {_q('x__' + n)}"
        for n in contract.columns
        if contract.identifier(n) and n in mapping.source
    )
    clean = " AND ".join(c.ok for c in columns.values())
    return (
        f"SELECT _rid, _line, _sheet, {values}, {errors}{changes}, {clean} AS _fast "
        f"FROM (SELECT v.*, {typed} FROM raw AS v) AS v"
    )


@dataclass(frozen=True)
class CheckSteps:
    """The statements that fill temp table `checked` the fast way, in three groups.

    `typed` types every row in one pass; `doubtful` sets apart the rows with a cell in doubt
    (its row count is their number); `staged` finds every reason in those rows and updates
    them in place — run only when there are any (a clean file, the common case, skips the
    widest statements of ingest: ~20–200 ms of DuckDB planning each on a small file); `after`
    runs the checks across tables and columns over all rows and drops the helper tables. A
    pair is a slow-date table's CREATE and the UPDATE to run when it found cells
    (`validate.slow_dates_sql`)."""

    typed: str
    doubtful: str
    staged: list[str | tuple[str, str]]
    after: list[str]


def check_records_sql(
    contract: Contract, mapping: v.Mapping, traits: v.FileTraits
) -> CheckSteps | None:
    """The statements that fill temp table `checked` (`validate.check_sql`'s rows, in the raw
    table's order) from the raw table, the fast way: every row typed in one pass, the rows
    with a cell in doubt (`doubtful`) updated in place with what the staged SQL finds in
    them, then the checks across tables and columns over all rows. None when no row of the
    file can be fast (then `check_sql` over the whole raw table, as before). Uses `$today`,
    `$now`, `$watermark`."""
    fast = fast_table_sql(contract, mapping, traits)
    if fast is None:
        return None
    doubtful = "(SELECT r.* FROM raw AS r SEMI JOIN doubtful AS d ON d._rid = r._rid)"
    relational = v.relational_update_sql(contract)
    return CheckSteps(
        typed=f"CREATE OR REPLACE TEMP TABLE checked AS {fast}",
        doubtful="CREATE OR REPLACE TEMP TABLE doubtful AS SELECT _rid FROM checked WHERE NOT _fast",
        staged=[
            *v.slow_dates_sql(contract, mapping, doubtful, traits),
            f"CREATE OR REPLACE TEMP TABLE doubtful_staged AS {v.own_checks_sql(contract, mapping, doubtful, traits)}",
            *_update_doubtful_sql(contract, mapping, traits),
            "DROP TABLE doubtful_staged",
        ],
        after=[*([relational] if relational else []), "DROP TABLE doubtful"],
    )


def _update_doubtful_sql(contract: Contract, mapping: v.Mapping, traits: v.FileTraits) -> list[str]:
    """UPDATEs giving the doubtful rows of `checked` what the staged SQL found (temp table
    `doubtful_staged`), in place, so that `checked` keeps the raw table's order and loading
    needs no sort (deleting them and inserting the staged rows put them last). DuckDB moves
    a row whose list column is updated to the end, so the repair lists (NULL in every fast
    row) are set only where the staged SQL made one; the loader sorts when a row moved."""
    staged = v._staged(contract, mapping, traits)
    sets = [f"{_q(n)} = s.{_q(n)}" for n in contract.columns]
    sets += [f"{v.error_column(n)} = s.{v.error_column(n)}" for n in contract.columns]
    match = "FROM doubtful_staged AS s WHERE c._rid = s._rid"
    statements = [f"UPDATE checked AS c SET {', '.join(sets)} {match}"]
    repaired = [
        _q("x__" + n)
        for n in contract.columns
        if contract.identifier(n) and n in mapping.source and staged[n].changes is not None
    ]
    if repaired:
        lists = ", ".join(f"{x} = s.{x}" for x in repaired)
        made = " OR ".join(f"s.{x} IS NOT NULL" for x in repaired)
        statements.append(f"UPDATE checked AS c SET {lists} {match} AND ({made})")
    return statements


__all__ = ["CheckSteps", "FastCell", "check_records_sql", "fast_columns", "fast_table_sql"]
