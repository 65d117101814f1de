"""What in a file is not a record of the kind: how headers are recognised, which rows are
not data (skipped and counted by reason), and what was cleaned (counted by kind).

A row is *not data* when its key cell is empty and it is blank (nothing but separators or
spaces in the columns of the kind: what Excel leaves when rows are deleted), a total row (a cell starting 合计/总计/小计/共计),
or a note below the data (注、说明、备注、制表、审核、填表、打印、导出、数据来源 …). Such rows
are skipped, counted by reason in `rows_skipped`, and never loaded or quarantined; a row
with its key present is always a record, whatever else it holds.
"""

from __future__ import annotations

import re

import duckdb

from rating.ingest.sheets import KindProbe
from rating.ingest.validate import Mapping
from rating.schema import CONTRACTS, Contract, normalise_header
from rating.schema.macros import TRIMMED_CLASS
from rating.sql import rows, text_literal

TOTAL_WORDS = ("合计", "总计", "小计", "共计", "总数")
NOTE_WORDS = ("注", "说明", "备注", "制表", "审核", "填表", "打印", "导出", "数据来源", "统计时间")


def required_columns(contract: Contract, found: set[str]) -> list[str]:
    """Required columns of the kind not in `found` (a matched kind also needs a project id
    or the column it is matched by)."""
    missing = [
        n
        for n, c in contract.columns.items()
        if not c.nullable and c.metadata["default"] is None and n not in found
    ]
    if contract.matched_by and not ({"project_id", contract.matched_by} & found):
        missing.append("project_id")
    return missing


def kind_probe(contract: Contract) -> KindProbe:
    """How a header row is recognised as one of this kind's (or of another kind)."""
    known = contract.header_map()

    def found(cells: list[str]) -> set[str]:
        return {known[h] for h in (normalise_header(c) for c in cells) if h in known}

    def other(cells: list[str]) -> str | None:
        normalised = {normalise_header(c) for c in cells}
        best, best_score = None, 0
        for kind, c in CONTRACTS.items():
            score = len(normalised & set(c.header_map()))
            if kind != contract.kind and score > best_score and not required_columns(c, {c.header_map()[h] for h in normalised if h in c.header_map()}):  # fmt: skip
                best, best_score = kind, score
        return best

    return KindProbe(
        score=lambda cells: len(found(cells)),
        fits=lambda cells: not required_columns(contract, found(cells)),
        other=other,
    )


def _starts(cell: str, words: tuple[str, ...]) -> str:
    """SQL true when `cell` starts with one of `words`: one anchored regular expression (RE2),
    so `cell` (often a `fast_trim(...)` macro) is bound once — a chain of `starts_with` bound
    it once per word, ~15 ms of planning per file, and ran a third slower over 1M rows."""
    pattern = "^(?:" + "|".join(re.escape(w) for w in words) + ")"
    return f"regexp_matches({cell}, {text_literal(pattern)})"


def suspect_sql(cell: str) -> str:
    """SQL true when the key `cell` is empty, or holds the total / note label itself (no id
    starts with 合计): NULL, nothing but what `fast_trim` removes, or one of the words after
    such characters. One anchored RE2 test of the cell as it is: the same answer as
    `fast_trim(cell) = '' OR <starts with a word>(fast_trim(cell))` (a word holds none of
    those characters, so what `fast_trim` removes at the end never decides it), without
    trimming every cell twice (0.08 – 0.14 s of CPU per 340k rows)."""
    words = "|".join(re.escape(w) for w in TOTAL_WORDS + NOTE_WORDS)
    pattern = f"^{TRIMMED_CLASS}*(?:$|{words})"
    return f"{cell} IS NULL OR regexp_matches({cell}, {text_literal(pattern)})"


def skip_non_data(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    mapping: Mapping,
    width: int,
    table: str = "raw",
) -> dict[str, int]:
    """Delete the rows of `table` that are not data; returns how many, by reason."""
    key = contract.key[0]
    if key not in mapping.source or width == 0:
        return {}
    raw_key = mapping.source[key][0]
    # The columns of the kind (and the first, where totals are labelled), in file order: a
    # row holding nothing in them holds no record (and a file may have thousands of others).
    used = sorted({0, *(int(c[1:]) for c, _ in mapping.source.values())})
    cells = [f"nullif(trim(c{i}), '')" for i in used]
    blank = f"coalesce({', '.join(cells)}) IS NULL"
    first = f"trim(coalesce({', '.join(cells)}))"
    reason = (
        f"CASE WHEN {blank} THEN 'blank' WHEN {_starts(first, TOTAL_WORDS)} THEN 'total' "
        f"WHEN {_starts(first, NOTE_WORDS)} THEN 'note' END"
    )
    suspect = suspect_sql(raw_key)
    # The suspect rows first, in a table of their own: in one query DuckDB pushes
    # `reason IS NOT NULL` into the scan and trims all cells of every row, not of the few.
    # Without any (most files), binding the reasons' expression is not worth its ~10 ms.
    suspects = con.execute(
        f"CREATE OR REPLACE TEMP TABLE nondata_suspects AS SELECT * FROM {table} WHERE {suspect}"
    ).fetchall()[0][0]
    if not suspects:
        con.execute("DROP TABLE nondata_suspects")
        return {}
    candidates = f"(SELECT _rid, {reason} AS reason FROM nondata_suspects)"
    found = dict(
        rows(
            con,
            f"SELECT reason, count(*) FROM {candidates} WHERE reason IS NOT NULL GROUP BY 1 ORDER BY 1",
        )
    )
    if found:
        con.execute(
            f"DELETE FROM {table} WHERE _rid IN (SELECT _rid FROM {candidates} WHERE reason IS NOT NULL)"
        )
    con.execute("DROP TABLE nondata_suspects")
    return {str(k): int(v) for k, v in found.items()}


def normalised_counts(
    con: duckdb.DuckDBPyConnection, contract: Contract, mapping: Mapping, table: str = "checked"
) -> dict[str, int]:
    """How many identifier cells needed each kind of repair (`rating.ingest.cleaning`)."""
    names = [n for n in contract.columns if contract.identifier(n) and n in mapping.source]
    if not names:
        return {}
    lists = " UNION ALL ".join(
        f'SELECT unnest("x__{n}") AS k FROM {table} WHERE "x__{n}" IS NOT NULL' for n in names
    )
    return {
        str(k): int(v)
        for k, v in rows(con, f"SELECT k, count(*) FROM ({lists}) GROUP BY 1 ORDER BY 1")
    }


__all__ = ["kind_probe", "normalised_counts", "required_columns", "skip_non_data", "suspect_sql"]
