"""One rule for what a resident sees as in force (现行), on lists and cards, red and black alike:
what was published after publicity. Results in publicity (公示) are shown apart, labelled
公示中（拟列入）, with the publicity's end and how to object (异议). Also: error pages in plain
Chinese with what to do next, /healthz counting published runs only, and a card's reasons
largest first — each against the real app over a real DuckDB file (the golden Yantai bureau:
2025Q2 published on 2025-10-15; 2025Q3 in publicity from 2025-12-31 to 2026-01-12, published
on 2026-01-20; 丙 (veto) and 丁 (three C running) listed by 2025Q3, 甲 on the red list)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rating.engine.runner import execute_run
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from tests.api.conftest import realistic
from tests.factories import load, publish_after_publicity
from tests.golden import scenarios

# the API over a bureau rated and published end to end: not in `make test-fast`
pytestmark = pytest.mark.slow

IN_PUBLICITY, AFTER = "2026-01-05", "2026-01-25"
DAYS = ("2025-10-14", "2025-10-15", "2025-12-30", "2025-12-31", IN_PUBLICITY, "2026-01-12",
        "2026-01-19", "2026-01-20", AFTER)  # fmt: skip


class _Element(HTMLParser):
    """The text of the element with a given id (its tags removed, white space dropped)."""

    VOID = {"br", "input", "img", "meta", "link", "hr", "circle", "line", "polyline"}

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id, self.depth, self.found, self.parts = element_id, 0, False, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 0 and not self.found and ("id", self.element_id) in attrs:
            self.found, self.depth = True, 1 if tag not in self.VOID else 0
        elif self.depth and tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def _text(html: str, element_id: str) -> str:
    parser = _Element(element_id)
    parser.feed(html)
    assert parser.found, f"no #{element_id}"
    return re.sub(r"\s+", "", "".join(parser.parts))


def _in_force(client: TestClient, kind: str, day: str) -> tuple[set[str], set[str]]:
    page = client.get(f"/v1/public/lists/{kind}", params={"as_of": day}).json()
    proposed = page["proposed"]["items"] if page["proposed"] else []
    return {e["uscc"] for e in page["items"]}, {e["uscc"] for e in proposed}


def test_lists_and_cards_follow_one_rule_on_every_day(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """Whatever the day: a card's red/black badge is exactly membership of the list in force,
    and its proposals exactly membership of the lists' 公示中（拟列入） sections."""
    for day in DAYS:
        lists = {kind: _in_force(client, kind, day) for kind in ("red", "black")}
        for uscc in bureau_db["names"].values():
            card = client.get(f"/v1/public/companies/{uscc}", params={"as_of": day}).json()
            if "current" not in card:
                continue
            now = card["current"]
            proposed = {p["kind"] for p in now["proposed"]}
            for kind in ("red", "black"):
                in_force, in_publicity = lists[kind]
                assert now[kind] == (uscc in in_force), (day, uscc, kind)
                assert (kind in proposed) == (uscc in in_publicity), (day, uscc, kind)
                assert not (kind == "black" and now["black"] and "black" in proposed)


def test_in_publicity_nothing_new_is_in_force_and_the_proposals_say_until_when(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    names = bureau_db["names"]
    black = client.get("/v1/public/lists/black", params={"as_of": IN_PUBLICITY}).json()
    assert black["items"] == [] and black["total"] == 0 and black["in_force"] is True
    assert black["proposed"]["publicity"] == {
        "period": "2025Q3",
        "starts_on": "2025-12-31",
        "ends_on": "2026-01-12",
        "objections_until": "2026-01-12",
        "ended": False,
    }
    assert [e["name"] for e in black["proposed"]["items"]] == ["丁物业", "丙物业"]
    assert all(e["status"] == "proposed" for e in black["proposed"]["items"])
    red = client.get("/v1/public/lists/red", params={"as_of": IN_PUBLICITY}).json()
    assert red["period"] == "2025Q2" and [e["name"] for e in red["items"]] == ["甲物业"]
    assert red["items"][0]["status"] == "published"
    assert [e["name"] for e in red["proposed"]["items"]] == ["甲物业"]
    period = client.get(
        "/v1/public/lists/black", params={"as_of": IN_PUBLICITY, "period": "2025Q3"}
    ).json()
    assert period["in_force"] is False and period["publicity"]["ends_on"] == "2026-01-12"
    assert {e["status"] for e in period["items"]} == {"proposed"} and period["total"] == 2
    card = client.get(
        f"/v1/public/companies/{names['丙物业']}", params={"as_of": IN_PUBLICITY}
    ).json()["current"]
    assert card["black"] is False and card["listing"] is None
    assert [(p["kind"], p["publicity"]["ends_on"]) for p in card["proposed"]] == [
        ("black", "2026-01-12")
    ]
    assert card["proposed"][0]["reason"].startswith("存在严重违法违规行为")
    # After the publication, in force — and no longer a proposal.
    after = client.get(f"/v1/public/companies/{names['丙物业']}", params={"as_of": AFTER}).json()
    assert after["current"]["black"] is True and after["current"]["proposed"] == []
    black = client.get("/v1/public/lists/black", params={"as_of": AFTER}).json()
    assert black["total"] == 2 and black["proposed"] is None


def test_the_pages_say_the_rule_and_label_proposals(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    names = bureau_db["names"]
    html = client.get("/lists/black", params={"as_of": IN_PUBLICITY}).text
    assert 'id="members"' not in html and "现行名单暂无企业" in _text(html, "empty")
    assert "公示期满后正式公布" in _text(html, "rule")
    proposed = _text(html, "proposed")
    assert (
        "公示中（拟列入）·2025年第3季度" in proposed
        and "丙物业" in proposed
        and "丁物业" in proposed
    )
    assert "公示至2026年1月12日" in proposed and "异议" in proposed
    assert "2026年1月12日（含当日）前" in proposed
    red = client.get("/lists/red", params={"as_of": IN_PUBLICITY}).text
    assert _text(red, "title") == "红名单·现行·2025年第2季度" and "甲物业" in _text(red, "members")
    assert "甲物业" in _text(red, "proposed")
    period = client.get("/lists/black", params={"as_of": IN_PUBLICITY, "period": "2025Q3"}).text
    assert _text(period, "status") == "公示中（拟列入）" and "2026年1月12日" in period
    card = client.get(f"/companies/{names['丙物业']}", params={"as_of": IN_PUBLICITY}).text
    assert _text(card, "grade-heading") == "2025年第3季度信用等级"  # periods in words, not codes
    assert 'id="black"' not in card and 'class="tag black"' not in card
    assert _text(card, "proposed-black") == "黑名单·公示中（拟列入）"
    box = _text(card, "proposal-black")
    assert "存在严重违法违规行为" in box and "公示至2026年1月12日" in box and "异议" in box
    compound = client.get("/compounds/P3", params={"as_of": IN_PUBLICITY}).text  # served by 丙
    assert "黑名单 · 公示中（拟列入）" in compound and 'class="tag black"' not in compound
    assert _text(compound, "publicity").startswith("2025年第3季度评价结果公示至2026年1月12日")
    assert "2026年1月12日（含当日）前提出异议" in _text(compound, "what-to-do")
    listed = client.get(f"/companies/{names['丙物业']}", params={"as_of": AFTER}).text
    assert _text(listed, "black") == "黑名单" and 'id="proposed-black"' not in listed


@pytest.fixture
def in_publicity(bureau_db: dict[str, Any]) -> Iterator[TestClient]:
    """The app on 2026-01-05, 12:00: 2025Q2 published, 2025Q3 in publicity."""
    settings = bureau_db["settings"].with_(now=datetime(2026, 1, 5, 12, 0))
    with TestClient(create_app(settings)) as c:
        yield c


def test_health_counts_published_runs_only_and_names_the_current_one(
    in_publicity: TestClient, bureau_db: dict[str, Any]
) -> None:
    health = in_publicity.get("/healthz").json()
    runs = bureau_db["runs"]
    assert health["published_runs"] == 1  # 2025Q3 is in publicity: not published
    assert health["current"] == {
        "period": "2025Q2",
        "run_id": runs["2025Q2"],
        "publicity_ends": None,
    }
    assert health["in_publicity"] == [
        {"period": "2025Q3", "run_id": runs["2025Q3"], "publicity_ends": "2026-01-12"}
    ]
    hits = in_publicity.get("/v1/public/search", params={"q": "金色公寓"}).json()["items"]
    assert hits[0]["company"]["black"] is False and hits[0]["company"]["proposed"] == ["black"]
    page = in_publicity.get("/", params={"q": "金色公寓"}).text
    assert "黑名单 · 公示中（拟列入）" in page and 'class="tag black"' not in page


@pytest.mark.parametrize(
    ("url", "heading", "hint"),
    [
        ("/companies/91370600000000000K", "没有查到该企业已公布的信用评价结果", "按企业名称"),
        ("/compounds/NO-SUCH", "登记信息中没有这个小区", "按小区名称或地址查询"),
        ("/lists/red?period=2019Q1", "该期次没有公布名单", "现行名单"),
        ("/nowhere", "没有这个页面", "查询"),
        ("/companies/9137", "统一社会信用代码有误", "共4位，统一社会信用代码应为18位"),
        ("/lists/black?period=2026X", "网址有误", "2026Q3（季度"),
        ("/lists/black?as_of=2026-02-30", "网址有误", "2026-01-20"),
    ],
)
def test_error_pages_speak_to_residents_and_keep_the_code_small(
    client: TestClient, url: str, heading: str, hint: str
) -> None:
    answer = client.get(url)
    assert answer.status_code in (400, 404) and answer.headers["content-type"].startswith(
        "text/html"
    )
    html = answer.text
    assert _text(html, "error") == heading.replace(" ", "")
    assert hint in _text(html, "explain") + _text(html, "next")
    assert 'id="q"' in html  # a search box to go on with
    code = _text(html, "code")
    assert code.startswith("供工作人员查询") and str(answer.status_code) in code
    assert "_" not in _text(html, "error") + _text(html, "explain")  # no raw code in the text
    if "period=2026X" in url or "as_of" in url:
        assert "18位" not in html
    if "/companies/9137" in url:
        assert "2026-01-20" not in _text(html, "explain")


def test_a_cards_reasons_are_ordered_by_size_whatever_their_sign(tmp_path: Path) -> None:
    """癸 has −3 (serious finding unrectified), −2 (street opinion), −1.5 (inspection); an award
    of 3 points ties with the largest: by size, then by rule id."""
    bureau = realistic(scenarios.yantai())
    uscc = next(
        r["uscc"] for r in bureau.rows["companies"] if r["name"] == "烟台癸水物业管理有限公司"
    )
    bureau.event(uscc, "2025-07-01", info_kind="良好", code="G02", description="区级表彰", points=3)
    con, settings, _ = load(bureau, tmp_path)
    rs = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    run = execute_run(con, settings, rs, Period.parse("2025Q3")).run_id
    publish_after_publicity(con, settings, run, datetime(2026, 1, 20, 10) - timedelta(days=0))
    con.close()
    with TestClient(create_app(settings)) as c:
        reasons = c.get(f"/v1/public/companies/{uscc}").json()["reasons"]
        page = c.get(f"/companies/{uscc}").text
    assert [(r["rule_id"], r["points"]) for r in reasons] == [
        ("G-INFO", 3.0),
        ("P-INSP-UNRECTIFIED", -3.0),
        ("P-STREET", -2.0),
        ("P-INSP-DEDUCT", -1.5),
    ]
    rows = re.findall(r'data-label="分值">([^<]+)<', page)
    # the base first, the reasons by size, then the score they add up to
    assert rows == ["80.00分", "加3.00分", "扣3.00分", "扣2.00分", "扣1.50分", "= 76.50分"]


def test_a_resident_learns_why_and_what_to_do(client: TestClient) -> None:
    """From a compound: a link to why the grade is what it is; on compound and card: whom to
    call about the service (12345); the compound grades' legend speaks of the project's score."""
    compound = client.get("/compounds/P3").text
    assert _text(compound, "why") == "查看等级原因及列入名单情况"
    for page in (compound, client.get(f"/companies/{_uscc(client, '丙物业')}").text):
        advice = _text(page, "what-to-do")
        assert "12345" in advice and "属实的投诉计入企业信用评价" in advice
        assert "异议" not in advice  # nothing in publicity on 2026-11-01
    legend = _text(client.get("/grades").text, "project-legend")
    assert "项目得分" in legend and "信用得分" not in legend


def _uscc(client: TestClient, name: str) -> str:
    return str(client.get("/v1/public/companies", params={"q": name}).json()["items"][0]["uscc"])
