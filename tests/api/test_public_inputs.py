"""Every public route answers the same malformed input the same way: one status and one code
per problem (README "Public lookup: bad input"), in the JSON API and on the pages alike.

| problem | status | code |
| --- | --- | --- |
| a USCC of the wrong length, with a character outside GB 32100-2015's alphabet, or a wrong check character | 400 | USCC_INVALID |
| a period not written 2026Q3 / 2026H1 / 2026, or no such quarter | 400 | PERIOD_INVALID |
| a date not written YYYY-MM-DD, not a calendar day, or outside 1990–2099 | 400 | DATE_INVALID |
| a date after today | 400 | DATE_IN_FUTURE |
| page / page_size out of bounds or not a number | 400 | PAGE_INVALID |
| a format other than json, csv, xlsx | 400 | FORMAT_INVALID |
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # end to end over the real app and DuckDB file

GOOD = "91370600000000000K"  # well formed (GB 32100-2015)
BAD_USCC = {
    "short": "91370600000000000",
    "long": "91370600000000000KK",
    "letter": "9137060000000000OK",
    "check": "91370600000000000X",
    "word": "short",
}
BAD_PERIOD = {"quarter5": "2026Q5", "two-digit": "26Q3", "word": "spring", "half3": "2026H3"}
BAD_DAY = {
    "month13": "2026-13-01",
    "feb30": "2025-02-30",
    "compact": "20250101",
    "slashes": "2025/01/01",
    "too-early": "1980-01-01",
}
USCC_ROUTES = ["/v1/public/companies/{}", "/v1/public/tender/{}", "/companies/{}"]
PERIOD_ROUTES = [
    "/v1/public/lists/black?period={}",
    "/lists/black?period={}",
    "/v1/public/managers?certificate_no=X1&period={}",
    "/managers?certificate_no=X1&period={}",
]
DAY_ROUTES = [
    "/v1/public/companies/" + GOOD + "?as_of={}",
    "/v1/public/tender/" + GOOD + "?on={}",
    "/v1/public/compounds/P1?as_of={}",
    "/v1/public/lists/black?as_of={}",
    "/v1/public/periods?as_of={}",
    "/companies/" + GOOD + "?as_of={}",
    "/compounds/P1?as_of={}",
    "/lists/black?as_of={}",
]


def _check(client: TestClient, url: str, code: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 400, (url, answer.status_code, answer.text[:300])
    if url.startswith("/v1/"):
        error = answer.json()["error"]
        assert error["code"] == code, (url, error)
        assert error["message"] and "invalid request" not in error["message"]
    else:
        assert answer.headers["content-type"].startswith("text/html"), url


@pytest.mark.parametrize("route", USCC_ROUTES)
@pytest.mark.parametrize("value", BAD_USCC.values(), ids=BAD_USCC.keys())
def test_a_malformed_uscc_is_400_uscc_invalid_everywhere(
    client: TestClient, route: str, value: str
) -> None:
    _check(client, route.format(value), "USCC_INVALID")


@pytest.mark.parametrize("route", PERIOD_ROUTES)
@pytest.mark.parametrize("value", BAD_PERIOD.values(), ids=BAD_PERIOD.keys())
def test_a_malformed_period_is_400_period_invalid_everywhere(
    client: TestClient, route: str, value: str
) -> None:
    _check(client, route.format(value), "PERIOD_INVALID")


@pytest.mark.parametrize("route", DAY_ROUTES)
@pytest.mark.parametrize("value", BAD_DAY.values(), ids=BAD_DAY.keys())
def test_a_malformed_date_is_400_date_invalid_everywhere(
    client: TestClient, route: str, value: str
) -> None:
    _check(client, route.format(value), "DATE_INVALID")


@pytest.mark.parametrize("route", DAY_ROUTES)
def test_a_day_after_today_is_400_date_in_future_everywhere(client: TestClient, route: str) -> None:
    _check(client, route.format("2098-01-01"), "DATE_IN_FUTURE")


def test_the_json_error_names_what_is_wrong(client: TestClient) -> None:
    """The details say which problem: the USCC's (length, character, check digit), the field."""
    short = client.get("/v1/public/companies/" + BAD_USCC["short"]).json()["error"]
    assert short["details"] == {"reason": "length", "found": "17", "expected": "18"}
    assert "17" in short["message"]
    day = client.get("/v1/public/lists/black?as_of=2025-02-30").json()["error"]
    assert day["details"]["field"] == "as_of" and day["details"]["value"] == "2025-02-30"
    assert "2026-01-20" in day["message"]  # how to write it
    period = client.get("/v1/public/lists/black?period=26Q3").json()["error"]
    assert period["details"] == {"field": "period", "value": "26Q3"}
    assert "2026Q3" in period["message"]


# Paging and download bounds: the pages declare the same `page`, `page_size` and `format` as
# the JSON API, and a value out of bounds is 400 PAGE_INVALID / FORMAT_INVALID on both.
BAD_PAGE = {
    "zero": "page=0",
    "word": "page=abc",
    "too-far": "page=10001",
    "size-big": "page_size=1000",
    "size-zero": "page_size=0",
}
PAGED_ROUTES = [
    "/v1/public/lists/black?{}",
    "/lists/black?{}",
    "/v1/public/search?q=阳光&{}",
    "/?q=阳光&{}",
    "/v1/public/companies?q=阳光&{}",
]


@pytest.mark.parametrize("route", PAGED_ROUTES)
@pytest.mark.parametrize("value", BAD_PAGE.values(), ids=BAD_PAGE.keys())
def test_a_page_out_of_bounds_is_400_page_invalid_everywhere(
    client: TestClient, route: str, value: str
) -> None:
    _check(client, route.format(value), "PAGE_INVALID")


@pytest.mark.parametrize("route", ["/v1/public/lists/black?{}", "/lists/black?{}"])
def test_an_unknown_format_is_400_format_invalid_everywhere(client: TestClient, route: str) -> None:
    _check(client, route.format("format=pdf"), "FORMAT_INVALID")


def test_the_paging_errors_name_the_parameter_in_chinese(client: TestClient) -> None:
    size = client.get("/v1/public/lists/black?page_size=1000").json()["error"]
    assert size["details"] == {"field": "page_size", "value": "1000", "max": "200"}
    assert "page_size=1000" in size["message"] and "200" in size["message"]
    fmt = client.get("/v1/public/lists/black?format=pdf").json()["error"]
    assert fmt["details"]["allowed"] == "json, csv, xlsx" and "format=pdf" in fmt["message"]
    assert "json、csv、xlsx" in fmt["message"]
    page = client.get("/lists/black?page=0")
    assert page.status_code == 400 and "page=0" in page.text


def test_the_list_page_hands_a_download_to_the_json_api(client: TestClient) -> None:
    answer = client.get("/lists/black?format=csv", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/v1/public/lists/black?format=csv"


# A period in lower case (2025q3) is the same period: every public route reads it as 2025Q3
# and any answer echoes the normalised form (README "Public lookup: bad input").
LOWER_ROUTES = [
    "/v1/public/lists/black?period={}",
    "/lists/black?period={}",
    "/v1/public/managers?certificate_no=X1&period={}",
    "/managers?certificate_no=X1&period={}",
]


@pytest.mark.parametrize("route", LOWER_ROUTES)
@pytest.mark.parametrize("value", ["2025q3", "2026q1", "2030q1"])
def test_a_lower_case_period_is_answered_as_its_upper_case(
    client: TestClient, route: str, value: str
) -> None:
    lower, upper = client.get(route.format(value)), client.get(route.format(value.upper()))
    assert lower.status_code == upper.status_code, (route, value, lower.text[:300])
    assert value not in lower.text, (route, lower.text[:300])


def test_a_past_period_without_results_is_not_published_not_yet_to_come(
    client: TestClient,
) -> None:
    """尚未公布 is for a period still to come; one already over says 没有公布 (today is
    pinned to 2026-11-01)."""
    past = client.get("/v1/public/managers?certificate_no=X1&period=2019q3").json()["error"]
    assert past["message"] == "2019Q3 没有公布评价结果。", past
    future = client.get("/v1/public/managers?certificate_no=X1&period=2030q1").json()["error"]
    assert future["message"] == "2030Q1 的评价结果尚未公布。", future


def test_the_search_page_pages_through_the_api_results(client: TestClient) -> None:
    """The page pages as the API does, with 上一页/下一页 and the page count (物业 finds 10)."""
    api = client.get("/v1/public/search?q=物业&page=2&page_size=4").json()
    assert api["total"] == 10
    first = client.get("/?q=物业&page_size=4").text
    assert "第 1 页，共 3 页" in first and 'rel="prev"' not in first
    assert 'rel="next" href="?q=%E7%89%A9%E4%B8%9A&amp;page_size=4&amp;page=2"' in first
    second = client.get("/?q=物业&page=2&page_size=4").text
    assert 'rel="prev"' in second and "第 2 页，共 3 页" in second
    assert all((h.get("compound") or h.get("company_name") or "") in second for h in api["items"])
    assert "第 3 页，共 3 页" in client.get("/?q=物业&page=3&page_size=4").text
