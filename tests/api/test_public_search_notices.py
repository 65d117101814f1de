"""A search that finds nothing says why — on the page and in `/v1/public/search` (its answer
shape kept, `notices` each with a stable `code`):

* an 18-character code with a wrong check character: which one GB 32100-2015 expects;
* a code typed with spaces, dashes, lower case or full width: cleaned as the ingest cleans
  identifiers, the company found, and what was changed said;
* a company in the register but not rated (未参评) in the period, and why;
* a compound found that no company serves now: who served it until when.

The world: the golden Yantai bureau (tests/api/conftest.py) plus 子物业, registered but
serving no compound, and 青松小区 (P11), served by 甲物业 until 2025-06-30 and by nobody
since, and 向阳小区 (P12) in 莱山区, named like the street 向阳街道 of 芝罘区, and 新城小区
(P13), whose only contract (乙物业) starts on 2025-12-01, after 2025Q3; 2025Q3 rated and
published. The same world is also served from its static snapshot directory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rating import public
from rating.engine.runner import execute_run
from rating.periods import Period
from rating.public import static
from rating.ruleset.loader import load_ruleset
from rating.uscc import as_typed, check_char
from tests.api.conftest import realistic
from tests.factories import load, publish_after_publicity
from tests.golden import scenarios

pytestmark = pytest.mark.slow  # end to end over the real app and DuckDB file


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    bureau = realistic(scenarios.yantai())
    jia = next(r["uscc"] for r in bureau.rows["companies"] if r["name"] == "甲物业")
    zi = bureau.company(11, "子物业")
    bureau.project("P11", jia, households=200, service_end="2025-06-30")
    row = bureau.rows["projects"][-1]
    row.update(project_name="青松小区", district="芝罘区", street="向阳街道", address="松林路7号")
    bureau.project("P12", jia, households=300)  # named like a street (向阳街道), elsewhere
    row = bureau.rows["projects"][-1]
    row.update(project_name="向阳小区", district="莱山区", street="滨海路街道", address="海港路3号")
    yi = next(r["uscc"] for r in bureau.rows["companies"] if r["name"] == "乙物业")
    bureau.project("P13", yi, households=120, service_start="2025-12-01")  # after 2025Q3
    row = bureau.rows["projects"][-1]
    row.update(project_name="新城小区", district="芝罘区", street="向阳街道", address="新城路1号")
    tmp = tmp_path_factory.mktemp("search-notices")
    con, settings, _ = load(bureau, tmp)
    rs = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    run = execute_run(con, settings, rs, Period.parse("2025Q3")).run_id
    publish_after_publicity(con, settings, run, datetime(2026, 1, 20, 10))
    static.export(public.WarehouseView(public.build(con, settings.zone, settings.current_time)),
                  tmp / "public")  # fmt: skip
    con.close()
    with (
        TestClient(create_app(settings)) as client,
        TestClient(create_app(settings, snapshot_dir=tmp / "public")) as files,
    ):
        yield {"client": client, "files": files, "jia": jia, "zi": zi}


def _search(world: dict[str, Any], q: str) -> dict[str, Any]:
    answer = world["client"].get("/v1/public/search", params={"q": q})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _page(world: dict[str, Any], q: str) -> str:
    html = world["client"].get("/", params={"q": q}).text
    found = re.search(r'<ul id="notices"[^>]*>(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>|\s", "", found.group(1)) if found else ""


def test_a_wrong_check_character_says_which_one_is_expected(world: dict[str, Any]) -> None:
    jia = world["jia"]
    expected = check_char(jia[:17])
    wrong = jia[:17] + ("0" if expected != "0" else "1")
    answer = _search(world, wrong)
    assert answer["items"] == [] and answer["total"] == 0
    [notice] = answer["notices"]
    assert notice["code"] == "USCC_INVALID" and notice["reason"] == "check_digit"
    assert (notice["expected"], notice["found"]) == (expected, wrong[-1])
    said = f"第18位应为 {expected}，而不是 {wrong[-1]}"
    assert said in notice["message"]
    assert said.replace(" ", "") in _page(world, wrong)


@pytest.mark.parametrize(
    ("typed", "changes", "words"),
    [
        ("{a} {b} {c}", ["space"], "去掉了空格"),
        ("{a}-{b}-{c}", ["dash"], "去掉了连字符"),
        ("{lower}", ["lower_case"], "小写字母改为大写"),
        ("{wide}", ["fullwidth"], "全角字符改为半角"),
    ],
)
def test_a_code_typed_loosely_finds_the_company_and_says_what_changed(
    world: dict[str, Any], typed: str, changes: list[str], words: str
) -> None:
    jia = world["jia"]
    query = typed.format(
        a=jia[:8],
        b=jia[8:14],
        c=jia[14:],
        lower=jia.lower(),
        wide="".join(chr(ord(c) + 0xFEE0) for c in jia),
    )
    assert as_typed(query) == (jia, tuple(changes))
    answer = _search(world, query)
    assert [i["company"]["uscc"] for i in answer["items"] if i["kind"] == "company"] == [jia]
    [notice] = answer["notices"]
    assert notice["code"] == "QUERY_NORMALISED" and notice["uscc"] == jia
    assert notice["changes"] == changes and words in notice["message"]
    assert f"已按统一社会信用代码{jia}查找" in _page(world, query)


@pytest.mark.parametrize("by", ["name", "uscc"])
def test_a_registered_company_not_rated_is_said_so(world: dict[str, Any], by: str) -> None:
    query = "子物业" if by == "name" else world["zi"]
    answer = _search(world, query)
    assert answer["items"] == []
    [notice] = answer["notices"]
    assert notice["code"] == "COMPANY_NOT_RATED" and notice["uscc"] == world["zi"]
    assert (notice["period"], notice["reason"]) == ("2025Q3", "not_rated")
    assert "未参评" in notice["message"] and "2025年第3季度" in notice["message"]
    assert "没有参评的服务项目" in notice["message"]
    assert "子物业" in _page(world, query) and "未参评" in _page(world, query)


def test_a_compound_no_company_serves_now_says_who_served_it_until_when(
    world: dict[str, Any],
) -> None:
    answer = _search(world, "青松小区")
    assert [i["project_id"] for i in answer["items"]] == ["P11"]
    assert answer["items"][0]["company"] is None
    [notice] = answer["notices"]
    assert notice["code"] == "COMPOUND_NOT_SERVED" and notice["project_id"] == "P11"
    assert (
        notice["message"] == "青松小区目前没有登记的物业服务企业；此前由甲物业服务至2025年6月30日。"
    )
    assert notice["message"] in _page(world, "青松小区")


def test_nothing_at_all_says_so_and_a_valid_unknown_code_too(world: dict[str, Any]) -> None:
    assert [n["code"] for n in _search(world, "并不存在的小区")["notices"]] == ["NO_MATCH"]
    unknown = "91370600000000000K"  # well formed, nobody's
    assert [n["code"] for n in _search(world, unknown)["notices"]] == ["COMPANY_NOT_FOUND"]
    # a search that finds what it should says nothing more
    assert _search(world, "金色公寓")["notices"] == []


def test_the_card_of_a_registered_company_not_rated_says_so(world: dict[str, Any]) -> None:
    """Its card's address answers 404 as before, with the search's words and its own code."""
    for url in (f"/v1/public/companies/{world['zi']}", f"/companies/{world['zi']}"):
        answer = world["client"].get(url)
        assert answer.status_code == 404, url
        said = answer.json()["error"] if url.startswith("/v1/") else {"message": answer.text}
        assert "未参评2025年第3季度的信用评价" in said["message"], url
        if url.startswith("/v1/"):
            assert said["code"] == "COMPANY_NOT_RATED" and said["details"]["period"] == "2025Q3"


def test_a_compound_named_like_a_street_is_found(world: dict[str, Any]) -> None:
    """向阳 is a street (向阳街道): 向阳小区 was read as 小区 in 向阳街道 and found nothing."""
    answer = _search(world, "向阳小区")
    assert [i["project_id"] for i in answer["items"]][:1] == ["P12"], answer
    assert answer["items"][0]["relevance"] == 1.0
    assert {n["code"] for n in answer["notices"]} <= {"COMPOUND_NOT_SERVED"}  # 青松小区 too
    # a place named before a compound's name still narrows it (莱山区 holds 阳光花园 P2)
    sunny = _search(world, "莱山区阳光花园")["items"]
    assert [i["project_id"] for i in sunny][:2] == ["P2", "P1"]


@pytest.mark.parametrize("q", ["阳光花园", ""])
def test_an_unknown_district_is_said_to_be_unknown_naming_those_there_are(
    world: dict[str, Any], q: str
) -> None:
    """火星区 is no district of the register: not NO_MATCH (the words typed may be right)."""
    for url in ("/v1/public/search", "/v1/public/companies"):
        answer = world["client"].get(url, params={"q": q, "district": "火星区"}).json()
        assert answer["items"] == [], url
        [notice] = answer["notices"]
        assert notice["code"] == "DISTRICT_UNKNOWN" and notice["name"] == "火星区", url
        assert notice["expected"] == "福山区、芝罘区、莱山区"
        assert notice["message"] == (
            "没有名为“火星区”的区（县、市）。可选的区（县、市）：福山区、芝罘区、莱山区。"
        )
    html = world["client"].get("/", params={"q": q, "district": "火星区"}).text
    assert 'data-code="DISTRICT_UNKNOWN"' in html
    assert "没有名为“火星区”的区（县、市）" in html and "没有找到" not in html
    # a district there is narrows without a word
    assert _search(world, "阳光花园")["notices"] == []
    there = world["client"].get("/v1/public/search", params={"q": "阳光花园", "district": "莱山区"})
    assert there.json()["notices"] == [] and there.json()["total"] == 1


def test_the_company_search_says_why_as_the_search_does(world: dict[str, Any]) -> None:
    """/v1/public/companies carries the same `notices` as /v1/public/search (no compound's)."""

    def codes(q: str) -> tuple[list[str], list[dict[str, Any]]]:
        answer = world["client"].get("/v1/public/companies", params={"q": q})
        assert answer.status_code == 200, answer.text
        return [i["uscc"] for i in answer.json()["items"]], answer.json()["notices"]

    jia = world["jia"]
    found, said = codes(f"{jia[:8]} {jia[8:]}")  # typed with a space: cleaned, found
    assert found == [jia] and [n["code"] for n in said] == ["QUERY_NORMALISED"]
    wrong = jia[:17] + ("0" if check_char(jia[:17]) != "0" else "1")
    found, said = codes(wrong)
    assert found == [] and [n["code"] for n in said] == ["USCC_INVALID"]
    found, said = codes("子物业")
    assert found == [] and [n["code"] for n in said] == ["COMPANY_NOT_RATED"]
    found, said = codes("并不存在的小区")
    assert found == [] and [n["code"] for n in said] == ["NO_MATCH"]
    found, said = codes("金色公寓")  # found by the compound it serves: nothing to add
    assert found and said == []
    found, said = codes("青松小区")  # a compound nobody serves: no company, no compound notice
    assert found == [] and "COMPOUND_NOT_SERVED" not in [n["code"] for n in said]


def test_a_compound_whose_only_contract_starts_later_is_shown_saying_so(
    world: dict[str, Any],
) -> None:
    """新城小区's only contract starts on 2025-12-01: asked for 2025-11-01 its page was a 404
    (登记信息中没有…). It is shown — nobody serves it yet, 乙物业 from 2025-12-01 — from the
    warehouse and from the static snapshot alike."""
    for server in (world["client"], world["files"]):
        card = server.get("/v1/public/compounds/P13?as_of=2025-11-01")
        assert card.status_code == 200, card.text
        shown = card.json()
        assert (shown["name"], shown["serving"], shown["serving_company"]) == (
            "新城小区",
            None,
            None,
        )
        assert shown["services"] == [] and shown["grade"] is None
        [later] = shown["upcoming"]
        assert (later["company"], later["start"], later["end"]) == ("乙物业", "2025-12-01", None)
        html = server.get("/compounds/P13?as_of=2025-11-01")
        assert html.status_code == 200
        text = re.sub(r"<[^>]+>|\s", "", html.text)
        assert "已登记由乙物业自2025年12月1日起提供物业服务。" in text, text
        assert "尚无物业服务企业为其服务。" in text
        # once begun, 乙物业 serves it and nothing is upcoming
        now = server.get("/v1/public/compounds/P13").json()
        assert now["serving_company"] == "乙物业" and now["upcoming"] == []
    assert world["client"].get("/v1/public/compounds/P11").json()["upcoming"] == []


def test_the_static_snapshot_answers_this_worlds_notices_alike(world: dict[str, Any]) -> None:
    urls = [
        "/v1/public/search?q=阳光花园&district=火星区",
        "/?q=阳光花园&district=火星区",
        "/v1/public/companies?district=火星区",
        "/v1/public/companies?q=子物业",
        "/v1/public/search?q=新城小区",
        "/v1/public/compounds/P13?as_of=2025-11-01",
        "/compounds/P13?as_of=2025-11-01",
    ]
    for url in urls:
        a, b = world["client"].get(url), world["files"].get(url)
        assert (a.status_code, a.content) == (b.status_code, b.content), url


def test_the_company_search_without_words_still_lists_every_company(world: dict[str, Any]) -> None:
    every = world["client"].get("/v1/public/companies").json()
    assert every["total"] >= 10 and every["notices"] == []


def test_an_empty_lookup_says_nothing_is_published_not_no_match(
    fresh: tuple[TestClient, dict[str, str]],
) -> None:
    """A server over a warehouse with nothing published (`rating serve --create`) says so on
    the search page and in the API's notices, rather than 没有找到 for the words typed."""
    client, _ = fresh
    answer = client.get("/v1/public/search", params={"q": "锦绣花园"}).json()
    assert answer["items"] == []
    assert [(n["code"], n["message"]) for n in answer["notices"]] == [
        ("NOTHING_PUBLISHED", "尚未公布任何评价结果。")
    ]
    page = client.get("/", params={"q": "锦绣花园"}).text
    assert "尚未公布任何评价结果。" in page and "没有找到" not in page


def test_a_compound_nobody_serves_now_says_now_not_that_day(world: dict[str, Any]) -> None:
    """No day asked: 目前无…, not 该日无… (fresh-eyes 16 item 13)."""
    said = re.sub(r"<[^>]+>|\s", "", world["client"].get("/compounds/P11").text)
    assert "目前无物业服务企业服务本小区" in said and "该日无" not in said
    dated = re.sub(r"<[^>]+>|\s", "", world["client"].get("/compounds/P11?as_of=2026-01-25").text)
    assert "该日无物业服务企业服务本小区" in dated
