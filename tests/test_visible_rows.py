"""`warehouse.visible_rows`: the rows of a source a run sees at a watermark (and correction
batches), against the plain anti join it replaced — every row's key looked up in
`supersessions` — on random batches, corrections, watermarks and extra batches."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from rating.schema import CONTRACTS
from rating.warehouse import key_sql, visible_rows
from tests.factories import examples

INSPECTIONS = CONTRACTS["inspections"]  # a two-column key: (inspection_id, item_no)


def _reference(extras: bool) -> str:
    """The anti join over every row (the formulation before issue 21, session 6)."""
    seen_row, seen_fix = "s._batch <= $watermark", "x.new_batch <= $watermark"
    if extras:
        seen_row = f"({seen_row} OR list_contains($extra_batches, s._batch))"
        seen_fix = f"({seen_fix} OR list_contains($extra_batches, x.new_batch))"
    return f"""src_inspections s
        ANTI JOIN (SELECT x.old_batch, x.key FROM supersessions x
                   WHERE x.kind = 'inspections' AND {seen_fix}) q
          ON q.old_batch = s._batch AND q.key = {key_sql(INSPECTIONS, "s")}
        WHERE {seen_row}"""


rows_st = st.lists(
    st.tuples(st.integers(1, 5), st.sampled_from("ABC"), st.integers(1, 2)), max_size=25
)
fixes_st = st.lists(
    st.tuples(st.sampled_from(["inspections", "complaints"]), st.sampled_from("ABC"),
              st.integers(1, 2), st.integers(1, 5), st.integers(1, 6)),
    max_size=8,
)  # fmt: skip


@settings(max_examples=examples(60), deadline=None)
@given(rows_st, fixes_st, st.integers(0, 6), st.lists(st.integers(1, 6), max_size=2))
def test_visible_rows_are_those_of_the_full_anti_join(
    src: list[tuple[int, str, int]],
    fixes: list[tuple[str, str, int, int, int]],
    watermark: int,
    extra: list[int],
) -> None:
    con = duckdb.connect()
    con.execute("""CREATE TABLE src_inspections (inspection_id VARCHAR, item_no INTEGER,
                   _batch INTEGER NOT NULL, _row BIGINT)""")
    con.execute("""CREATE TABLE supersessions (kind VARCHAR NOT NULL, key VARCHAR NOT NULL,
                   old_batch INTEGER NOT NULL, new_batch INTEGER NOT NULL)""")
    for i, (batch, ident, item) in enumerate(src):
        con.execute("INSERT INTO src_inspections VALUES (?, ?, ?, ?)", [ident, item, batch, i])
    for kind, ident, item, old, new in fixes:
        key = f"{ident}\x1f{item}"
        con.execute("INSERT INTO supersessions VALUES (?, ?, ?, ?)", [kind, key, old, new])
    params = {"watermark": watermark, "extra_batches": extra}
    for extras in (False, True):
        found = sorted(con.execute(
            f"SELECT s._row FROM {visible_rows(INSPECTIONS, extras=extras)}",
            {k: v for k, v in params.items() if extras or k == "watermark"},
        ).fetchall())  # fmt: skip
        want = sorted(con.execute(
            f"SELECT s._row FROM {_reference(extras)}",
            {k: v for k, v in params.items() if extras or k == "watermark"},
        ).fetchall())  # fmt: skip
        assert found == want
