"""`rating export`: a run's results, lists, quarantine and evidence as XLSX, CSV and Parquet,
each file carrying the run's provenance."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest

from rating.cli import main
from rating.ingest.reasons import PROBLEM_CODES

# reads a generated city rated two quarters through the CLI: not in `make test-fast`
pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u4e00-\u9fff]")

ENV = {"RATING_NOW": "2026-11-01T09:00:00"}


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture(scope="module")
def rated(generated_city: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = str(tmp_path_factory.mktemp("export") / "w.duckdb")
    with pytest.MonkeyPatch.context() as env:  # the pinned clock does not leak to other modules
        for k, v in ENV.items():
            env.setenv(k, v)
        assert main(["ingest", "--all", str(generated_city), "--db", db, "--json"]) == 0
        for period in ("2026Q2", "2026Q3"):
            assert main(["run", "--period", period, "--with-history", "--db", db, "--json"]) == 0
    return {"db": db, "run": "2026Q3-01"}


def test_xlsx_has_a_provenance_sheet_and_a_sheet_per_table(
    capsys: pytest.CaptureFixture[str], rated: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "q3.xlsx"
    code, done = cli(capsys, "export", "--out", str(out), "--db", rated["db"])
    assert code == 0 and done["files"] == [str(out)]
    _, shown = cli(capsys, "show", rated["run"], "--db", rated["db"])
    sheets = pl.read_excel(out, sheet_id=0)
    assert list(sheets) == ["来源信息", "评定结果", "红黑名单与降级", "隔离区"]
    provenance = {r[0]: r[1] for r in sheets["来源信息"].select(pl.all().cast(pl.Utf8)).rows()}
    assert provenance["results_sha256"] == shown["provenance"]["results_sha256"]
    assert provenance["ruleset"] == "yantai-2022@1.1.3" and provenance["run_id"] == rated["run"]
    results = sheets["评定结果"]
    assert results.height == done["rows"]["results"] == shown["companies_known"]
    assert "统一社会信用代码" in results.columns and results["得分"].dtype == pl.Float64
    lists = sheets["红黑名单与降级"]
    assert lists.height == shown["red"] + shown["black"] + shown["downgrades"]
    # people read words, not codes: 名单 and 定级依据 in Chinese, every entry with its reason
    assert set(lists["名单"]) <= {"红名单", "黑名单", "降级"} and lists["原因"].null_count() == 0
    assert not {"band", "not_rated", "veto"} & set(results["定级依据"])
    assert all(CJK.search(r) for r in results["定级依据"])
    quarantine = sheets["隔离区"]
    assert quarantine.height > 0 and all(CJK.search(m) for m in quarantine["说明"])
    assert set(quarantine["代码"]) <= set(PROBLEM_CODES)  # the codes stay codes


def test_a_workbook_shows_the_score_the_screen_shows(
    capsys: pytest.CaptureFixture[str], rated: dict[str, Any], tmp_path: Path
) -> None:
    """Scores are rounded DOWN everywhere (rating.cli.display.number): the workbook holds the
    floored figure, so Excel cannot round 36.1893 up to 36.19 where the CLI says 36.18; the
    CSV keeps the 4 stored places."""
    from decimal import ROUND_FLOOR, Decimal

    from rating.cli.display import number

    book, flat = tmp_path / "q3.xlsx", tmp_path / "q3.csv"
    for out in (book, flat):
        args = ["export", "--what", "results", "--out", str(out), "--db", rated["db"]]
        assert cli(capsys, *args)[0] == 0
    stored = pl.read_csv(flat, comment_prefix="#", schema_overrides={"score": pl.Utf8})
    exact = {u: Decimal(s) for u, s in stored.select("uscc", "score").rows() if s}
    shown = dict(
        pl.read_excel(book, sheet_name="评定结果").select("统一社会信用代码", "得分").rows()
    )
    cent = Decimal("0.01")
    assert any(v != v.quantize(cent, rounding=ROUND_FLOOR) for v in exact.values())  # can fail
    for uscc, value in exact.items():
        assert Decimal(str(shown[uscc])) == value.quantize(cent, rounding=ROUND_FLOOR)
        assert f"{shown[uscc]:,.2f}" == number(value, 2)


def test_a_red_list_entry_says_why(
    capsys: pytest.CaptureFixture[str], rated: dict[str, Any], tmp_path: Path
) -> None:
    """The engine stores no reason for a red list entry (all meet the same condition): the
    export gives the rule set's red list title."""
    import duckdb

    from rating.audit.export import QUERIES, _red_reason
    from rating.engine import explainer

    with duckdb.connect(rated["db"], read_only=True) as con:
        info = explainer.run_row(con, rated["run"])
        reason = _red_reason(con, info)
        red = con.execute(
            QUERIES["lists"],
            {"run": rated["run"], "red_reason": reason},
        ).fetchall()
    assert reason and reason.startswith("红名单: 信用优秀(AAA)")
    reds = [row for row in red if row[0] == "red"]
    assert reds and all(row[-1] == reason for row in reds)


def test_csv_carries_provenance_in_comment_lines(
    capsys: pytest.CaptureFixture[str], rated: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "q3.csv"
    code, done = cli(
        capsys,
        "export",
        rated["run"],
        "--out",
        str(out),
        "--what",
        "results,evidence",
        "--db",
        rated["db"],
    )
    assert code == 0 and [Path(f).name for f in done["files"]] == [
        "q3-results.csv",
        "q3-evidence.csv",
    ]
    text = (tmp_path / "q3-evidence.csv").read_text(encoding="utf-8-sig")
    meta = next(x for x in text.splitlines() if x.startswith("# rating.provenance: "))
    provenance = json.loads(meta.removeprefix("# rating.provenance: "))
    assert provenance["run_id"] == rated["run"] and provenance["table"] == "evidence"
    evidence = pl.read_csv(tmp_path / "q3-evidence.csv", comment_prefix="#")
    assert evidence.height == done["rows"]["evidence"] > 0
    assert {"uscc", "rule_id", "record_key", "file_name", "line", "points"} <= set(evidence.columns)


def test_parquet_carries_provenance_in_its_metadata(
    capsys: pytest.CaptureFixture[str], rated: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "lists.parquet"
    code, done = cli(capsys, "export", "--out", str(out), "--what", "lists", "--db", rated["db"])
    assert code == 0
    meta = pq.read_metadata(out).metadata[b"rating.provenance"]
    assert json.loads(meta)["results_sha256"] == done["provenance"]["results_sha256"]
    assert pl.read_parquet(out).height == done["rows"]["lists"]


def test_quarantine_stops_at_the_runs_watermark(
    capsys: pytest.CaptureFixture[str], rated: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "quarantine.parquet"
    code, done = cli(
        capsys,
        "export",
        "2026Q2-01",
        "--out",
        str(out),
        "--what",
        "quarantine",
        "--db",
        rated["db"],
    )
    _, everything = cli(capsys, "quarantine", "--limit", "100000", "--db", rated["db"])
    assert code == 0 and done["rows"]["quarantine"] == len(everything["rows"])
    assert pl.read_parquet(out)["batch_id"].max() <= done["provenance"]["watermark"]


@pytest.mark.parametrize(
    ("args", "code", "exit_code"),
    [
        (["--out", "x.txt"], "EXPORT_FORMAT", 2),
        (["--out", "x.csv", "--what", "secrets"], "EXPORT_TABLE", 2),
        (["1999Q1-01", "--out", "x.csv"], "RUN_NOT_FOUND", 3),
    ],
)
def test_bad_exports_are_refused(
    capsys: pytest.CaptureFixture[str],
    rated: dict[str, Any],
    tmp_path: Path,
    args: list[str],
    code: str,
    exit_code: int,
) -> None:
    args = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    got, out = cli(capsys, "export", *args, "--db", rated["db"])
    assert got == exit_code and out["error"]["code"] == code


def test_a_table_longer_than_a_sheet_asks_for_parquet(
    capsys: pytest.CaptureFixture[str],
    rated: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rating.audit import export

    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 10)
    got, out = cli(
        capsys,
        "export",
        "--out",
        str(tmp_path / "e.xlsx"),
        "--what",
        "evidence",
        "--db",
        rated["db"],
    )
    assert got == 3 and out["error"]["code"] == "EXPORT_TOO_LARGE"
    assert not (tmp_path / "e.xlsx").exists()
