"""`trim_ends(t, t[-1])` (the check stage's trim, its last character computed once) gives
exactly what `fast_trim(t)` gives, for every cell: the same test of the first and the last
character done by comparing UTF-8 bytes instead of decoding code points (issue 21)."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from rating.schema.macros import _TRIMMED, PARSE_MACROS
from tests.factories import examples

# Every character the trims remove or test the bounds of, and ordinary text around them.
EDGES = [chr(c) for c in (0, 1, 9, 10, 13, 31, 32, 33, 127, 159, 160, 161, 5760, 8192, 8202)]
EDGES += [chr(c) for c in (8203, 8205, 8239, 8287, 8288, 12287, 12288, 12289, 65279, 65280)]
EDGES += ["a", "1", "物", "业", "\ufffd", "😀", "\U0010fffd", "-", "#"]

# Random cells mixing those characters with any other (no lone surrogates: not UTF-8).
CELLS = st.lists(
    st.text(
        alphabet=st.sampled_from(EDGES) | st.characters(blacklist_categories=("Cs",)),
        max_size=8,
    ),
    max_size=40,
)


def _edge_cells(*extra: str | None) -> list[str | None]:
    """`extra`, then every edge character alone, at either end of text, around text, twice."""
    cells = [*extra]
    for a in EDGES:
        cells += [a, a + "x", "x" + a, a + "物业" + a, a + a]
    return cells


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for macro in PARSE_MACROS:
        con.execute(macro)
    # `fast_trim` as it was before its last character was tested with `may_trim_end`
    con.execute(
        "CREATE MACRO decoded_trim(t) AS CASE WHEN may_trim(ord(t)) OR may_trim(ord(t[-1])) "
        f"THEN trim(t, {_TRIMMED}) ELSE t END"
    )
    return con


CON = _con()


def _both(cells: list[str | None]) -> list[tuple[str | None, str | None]]:
    return CON.execute(
        """SELECT fast_trim(t), trim_ends(t, l) FROM
           (SELECT t, t[-1] AS l FROM (SELECT unnest($cells::VARCHAR[]) AS t))""",
        {"cells": cells},
    ).fetchall()


def test_every_edge_character_alone_at_either_end_and_both() -> None:
    for old, new in _both(_edge_cells(None, "", "  ", "物业")):
        assert old == new


@settings(max_examples=examples(300), deadline=None)
@given(CELLS)
def test_trim_ends_equals_fast_trim(cells: list[str]) -> None:
    for old, new in _both(list(cells)):
        assert old == new


def _ends(cells: list[str | None]) -> list[tuple[object, ...]]:
    """Per cell: the old and new `fast_trim`, and for a non-empty cell the last character
    tested by decoding (`may_trim_at(t[-1])`, `may_trim(ord(t[-1]))`) and by `may_trim_end`."""
    return CON.execute(
        """SELECT decoded_trim(t), fast_trim(t),
                  CASE WHEN t <> '' THEN may_trim_at(t[-1]) END,
                  CASE WHEN t <> '' THEN may_trim(ord(t[-1])) END,
                  CASE WHEN t <> '' THEN may_trim_end(t) END
           FROM (SELECT unnest($cells::VARCHAR[]) AS t)""",
        {"cells": cells},
    ).fetchall()


def test_may_trim_end_is_the_decoded_test_of_the_last_character() -> None:
    cells = _edge_cells(None, "", "  ", "物业", "a\n", "\na", "e\u0301", "\u2764\ufe0f")
    for old, new, at, decoded, end in _ends(cells):
        assert old == new
        assert at == decoded == end


@settings(max_examples=examples(300), deadline=None)
@given(CELLS)
def test_may_trim_end_equals_decoding(cells: list[str]) -> None:
    for old, new, at, decoded, end in _ends(list(cells)):
        assert old == new
        assert at == decoded == end


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from([*EDGES, "0", "9", ":", "/"]) | st.characters(), max_size=6
        ),
        max_size=40,
    )
)
def test_last_digit_between_equals_two_comparisons(cells: list[str]) -> None:
    """`fastpath._digit_ends` tests the last character with one BETWEEN."""
    cells = [c for c in cells if not any(0xD800 <= ord(x) <= 0xDFFF for x in c)]
    pairs = CON.execute(
        """SELECT t[-1] >= '0' AND t[-1] < ':', t[-1] BETWEEN '0' AND '9'
           FROM (SELECT unnest($cells::VARCHAR[]) AS t)""",
        {"cells": [*cells, "", "0", "9", ":", "/", "a9", "9a", None]},
    ).fetchall()
    for old, new in pairs:
        assert old == new


def _suspects(cells: list[str | None]) -> list[tuple[object, object]]:
    """Per cell: `nondata.suspect_sql` and the test it replaced (the key cell trimmed, then
    empty or starting with a total / note word)."""
    from rating.ingest.nondata import NOTE_WORDS, TOTAL_WORDS, _starts, suspect_sql

    old = f"t IS NULL OR fast_trim(t) = '' OR ({_starts('fast_trim(t)', TOTAL_WORDS + NOTE_WORDS)})"
    return CON.execute(
        f"SELECT {old}, {suspect_sql('t')} FROM (SELECT unnest($cells::VARCHAR[]) AS t)",
        {"cells": cells},
    ).fetchall()


WORDS = ["合计", "总计", "小计", "共计", "总数", "注", "说明", "统计时间", "合", "计", "数据"]


def test_suspect_key_at_every_edge() -> None:
    cells: list[str | None] = [None, "", "  ", "物业", "合计", " 合计 ", "\u3000说明：", "x合计"]
    for a in EDGES:
        for w in WORDS:
            cells += [a, a + w, w + a, a + w + a, a + a + w, w + "x" + a]
    for old, new in _suspects(cells):
        assert old == new


@settings(max_examples=examples(300), deadline=None)
@given(
    st.lists(
        st.lists(
            st.sampled_from(EDGES + WORDS)
            | st.text(st.characters(blacklist_categories=("Cs",)), max_size=2),
            max_size=5,
        ).map("".join),
        max_size=40,
    )
)
def test_suspect_key_equals_trimmed_test(cells: list[str]) -> None:
    for old, new in _suspects(list(cells)):
        assert old == new
