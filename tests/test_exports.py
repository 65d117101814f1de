"""Bulk work: the review queue out to a workbook and decisions back in; exports of the
quarantine and a run's lists (`--out FILE`, .xlsx or .csv)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from rating.cli import main
from rating.exports import Sheet, read_table, write_tables
from rating.ingest.loader import ingest_file
from rating.matching import bulk, review
from rating.warehouse import open_warehouse
from tests.factories import load, settings_for, write_csv
from tests.test_matching import FIRST_MONTH, city, order, write_orders

SAME = {"community_name": "锦绣花园", "district": "东湖区", "street": "幸福街道"}


@pytest.fixture(scope="module")
def queue_built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """FIRST_MONTH (H4 锦绣花园 and H5 星河湾 wait for review) and two more spellings, ingested
    once (a warehouse folder and the complaints' review ids); each test works on a copy."""
    tmp = tmp_path_factory.mktemp("review-queue")
    bureau, _ = city()
    con, settings, _ = load(bureau, tmp)
    more = [
        order("T1", "2025-07-20", company_name="恒泰", **SAME),  # another spelling, twice
        order("T2", "2025-07-21", company_name="恒泰", **SAME),
        order("U1", "2025-07-22", community_name="阳光小区", district="东湖区"),
    ]
    result = ingest_file(
        con, settings, "complaints", write_orders(tmp / "july.csv", FIRST_MONTH + more)
    )
    assert result.rows_in_review == 5
    ids = {i["complaint_id"]: i["review_id"] for i in review.pending(con)}
    con.close()
    return tmp, ids


@pytest.fixture
def queue(queue_built: tuple[Path, dict[str, str]], tmp_path: Path) -> dict[str, Any]:
    """A copy of the review queue's warehouse of its own (tests decide and import)."""
    built, ids = queue_built
    shutil.copytree(built, tmp_path, dirs_exist_ok=True)
    settings = settings_for(tmp_path)
    con = open_warehouse(settings)
    assert {i["complaint_id"]: i["review_id"] for i in review.pending(con)} == ids
    return {"con": con, "settings": settings, "ids": ids, "tmp": tmp_path}


def _export(q: dict[str, Any], name: str = "review.xlsx") -> pl.DataFrame:
    path = q["tmp"] / name
    write_tables(path, [Sheet("review", bulk.review_frame(q["con"]))], {"what": "test"})
    return read_table(path).drop("_line")


def _edit(q: dict[str, Any], frame: pl.DataFrame, decisions: dict[str, tuple[str, str]]) -> Path:
    """Fill (decision, decided_by) for the rows of these complaint ids; write the workbook."""
    cid = frame["complaint_id"].to_list()
    decision = [decisions.get(c, (None, None))[0] for c in cid]
    by = [decisions.get(c, (None, None))[1] for c in cid]
    edited = frame.with_columns(
        pl.Series("decision", decision, pl.Utf8), pl.Series("decided_by", by, pl.Utf8)
    )
    path = q["tmp"] / "edited.xlsx"
    write_tables(path, [Sheet("review", edited)], {"what": "edited"})
    return path


def test_decisions_come_back_from_the_workbook_with_who_and_when(queue: dict[str, Any]) -> None:
    con, settings, ids = queue["con"], queue["settings"], queue["ids"]
    frame = _export(queue)
    assert frame.height == 5 and frame["candidate_1"].null_count() < 5
    edited = _edit(
        queue,
        frame,
        {
            "H4": ("P4", "张三"),
            "H5": ("拒绝", ""),  # no name in the row: --by below
            "T1": ("P3", "王五"),  # T2 (same spelling) left empty: it follows T1
            "U1": ("XM999", "王五"),
        },
    )
    later = settings.with_(now=datetime(2026, 11, 2, 15, 30))
    report = bulk.import_decisions(con, later, edited, by="李四")
    assert report.decided == 3 and report.skipped == 1
    assert sorted(report.resolved) == sorted(ids[c] for c in ("H4", "H5", "T1", "T2"))
    assert [(r["review_id"], r["code"]) for r in report.refused] == [(ids["U1"], "UNKNOWN_PROJECT")]
    who = dict(
        con.execute(
            "SELECT review_id, decided_by || ' ' || strftime(decided_at, '%Y-%m-%d %H:%M') "
            "FROM match_decisions"
        ).fetchall()
    )
    assert who[ids["H4"]] == "张三 2026-11-02 15:30" and who[ids["H5"]] == "李四 2026-11-02 15:30"
    assert who[ids["T2"]].startswith("王五")
    loaded = dict(
        con.execute(
            "SELECT complaint_id, project_id FROM src_complaints WHERE match_method = 'review'"
        ).fetchall()
    )
    assert loaded == {"H4": "P4", "T1": "P3", "T2": "P3"}  # one batch; H5 rejected, not loaded
    assert review.counts(con)["pending"] == 1  # U1
    again = bulk.import_decisions(con, later, edited, by="李四")
    assert {r["code"] for r in again.refused} == {"REVIEW_DECIDED", "UNKNOWN_PROJECT"}
    assert "张三" in next(r["reason"] for r in again.refused if r["review_id"] == ids["H4"])


def test_a_row_whose_candidates_changed_since_the_export_is_refused(
    queue: dict[str, Any],
) -> None:
    con, settings, ids = queue["con"], queue["settings"], queue["ids"]
    frame = _export(queue)
    h4 = frame.filter(pl.col("complaint_id") == "H4")
    assert "P4" in {h4["candidate_1"][0], h4["candidate_2"][0]}
    # After the export, P4 is renamed by a corrected projects file: H4's candidates changed.
    city_uscc = con.execute(
        "SELECT company_uscc FROM src_projects WHERE project_id = 'P4'"
    ).fetchone()
    assert city_uscc is not None
    fix = write_csv(
        queue["tmp"] / "projects_fix.csv",
        ["project_id", "project_name", "company_uscc", "district", "street", "households",
         "floor_area", "service_start"],
        [{"project_id": "P4", "project_name": "锦绣佳苑", "company_uscc": city_uscc[0],
          "district": "东湖区", "street": "幸福街道", "households": 500, "floor_area": 40000,
          "service_start": "2020-01-01"}],
    )  # fmt: skip
    assert ingest_file(con, settings, "projects", fix).rows_loaded == 1
    edited = _edit(queue, frame, {"H4": ("P4", "张三"), "H5": ("拒绝", "张三")})
    report = bulk.import_decisions(con, settings, edited)
    assert [(r["review_id"], r["code"]) for r in report.refused] == [(ids["H4"], "REVIEW_CHANGED")]
    assert "changed since the export" in report.refused[0]["reason"]
    assert report.decided == 1  # H5 went through


def test_conflicts_duplicates_and_missing_reviewers_are_refused(queue: dict[str, Any]) -> None:
    con, settings, ids = queue["con"], queue["settings"], queue["ids"]
    frame = _export(queue, "review.csv")  # the CSV round trip works the same
    doubled = pl.concat([frame, frame.filter(pl.col("complaint_id") == "H5")])
    path = queue["tmp"] / "edited.csv"
    decided = {"T1": ("P3", "张三"), "T2": ("P4", "张三"), "H5": ("拒绝", "张三"), "H4": ("P4", "")}
    cid = doubled["complaint_id"].to_list()
    doubled = doubled.with_columns(
        pl.Series("decision", [decided.get(c, (None, None))[0] for c in cid], pl.Utf8),
        pl.Series("decided_by", [decided.get(c, (None, None))[1] or None for c in cid], pl.Utf8),
    )
    write_tables(path, [Sheet("review", doubled)], {})
    report = bulk.import_decisions(con, settings, path)
    codes = {r["review_id"]: r["code"] for r in report.refused}
    assert codes == {
        ids["T1"]: "REVIEW_CONFLICT",
        ids["T2"]: "REVIEW_CONFLICT",
        ids["H5"]: "REVIEW_DUPLICATE_ROW",
        ids["H4"]: "REVIEW_NO_REVIEWER",
    }
    assert report.decided == 0 and review.counts(con)["pending"] == 5  # nothing half-done


def test_a_file_that_is_no_review_export_is_refused(queue: dict[str, Any]) -> None:
    path = queue["tmp"] / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(Exception) as err:
        bulk.import_decisions(queue["con"], queue["settings"], path)
    assert getattr(err.value, "code", "") == "REVIEW_FILE_INVALID"


@pytest.mark.slow  # end to end through the command line: `make test` and CI, not test-fast
def test_cli_exports_and_import(
    queue: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    con, settings, tmp = queue["con"], queue["settings"], queue["tmp"]
    con.close()
    monkeypatch.setenv("RATING_NOW", "2026-11-01T09:00:00")
    db = ["--db", str(settings.db_path), "--json"]

    def cli(*args: str) -> tuple[int, Any]:
        code = main([*args, *db])
        return code, json.loads(capsys.readouterr().out)

    code, out = cli("match", "review", "list", "--out", str(tmp / "q.xlsx"))
    assert code == 0 and out["rows"] == {"review": 5}
    about = pl.read_excel(tmp / "q.xlsx", sheet_name="关于")
    assert set(about[about.columns[0]]) >= {"说明", "how"}
    frame = read_table(tmp / "q.xlsx").drop("_line")
    edited = _edit(queue, frame, {"H4": ("P4", "")})
    code, done = cli("match", "review", "import", str(edited), "--by", "张三")
    assert code == 0 and done["decided"] == 1 and done["refused"] == []
    code, out = cli("quarantine", "--out", str(tmp / "quarantine.csv"))
    assert code == 0 and (tmp / "quarantine.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    counted = pl.read_csv(tmp / "quarantine.csv")
    assert counted.height == out["rows"]["quarantine"] > 0 and "读到的原始行" in counted.columns
    # headers and messages in the screen's words, the reason code kept in its own column
    assert {"批次", "代码", "说明"} <= set(counted.columns) and "batch_id" not in counted.columns
    assert all(m.isascii() is False for m in counted["说明"].to_list())
    monkeypatch.setenv("RATING_LANG", "en")
    code, out = cli("quarantine", "--out", str(tmp / "q-en.xlsx"))
    english = pl.read_excel(tmp / "q-en.xlsx", sheet_name="quarantine")
    assert {"batch", "code", "message", "row as read"} <= set(english.columns)
    monkeypatch.delenv("RATING_LANG")
    code, bad = cli("quarantine", "--out", str(tmp / "quarantine.txt"))
    assert code == 2 and bad["error"]["code"] == "EXPORT_FORMAT"
