"""Hotline orders matched to projects by name: ingest, the review queue, aliases, the CLI,
and measured precision/recall of automatic matching on generated data with known truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from rating.cli import main
from rating.engine.evidence import evidence_rows_sql
from rating.engine.runner import execute_run
from rating.errors import ConflictError, InputFileError, NotFoundError
from rating.ingest.folder import plan_folder
from rating.ingest.loader import ingest_file
from rating.matching import review
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.settings import Settings
from rating.synth import generate
from rating.synth.hotline import HEADERS as HOTLINE_HEADERS
from rating.synth.hotline import hotline_from_folder
from rating.warehouse import open_warehouse
from tests.factories import Bureau, load, write_csv

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`

# The hotline export's headers, and 项目编号 for the orders that do name their project.
HEADERS = {**HOTLINE_HEADERS, "project_id": "项目编号"}


def city() -> tuple[Bureau, dict[str, str]]:
    """Two 阳光花园 in two districts; one changes hands on 2025-08-01; 锦绣家园/锦绣佳园 side by side."""
    b = Bureau()
    haigang = b.company(1, "海港物业服务有限公司")
    hengtai = b.company(2, "恒泰物业服务有限公司")
    yangguang = b.company(3, "阳光物业管理有限公司")
    east = {"district": "东湖区", "street": "幸福街道"}
    b.project("P1", haigang, project_name="阳光花园", service_end="2025-07-31", **east)
    b.project("P1", hengtai, project_name="阳光花园", service_start="2025-08-01", **east)
    b.project("P2", yangguang, project_name="阳光花园", district="西岭区", street="工人新村街道")
    b.project("P3", haigang, project_name="锦绣家园", **east)
    b.project("P4", haigang, project_name="锦绣佳园", **east)
    return b, {"haigang": haigang, "hengtai": hengtai, "yangguang": yangguang}


def order(cid: str, day: str, **kw: Any) -> dict[str, Any]:
    return {
        "complaint_id": cid,
        "received_at": f"{day} 09:30:00",
        "channel": "12345",
        "order_type": "投诉举报类",
        "category": "房屋维修",
        "content": "楼道漏水",
        "fact_finding": "属实",
        "deadline": f"{day} 23:00:00",
        "closed_at": f"{day} 18:00:00",
        "address": "幸福路1号",
        **kw,
    }


FIRST_MONTH = [
    order(
        "H1",
        "2025-07-10",
        community_name="阳光花园",
        district="东湖区",
        street="幸福街道",
        company_name="海港物业",
    ),
    order(
        "H2",
        "2025-08-10",
        community_name="阳光花园小区",
        district="东湖区",
        street="幸福",
        company_name="恒泰物业服务有限公司东湖分公司",
    ),
    order(
        "H3",
        "2025-07-12",
        community_name="阳光花园",
        district="西岭区",
        street="工人新村街道",
        company_name="阳光物业管理有限公司",
    ),
    order(
        "H4",
        "2025-07-15",
        community_name="锦绣花园",
        district="东湖区",
        street="幸福街道",
        company_name="海港物业",
    ),
    order("H5", "2025-07-16", community_name="星河湾", district="东湖区", company_name="星河物业"),
    order("H6", "2025-07-17", district="东湖区"),
    order("H7", "2025-07-18", project_id="P3"),
    order("H8", "2025-07-19", community_name="阳光花园", district="东湖区", received_at="某日"),
]


def write_orders(path: Path, orders: list[dict[str, Any]]) -> Path:
    columns = list(HEADERS)
    present = [c for c in columns if any(c in o for o in orders)]
    return write_csv(
        path, present, orders, encoding="gb18030", headers=[HEADERS[c] for c in present]
    )


@pytest.fixture
def matched(tmp_path: Path) -> dict[str, Any]:
    bureau, usccs = city()
    con, settings, _ = load(bureau, tmp_path)
    result = ingest_file(
        con, settings, "complaints", write_orders(tmp_path / "july.csv", FIRST_MONTH)
    )
    return {"con": con, "settings": settings, "result": result, "usccs": usccs, "tmp": tmp_path}


def _stored(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[Any, ...]]:
    found = con.execute(
        "SELECT complaint_id, project_id, match_method, match_confidence FROM src_complaints"
    ).fetchall()
    return {r[0]: r[1:] for r in found}


def test_orders_are_matched_queued_or_quarantined_and_none_is_lost(matched: dict[str, Any]) -> None:
    r, con = matched["result"], matched["con"]
    assert (r.rows_read, r.rows_loaded, r.rows_in_review, r.rows_quarantined) == (8, 4, 2, 2)
    assert r.rows_read == r.rows_loaded + r.rows_in_review + r.rows_quarantined
    stored = _stored(con)
    assert {k: v[0] for k, v in stored.items()} == {
        "H1": "P1",  # same name in two districts: the district decides
        "H2": "P1",  # 小区 appended, street without 街道, a branch of the company
        "H3": "P2",
        "H7": "P3",  # the file named the project
    }  # H6 names nothing, H8 has a bad date: quarantined, never matched
    assert stored["H7"][1:] == ("given", 1)
    assert {stored[k][1] for k in ("H1", "H2", "H3")} <= {"exact", "fuzzy"}
    assert all(0.9 <= float(stored[k][2]) <= 1 for k in ("H1", "H2", "H3"))
    assert r.matched == {
        m: sum(1 for k in ("H1", "H2", "H3") if stored[k][1] == m) for m in r.matched
    }
    queued = {i["complaint_id"]: i for i in review.pending(con)}
    assert set(queued) == {"H4", "H5"}  # 锦绣花园: 家园 or 佳园? never guessed
    assert {c["project_id"] for c in queued["H4"]["candidates"][:2]} == {"P3", "P4"}
    problems = con.execute("SELECT line, column_name, code FROM quarantine").fetchall()
    assert ("受理时间", "BAD_DATE") in {(c, code) for _, c, code in problems}
    assert ("项目编号", "MISSING_VALUE") in {(c, code) for _, c, code in problems}
    batch = con.execute(
        "SELECT rows_read, rows_loaded, rows_in_review, rows_quarantined FROM ingest_batches WHERE kind = 'complaints'"
    ).fetchall()
    assert batch == [(8, 4, 2, 2)]


def test_the_company_is_the_one_serving_the_matched_project_that_day(
    matched: dict[str, Any],
) -> None:
    con, settings, usccs = matched["con"], matched["settings"], matched["usccs"]
    rules = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    run_id = execute_run(con, settings, rules, Period.parse("2025Q3")).run_id
    blamed = dict(
        con.execute(
            f"""SELECT record_key, company_uscc
                FROM ({evidence_rows_sql("e.run_id = $r AND e.source = 'complaints'")})""",
            {"r": run_id},
        ).fetchall()
    )
    assert blamed["H1"] == usccs["haigang"]  # July: 海港 served 阳光花园 (东湖区)
    assert blamed["H2"] == usccs["hengtai"]  # August: 恒泰 took over
    assert blamed["H3"] == usccs["yangguang"]


def test_a_review_decision_loads_the_order_and_teaches_the_spelling(
    matched: dict[str, Any],
) -> None:
    con, settings, tmp = matched["con"], matched["settings"], matched["tmp"]
    h4 = next(i for i in review.pending(con) if i["complaint_id"] == "H4")
    h5 = next(i for i in review.pending(con) if i["complaint_id"] == "H5")
    done = review.resolve(
        con, settings, h4["review_id"], "P4", "佳园, per the street office", "张三"
    )
    assert done["resolved"] == [h4["review_id"]] and done["loaded_batch"]
    assert _stored(con)["H4"] == ("P4", "review", 1)
    review.resolve(con, settings, h5["review_id"], None, "not a managed compound", "张三")
    assert review.counts(con) == {"pending": 0, "resolved": 1, "rejected": 1}
    with pytest.raises(ConflictError):
        review.resolve(con, settings, h4["review_id"], "P3", "", "李四")
    with pytest.raises(NotFoundError):
        review.resolve(con, settings, "R99-1", "P3", "", "李四")
    # Next month the same spellings arrive again: no review repeats.
    august = [
        order(
            "H9",
            "2025-08-20",
            community_name="锦绣花园",
            district="东湖区",
            street="幸福街道",
            company_name="海港物业",
        ),
        order(
            "H10", "2025-08-21", community_name="星河湾", district="东湖区", company_name="星河物业"
        ),
    ]
    again = ingest_file(con, settings, "complaints", write_orders(tmp / "august.csv", august))
    assert (again.rows_loaded, again.rows_in_review, again.rows_quarantined) == (1, 0, 1)
    assert again.matched == {"alias": 1} and _stored(con)["H9"][:2] == ("P4", "alias")
    assert again.reasons == {"MATCH_REJECTED": 1}
    # Re-reading a file already loaded changes nothing, reviews included.
    same = ingest_file(con, settings, "complaints", tmp / "july.csv")
    assert same.status == "already_loaded" and review.counts(con)["pending"] == 0
    history = review.aliases(con)
    assert [a["project_id"] for a in history] == [None, "P4"] and all(a["current"] for a in history)


def test_waiting_orders_with_one_spelling_are_decided_together(tmp_path: Path) -> None:
    bureau, _ = city()
    con, settings, _ = load(bureau, tmp_path)
    twice = [
        order(
            f"T{k}",
            f"2025-07-{10 + k}",
            community_name="锦绣花园",
            district="东湖区",
            street="幸福街道",
            company_name="海港物业",
        )
        for k in range(3)
    ]
    assert (
        ingest_file(
            con, settings, "complaints", write_orders(tmp_path / "t.csv", twice)
        ).rows_in_review
        == 3
    )
    first = review.pending(con)[0]["review_id"]
    done = review.resolve(con, settings, first, "P3", "", "张三")
    assert len(done["resolved"]) == 3 and review.counts(con)["pending"] == 0
    assert {v[0] for v in _stored(con).values()} == {"P3"}


def test_a_file_with_neither_project_nor_compound_is_refused(tmp_path: Path) -> None:
    bureau, _ = city()
    con, settings, _ = load(bureau, tmp_path)
    bare = [{k: v for k, v in order("X1", "2025-07-10").items() if k != "address"}]
    with pytest.raises(InputFileError) as err:
        ingest_file(con, settings, "complaints", write_orders(tmp_path / "bare.csv", bare))
    assert err.value.code == "FILE_WRONG_KIND" and "project_id" in str(err.value)


def test_loader_filled_columns_cannot_come_from_a_file(matched: dict[str, Any]) -> None:
    con, settings, tmp = matched["con"], matched["settings"], matched["tmp"]
    path = tmp / "forged.csv"
    path.write_text(
        "工单编号,受理时间,工单来源,工单类型,十四类,项目编号,事实认定,案件期限,match_method,匹配置信度\n"
        "F1,2025-07-20 10:00,12345,投诉举报类,房屋维修,P3,属实,2025-07-25,review,0.1\n",
        encoding="utf-8",
    )
    result = ingest_file(con, settings, "complaints", path)
    assert result.ignored_columns == ["match_method", "匹配置信度"]
    assert _stored(con)["F1"][1:] == ("given", 1)


# Measured on generated data with known truth. The figures for the record come from the
# benchmark (benchmarks/quality); here a small city must already meet the precision target.
@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("hotline")
    generate(tmp / "data", complaints=6000, seed=11, quarters=2)
    return {"tmp": tmp, "plan": plan_folder(tmp / "data")}


@pytest.mark.parametrize("noise", [0.1, 0.5, 1.0])
def test_automatic_matches_are_precise_on_generated_hotline_exports(
    generated: dict[str, Any], noise: float
) -> None:
    tmp = generated["tmp"]
    export, truth_file, n = hotline_from_folder(
        tmp / "data", tmp / f"hotline_{noise}.csv", noise=noise, seed=2
    )
    settings = Settings(db_path=tmp / f"w_{noise}.duckdb")
    con = open_warehouse(settings)
    for kind, path in generated["plan"]:
        if kind in ("companies", "projects"):
            ingest_file(con, settings, kind, path)
    result = ingest_file(con, settings, "complaints", export)
    assert (
        result.rows_read
        == n
        == result.rows_loaded + result.rows_in_review + result.rows_quarantined
    )
    truth = pl.read_parquet(truth_file)
    con.register("truth", truth)
    right, auto = con.execute(
        """SELECT count(*) FILTER (WHERE c.project_id = t.true_project), count(*)
           FROM src_complaints c JOIN truth t USING (complaint_id)"""
    ).fetchone()
    precision, recall = right / auto, right / n
    assert precision >= 0.995, (noise, precision, recall)
    assert recall >= {0.1: 0.95, 0.5: 0.8, 1.0: 0.7}[noise], (noise, precision, recall)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(list(args))
    out = capsys.readouterr().out
    return code, json.loads(out) if "--json" in args and out.strip() else out


def test_cli_generate_ingest_review_resolve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "w.duckdb")
    data = tmp_path / "data"
    code, made = cli(
        capsys,
        "generate",
        "--out",
        str(data),
        "--complaints",
        "1500",
        "--quarters",
        "1",
        "--hotline",
        "0.8",
        "--json",
    )
    assert code == 0 and made["hotline"]["rows"] > 1000
    for kind, path in plan_folder(data):
        if kind in ("companies", "projects"):
            assert cli(capsys, "ingest", kind, str(path), "--db", db, "--json")[0] == 0
    code, loaded = cli(
        capsys, "ingest", "complaints", made["hotline"]["path"], "--db", db, "--json"
    )
    assert code == 0 and loaded["rows_in_review"] > 0
    assert (
        loaded["rows_read"]
        == loaded["rows_loaded"] + loaded["rows_in_review"] + loaded["rows_quarantined"]
    )
    code, queue = cli(capsys, "match", "review", "list", "--limit", "5", "--db", db, "--json")
    assert code == 0 and queue["pending"] == loaded["rows_in_review"] and len(queue["items"]) == 5
    first = queue["items"][0]
    best = first["candidates"][0]["project_id"]
    code, done = cli(
        capsys,
        "match",
        "review",
        "resolve",
        first["review_id"],
        "--project",
        best,
        "--by",
        "张三",
        "--db",
        db,
        "--json",
    )
    assert code == 0 and done["project_id"] == best
    assert (
        cli(capsys, "match", "review", "resolve", first["review_id"], "--by", "张三", "--db", db)[0]
        == 2
    )
    code, shown = cli(capsys, "match", "aliases", "--db", db, "--json")
    assert code == 0 and shown[0]["project_id"] == best
