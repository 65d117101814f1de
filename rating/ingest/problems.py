"""Quarantine rows: one per problem of a checked record, with where and what was found.

Split from `rating.ingest.validate` (which checks the records) to keep both small.
"""

from __future__ import annotations

from rating.ingest.cleaning import character_note_sql, cleaned_id_sql
from rating.ingest.validate import (
    FORMULA_MARK,
    FileTraits,
    Mapping,
    _q,
    clean_rows,
    error_column,
)
from rating.schema import Contract
from rating.sql import lit, sql_text

_BOUND_SIGNS = {
    "greater_than": ">",
    "greater_than_or_equal_to": "≥",
    "less_than": "<",
    "less_than_or_equal_to": "≤",
}


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def range_text(column: object) -> str | None:
    """The range a column allows, in signs every language reads: `0–100` (both ends
    allowed), else `> 0`, `≤ 100` …; None when it has no bound. From the contract's own
    checks (pandera in_range / greater_than …), the same the validation SQL applies."""
    parts = []
    for check in getattr(column, "checks", []) or []:
        stats = check.statistics
        if check.name == "in_range" and stats["include_min"] and stats["include_max"]:
            parts.append(f"{_number(stats['min_value'])}–{_number(stats['max_value'])}")
        elif check.name == "in_range":
            low = "≥" if stats["include_min"] else ">"
            high = "≤" if stats["include_max"] else "<"
            parts.append(
                f"{low} {_number(stats['min_value'])}, {high} {_number(stats['max_value'])}"
            )
        elif check.name in _BOUND_SIGNS:
            key = "min_value" if "greater" in check.name else "max_value"
            parts.append(f"{_BOUND_SIGNS[check.name]} {_number(stats[key])}")
    return ", ".join(parts) or None


def _range_sql(contract: Contract) -> str:
    """SQL: the allowed range of the problem's field (`p.field`), for OUT_OF_RANGE."""
    whens = [
        f"WHEN {sql_text(lit(n))} THEN {sql_text(lit(text))}"
        for n, col in contract.columns.items()
        if (text := range_text(col)) is not None
    ]
    return f"CASE p.field {' '.join(whens)} END" if whens else "NULL::VARCHAR"


def _detail_sql(traits: FileTraits, codes: set[str], contract: Contract | None = None) -> str:
    """SQL over a problem (`p.code`, `value`) saying what exactly was found, or NULL: the
    readings of an ambiguous date, the character an id may not hold. Only for the `codes`
    present (the date readings are a large expression to plan)."""
    whens = []
    if "AMBIGUOUS_DATE" in codes:
        readings = f"when_readings(fast_trim(value), {sql_text(lit(traits.zone))})"
        whens.append(f"WHEN 'AMBIGUOUS_DATE' THEN {readings}")
    if "BAD_CHARACTER" in codes:
        note = character_note_sql(cleaned_id_sql("fast_trim(value)", "id"))
        whens.append(f"WHEN 'BAD_CHARACTER' THEN {note}")
    if "OUT_OF_RANGE" in codes and contract is not None:
        whens.append(f"WHEN 'OUT_OF_RANGE' THEN {_range_sql(contract)}")
    return f"CASE p.code {' '.join(whens)} END" if whens else "NULL::VARCHAR"


def codes_sql(contract: Contract, table: str = "checked") -> str:
    """The distinct problem codes of the checked records, as one list."""
    errors = ", ".join(error_column(n) for n in contract.columns)
    return f"SELECT list(DISTINCT e) FROM (SELECT unnest([{errors}]) AS e FROM {table} WHERE NOT ({clean_rows(contract)}))"


def problems_sql(
    contract: Contract,
    mapping: Mapping,
    table: str = "checked",
    raw_table: str = "raw",
    traits: FileTraits = FileTraits(),  # noqa: B008 - frozen, never changed
    codes: frozenset[str] = frozenset(),
) -> str:
    """One row per problem: row id, line, sheet index, header, field, code, what exactly
    was found (`detail`, or NULL, for the `codes` named), the raw cell and the raw record
    as JSON."""
    headers = " ".join(
        f"WHEN {sql_text(lit(n))} THEN {sql_text(lit(mapping.source.get(n, (None, col.title or n))[1]))}"
        for n, col in contract.columns.items()
    )
    personal = {n for n, col in contract.columns.items() if col.metadata["personal"]}

    def cell(name: str, raw: str) -> str:  # a personal cell is masked wherever it is shown
        shown = f"replace(r.{raw}, '{FORMULA_MARK}', '')"
        return f"mask_id({shown})" if name in personal else shown

    cells = " ".join(
        f"WHEN {sql_text(lit(n))} THEN {cell(n, raw)}" for n, (raw, _) in mapping.source.items()
    )
    raw_json = (
        "to_json(struct_pack("
        + ", ".join(
            f"{_q(h)} := {cell(n, c)}"
            for n, (c, h) in sorted(mapping.source.items(), key=lambda kv: kv[1][0])
        )
        + "))"
    )
    errors = ", ".join(f"{error_column(n)} AS {_q(n)}" for n in contract.columns)
    return f"""SELECT *, {_detail_sql(traits, set(codes), contract)} AS detail FROM (
               SELECT p._rid, p._line AS line, p._sheet AS sheet,
                      CASE p.field {headers} END AS header, p.field, p.code,
                      CASE p.field {cells or "WHEN NULL THEN NULL"} END AS value, {raw_json} AS raw
               FROM (SELECT _rid, _line, _sheet, {errors} FROM {table}
                     WHERE NOT ({clean_rows(contract)})) e
               UNPIVOT (code FOR field IN ({", ".join(_q(n) for n in contract.columns)})) p
               JOIN {raw_table} r ON r._rid = p._rid) p"""
