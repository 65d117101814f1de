"""The lookup a resident uses: find a compound by what they know, see who serves it, the grade,
why, and whether and until when it is listed; lists as spreadsheets; HTTP caching; error pages.

Over the golden Yantai bureau of tests/api/conftest.py, with its projects named as a register
names them (two 阳光花园 in two districts, 金色公寓 beside 金色名邸, phases of 翠竹新村, a
company renamed).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rating.audit import ledger
from rating.audit.publication import publicize
from rating.engine.runner import execute_run
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.warehouse import transaction
from tests.factories import load
from tests.golden import scenarios

pytestmark = pytest.mark.slow


def _search(client: TestClient, q: str, **params: Any) -> list[dict[str, Any]]:
    found = client.get("/v1/public/search", params={"q": q, **params}).json()
    assert found["total"] >= len(found["items"])
    return list(found["items"])


def _names(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(i["compound"] or i["company"]["name"], i["district"]) for i in items]


def test_a_compound_leads_to_the_company_serving_it(client: TestClient) -> None:
    hits = _search(client, "金色公寓")
    assert hits[0]["compound"] == "金色公寓" and hits[0]["company"]["name"] == "丙物业"
    assert hits[0]["relevance"] == 1.0 and hits[0]["company"]["black"] is True
    # 金色名邸 is another suffix class: shown, but below
    assert [h["compound"] for h in hits] == ["金色公寓", "金色名邸"]
    assert hits[1]["relevance"] < hits[0]["relevance"]


def test_same_named_compounds_are_told_apart_by_district_or_street(client: TestClient) -> None:
    both = _search(client, "阳光花园")
    assert sorted(_names(both)[:2]) == [("阳光花园", "芝罘区"), ("阳光花园", "莱山区")]
    for q in ("莱山区阳光花园", "阳光花园 滨海路街道", "滨海路阳光花园"):
        first = _search(client, q)[0]
        assert (first["compound"], first["district"], first["company"]["name"]) == (
            "阳光花园",
            "莱山区",
            "乙物业",
        ), q
    only = _search(client, "阳光花园", district="芝罘区")
    assert _names(only) == [("阳光花园", "芝罘区")]


def test_addresses_phases_former_names_and_codes(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    assert _search(client, "中山路12号")[0]["compound"] == "金色公寓"
    assert _search(client, "中山路12号")[0]["matched"] == "address"
    for q in ("中山路12号金色公寓", "金色公寓 中山路12号"):  # address and name in one query
        first = _search(client, q)[0]
        assert (first["compound"], first["matched"]) == ("金色公寓", "address"), q
    phases = _search(client, "翠竹新村")
    assert {h["compound"] for h in phases[:2]} == {"翠竹新村一期", "翠竹新村二期"}
    assert _search(client, "翠竹新村2期")[0]["compound"] == "翠竹新村二期"  # 2期 = 二期
    # A phase the register does not have: the same name's other phases before another suffix
    other = [(h["compound"], h["relevance"]) for h in _search(client, "金色公寓三期")]
    assert other == [("金色公寓", 0.7), ("金色名邸", 0.6)]
    assert {h["relevance"] for h in _search(client, "翠竹新村三期")[:2]} == {0.7}
    former = _search(client, "烟台癸水物业管理有限公司")[0]
    assert former["company"]["name"] == "癸物业" and former["matched"] == "former_name"
    uscc = bureau_db["names"]["乙物业"]
    assert _search(client, uscc.lower())[0]["company"]["uscc"] == uscc
    companies = client.get("/v1/public/companies", params={"q": "金色公寓"}).json()
    assert companies["items"][0]["name"] == "丙物业" and companies["total"] == 2


def test_compound_hand_overs_and_grade(client: TestClient) -> None:
    p5 = client.get("/v1/public/compounds/P5").json()
    assert p5["serving"]["name"] == "己物业" and p5["grade"]["period"] == "2025Q3"
    assert [(s["company"], s["start"], s["end"]) for s in p5["services"]] == [
        ("己物业", "2025-08-16", None),
        ("戊物业", "2020-01-01", "2025-08-15"),
    ]
    before = client.get("/v1/public/compounds/P5", params={"as_of": "2025-08-01"}).json()
    assert (
        before["serving_company"] == "戊物业" and before["serving"] is None
    )  # nothing published yet
    assert [s["company"] for s in before["services"]] == ["戊物业"]
    page = client.get("/compounds/P5")
    assert page.status_code == 200 and "己物业" in page.text and "2025年8月16日" in page.text
    assert client.get("/v1/public/compounds/NOPE").status_code == 404


def test_black_list_ground_and_dates(client: TestClient, bureau_db: dict[str, Any]) -> None:
    streak = client.get(f"/v1/public/companies/{bureau_db['names']['丁物业']}").json()["current"]
    assert streak["listing"]["grounds"] == ["streak"]
    assert streak["listing"]["streak"] == ["2025Q1", "2025Q2", "2025Q3"]
    assert streak["list_reason"] == "信用等级连续3次被确定为C级（2025Q1、2025Q2、2025Q3）"
    # published 2026-01-20: at least 3 months, at most 36 (rule set's [disclosure.black_list])
    assert (
        streak["listing"]["since"],
        streak["listing"]["earliest_removal"],
        streak["listing"]["latest_expiry"],
    ) == ("2026-01-20", "2026-04-20", "2029-01-20")
    veto = client.get(f"/v1/public/companies/{bureau_db['names']['丙物业']}").json()["current"]
    assert veto["listing"]["grounds"] == ["veto"] and veto["list_reason"].startswith(
        "存在严重违法违规行为（一票否决事项："
    )
    page = client.get(f"/companies/{bureau_db['names']['丁物业']}").text
    for shown in (
        "连续3次被确定为C级",
        "2026年1月20日",
        "2026年4月20日",
        "2029年1月20日",
        "未申请信用修复",
    ):
        assert shown in page, shown
    assert "P-" not in page and "B-INFO" not in page and "2026-01-20T" not in page


def test_lists_pages_and_spreadsheets(client: TestClient) -> None:
    q3 = client.get("/v1/public/lists/black", params={"period": "2025Q3"}).json()
    assert q3["total"] == 2 and q3["title"].startswith("黑名单") and "烟台" in q3["clause"]
    assert {i["listing"]["grounds"][0] for i in q3["items"]} == {"veto", "streak"}
    assert client.get("/v1/public/lists/red", params={"period": "2025Q2"}).json()["total"] == 1
    page = client.get("/lists/black", params={"period": "2025Q3"})
    assert page.status_code == 200
    for shown in ("名单说明", "依据", "最迟移出日期", "丁物业", "丙物业", "2025Q2", "format=xlsx"):
        assert shown in page.text, shown
    csv = client.get("/v1/public/lists/black", params={"period": "2025Q3", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.content.startswith(
        b"\xef\xbb\xbf"
    )
    assert "列入依据" in csv.text and "2029年1月20日" in csv.text
    xlsx = client.get("/v1/public/lists/black", params={"period": "2025Q3", "format": "xlsx"})
    assert 'filename="black-list-2025Q3-' in xlsx.headers["content-disposition"]
    sheet = pl.read_excel(io.BytesIO(xlsx.content), read_options={"header_row": 3})
    assert sorted(sheet["企业名称"].to_list()) == ["丁物业", "丙物业"]
    assert set(sheet["最迟移出日期"]) == {date(2029, 1, 20)}  # a date (shown 2029年1月20日)
    again = client.get("/v1/public/lists/black", params={"period": "2025Q3", "format": "xlsx"})
    assert again.content == xlsx.content  # reproducible bytes
    assert client.get("/lists/black", params={"period": "2019Q1"}).status_code == 404


def test_grades_legend(client: TestClient) -> None:
    legend = client.get("/v1/public/grades").json()
    assert legend["ruleset"] == "yantai-2022@1.0.0"
    assert [g["rule"] for g in legend["grades"][:2]] == [
        "信用得分85分（含）以上",
        "信用得分80分（含）至85分",
    ]
    assert legend["black_maximum_months"] == 36
    page = client.get("/grades")
    assert page.status_code == 200 and "一票否决" in page.text and "最长36个月" in page.text
    # the version as a resident reads it; the rule set's id only in the links
    assert "评价规则第1.0.0版，自" in page.text and ">yantai-2022@" not in page.text


def test_etag_cache_control_and_304(client: TestClient, bureau_db: dict[str, Any]) -> None:
    url = f"/v1/public/companies/{bureau_db['names']['乙物业']}"
    today = client.get(url)
    assert today.headers["cache-control"] == "public, max-age=60" and today.headers["etag"]
    same = client.get(url, headers={"If-None-Match": today.headers["etag"]})
    assert (
        same.status_code == 304
        and same.content == b""
        and same.headers["etag"] == today.headers["etag"]
    )
    past = client.get(url, params={"as_of": "2026-01-01"})
    assert past.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    lists = client.get("/v1/public/lists/red", params={"period": "2025Q2"})
    assert (
        client.get(
            "/v1/public/lists/red",
            params={"period": "2025Q2"},
            headers={"If-None-Match": lists.headers["etag"]},
        ).status_code
        == 304
    )


def test_cors_only_where_configured_and_only_for_the_public_api(bureau_db: dict[str, Any]) -> None:
    origin = {"Origin": "https://zjj.example.gov.cn"}
    with TestClient(create_app(bureau_db["settings"])) as closed:
        assert (
            "access-control-allow-origin"
            not in closed.get("/v1/public/periods", headers=origin).headers
        )
    settings = bureau_db["settings"].with_(cors_origins="https://zjj.example.gov.cn")
    with TestClient(create_app(settings)) as c:
        public = c.get("/v1/public/periods", headers=origin)
        assert public.headers["access-control-allow-origin"] == "https://zjj.example.gov.cn"
        assert "ETag" in public.headers["access-control-expose-headers"]
        preflight = c.options(
            "/v1/public/search",
            headers={**origin, "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 200
        bureau = c.get("/v1/bureau/runs", headers=origin)
        assert "access-control-allow-origin" not in bureau.headers


def test_operation_ids_are_stable(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    ids = {
        (m, p): op["operationId"]
        for p, ops in schema["paths"].items()
        for m, op in ops.items()
        if p.startswith("/v1/public/")
    }
    assert ids == {
        ("get", "/v1/public/search"): "search",
        ("get", "/v1/public/companies"): "search_companies",
        ("get", "/v1/public/companies/{uscc}"): "get_company",
        ("get", "/v1/public/compounds/{project_id}"): "get_compound",
        ("get", "/v1/public/lists/{kind}"): "get_list",
        ("get", "/v1/public/periods"): "list_periods",
        ("get", "/v1/public/grades"): "get_legend",
        ("get", "/v1/public/tender/{uscc}"): "get_tender",
        ("get", "/v1/public/managers"): "list_public_managers",
    }
    every = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(every) == len(set(every))


def test_error_pages_in_the_same_design(client: TestClient, bureau_db: dict[str, Any]) -> None:
    page = client.get("/companies/91370600000000000K")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "没有查到该企业" in page.text and "返回查询" in page.text and 'lang="zh-CN"' in page.text
    api = client.get("/v1/public/companies/91370600000000000K")
    assert api.status_code == 404 and api.json()["error"]["code"] == "COMPANY_NOT_FOUND"
    assert client.get("/nowhere").headers["content-type"].startswith("text/html")
    settings = bureau_db["settings"].with_(rate_limit=10)  # a minute: the 11th is refused
    with TestClient(create_app(settings)) as c:
        codes = [c.get("/grades").status_code for _ in range(15)]
        limited = c.get("/grades")
        assert 429 in codes and limited.status_code == 429 and "请求过于频繁" in limited.text
        wait = int(limited.headers["retry-after"])
        assert wait >= 1
        # the tab says what happened in Chinese, the page how long to wait (Retry-After)
        assert "<title>请求过于频繁 · 物业服务企业信用查询</title>" in limited.text
        assert f"请在 {wait} 秒后再试" in limited.text
        assert limited.headers["ratelimit-limit"] == "10"  # the limiter's headers on the page too


def test_a_withdrawn_result_is_gone(tmp_path: Path) -> None:
    """A run shown during publicity, then withdrawn (a revision hides it before its own
    publicity starts): its companies' cards answer 410, the day before 200."""
    con, settings, _ = load(scenarios.yantai(), tmp_path)
    rs = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    run = execute_run(con, settings, rs, Period.parse("2025Q3")).run_id
    publicize(con, settings.with_(now=datetime(2025, 10, 10, 10, 0)), run)
    with transaction(con):
        ledger.append(
            con,
            "revised",
            run_id=run,
            status="superseded",
            payload={"period": "2025Q3", "revised_to": None},
            at=datetime(2025, 10, 12, 9, 0, tzinfo=settings.zone),
        )
    uscc = con.execute("SELECT uscc FROM src_companies WHERE name = '乙物业'").fetchone()[0]  # type: ignore[index]
    con.close()
    with TestClient(create_app(settings)) as c:
        shown = c.get(f"/v1/public/companies/{uscc}", params={"as_of": "2025-10-11"})
        assert shown.status_code == 200 and shown.json()["current"]["status"] == "proposed"
        gone = c.get(f"/v1/public/companies/{uscc}")
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "RESULT_WITHDRAWN"
        assert gone.json()["error"]["details"]["withdrawn_on"] == "2025-10-12"
        page = c.get(f"/companies/{uscc}")
        assert (
            page.status_code == 410
            and "该结果已撤回" in page.text
            and "2025年10月12日" in page.text
        )


def test_the_xlsx_is_a_real_workbook(client: TestClient) -> None:
    body = client.get("/v1/public/lists/black", params={"format": "xlsx"}).content
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert "xl/worksheets/sheet1.xml" in z.namelist()
