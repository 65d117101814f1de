"""The list downloads as a journalist opens them: the XLSX read back with openpyxl — scores are
numbers, listing days real dates shown in Chinese (2026年1月20日), the USCC text (never a
number that loses its digits) — and the CSV in UTF-8 with a BOM, as the pages word it.

Over the golden Yantai bureau of tests/api/conftest.py: 丙 and 丁 are on 2025Q3's black list.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

openpyxl = pytest.importorskip("openpyxl")
pytestmark = pytest.mark.slow  # end to end over the real app and DuckDB file


def _sheet(client: TestClient, url: str) -> Any:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text[:300]
    return openpyxl.load_workbook(io.BytesIO(answer.content)).active


def _rows(sheet: Any) -> dict[str, dict[str, Any]]:
    """Company name -> {column title: cell} from the header row (4th) on."""
    titles = [c.value for c in sheet[4]]
    return {
        row[1].value: dict(zip(titles, row, strict=True))
        for row in sheet.iter_rows(min_row=5)
        if row[1].value
    }


def test_the_black_list_xlsx_has_numbers_dates_and_text(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    rows = _rows(_sheet(client, "/v1/public/lists/black?period=2025Q3&format=xlsx"))
    ding = rows["丁物业"]
    uscc = ding["统一社会信用代码"]
    assert uscc.data_type == "s" and uscc.value == bureau_db["names"]["丁物业"]
    assert uscc.number_format == "@"  # text: Excel keeps every digit
    score = ding["得分"]
    assert score.data_type == "n" and score.value == 55.0 and score.number_format == "0.00"
    for title, day in (
        ("列入日期", datetime(2026, 1, 20)),
        ("最早可移出日期（信用修复）", datetime(2026, 4, 20)),
        ("最迟移出日期", datetime(2029, 1, 20)),
    ):
        cell = ding[title]
        assert cell.is_date and cell.value == day, (title, cell.value, cell.number_format)
        assert cell.number_format == 'yyyy"年"m"月"d"日"', title
    assert ding["列入依据"].data_type == "s" and "连续3次" in ding["列入依据"].value
    # the heading the page gives: the grade is the one the company was listed on
    assert ding["列入时等级"].value == "C" and "等级" not in ding


def test_the_red_list_xlsx_score_is_a_number(client: TestClient) -> None:
    rows = _rows(_sheet(client, "/v1/public/lists/red?period=2025Q2&format=xlsx"))
    assert rows["甲物业"]["得分"].data_type == "n" and rows["甲物业"]["得分"].value == 90.0


def test_the_csv_stays_utf8_with_a_bom_in_the_pages_words(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    body = client.get("/v1/public/lists/black?period=2025Q3&format=csv").content
    assert body.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    ding = next(r for r in table if r[1] == "丁物业")
    row = dict(zip(table[0], ding, strict=True))
    assert row["统一社会信用代码"] == bureau_db["names"]["丁物业"]
    assert row["得分"] == "55.00" and row["列入日期"] == "2026年1月20日"


def test_the_downloads_of_a_list_with_proposed_companies_hold_them_marked(
    client: TestClient,
) -> None:
    """On 2026-01-05 2025Q3 is in publicity: the page shows 丙 and 丁 proposed for the black
    list, apart; its CSV and XLSX hold them too, their status 公示中（拟列入） and the
    publicity's last day beside them — not a header alone."""
    page = client.get("/v1/public/lists/black?as_of=2026-01-05").json()
    proposed = {e["name"] for e in page["proposed"]["items"]}
    assert proposed and not page["items"]
    ends = datetime.fromisoformat(page["proposed"]["publicity"]["ends_on"])
    rows = _rows(_sheet(client, "/v1/public/lists/black?as_of=2026-01-05&format=xlsx"))
    assert set(rows) == proposed
    for row in rows.values():
        assert row["状态"].value == "公示中（拟列入）"
        assert row["公示截止日期"].is_date and row["公示截止日期"].value == ends
    body = client.get("/v1/public/lists/black?as_of=2026-01-05&format=csv").content
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert {r[1] for r in table[1:]} == proposed
    assert all(dict(zip(table[0], r, strict=True))["状态"] == "公示中（拟列入）" for r in table[1:])
