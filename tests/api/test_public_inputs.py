"""Every public route answers the same malformed input the same way: one status and one code
per problem (README "Public lookup: bad input"), in the JSON API and on the pages alike.

| problem | status | code |
| --- | --- | --- |
| a USCC of the wrong length, with a character outside GB 32100-2015's alphabet, or a wrong check character | 400 | USCC_INVALID |
| a period not written 2026Q3 / 2026H1 / 2026, or no such quarter | 400 | PERIOD_INVALID |
| a date not written YYYY-MM-DD, not a calendar day, or outside 1990–2099 | 400 | DATE_INVALID |
| a date after today | 400 | DATE_IN_FUTURE |
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
