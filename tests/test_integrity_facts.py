"""Complaint integrity on facts: reading the facts, the weighed duplicate decision, its evidence,
the labelled writer of re-filings across channels, and the benchmark's measuring code.

Hand-written texts in every notation for the facts; inline bureaus for the decisions ("a
resident who reports the same leak by phone and then by the mayor's mailbox counts once, two
neighbours who report the same broken lift count twice").
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating.analysis import facts, integrity, linkage
from rating.analysis.detection import IntegrityParams, detect
from rating.cli import main
from rating.engine.runner import execute_run
from rating.errors import UsageError
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.synth.refiling import DUPLICATE_KINDS, KINDS, STYLES, export_headers, write_cases
from tests.factories import Bureau, examples, load

Q3 = Period.parse("2025Q3")
AT = datetime(2026, 3, 20, 9, 0)


def read(*texts: str, at: datetime = AT) -> list[dict[str, Any]]:
    frame = pl.DataFrame({"text": list(texts), "received_at": [at] * len(texts)})
    return facts.extract(frame).to_dicts()


@pytest.mark.parametrize(
    ("text", "building", "unit", "room"),
    [
        ("1#楼2单元1804室电梯坏了", 1, 2, 1804),
        ("1#2单元1804 电梯坏了", 1, 2, 1804),
        ("一号楼二单元1804户", 1, 2, 1804),
        ("1幢一单元1804", 1, 1, 1804),
        ("1栋1单元1804房", 1, 1, 1804),
        ("24幢二单元楼道灯不亮", 24, 2, None),
        ("二十四号楼1单元", 24, 1, None),
        ("十二栋1101 单元门锁损坏", 12, None, 1101),
        ("3号2单元 楼顶漏水", 3, 2, None),
        ("12-3-502 地下车库渗水", 12, 3, 502),
        ("5座2单元702室", 5, 2, 702),
        ("3楼楼道灯不亮", None, None, None),  # 3楼 is a floor, not a building
        ("之前打过12345", None, None, None),
    ],
)
def test_building_unit_and_room_in_every_notation(
    text: str, building: int | None, unit: int | None, room: int | None
) -> None:
    (got,) = read(text)
    assert (got["building"], got["unit"], got["room"]) == (building, unit, room)


def test_phone_facility_problem_start_and_history() -> None:
    got = read(
        "尊敬的市长：我是一号楼二单元1804户业主，电梯停运持续3天，联系电话：138****5678",
        "3号楼电梯又坏了，昨天开始，尾号5678",
        "地下车库顶部渗水，从3月5日开始，之前打过12345",
        "楼道声控灯不亮一个多月了",
        "单元门锁损坏，半个月了，手机13912345678",
        "已经4天了，门禁坏了",
        "要求3天内修好",
    )
    assert [(g["phone_head"], g["phone_tail"]) for g in got[:5]] == [
        ("138", "5678"),
        (None, "5678"),
        (None, None),
        (None, None),
        ("139", "5678"),
    ]
    names = [facts.names(g["facility"], facts.FACILITIES) for g in got]
    assert names[:6] == [["电梯"], ["电梯"], ["地库"], ["楼道灯"], ["门禁"], ["门禁"]]
    assert facts.names(got[2]["problem"], facts.PROBLEMS) == ["漏水"]
    assert [g["duration_days"] for g in got] == [3.0, 1.0, 15.0, 30.0, 15.0, 4.0, None]
    assert [g["prior_filing"] for g in got] == [False, False, True, False, False, False, False]
    assert [g["recurrence"] for g in got] == [False, True, False, False, False, False, False]


def test_canonical_text_keeps_the_problem_and_drops_facts_and_frames() -> None:
    one, other = read(
        "市民来电反映：1#楼2单元1804室住户楼道声控灯坏了，已经4天了。（来电号码：138****5678）",
        "尊敬的市长：您好！我是一号楼二单元1804户的业主，楼道感应灯坏了，持续6天。",
    )
    for got in (one, other):
        assert "1804" not in got["canonical"] and "5678" not in got["canonical"]
        assert "楼道灯" in got["canonical"] and "反映" not in got["canonical"]


NOTATIONS = ("{n}号楼", "{n}#楼", "{n}#", "{n}栋", "{n}幢", "{cn}号楼", "{cn}栋")


@settings(max_examples=examples(60), deadline=None)
@given(
    building=st.integers(1, 99),
    unit=st.integers(1, 9),
    room=st.integers(101, 3304),
    notation=st.sampled_from(NOTATIONS),
    chinese_unit=st.booleans(),
)
def test_any_building_in_any_notation_is_read(
    building: int, unit: int, room: int, notation: str, chinese_unit: bool
) -> None:
    """Invariant: the number written is the number read, whatever the notation."""
    cn = {v: k for k, v in reversed(facts.CN_NUMBERS.items()) if k not in ("两",)}
    place = notation.format(n=building, cn=cn[building])
    unit_text = f"{cn[unit] if chinese_unit else unit}单元"
    (got,) = read(f"市民来电反映：{place}{unit_text}{room}室门禁坏了")
    assert (got["building"], got["unit"], got["room"]) == (building, unit, room)


# The 12345 call, the mayor's mailbox letter a day later (same resident: room and phone),
# a neighbour with the same broken lift, a neighbour in another unit, another building.
CASES = {
    "L1": ("2025-07-01", "12345热线", "市民来电反映：3号楼2单元1804室住户楼顶漏水，已经3天了，家具被泡坏，要求物业尽快维修。（来电号码：138****5678）"),
    "L2": ("2025-07-02", "市长信箱", "尊敬的市长：您好！我是三号楼二单元1804户的业主，屋顶渗水到家里，持续4天，之前打过12345。恳请领导督促物业尽快解决。联系电话：138****5678。"),
    "E1": ("2025-07-03", "12345热线", "市民来电反映：5#楼1单元901住户电梯坏了，已经2天了，家里老人上下楼很困难，要求物业尽快维修。（来电号码：139****1111）"),
    "E2": ("2025-07-04", "微信公众号", "5#楼1单元1203，电梯停运！已经3天了，家里老人上下楼很困难，赶紧修吧！手机尾号2222"),
    "U1": ("2025-07-05", "12345热线", "市民来电反映：24幢二单元楼道灯不亮，要求物业尽快维修。"),
    "U2": ("2025-07-06", "12345热线", "市民来电反映：24幢1单元楼道灯不亮，要求物业尽快维修。"),
    "B1": ("2025-07-07", "12345热线", "市民来电反映：1#楼门禁坏了，存在安全隐患，要求物业尽快维修。"),
    "B2": ("2025-07-08", "12345热线", "市民来电反映：2#楼门禁坏了，存在安全隐患，要求物业尽快维修。"),
    "W1": ("2025-07-10", "12345热线", "市民来电反映：8号楼3单元602室住户地库漏水，已经一周了，要求物业尽快维修。（来电号码：137****3333）"),
    "W2": ("2025-07-21", "网上信访", "投诉事项：地下车库顶部渗水。具体地址：8号楼3单元602室。情况说明：之前已经反映过，到现在还没修。诉求：尽快修复。联系方式：137****3333"),
}  # fmt: skip


def fact_bureau() -> Bureau:
    b = Bureau()
    company = b.company(1, "海港物业服务有限公司")
    b.project("P1", company, project_name="P1花园")
    for cid, (day, channel, text) in CASES.items():
        b.complaint("P1", day, complaint_id=cid, channel=channel, content=text)
    return b


@pytest.fixture
def fact_con(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Any]:
    con, settings, results = load(fact_bureau(), tmp_path)
    assert all(r.rows_quarantined == 0 for r in results)  # 市长信箱, 微信公众号 read as channels
    return con, settings


@pytest.mark.slow  # ingests a bureau or a city: not in `make test-fast`
def test_same_leak_by_phone_and_mayors_mailbox_is_one_case_neighbours_are_two(
    fact_con: tuple[Any, Any],
) -> None:
    con, _ = fact_con
    found = {f.complaint_id: f for f in detect(con, Q3, 10**6, IntegrityParams()).flags}
    assert found["L2"].reason == "NEAR_DUPLICATE"
    assert found["L2"].detail["matches"][0]["complaint_id"] == "L1"
    assert "L1" not in found  # the first filing stays
    assert "E2" not in found  # a neighbour with the same broken lift is another case
    assert "U2" not in found  # 24幢1单元 is not 24幢二单元
    assert "B2" not in found  # 2#楼 is not 1#楼
    # Filed 11 days later, saying it was reported before: the window follows the case.
    assert found["W2"].reason == "NEAR_DUPLICATE"
    assert found["W2"].detail["matches"][0]["hours"] > 7 * 24
    channels = dict(con.execute("SELECT complaint_id, channel FROM src_complaints").fetchall())
    assert (channels["L2"], channels["E2"], channels["W2"]) == ("信访", "网上投诉", "信访")


@pytest.mark.slow  # ingests a bureau or a city: not in `make test-fast`
def test_a_run_counts_the_leak_once_and_both_neighbours(fact_con: tuple[Any, Any]) -> None:
    con, settings = fact_con
    rules = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    before = execute_run(con, settings, rules, Q3)
    integrity.scan(con, settings, Q3)
    after = execute_run(con, settings, rules, Q3)
    held = {
        r[0]
        for r in con.execute(
            integrity.held_complaints_sql(), {"holds_watermark": integrity.holds_watermark(con)}
        ).fetchall()
    }
    assert held == {"L2", "W2"}
    rows = {r.run_id: r.manifest["inputs"]["complaints"]["rows"] for r in (before, after)}
    assert rows[before.run_id] - rows[after.run_id] == 2


@pytest.mark.slow  # ingests a bureau or a city: not in `make test-fast`
def test_the_evidence_is_the_models_terms_and_the_facts(fact_con: tuple[Any, Any]) -> None:
    con, settings = fact_con
    integrity.scan(con, settings, Q3)
    shown = integrity.show(con, "L2")
    evidence = shown["evidence"]
    model = linkage.load_model(evidence["model"])
    terms = {e["feature"]: e for e in evidence["evidence"]}
    assert {"same_room", "same_phone", "same_facility", "says_filed_before"} <= set(terms)
    assert all(
        e["log_odds"] == pytest.approx(e["value"] * e["weight"], abs=5e-3) for e in terms.values()
    )
    assert evidence["intercept"] == model.intercept and evidence["threshold"] == model.threshold
    log_odds = model.intercept + sum(e["log_odds"] for e in terms.values())
    assert 1 / (1 + np.exp(-log_odds)) == pytest.approx(
        evidence["matches"][0]["probability"], abs=5e-3
    )
    assert evidence["facts"]["complaint"] | {"stated_days": None} == {
        "building": 3, "unit": 2, "room": 1804, "phone": "138****5678", "facility": ["屋面"],
        "problem": ["漏水"], "stated_days": None, "filed_before": True, "broke_again": False,
    }  # fmt: skip
    assert {c["complaint_id"] for c in shown["complaints"]} == {"L1", "L2"}


@pytest.mark.slow  # ingests a bureau or a city: not in `make test-fast`
def test_cli_show_prints_the_evidence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RATING_NOW", "2026-11-01T09:00:00")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("RATING_LANG", "en")  # the assertions read the English words
    con, _settings, _ = load(fact_bureau(), tmp_path)
    con.close()
    db = str(tmp_path / "warehouse.duckdb")
    assert main(["integrity", "scan", "--period", "2025Q3", "--db", db]) == 0
    capsys.readouterr()
    assert main(["integrity", "show", "L2", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Why it repeats L1" in out and "same_room" in out and "Facts read" in out
    assert main(["integrity", "list", "--db", db]) == 0
    assert "repeats L1 (p " in capsys.readouterr().out
    assert main(["integrity", "scan", "--period", "2025Q3", "--model", "nope", "--db", db]) == 2


@pytest.mark.slow  # ingests a bureau or a city: not in `make test-fast`
def test_the_probability_threshold_trades_holds_and_the_scan_records_the_model(
    fact_con: tuple[Any, Any],
) -> None:
    con, settings = fact_con

    def held(p: float | None) -> dict[str, float]:
        params = replace(IntegrityParams(), duplicate_probability=p)
        flags = detect(con, Q3, 10**6, params).flags
        return {f.complaint_id: f.score for f in flags if f.reason == "NEAR_DUPLICATE"}

    default, low = held(None), held(0.02)
    assert set(default) <= set(low)
    top = max(default.values())
    assert set(held(top)) == {k for k, v in default.items() if v >= top}
    report = integrity.scan(con, settings, Q3)
    assert report.params["duplicate_model"] == "duplicates-v1"


def test_stored_model_is_valid_and_versions_are_immutable(tmp_path: Path) -> None:
    model = linkage.load_model(IntegrityParams().duplicate_model)
    assert set(model.features) <= set(linkage.FEATURES) and 0 < model.threshold < 1
    assert model.fitted["seeds"] and model.fitted["pairs"] > 0
    with pytest.raises(UsageError) as err:
        linkage.load_model("../etc/passwd")
    assert err.value.code == "INTEGRITY_MODEL_UNKNOWN"
    path = linkage.save_model(replace(model, version="x-1"), tmp_path)
    assert json.loads(path.read_text(encoding="utf-8"))["weights"] == list(model.weights)
    with pytest.raises(UsageError):
        linkage.save_model(replace(model, version="x-1"), tmp_path)


@pytest.mark.slow  # trains the linkage model (scikit-learn)
def test_fit_and_threshold_on_a_hand_made_sample() -> None:
    rng = np.random.default_rng(3)
    same = rng.random(400) < 0.5
    x = np.column_stack(
        [np.where(same, 0.6, 0.1) + rng.normal(0, 0.1, 400), same & (rng.random(400) < 0.8)]
    )
    model = linkage.fit(x.astype(float), same.astype(int), ("similarity", "same_room"), "t")
    assert model.weights[0] > 0 and model.weights[1] > 0
    p = linkage.predict(model, x.astype(float))
    assert ((p > 0.5) == same).mean() > 0.95
    # Scores 0.9 0.8 0.7 0.6 with labels 1 1 0 1: precision 1, 1, 2/3, 3/4.
    score, label = np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 1, 0, 1])
    assert linkage.choose_threshold(score, label, 0.99) == 0.8
    assert linkage.choose_threshold(score, label, 0.75) == 0.6


def test_writer_is_deterministic_and_labels_follow_its_rules() -> None:
    projects = pl.DataFrame({"project_id": ["P1", "P2"], "project_name": ["阳光花园", "锦绣家园"]})
    args = (projects, datetime(2026, 1, 1), datetime(2026, 7, 1))
    complaints, truth = write_cases(*args, seed=4, cases=400)
    again, truth_again = write_cases(*args, seed=4, cases=400)
    assert complaints.equals(again) and truth.equals(truth_again)
    assert set(truth["kind"]) == {"original", *KINDS}
    assert truth["complaint_id"].is_unique().all()
    assert set(complaints["channel"]) == {s[0] for s in STYLES.values()}
    first = truth.filter(pl.col("kind") == "original")
    pairs = truth.filter(pl.col("kind") != "original").join(
        first, left_on="first_id", right_on="complaint_id", suffix="_1"
    )
    dup = pairs.filter(pl.col("kind").is_in(DUPLICATE_KINDS))
    assert (dup["case_id"] == dup["case_id_1"]).all() and dup["duplicate"].all()
    assert (dup["room"] == dup["room_1"]).all() and (dup["phone"] == dup["phone_1"]).all()
    other = pairs.filter(~pl.col("kind").is_in(DUPLICATE_KINDS))
    assert (other["case_id"] != other["case_id_1"]).all() and not other["duplicate"].any()
    near = pairs.filter(pl.col("kind").str.starts_with("neighbour"))
    assert ((near["room"] != near["room_1"]) | (near["unit"] != near["unit_1"])).all()
    assert (near["phone"] != near["phone_1"]).all()
    cross = pairs.filter(pl.col("kind") == "cross_channel")
    assert (cross["style"] != cross["style_1"]).all()
    # Every text names the resident's building and room in a notation the scan reads.
    read_back = facts.extract(
        complaints.select("complaint_id", text="content", received_at="received_at")
    )
    both = read_back.join(truth, on="complaint_id", suffix="_true")
    assert (both["building"] == both["building_true"]).all()
    assert (both["room"] == both["room_true"]).all()
    stated = both.filter(pl.col("unit").is_not_null())
    assert (stated["unit"] == stated["unit_true"]).all() and len(stated) > 0.8 * len(both)
    assert list(export_headers(complaints).columns)[:3] == ["工单编号", "受理时间", "工单来源"]


@pytest.mark.slow  # ingests a bureau or a city: not in `make test-fast`
def test_refiling_benchmark_measures_a_small_draw(tmp_path: Path) -> None:
    """The benchmark's measuring code on a small city (its full draws run by hand)."""
    from benchmarks.quality import refiling
    from benchmarks.quality.results import write_markdown

    small = {"complaints": 3000, "quarters": 2, "end": "2026Q3"}
    draw = refiling.measure_draw(7, tmp_path / "w", city=small, cases=60)
    assert draw["writer"]["duplicates"] > 0 and draw["writer"]["flagged"] > 0
    assert {k["kind"] for k in draw["kinds"]} >= {"original", *KINDS, "refile", "campaign"}
    record = {"mode": "refiling", "city": small, "cases_per_draw": 60, "draws": [draw]}
    record |= {"params": IntegrityParams().as_dict(), "targets": refiling.TARGETS}
    record |= {"model": {"version": "duplicates-v1", "threshold": 0.5, "fitted": {}}}
    record |= {"provenance": {"at": "x", "git_commit": "0" * 12, "git_dirty": False}}
    (tmp_path / "refiling.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    (tmp_path / "results.jsonl").write_text("", encoding="utf-8")
    write_markdown(tmp_path / "results.jsonl", tmp_path / "RESULTS.md")
    text = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    assert "Re-filings across channels" in text and "neighbour_same_number" in text
