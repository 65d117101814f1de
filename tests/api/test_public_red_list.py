"""The red list says since when, until when and on what ground, as the black list does — on its
page (desktop and phone), on the company card, in the JSON API and in the CSV/XLSX downloads —
against the real app over a real DuckDB file (the golden Yantai bureau: 甲 red-listed by 2025Q2,
published on 2025-10-15, and again by 2025Q3, in publicity from 2025-12-31, published on
2026-01-20). The rule sets give the red list no duration: the red list in force is the latest
published period's (decision 0012), so an entry lasts from its period's publication until the
next period's publication."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from tests.api.test_public_in_force import _text

pytestmark = pytest.mark.slow

IN_PUBLICITY, AFTER = "2026-01-05", "2026-01-25"
GROUND = "信用优秀（AAA）且无不良信用信息"  # yantai-2022's [lists.red] title, without the name
BASIS = "《烟台市物业服务企业信用信息管理办法》（烟建住房〔2022〕13号）"
UNTIL_NEXT = "至下一期评价结果公布之日"


def _red(client: TestClient, **params: str) -> dict[str, Any]:
    answer = client.get("/v1/public/lists/red", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_red_entry_lasts_from_its_publication_until_the_next(client: TestClient) -> None:
    # Before 2025Q3 is published, 2025Q2's list is in force, with no end known yet.
    page = _red(client, as_of=IN_PUBLICITY)
    assert page["period"] == "2025Q2" and page["current"] is True
    (entry,) = page["items"]
    assert entry["name"] == "甲物业" and entry["reason"] == GROUND
    assert entry["red_listing"] == {
        "period": "2025Q2",
        "grade": "AAA",
        "reason": GROUND,
        "clause": BASIS,
        "since": "2025-10-15",
        "until": None,
        "until_text": UNTIL_NEXT,
        "in_force": True,
    }
    # Proposed by 2025Q3 (in publicity): no dates yet.
    (proposed,) = page["proposed"]["items"]
    assert proposed["red_listing"]["since"] is None and proposed["red_listing"]["in_force"] is False
    # Once 2025Q3 is published, 2025Q2's entry ended that day; 2025Q3's starts.
    earlier = _red(client, as_of=AFTER, period="2025Q2")["items"][0]["red_listing"]
    assert (earlier["since"], earlier["until"], earlier["until_text"]) == (
        "2025-10-15",
        "2026-01-20",
        "2026年1月20日",
    )
    assert earlier["in_force"] is False and earlier["grade"] == "AAA"
    now = _red(client, as_of=AFTER)
    assert now["period"] == "2025Q3" and now["items"][0]["red_listing"]["since"] == "2026-01-20"
    assert now["items"][0]["red_listing"]["until"] is None
    # Seen on a day before 2025Q3's publication, nothing of it leaks into the answer.
    past = _red(client, as_of="2026-01-19", period="2025Q2")["items"][0]["red_listing"]
    assert past["until"] is None and past["in_force"] is True
    # Before any publication there is no red list in force.
    assert _red(client, as_of="2025-10-14")["items"] == []


def test_the_card_says_since_when_and_until_when(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    uscc = bureau_db["names"]["甲物业"]
    card = client.get(f"/v1/public/companies/{uscc}", params={"as_of": AFTER}).json()
    red = card["current"]["red_listing"]
    assert card["current"]["red"] is True
    assert (red["period"], red["since"], red["until_text"]) == ("2025Q3", "2026-01-20", UNTIL_NEXT)
    html = client.get(f"/companies/{uscc}", params={"as_of": AFTER}).text
    assert _text(html, "red-listed") == "2026年1月20日起列入，至下一期评价结果公布之日"
    assert _text(html, "red-ground") == f"列入2025年第3季度红名单：{GROUND}（{BASIS}）"
    # Not on the red list: no such line.
    other = bureau_db["names"]["丁物业"]
    plain = client.get(f"/v1/public/companies/{other}", params={"as_of": AFTER}).json()
    assert plain["current"]["red_listing"] is None
    assert 'id="red-listed"' not in client.get(f"/companies/{other}").text


def test_the_list_page_shows_the_dates_and_ground(client: TestClient) -> None:
    html = client.get("/lists/red", params={"as_of": AFTER, "period": "2025Q2"}).text
    members = _text(html, "members")
    assert "列入时等级" in members and "列入依据" in members and "有效至" in members
    assert GROUND in members and "2025年10月15日" in members and "2026年1月20日" in members
    now = client.get("/lists/red", params={"as_of": AFTER}).text
    assert "2026年1月20日" in _text(now, "members") and UNTIL_NEXT in _text(now, "members")
    assert "自该期评价结果公布之日起列入，至下一期评价结果公布之日止" in now


def test_both_lists_title_themselves_alike(client: TestClient) -> None:
    """In force vs a named period, in words, in the title bar as on the page (红名单 said
    2026Q3 in its title bar where 黑名单 said 现行)."""

    def titles(url: str, **params: str) -> tuple[str, str]:
        html = client.get(url, params={"as_of": AFTER, **params}).text
        bar = re.search(r"<title>(.*?)</title>", html, re.S)
        assert bar is not None
        return re.sub(r"\s+", "", bar.group(1)).split("|")[0].split("—")[0], _text(html, "title")

    red_bar, red_h1 = titles("/lists/red")
    black_bar, black_h1 = titles("/lists/black")
    assert red_h1 == "红名单·现行·2025年第3季度" and black_h1 == "黑名单·现行"
    assert red_bar.startswith(red_h1) and black_bar.startswith(black_h1)
    bar, h1 = titles("/lists/red", period="2025Q2")
    assert h1 == "红名单·2025年第2季度" and bar.startswith(h1) and "2025Q2" not in bar


def test_the_downloads_carry_the_red_entry(client: TestClient) -> None:
    csv = client.get(
        "/v1/public/lists/red", params={"as_of": AFTER, "period": "2025Q2", "format": "csv"}
    ).content.decode("utf-8-sig")
    head, row = csv.splitlines()[:2]
    # the last column, the publicity's last day, is empty for a published entry
    assert head.split(",")[-6:] == [
        "列入时等级", "得分", "列入依据", "列入日期", "有效至", "公示截止日期"
    ], head  # fmt: skip
    assert row.endswith(f"{GROUND},2025年10月15日,2026年1月20日,"), row
    book = openpyxl.load_workbook(
        io.BytesIO(
            client.get(
                "/v1/public/lists/red",
                params={"as_of": AFTER, "period": "2025Q2", "format": "xlsx"},
            ).content
        )
    )
    sheet = book.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "红名单（2025年第2季度），截至2026年1月25日"
    header = rows[3]
    assert header[-4:] == ("列入依据", "列入日期", "有效至", "公示截止日期")
    assert header[5] == "列入时等级"
    assert rows[4][-4:] == (GROUND, datetime(2025, 10, 15), datetime(2026, 1, 20), None)
    now = openpyxl.load_workbook(
        io.BytesIO(
            client.get("/v1/public/lists/red", params={"as_of": AFTER, "format": "xlsx"}).content
        )
    ).active
    assert now is not None
    first = list(now.iter_rows(values_only=True))
    assert first[0][0] == "红名单（现行 · 2025年第3季度），截至2026年1月25日"
    assert first[4][-3:] == (datetime(2026, 1, 20), UNTIL_NEXT, None)
