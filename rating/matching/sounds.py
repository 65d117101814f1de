"""Misheard or mistyped: does a one-character difference sound the same?

Call-takers type what they hear: 金秀家园 for 锦绣家园, 杨光花园 for 阳光花园. A stem that
differs from a candidate's in one character is a likely mishearing when the two characters
share a reading (pinyin without tones, any reading of a polyphonic character), and likely a
different compound when they do not (龙湖苑 is not 翠湖苑). Readings come from pypinyin,
looked up once per distinct character of the stem pairs concerned, not per order.
"""

from __future__ import annotations

import duckdb
import polars as pl

from rating.sql import frame, run


def misheard(con: duckdb.DuckDBPyConnection) -> None:
    """`m_misheard(o_stem, c_stem)`: candidate stem pairs one homophone apart (from m_keys,
    m_candidates, m_ref)."""
    from pypinyin import Style, pinyin

    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_one_char AS
        WITH p AS (SELECT DISTINCT k.stem AS o_stem, r.stem AS c_stem
                   FROM m_keys k JOIN m_candidates c USING (key_id) JOIN m_ref r USING (project_id)
                   WHERE length(k.stem) = length(r.stem) AND hamming(k.stem, r.stem) = 1)
        SELECT o_stem, c_stem, substr(o_stem, i, 1) AS o_ch, substr(c_stem, i, 1) AS c_ch
        FROM (SELECT *, unnest(range(1, length(o_stem) + 1)) AS i FROM p)
        WHERE substr(o_stem, i, 1) <> substr(c_stem, i, 1)""",
    )
    chars = frame(
        con,
        """SELECT DISTINCT ch FROM (SELECT o_ch AS ch FROM m_one_char UNION SELECT c_ch FROM m_one_char)
           WHERE regexp_matches(ch, '^\\p{Han}$') ORDER BY ch""",
    )["ch"].to_list()
    readings = [pinyin(ch, style=Style.NORMAL, heteronym=True)[0] for ch in chars]
    table = pl.DataFrame(
        {"ch": chars, "py": [list(r) for r in readings]},
        schema={"ch": pl.Utf8, "py": pl.List(pl.Utf8)},
    ).explode("py")
    con.register("m_pinyin_frame", table)
    try:
        run(
            con,
            """CREATE OR REPLACE TEMP TABLE m_misheard AS
            SELECT DISTINCT o.o_stem, o.c_stem FROM m_one_char o
            JOIN m_pinyin_frame a ON a.ch = o.o_ch JOIN m_pinyin_frame b ON b.ch = o.c_ch AND b.py = a.py""",
        )
    finally:
        con.unregister("m_pinyin_frame")
