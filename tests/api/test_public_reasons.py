"""What a resident reads beside a grade, and the errors they meet, in plain Chinese.

Over the golden Yantai bureau of tests/api/conftest.py (yantai-2022@1.0.0): 乙 scores 45 with no
bad information, so the rule set's override 信用得分在60分以下但没有不良信用信息的，评为B级 makes
it B although its score is in C's band; 丙 is C by a veto item; 丁 is C by its band and on the
black list in force by a streak of C (listed by 2025Q3).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rating.uscc import check_char

pytestmark = pytest.mark.slow  # end to end over the real app and DuckDB file

UNKNOWN = "91370600000000000K"  # a well-formed code (GB 32100-2015) no company has
MISTYPED = "91370600000000000X"  # the same with a wrong check character


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:p|h1|dd|span)>', html, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>|\s", "", found.group(1))


def test_the_card_says_why_a_low_score_is_still_b(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """The grade's reason is the run's recorded one (override `stays-b`, band C), in the rule
    set's words — not a grade the page works out again."""
    uscc = bureau_db["names"]["乙物业"]
    current = client.get(f"/v1/public/companies/{uscc}").json()["current"]
    assert (current["grade"], current["band_grade"], current["score"]) == ("B", "C", 45.0)
    assert current["grade_reason"] == (
        "信用得分45.00分，按得分为C级（C级：信用得分60分以下）；"
        "依据“信用得分在60分以下但没有不良信用信息的，评为B级”，评为B级。"
    )
    html = client.get(f"/companies/{uscc}").text
    assert _text(html, "grade-reason") == "评定依据：" + current["grade_reason"]
    assert "stays-b" not in html and "override" not in html


@pytest.mark.parametrize(
    ("company", "reason"),
    [
        ("甲物业", "信用得分90.00分，按得分为AAA级（AAA级：信用得分85分（含）以上）。"),
        ("丙物业", "一票否决"),  # the veto, whatever the score (its band is B)
        (
            "壬物业",
            "依据“企业实际从事物业服务活动但未纳入信用信息管理”，评为C(缺失)级，不计信用得分。",
        ),
    ],
)
def test_every_grade_says_its_reason(
    client: TestClient, bureau_db: dict[str, Any], company: str, reason: str
) -> None:
    current = client.get(f"/v1/public/companies/{bureau_db['names'][company]}").json()["current"]
    assert reason in current["grade_reason"]
    if company == "丙物业":
        assert current["band_grade"] == "B" and current["grade_reason"].endswith(
            "不论得分，评为C级。"
        )


def test_a_listing_says_its_own_grade_and_period(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """A black-list entry's grade is the listing period's, labelled so (列入时等级), on the
    card and in the list's column, apart from the card's current grade."""
    uscc = bureau_db["names"]["丁物业"]
    listing = client.get(f"/v1/public/companies/{uscc}").json()["current"]["listing"]
    assert (listing["period"], listing["grade"]) == ("2025Q3", "C")
    html = client.get(f"/companies/{uscc}").text
    assert "<dt>列入时等级</dt>" in html and _text(html, "listed-grade") == "C（2025Q3）"
    page = client.get("/lists/black").text
    assert (
        '<th scope="col">列入时等级</th>' in page and 'data-label="列入时等级">C（2025Q3）' in page
    )


def test_public_api_errors_speak_the_pages_language(client: TestClient) -> None:
    """The JSON keeps its shape and English code; the message is Chinese, as on the pages."""
    cases = {
        f"/v1/public/companies/{UNKNOWN}": "没有查到91370600000000000K已公布的信用评价结果。",
        f"/v1/public/companies/{UNKNOWN}?as_of=2025-01-01": "截至2025年1月1日，没有查到",
        "/v1/public/compounds/NOPE": "登记信息中没有编号为NOPE的小区。",
        "/v1/public/grades?ruleset=nope@1.0.0": "没有按评价规则版本nope@1.0.0公布的结果。",
        "/v1/public/companies/9137": "共 4 位，统一社会信用代码应为18位",
        "/v1/public/lists/black?as_of=2026-02-30": "日期“2026-02-30”有误：请写成 2026-01-20",
        "/v1/public/nowhere": "此网址没有已公开的结果",
    }
    for url, words in cases.items():
        error = client.get(url).json()["error"]
        assert words in error["message"], (url, error)
        assert re.fullmatch(r"[A-Z][A-Z_]+", error["code"])
        for problem in error.get("problems", []):
            assert re.search(r"[\u4e00-\u9fff]", problem["message"]), problem
    # the bureau's API is for staff: its messages stay the library's
    assert "token" in client.get("/v1/bureau/runs").json()["error"]["message"]


def test_a_rate_limited_public_api_answer_is_chinese(bureau_db: dict[str, Any]) -> None:
    from api.app import create_app

    with TestClient(create_app(bureau_db["settings"].with_(rate_limit=3))) as c:
        answers = [c.get("/v1/public/periods") for _ in range(6)]
    refused = [a for a in answers if a.status_code == 429]
    assert refused and refused[0].json()["error"]["code"] == "RATE_LIMITED"
    assert refused[0].json()["error"]["message"] == "您在短时间内查询次数过多，请稍候再试。"


@pytest.mark.parametrize("url", ["/lists/purple", "/v1/public/lists/purple?format=csv"])
def test_an_unknown_list_is_404_naming_the_lists(client: TestClient, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 404
    expected = "没有名为“purple”的名单。现有名单：红名单（red）、黑名单（black）。"
    if url.startswith("/v1/"):
        assert answer.json()["error"] == {
            **answer.json()["error"],
            "code": "LIST_UNKNOWN",
            "message": expected,
        }
    else:
        assert _text(answer.text, "error") == "没有这个名单"
        assert _text(answer.text, "explain") == expected
        assert 'href="/lists/red"' in answer.text and 'href="/lists/black"' in answer.text


def test_a_mistyped_uscc_says_the_check_digit_is_wrong(client: TestClient) -> None:
    """GB 32100-2015's check character (rating.uscc), not "not found": 400 USCC_INVALID."""
    assert check_char(MISTYPED[:17]) == "K"
    said = (
        "统一社会信用代码有误：校验位不符（按 GB 32100-2015，第18位应为 K，而不是 X），请核对代码。"
    )
    for url in (f"/v1/public/companies/{MISTYPED}", f"/v1/public/tender/{MISTYPED.lower()}"):
        answer = client.get(url)
        error = answer.json()["error"]
        assert answer.status_code == 400 and error["code"] == "USCC_INVALID", url
        assert error["message"] == said
        assert error["details"] == {"reason": "check_digit", "found": "X", "expected": "K"}
    page = client.get(f"/companies/{MISTYPED}")
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert _text(page.text, "error") == "统一社会信用代码有误"
    assert _text(page.text, "explain") == said.replace(" ", "") and 'id="q"' in page.text
    letter = client.get("/v1/public/companies/9137060000000000OK").json()["error"]
    assert letter["code"] == "USCC_INVALID" and "不能含有“O”" in letter["message"]
    assert client.get(f"/v1/public/companies/{UNKNOWN}").status_code == 404


def test_error_messages_follow_the_servers_language(bureau_db: dict[str, Any]) -> None:
    """RATING_LANG=en: the pages and the public API speak the catalog's source language."""
    from api.app import create_app

    with TestClient(create_app(bureau_db["settings"].with_(language="en", rate_limit=0))) as c:
        error = c.get(f"/v1/public/companies/{MISTYPED}").json()["error"]
        assert error["message"].startswith("The USCC is wrong: the check digit does not match")
        page = c.get("/lists/purple").text
    assert "The lists are: Red list (red), Black list (black)." in page


def test_a_tender_lookup_names_the_day_no_result_was_published_by(client: TestClient) -> None:
    """Issue 16: the tender lookup's 404 named no day (its day is `on`, not `as_of`)."""
    error = client.get(f"/v1/public/tender/{UNKNOWN}", params={"on": "2026-11-01"}).json()
    assert error["error"]["code"] == "COMPANY_NOT_FOUND"
    assert (
        error["error"]["message"] == f"截至2026年11月1日，没有查到{UNKNOWN}已公布的信用评价结果。"
    )


@pytest.mark.parametrize("url", ["/v1/public/managers", "/v1/public/lists/black"])
def test_a_period_that_does_not_exist_is_named_in_chinese(client: TestClient, url: str) -> None:
    """Issue 16: `?period=2025Q5` (no fifth quarter) answers in the catalog's Chinese, naming
    the period given, never pydantic's "String should match pattern …"."""
    answer = client.get(url, params={"period": "2025Q5"})
    error = answer.json()["error"]
    assert answer.status_code == 400 and error["code"] == "PERIOD_INVALID"  # as on every route
    assert error["message"] == (
        "期次“2025Q5”有误：应写成 2026Q3（季度，Q1至Q4）、2026H1（半年，H1或H2）或 2026（年度）这样的格式。"
    )
    assert "should match" not in str(error)


def test_the_public_and_the_bureau_tender_answers_use_one_wording(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """Issue 16: the bureau said 不涉及招投标信用分(0分), the public …（0分）: one wording,
    full-width brackets (rating.consequences.measure_words.no_tender_points)."""
    from tests.api.conftest import auth

    yi = bureau_db["names"]["乙物业"]
    said = "当日已公布的信用评价结果不涉及招投标信用分（0分）"
    public = client.get(f"/v1/public/tender/{yi}", params={"on": "2026-02-01"}).json()
    bureau = client.get(
        f"/v1/bureau/tender/{yi}", params={"on": "2026-02-01"}, headers=auth(bureau_db, "bureau")
    ).json()
    assert public["text"] == bureau["text"] == said, (public, bureau)
    early = client.get(f"/v1/bureau/tender/{yi}", params={"on": "2025-01-01"},
                       headers=auth(bureau_db, "bureau")).json()  # fmt: skip
    assert early["text"] == "当日无已公布的信用评价结果，不计信用分"


# ---------------------------------------------------------------- issue 16: the tester's defects
# The test clock (tests.factories.NOW) is 2026-11-01, 09:00: the lookup's today.


@pytest.mark.parametrize(
    "path",
    [
        "/v1/public/companies/{uscc}?as_of=2026-11-02",
        "/v1/public/companies/{uscc}?as_of=9999-12-31",
        "/v1/public/compounds/P1?as_of=2030-01-01",
        "/v1/public/lists/black?as_of=2030-01-01",
        "/v1/public/lists/black?as_of=2030-01-01&format=csv",
        "/v1/public/periods?as_of=2030-01-01",
        "/v1/public/tender/{uscc}?on=2030-01-01",
    ],
)
def test_a_day_after_today_is_refused_not_forecast(
    client: TestClient, bureau_db: dict[str, Any], path: str
) -> None:
    answer = client.get(path.format(uscc=bureau_db["names"]["丁物业"]))
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "DATE_IN_FUTURE"
    assert error["message"] == "日期不能晚于今天（2026年11月1日）。"


@pytest.mark.parametrize(
    "path",
    [
        "/companies/{uscc}?as_of=2030-01-01",
        "/companies/{uscc}?as_of=9999-12-31",
        "/compounds/P1?as_of=2030-01-01",
        "/lists/black?as_of=2030-01-01",
    ],
)
def test_the_pages_refuse_a_day_after_today_alike(
    client: TestClient, bureau_db: dict[str, Any], path: str
) -> None:
    page = client.get(path.format(uscc=bureau_db["names"]["丁物业"]))
    assert page.status_code == 400
    assert _text(page.text, "explain") == "日期不能晚于今天（2026年11月1日）。"
    assert "显示截至" not in page.text


def test_today_itself_is_still_shown(client: TestClient, bureau_db: dict[str, Any]) -> None:
    uscc = bureau_db["names"]["丁物业"]
    assert client.get(f"/v1/public/companies/{uscc}?as_of=2026-11-01").status_code == 200
    assert client.get(f"/companies/{uscc}?as_of=2026-11-01").status_code == 200


@pytest.mark.parametrize(
    ("path", "field", "said"),
    [
        ("/v1/public/companies?q=" + "阳" * 101, "q", "搜索词不能超过 100 个字符"),
        ("/v1/public/grades?ruleset=foo@1", "ruleset", "规则版本格式不对"),
    ],
)
def test_each_problem_of_a_request_is_said_in_chinese(
    client: TestClient, path: str, field: str, said: str
) -> None:
    error = client.get(path).json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert error["message"] == f"请求有误：{said}。"
    assert [(p["field"], p["message"]) for p in error["problems"]] == [(field, said)]


@pytest.mark.parametrize(
    ("query", "code", "said"),
    [
        ("format=pdf", "FORMAT_INVALID", "参数“format=pdf”有误：只能是 json、csv、xlsx 之一。"),
        ("page_size=1000", "PAGE_INVALID", "参数“page_size=1000”有误：请写 1 至 200 之间的整数。"),
        ("page_size=abc", "PAGE_INVALID", "参数“page_size=abc”有误：请写 1 至 200 之间的整数。"),
        ("page=0", "PAGE_INVALID", "参数“page=0”有误：请写 1 至 10000 之间的整数。"),
    ],
)
def test_a_bad_page_or_format_is_said_alike_on_the_page_and_in_the_api(
    client: TestClient, query: str, code: str, said: str
) -> None:
    error = client.get("/v1/public/lists/black?" + query).json()["error"]
    assert (error["code"], error["message"]) == (code, said)
    page = client.get("/lists/black?" + query)
    assert page.status_code == 400 and _text(page.text, "explain") == said.replace(" ", "")


def test_an_unpublished_period_is_not_found_in_the_api_as_on_the_page(
    client: TestClient,
) -> None:
    api = client.get("/v1/public/lists/black?period=2030Q1")
    page = client.get("/lists/black?period=2030Q1")
    assert api.status_code == page.status_code == 404
    error = api.json()["error"]
    assert error["code"] == "LIST_NOT_FOUND"
    assert error["message"] == "2030Q1没有公布黑名单。"
    assert "LIST_NOT_FOUND" in page.text
    assert client.get("/v1/public/lists/black?period=2030Q1&format=csv").status_code == 404


def test_after_the_publicity_ends_the_pages_no_longer_invite_objections(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """2025Q3 is in publicity to 2026-01-12 and published on 2026-01-20: on 2026-01-15 its
    publicity is over, its results not yet published."""
    ended = "2025年第3季度评价结果公示期已于2026年1月12日结束，待正式公布。"
    shown = client.get("/lists/black", params={"as_of": "2026-01-15"}).text
    assert _text(shown, "proposed-publicity") == ended
    card = client.get(f"/companies/{bureau_db['names']['丙物业']}", params={"as_of": "2026-01-15"})
    assert _text(card.text, "publicity") == ended
    assert "由2025年第3季度评价结果拟列入，公示期已于2026年1月12日结束，待正式公布" in card.text
    for html in (shown, card.text):
        assert "公示至" not in html and "（含当日）前" not in html and "提出异议" not in html
    during = client.get("/lists/black", params={"as_of": "2026-01-12"}).text
    assert "2026年1月12日（含当日）前" in during


def test_c_missing_is_explained_and_shows_no_score(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """C(缺失) (Shandong: active but not in credit information management) has a meaning in
    Chinese, and the card shows no credit score, no band and no reasons that would contradict
    it; its history shows no score either; the legend lists it with its meaning."""
    card = client.get(f"/v1/public/companies/{bureau_db['names']['壬物业']}").json()
    current = card["current"]
    assert current["grade"] == "C(缺失)" and current["grade_meaning"]
    assert "信用信息管理" in current["grade_meaning"] or "未纳入" in current["grade_meaning"]
    assert current["score"] is None and current["band_grade"] is None and card["reasons"] == []
    assert all(h["score"] is None for h in card["history"] if h["grade"] == "C(缺失)")
    legend = client.get("/v1/public/grades", params={"ruleset": card["provenance"]["ruleset"]})
    rows = {g["grade"]: g for g in legend.json()["grades"]}
    assert rows["C(缺失)"]["meaning"]


def test_after_the_publicity_ends_no_tag_says_in_publicity_and_the_json_says_ended(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    """丙物业 is proposed for the black list by 2025Q3, in publicity to 2026-01-12. On
    2026-01-12 the JSON says `ended: false` and the tags 公示中; on 2026-01-15 `ended: true`
    (with `ends_on`), the search summary `publicity_ended: true`, and neither the card nor the
    search results nor the lists show 公示中 any more."""
    uscc = bureau_db["names"]["丙物业"]
    for day, ended in (("2026-01-12", False), ("2026-01-15", True)):
        card = client.get(f"/v1/public/companies/{uscc}", params={"as_of": day}).json()
        publicity = card["current"]["publicity"]
        assert publicity["ended"] is ended and publicity["ends_on"] == "2026-01-12"
        assert all(p["publicity"]["ended"] is ended for p in card["current"]["proposed"])
        black = client.get("/v1/public/lists/black", params={"as_of": day}).json()
        shown = black["publicity"] or black["proposed"]["publicity"]
        assert shown["ended"] is ended
        # the search answers for today: a clock on that day
        at = dataclasses.replace(bureau_db["settings"], now=datetime.fromisoformat(f"{day}T12:00"))
        with TestClient(create_app(at)) as then:
            hits = then.get("/v1/public/search", params={"q": "丙物业"}).json()
            summary = next(h["company"] for h in hits["items"] if h["company"]["uscc"] == uscc)
            assert summary["publicity_ended"] is ended and summary["proposed"] == ["black"]
            found = then.get("/", params={"q": "丙物业"}).text
    pages = [
        client.get(f"/companies/{uscc}", params={"as_of": "2026-01-15"}).text,
        found,
        client.get("/lists/black", params={"as_of": "2026-01-15"}).text,
    ]
    for html in pages:
        main = html.split('<main id="main">')[1].split("</main>")[0]
        main = re.sub(r'<p class="muted" id="rule">.*?</p>', "", main)  # explains the tag
        assert "公示中（拟列入）" not in main.split('id="periods"')[0], main[:2000]
    assert "公示期已结束" in pages[0]
