"""Complaint integrity: detection, holds (the contract with the engine), reviews, the CLI.

Inline bureaus for single behaviours; the generated city of tests/test_warning.py (with
known unmarked duplicates and campaigns) for measured precision and recall.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from rating.analysis import integrity
from rating.analysis.detection import IntegrityParams, detect
from rating.analysis.evaluation import integrity_quality
from rating.audit.replay import replay
from rating.cli import main
from rating.engine.runner import execute_run
from rating.errors import ConflictError, NotFoundError, UsageError
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.synth import MANIFEST, generate
from rating.synth.integrity import TRUTH_FILE
from rating.warehouse import open_warehouse
from tests.factories import Bureau, load
from tests.test_warning import _CITY, QUARTERS, city_copy

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`

Q3 = Period.parse("2025Q3")


def small_bureau() -> Bureau:
    b = Bureau()
    company = b.company(1, "海港物业服务有限公司")
    for pid in ("P1", "P2", "P3"):
        b.project(pid, company, project_name=f"{pid}花园")
    b.complaint(
        "P1",
        "2025-07-01",
        complaint_id="A1",
        content="市民反映，P1花园3号楼电梯困人，已持续一周，要求物业给予答复。",
    )
    b.complaint(
        "P1",
        "2025-07-03",
        complaint_id="A2",
        channel="网上投诉",
        content="来电人称：P1花园3号楼电梯困人，已持续一周，要求物业尽快答复。",
    )
    b.complaint(
        "P1",
        "2025-07-04",
        complaint_id="A3",
        content="市民反映，P1花园8号楼电梯困人，已持续一周，要求物业给予答复。",
    )
    b.complaint(
        "P1",
        "2025-07-20",
        complaint_id="A4",
        content="市民反映，P1花园3号楼电梯困人，已持续一周，要求物业给予答复。",
    )
    b.complaint(
        "P3",
        "2025-07-02",
        complaint_id="A5",
        content="市民反映，P3花园3号楼电梯困人，已持续一周，要求物业给予答复。",
    )
    points = (
        "垃圾无人清理",
        "门岗形同虚设",
        "报修无人理会",
        "公共区域脏乱差",
        "电梯经常停运",
        "绿化无人养护",
    )
    for k, point in enumerate(points):
        b.complaint(
            "P2",
            "2025-08-10",
            complaint_id=f"C{k}",
            content=f"业主反映：P2花园物业长期不作为，{point}，强烈要求更换物业公司。",
        )
    return b


@pytest.fixture
def bureau_con(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Any]:
    con, settings, _ = load(small_bureau(), tmp_path)
    return con, settings


def test_near_duplicates_and_campaigns_in_a_small_bureau(bureau_con: tuple[Any, Any]) -> None:
    con, _ = bureau_con
    found = {f.complaint_id: f for f in detect(con, Q3, 10**6, IntegrityParams()).flags}
    assert found["A2"].reason == "NEAR_DUPLICATE"
    assert found["A2"].detail["matches"][0]["complaint_id"] == "A1"
    assert "A1" not in found  # the earliest stays
    assert "A3" not in found  # another building is another case
    assert "A4" not in found  # outside the window
    assert "A5" not in found  # another project
    assert {f"C{k}" for k in range(6)} <= {k for k, f in found.items() if f.reason == "CAMPAIGN"}


def test_pairs_stay_inside_project_and_time_blocks(bureau_con: tuple[Any, Any]) -> None:
    con, _ = bureau_con
    detect(con, Q3, 10**6, IntegrityParams())
    bad = con.execute(
        """SELECT count(*) FROM integ_pairs p JOIN integ_c a ON a.i = p.i JOIN integ_c b ON b.i = p.j
           WHERE a.project_id <> b.project_id OR p.hours > 7 * 24 OR p.hours < 0"""
    ).fetchone()
    assert bad == (0,)


def _held(con: duckdb.DuckDBPyConnection, mark: int) -> set[str]:
    found = con.execute(integrity.held_complaints_sql(), {"holds_watermark": mark}).fetchall()
    return {r[0] for r in found}


def test_holds_release_and_confirm_follow_the_watermark(bureau_con: tuple[Any, Any]) -> None:
    con, settings = bureau_con
    assert integrity.holds_watermark(con) == 0
    report = integrity.scan(con, settings, Q3)
    first = integrity.holds_watermark(con)
    assert report.new_holds == first == len(_held(con, first)) > 0
    assert "A2" in _held(con, first)
    integrity.review(con, settings, "A2", "release", "different callers", "张三")
    integrity.review(con, settings, "C0", "confirm", "organised", "李四")
    now = integrity.holds_watermark(con)
    assert "A2" not in _held(con, now) and "C0" in _held(con, now)
    assert "A2" in _held(con, first)  # a run pinned before the review still excludes it
    again = integrity.scan(con, settings, Q3)
    assert again.new_holds == 0 and again.already_recorded == report.new_holds
    assert "A2" not in _held(con, integrity.holds_watermark(con))  # a release is not undone


def test_a_run_leaves_held_complaints_out_and_replays_after_review(
    bureau_con: tuple[Any, Any],
) -> None:
    con, settings = bureau_con
    rules = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    before = execute_run(con, settings, rules, Q3)
    integrity.scan(con, settings, Q3)
    held = _held(con, integrity.holds_watermark(con))
    during = execute_run(con, settings, rules, Q3)
    counted = {
        r.manifest["run_id"]: r.manifest["inputs"]["complaints"]["rows"] for r in (before, during)
    }
    assert counted[before.run_id] - counted[during.run_id] == len(held) > 0
    assert during.manifest["holds_watermark"] == integrity.holds_watermark(con) > 0
    assert before.manifest["holds_watermark"] == 0
    integrity.review(con, settings, "A2", "release", "different callers", "张三")
    after = execute_run(con, settings, rules, Q3)
    assert after.manifest["inputs"]["complaints"]["rows"] == counted[during.run_id] + 1
    # A review made after a run does not change what its replay sees.
    assert replay(con, settings, during.run_id).status == "MATCH"
    assert replay(con, settings, before.run_id).status == "MATCH"


def test_reviews_are_recorded_and_checked(bureau_con: tuple[Any, Any]) -> None:
    con, settings = bureau_con
    integrity.scan(con, settings, Q3)
    with pytest.raises(NotFoundError) as err:
        integrity.review(con, settings, "A1", "release", "x", "张三")
    assert err.value.code == "INTEGRITY_NOT_HELD"
    with pytest.raises(UsageError) as err:
        integrity.review(con, settings, "A2", "release", "", "张三")
    assert err.value.code == "INTEGRITY_REVIEW_INCOMPLETE"
    integrity.review(con, settings, "A2", "confirm", "same case", "张三")
    with pytest.raises(ConflictError) as err:
        integrity.review(con, settings, "A2", "confirm", "again", "张三")
    assert err.value.code == "INTEGRITY_ALREADY_DECIDED"
    shown = integrity.show(con, "A2")
    assert shown["status"] == "confirmed"
    assert [t["action"] for t in shown["trail"]] == ["hold", "confirm"]
    assert (
        shown["trail"][-1]["actor"] == "张三"
        and shown["trail"][-1]["detail"]["note"] == "same case"
    )
    assert {c["complaint_id"] for c in shown["complaints"]} == {"A1", "A2"}
    rows, _ = integrity.list_holds(con, status="confirmed")
    assert [r["complaint_id"] for r in rows] == ["A2"] and rows[0]["note"] == "same case"


def test_integrity_extras_are_opt_in(tmp_path: Path) -> None:
    generate(tmp_path / "plain", complaints=1500, seed=3, quarters=2)
    generate(tmp_path / "extra", complaints=1500, seed=3, quarters=2, integrity=True)
    plain = json.loads((tmp_path / "plain" / MANIFEST).read_text(encoding="utf-8"))
    extra = json.loads((tmp_path / "extra" / MANIFEST).read_text(encoding="utf-8"))
    assert "integrity" not in plain and not (tmp_path / "plain" / TRUTH_FILE).exists()
    assert extra["integrity"]["duplicates"] > 0
    for f in plain["files"]:
        if f["kind"] != "complaints":
            same = (tmp_path / "plain" / f["path"]).read_bytes() == (
                tmp_path / "extra" / f["path"]
            ).read_bytes()
            assert same, f["path"]
    truth = pl.read_parquet(tmp_path / "extra" / TRUTH_FILE)
    assert truth["complaint_id"].is_unique().all()
    assert set(truth["kind"]) <= {"duplicate", "campaign"}


@pytest.mark.slow
def test_measured_precision_and_recall_on_the_generated_city(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    settings = city_copy(tmp_path_factory, tmp_path)
    con = open_warehouse(settings)
    periods = [Period.parse(p) for p in QUARTERS]
    for p in periods:
        integrity.scan(con, settings, p)
    quality = integrity_quality(con, pl.read_parquet(_CITY["exports"] / TRUTH_FILE), periods)
    assert quality["near_duplicate"]["precision"] >= 0.9
    assert quality["near_duplicate"]["recall"] >= 0.8
    assert quality["campaign"]["campaigns_detected"] == quality["campaign"]["campaigns"] > 0
    assert quality["any_flag"]["precision"] >= 0.9


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main([*args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def test_cli_scan_list_review_show(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RATING_NOW", "2026-11-01T09:00:00")
    con, _settings, _ = load(small_bureau(), tmp_path)
    con.close()
    db = str(tmp_path / "warehouse.duckdb")
    code, scan = cli(capsys, "integrity", "scan", "--period", "2025Q3", "--db", db)
    assert code == 0 and scan["new_holds"] >= 7 and scan["flagged"]["CAMPAIGN"] == 6
    code, listed = cli(capsys, "integrity", "list", "--status", "held", "--db", db)
    assert code == 0 and {r["complaint_id"] for r in listed["rows"]} >= {"A2", "C0"}
    code, done = cli(
        capsys,
        "integrity",
        "review",
        "A2",
        "--release",
        "--note",
        "两位业主",
        "--by",
        "王五",
        "--db",
        db,
    )
    assert code == 0 and done["status"] == "released" and done["actor"] == "王五"
    code, shown = cli(capsys, "integrity", "show", "A2", "--db", db)
    assert shown["trail"][-1]["detail"]["note"] == "两位业主"
    code, err = cli(capsys, "integrity", "review", "A2", "--db", db)
    assert code == 2 and err["error"]["code"] == "INTEGRITY_BAD_DECISION"
    for command in (
        ["integrity", "scan"],
        ["integrity", "review"],
        ["warning", "rank"],
        ["report"],
    ):
        assert main([*command, "--help"]) == 0
        assert "用法" in capsys.readouterr().out  # the help, in the CLI's language


@pytest.mark.slow
def test_quality_benchmark_runs_on_the_generated_city(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """The benchmark's measuring code, on the tests' city (its full sizes run by hand)."""
    from benchmarks.quality import run as bench
    from benchmarks.quality.results import write_markdown

    settings = city_copy(tmp_path_factory, tmp_path)
    periods = [Period.parse(p) for p in QUARTERS]
    record = {
        "mode": "quick",
        "generator": {"complaints": 9000, "quarters": 5, "seed": 23},
        "provenance": bench.provenance(),
        "timings": {"generate_s": 0, "ingest_s": 0, "rate_s": 0},
        "integrity": bench.measure_integrity(
            settings, periods, _CITY["exports"] / TRUTH_FILE, lambda _: None
        ),
        "warning": bench.measure_warning(settings, lambda _: None),
    }
    lines = tmp_path / "results.jsonl"
    lines.write_text(json.dumps(record, default=str) + "\n", encoding="utf-8")
    write_markdown(lines, tmp_path / "RESULTS.md")
    text = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    assert "NEAR_DUPLICATE vs refiles" in text and "current grade (baseline)" in text
