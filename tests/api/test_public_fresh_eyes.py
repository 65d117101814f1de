"""Session 6's fresh-eyes finds on the public lookup, over the golden Yantai bureau of
tests/api/conftest.py (甲 first shown in 2025Q2's publicity from 2025-09-25; 2025Q3 in
publicity from 2025-12-31 to 2026-01-12, published 2026-01-20):

* `/grades?ruleset=…` naming no version the snapshot holds said 没有这个页面;
* a card asked for a day before the company had any result suggested a mistyped USCC;
* a POST to a page said 出现错误 (a 500's words) for what is a 405;
* during publicity the card's `provenance.disclosed_at` named the later publication.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # end to end over the real app and DuckDB file


def _main(html: str) -> str:
    return re.sub(r"<[^>]+>|\s", "", html.split('<main id="main">', 1)[1].split("</main>")[0])


@pytest.mark.parametrize("asked", ["unknown", "yantai-2022@9.9.9"])
def test_an_unknown_rule_version_says_which_and_links_to_those_there_are(
    client: TestClient, asked: str
) -> None:
    page = client.get(f"/grades?ruleset={asked}")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    said = _main(page.text)
    assert said.startswith("没有这个评价规则版本"), said
    assert f"没有按评价规则版本{asked}公布的结果。已公布结果的版本：yantai-2022@1.0.0。" in said
    links = re.findall(r'<ul id="rulesets">(.*?)</ul>', page.text, re.S)
    assert links and re.findall(r'href="([^"]+)"', links[0]) == [
        "/grades?ruleset=yantai-2022@1.0.0"
    ]
    assert client.get("/grades?ruleset=yantai-2022@1.0.0").status_code == 200
    # the JSON API: a well-written version not there is the same 404, naming those there are
    error = client.get("/v1/public/grades?ruleset=yantai-2022@9.9.9").json()["error"]
    assert error["code"] == "RULESET_NOT_FOUND"
    assert error["details"]["rulesets"] == ["yantai-2022@1.0.0"]
    assert error["message"].endswith("已公布结果的版本：yantai-2022@1.0.0。")


def test_a_day_before_the_first_result_says_so_not_that_the_uscc_is_wrong(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    uscc = bureau_db["names"]["甲物业"]
    page = client.get(f"/companies/{uscc}?as_of=2025-01-01")
    assert page.status_code == 404
    said = _main(page.text)
    assert said.startswith("该日尚无已公布的评价结果"), said
    assert "有误" not in said and "尚未参加评价" not in said
    message = (
        f"截至2025年1月1日，甲物业（{uscc}）尚无已公布的信用评价结果；"
        "其首个评价结果（2025年第2季度）于2025年9月25日起公示。"
    )
    assert message in said
    assert f'<a id="current" href="/companies/{uscc}">查看当前的信用评价结果</a>' in page.text
    error = client.get(f"/v1/public/companies/{uscc}?as_of=2025-01-01").json()["error"]
    assert (error["code"], error["message"]) == ("RESULT_NOT_YET_SHOWN", message)
    assert error["details"] == {
        "name": "甲物业",
        "first_shown_on": "2025-09-25",
        "status": "proposed",
        "period": "2025Q2",
    }
    # a USCC nobody has keeps its own answer
    nobody = client.get("/v1/public/companies/91370600000000000K?as_of=2025-01-01").json()
    assert nobody["error"]["code"] == "COMPANY_NOT_FOUND"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_page_asked_with_another_method_is_a_405_page(
    client: TestClient, bureau_db: dict[str, Any], method: str
) -> None:
    uscc = bureau_db["names"]["甲物业"]
    for url in (f"/companies/{uscc}", "/", "/lists/black", "/grades"):
        page = client.request(method, url)
        assert page.status_code == 405, url
        assert page.headers["allow"] == "GET" and page.headers["content-type"].startswith(
            "text/html"
        )
        said = _main(page.text)
        assert said.startswith("不支持此请求方式"), said
        assert "出现错误" not in said and "405·METHOD_NOT_ALLOWED" in said
    api = client.request(method, f"/v1/public/companies/{uscc}")
    assert api.status_code == 405 and api.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_provenance_claims_no_publication_while_in_publicity(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    uscc = bureau_db["names"]["丁物业"]
    during = client.get(f"/v1/public/companies/{uscc}?as_of=2026-01-05").json()
    assert during["current"]["status"] == "proposed" and during["current"]["period"] == "2025Q3"
    assert during["provenance"]["disclosed_at"] is None
    assert during["provenance"]["publicity_from"] == "2025-12-31T10:00:00+08:00"
    assert during["current"]["publicity"]["starts_on"] == "2025-12-31"
    after = client.get(f"/v1/public/companies/{uscc}?as_of=2026-02-01").json()
    assert after["provenance"]["disclosed_at"] == "2026-01-20T10:00:00+08:00"
    assert after["provenance"]["publicity_from"] == "2025-12-31T10:00:00+08:00"
    html = client.get(f"/companies/{uscc}?as_of=2026-01-05").text
    footer = re.sub(r"<[^>]+>|\s", "", html.split('id="provenance">', 1)[1].split("</footer>")[0])
    assert "公示" in footer and "发布日期" not in footer


@pytest.mark.parametrize(
    "url",
    [
        "/companies/{uscc}",
        "/companies/{uscc}?as_of=2026-01-25",
        "/lists/black",
        "/lists/red?as_of=2026-01-25",
        "/?q=甲物业",
        "/grades",
        "/compounds/P5",
        "/compounds/P5?as_of=2025-08-01",
    ],
)
def test_pages_carry_the_public_apis_etag_and_cache_control(
    client: TestClient, bureau_db: dict[str, Any], url: str
) -> None:
    url = url.format(uscc=bureau_db["names"]["甲物业"])
    first = client.get(url)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
    past = "as_of=" in url
    expected = "public, max-age=31536000, immutable" if past else "public, max-age=60"
    assert first.headers["cache-control"] == expected and first.headers["etag"]
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url).headers["etag"] == first.headers["etag"]  # same page, same validator


@pytest.mark.parametrize(
    "url",
    [
        "/v1/public/search?q=阳光花园&page=99",
        "/v1/public/companies?page=99",
        "/v1/public/lists/black?page=99&period=2025Q3",
        "/?q=阳光花园&page=99",
        "/lists/black?page=99&period=2025Q3",
    ],
)
def test_a_page_past_the_end_is_page_invalid_naming_the_last_page(
    client: TestClient, url: str
) -> None:
    answer = client.get(url)
    assert answer.status_code == 400, answer.text
    if url.startswith("/v1/"):
        error = answer.json()["error"]
        assert error["code"] == "PAGE_INVALID"
        assert error["details"] == {"field": "page", "value": "99", "max": "1", "pages": "1"}
        assert error["message"] == "没有第99页：共1页。"
    else:
        assert "没有第99页：共1页。" in _main(answer.text)
    assert client.get(url.replace("page=99", "page=1")).status_code == 200


def test_list_pages_page_both_ways_and_keep_the_period_and_day(client: TestClient) -> None:
    api = "/v1/public/lists/{}?period=2025Q3&as_of=2026-01-25&page_size=1"
    kind = max(("red", "black"), key=lambda k: client.get(api.format(k)).json()["total"])
    pages = client.get(api.format(kind)).json()["total"]
    assert pages >= 2  # the golden bureau lists more than one company on one of them
    here = "?period=2025Q3&amp;as_of=2026-01-25&amp;page_size=1&amp;page="
    first = client.get(f"/lists/{kind}?period=2025Q3&as_of=2026-01-25&page_size=1").text
    assert f"第1页，共{pages}页" in _main(first) and 'rel="prev"' not in first
    assert f'<a rel="next" href="{here}2">下一页</a>' in first
    last = client.get(f"/lists/{kind}?period=2025Q3&as_of=2026-01-25&page_size=1&page={pages}").text
    assert f"第{pages}页，共{pages}页" in _main(last) and 'rel="next"' not in last
    assert f'<a rel="prev" href="{here}{pages - 1}">上一页</a>' in last
    # the periods and the list in force keep the day asked about
    assert f'href="/lists/{kind}?as_of=2026-01-25"' in first
    assert f'href="/lists/{kind}?period=2025Q2&amp;as_of=2026-01-25"' in first
    # the list in force pages without a period
    now = client.get(f"/lists/{kind}?as_of=2026-01-25&page_size=1").text
    if 'rel="next"' in now:
        assert 'rel="next" href="?as_of=2026-01-25&amp;page_size=1&amp;page=2"' in now


def test_a_too_long_search_says_what_is_wrong_as_the_api_does(client: TestClient) -> None:
    q = "阳" * 120
    api = client.get("/v1/public/search", params={"q": q}).json()["error"]["message"]
    page = client.get("/", params={"q": q})
    assert page.status_code == 422
    said = _main(page.text)
    assert "搜索词不能超过100个字符" in said.replace(" ", "") and api.replace(" ", "") in said
    assert "网址中有内容不正确" not in said


def _typed(uscc: str, how: str) -> str:
    if how == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) for c in uscc)
    if how == "spaced":
        return f"{uscc[:4]} {uscc[4:8]}-{uscc[8:12]} {uscc[12:]}".lower()
    return uscc.lower()


@pytest.mark.parametrize("how", ["fullwidth", "spaced", "lower"])
def test_a_card_address_typed_as_people_type_it_redirects_to_the_clean_one(
    client: TestClient, bureau_db: dict[str, Any], how: str
) -> None:
    uscc = bureau_db["names"]["甲物业"]
    typed = _typed(uscc, how)
    answer = client.get(f"/companies/{typed}?as_of=2026-01-25", follow_redirects=False)
    assert answer.status_code in (301, 308), answer.text
    assert answer.headers["location"] == f"/companies/{uscc}?as_of=2026-01-25"
    assert client.get(f"/companies/{typed}").status_code == 200
    # a code that cleans to no valid USCC stays the 400 saying what is wrong
    wrong = _typed(uscc[:17] + ("0" if uscc[17] != "0" else "1"), how)
    page = client.get(f"/companies/{wrong}", follow_redirects=False)
    assert page.status_code == 400 and "统一社会信用代码有误" in page.text


def test_a_compound_page_dates_the_black_listing_and_links_former_companies(
    client: TestClient,
) -> None:
    listed = []
    for pid in ("P1", "P2", "P3", "P4", "P5", "P7", "P8", "P9", "P10"):
        compound = client.get(f"/v1/public/compounds/{pid}?as_of=2026-01-25").json()
        serving = compound["serving"]
        if serving and serving["black"]:
            card = client.get(f"/v1/public/companies/{serving['uscc']}?as_of=2026-01-25").json()
            since = card["current"]["listing"]["since"]
            if since:
                listed.append((pid, since))
    assert listed  # the golden bureau black-lists a company serving a compound
    pid, since = listed[0]
    y, m, d = (int(x) for x in since.split("-"))
    said = _main(client.get(f"/compounds/{pid}?as_of=2026-01-25").text)
    assert f"列入日期：{y}年{m}月{d}日" in said
    # P5 changed hands on 2025-08-16: the former company links to its card, keeping the day
    services = client.get("/v1/public/compounds/P5").json()["services"]
    assert len(services) >= 2
    html = client.get("/compounds/P5?as_of=2026-01-25").text
    for s in services:
        assert f'<a href="/companies/{s["uscc"]}?as_of=2026-01-25">{s["company"]}</a>' in html
    assert f'<a href="/companies/{services[-1]["uscc"]}">' in client.get("/compounds/P5").text


def test_a_compound_nobody_served_on_the_day_asked_says_that_day(client: TestClient) -> None:
    """(A compound nobody serves now: test_public_search_notices, 青松小区.)"""
    today = _main(client.get("/compounds/P5?as_of=2019-12-31").text)
    assert "该日无物业服务企业服务本小区" in today


def _deepest(text: str) -> int:
    """How deep round brackets (（）()) nest in `text`."""
    depth = deepest = 0
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth -= 1
        deepest = max(deepest, depth)
    return deepest


def test_the_grades_page_cites_its_documents_apart_never_nested(client: TestClient) -> None:
    """/grades named the documents as 《…办法》（烟建住房〔2022〕13号；…办法（鲁建物字…）） —
    one bracket inside another. Each is cited apart: 《title》（number）；《title》（number）."""
    html = client.get("/grades").text
    documents = re.search(r'<p class="muted" id="documents">(.*?) · ', html, re.S)
    assert documents, html[:500]
    assert documents[1] == (
        "《烟台市物业服务企业信用信息管理办法》（烟建住房〔2022〕13号）；"
        "《山东省物业服务企业信用信息管理办法》（鲁建物字〔2019〕4号）"
    )
    assert _deepest(documents[1]) == 1
    legend = client.get("/v1/public/grades").json()
    assert legend["documents"][1] == "《山东省物业服务企业信用信息管理办法》（鲁建物字〔2019〕4号）"
