"""What a run does to be fast without changing a byte (issue 21): its temp-table steps
trigger no automatic checkpoint (the setting is the caller's again afterwards), the checkpoint
that writes its results re-packs no earlier row groups, and its input fingerprints add sums
kept per batch at ingest — the row-by-row figures exactly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from rating.analysis import integrity
from rating.audit.replay import replay
from rating.engine import history, inputs, runner, scope
from rating.engine.context import OPEN_START, RunContext, window_start
from rating.ingest.corrections import supersede
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.schema import CONTRACTS, fingerprints
from rating.sql import rows, value
from rating.warehouse import transaction, visible_rows, watermark
from tests.factories import RULES_DIR, load, settings_for
from tests.golden import scenarios
from tests.test_integrity import small_bureau

Q3 = Period.parse("2025Q3")
THRESHOLD = "SELECT current_setting('checkpoint_threshold')"


def test_compute_defers_automatic_checkpoints_and_restores_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    con, settings, _ = load(scenarios.yantai(), tmp_path, settings_for(tmp_path))
    rs = load_ruleset(RULES_DIR, "yantai-2022@1.0.0")
    ctx = runner.fresh_context(con, rs, Q3, settings.current_time(), forced=True)
    con.execute("SET checkpoint_threshold = '1 MiB'")
    before = value(con, THRESHOLD)
    seen: list[str] = []
    build_units = scope.build_units

    def spy(con_: object, ctx_: object) -> int:
        seen.append(str(value(con, THRESHOLD)))
        return build_units(con_, ctx_)  # type: ignore[arg-type]

    monkeypatch.setattr(scope, "build_units", spy)
    runner.compute(con, ctx)
    assert seen and "TiB" in seen[0]  # no automatic checkpoint inside the steps
    assert value(con, THRESHOLD) == before

    def broken(con_: object, ctx_: object) -> int:
        raise RuntimeError("a step failed")

    monkeypatch.setattr(scope, "build_units", broken)
    with pytest.raises(Exception, match="a step failed"):
        runner.compute(con, ctx)
    assert value(con, THRESHOLD) == before


def test_the_checkpoint_after_a_run_merges_no_row_groups(tmp_path: Path) -> None:
    """`warehouse.appending_results`: DuckDB's vacuum tasks re-packed earlier runs' partly
    filled row groups at every run's checkpoint; a run's connection turns them off, and the
    results read back are the ones the digest was taken of."""
    con, settings, _ = load(scenarios.yantai(), tmp_path, settings_for(tmp_path))
    rs = load_ruleset(RULES_DIR, "yantai-2022@1.0.0")
    assert int(value(con, "SELECT current_setting('max_vacuum_tasks')")) > 0
    first = runner.execute_run(con, settings, rs, Q3, forced=True)
    assert int(value(con, "SELECT current_setting('max_vacuum_tasks')")) == 0
    second = runner.execute_run(con, settings, rs, Q3, forced=True)
    con.execute("CHECKPOINT")
    assert first.results_sha256 == second.results_sha256
    assert replay(con, settings, first.run_id).status == "MATCH"


# --- input fingerprints from the sums kept per batch (rating.schema.fingerprints) ---


def _fingerprints_both_ways(con: Any, ctx: RunContext) -> tuple[dict[str, Any], dict[str, Any]]:
    return inputs.input_fingerprints(con, ctx), inputs.input_fingerprints(con, ctx, stored=False)


def test_stored_batch_sums_give_the_row_by_row_fingerprints(tmp_path: Path) -> None:
    """Held complaints, a corrected batch, a correction seen only as an extra batch, a batch
    without stored sums: the run's figures are the row-by-row ones each time."""
    con, settings, _ = load(small_bureau(), tmp_path)
    rs = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    assert value(con, f"SELECT count(*) FROM {fingerprints.TABLE}") > 0
    fresh = runner.fresh_context(con, rs, Q3, settings.current_time(), forced=True)
    stored, hashed = _fingerprints_both_ways(con, fresh)
    assert stored == hashed and stored["complaints"]["rows"] > 10
    integrity.scan(con, settings, Q3)  # holds some complaints out of scope
    held = runner.fresh_context(con, rs, Q3, settings.current_time(), forced=True)
    stored, hashed = _fingerprints_both_ways(con, held)
    assert stored == hashed and stored["complaints"] != _fingerprints_both_ways(con, fresh)[0]
    with transaction(con):
        batch = supersede(con, settings, "complaints", ["A4"], {"content": "改正"}, "test")
    corrected = runner.fresh_context(con, rs, Q3, settings.current_time(), forced=True)
    assert _fingerprints_both_ways(con, corrected)[0] == _fingerprints_both_ways(con, corrected)[1]
    extra = replace(held, extra_batches=(batch,))
    assert _fingerprints_both_ways(con, extra)[0] == _fingerprints_both_ways(con, extra)[1]
    con.execute(f"DELETE FROM {fingerprints.TABLE} WHERE kind = 'complaints' AND batch_id = 1")
    assert _fingerprints_both_ways(con, corrected)[0] == _fingerprints_both_ways(con, corrected)[1]


def _row_by_row_span(con: Any, rs: Any, period: Period) -> history.DataSpan:
    """`history.data_span` as it was: every visible row's date read."""
    first: list[Any] = []
    registers: list[Any] = []
    count = 0
    for kind in rs.sources():
        start = min(window_start(c.rule.window, period) for c in rs.rules if c.rule.source == kind)
        day, n = rows(
            con,
            f"""SELECT min(s._date), count(*) FILTER (WHERE s._date BETWEEN $start AND $end)
                FROM {visible_rows(CONTRACTS[kind])}""",
            {"watermark": watermark(con), "start": start, "end": period.end},
        )[0]
        if day is not None:
            (registers if start == OPEN_START else first).append(day)
        count += int(n)
    every = first + registers
    return history.DataSpan(
        min(first or registers) if every else None, count, min(every, default=None), watermark(con)
    )


def test_data_span_from_stored_day_counts_is_the_row_by_row_one(tmp_path: Path) -> None:
    """The first record and the records in scope, from the rows kept per batch and day: the
    same as reading every row's date — fresh, with a corrected batch, without stored sums."""
    con, settings, _ = load(small_bureau(), tmp_path)
    rs = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    periods = [Q3, Period.parse("2025Q1"), Period.parse("2020Q1"), Period.parse("2030Q4")]

    def same() -> None:
        for p in periods:
            assert history.data_span(con, rs, p, watermark(con)) == _row_by_row_span(con, rs, p)

    same()
    assert history.data_span(con, rs, Q3, watermark(con)).in_scope > 10
    with transaction(con):
        supersede(con, settings, "complaints", ["A4"], {"content": "改正"}, "test")
    same()
    con.execute(f"DELETE FROM {fingerprints.TABLE} WHERE kind = 'complaints' AND batch_id = 1")
    same()
    con.execute(f"DELETE FROM {fingerprints.TABLE}")
    same()


def test_backfill_stores_what_ingest_stored_and_drops_outdated_sums(tmp_path: Path) -> None:
    con, settings, _ = load(small_bureau(), tmp_path)
    table = f"SELECT * FROM {fingerprints.TABLE} ORDER BY ALL"
    at_ingest = rows(con, table)
    con.execute(
        f"UPDATE {fingerprints.TABLE} SET signature = 'older-duckdb' WHERE kind = 'projects'"
    )
    con.execute(f"DELETE FROM {fingerprints.TABLE} WHERE kind = 'complaints'")
    for ddl in fingerprints.backfill_ddl():
        con.execute(ddl)
    assert rows(con, table) == at_ingest


def test_a_row_edited_in_place_after_ingest_fails_the_replay(tmp_path: Path) -> None:
    """The stored sums are the rows as they arrived: a run over a row edited since records
    them, and its replay, which hashes every row again, names the input as changed."""
    con, settings, _ = load(small_bureau(), tmp_path)
    rs = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    con.execute("UPDATE src_complaints SET content = content || '。' WHERE complaint_id = 'A5'")
    made = runner.execute_run(con, settings, rs, Q3)
    report = replay(con, settings, made.run_id)
    assert report.status == "MISMATCH"
    assert any("input 'complaints'" in d for d in report.differences)
