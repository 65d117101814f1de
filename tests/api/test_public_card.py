"""A company's card as a resident reads it on a phone: the answer first (who, grade, what it
means, listed or not and until when), the detail folded (<details>, no JavaScript needed), a
footer in plain Chinese, and no empty cell in the history's 名单 column.

Over the golden Yantai bureau of tests/api/conftest.py: 丁 is C and on the black list in force
(2025Q3, by a streak of C); 甲 is on the red list; 乙 is on no list.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # end to end over the real app and DuckDB file


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>|\s", "", html)


def _main(html: str) -> str:
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def test_the_answer_comes_before_the_folded_detail(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    main = _main(client.get(f"/companies/{bureau_db['names']['丁物业']}").text)
    answer, _, rest = main.partition("<details")
    assert 'id="grade"' in answer and 'id="grade-reason"' in answer
    lists_now = re.search(r'id="lists-now">(.*?)</p>', answer, re.S)
    assert lists_now and _text(lists_now.group(1)) == "黑名单最迟于2029年1月20日移出"
    for section in ("listing", "reasons-section", "history-section", "projects-section"):
        found = re.search(rf'<details class="fold[^"]*" id="{section}">\s*<summary>', main)
        assert found, section
    assert 'id="reasons"' not in answer and 'id="history-table"' not in answer
    assert "<details" in rest and " open" not in re.findall(r"<details[^>]*>", main)[0]
    # the count beside each folded heading
    assert '<h2>历史等级</h2> <span class="count">2期</span>' in main


def test_a_company_on_no_list_says_so(client: TestClient, bureau_db: dict[str, Any]) -> None:
    html = client.get(f"/companies/{bureau_db['names']['乙物业']}").text
    assert _text(re.search(r'id="not-listed">(.*?)</span>', html).group(1)) == "未列入红黑名单"  # type: ignore[union-attr]


def test_the_footer_speaks_plain_chinese_and_the_json_keeps_the_ids(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """No `yantai-2022@1.0.0`, run id or checksum on the page: the rule set's name and version
    as a resident reads them and the day in Chinese; the JSON's provenance keeps the ids."""
    uscc = bureau_db["names"]["丁物业"]
    html = client.get(f"/companies/{uscc}").text
    footer = html.split("<footer", 1)[1]
    said = _text(footer.split('id="provenance">', 1)[1].split("</span>", 1)[0])
    assert said == (
        "依据《烟台市物业服务企业信用信息管理办法》（第1.0.0版）评定。"
        "发布日期：2026年1月20日。显示截至2026年11月1日的结果。"
    )
    provenance = client.get(f"/v1/public/companies/{uscc}").json()["provenance"]
    for machine in (provenance["ruleset"], provenance["run_id"], provenance["results_sha256"][:16]):
        assert machine not in html.split("<footer", 1)[1], machine
    assert provenance["run_id"] == bureau_db["runs"]["2025Q3"]
    assert f'href="/v1/public/companies/{uscc}"' in footer


def test_no_empty_cell_in_the_history_s_lists_column(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """A period on no list says 未列入 (the phone layout shows each cell with its label)."""
    for company in ("甲物业", "乙物业", "丁物业"):
        html = client.get(f"/companies/{bureau_db['names'][company]}").text
        table = html.split('id="history-table"', 1)[1].split("</table>", 1)[0]
        cells = re.findall(r'<td data-label="名单">(.*?)</td>', table, re.S)
        assert cells and all(_text(c) for c in cells), (company, cells)
        if company == "乙物业":  # on no list in any period
            assert {_text(c) for c in cells} == {"未列入"}, cells


def test_a_card_in_publicity_gives_the_publicity_s_first_day(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """As on 2026-01-05, 2025Q3 is in publicity (from 2025-12-31): the footer says so, not the
    publication day that had not come."""
    html = client.get(f"/companies/{bureau_db['names']['丙物业']}?as_of=2026-01-05").text
    said = _text(html.split('id="provenance">', 1)[1].split("</span>", 1)[0])
    assert "2025年12月31日起公示" in said and "2026年1月20日" not in said, said
