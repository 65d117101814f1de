"""Public endpoints and pages: search, cards with as-of dates, lists, CSV, limits."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`


def test_health_and_openapi(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["ok"] and health["published_runs"] == 2 and health["companies"] == 10
    schema = client.get("/openapi.json").json()
    for path in (
        "/v1/public/companies",
        "/v1/public/companies/{uscc}",
        "/v1/public/lists/{kind}",
        "/v1/bureau/ingest/{kind}",
        "/v1/audit/runs/{run_id}/replay",
    ):
        assert path in schema["paths"]


def test_search_by_name_close_match_uscc_and_district(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    found = client.get("/v1/public/companies", params={"q": "甲物业"}).json()
    assert [i["name"] for i in found["items"]] == ["甲物业"] and found["truncated"] is False
    close = client.get("/v1/public/companies", params={"q": "甲物"}).json()
    assert "甲物业" in [i["name"] for i in close["items"]]
    uscc = bureau_db["names"]["乙物业"]
    by_code = client.get("/v1/public/companies", params={"q": uscc.lower()}).json()
    assert [i["uscc"] for i in by_code["items"]] == [uscc]
    page = client.get("/v1/public/companies", params={"district": "芝罘区", "page_size": 3}).json()
    assert len(page["items"]) == 3 and page["truncated"] is True


def test_company_card_and_as_of(client: TestClient, bureau_db: dict[str, Any]) -> None:
    uscc = bureau_db["names"]["乙物业"]
    card = client.get(f"/v1/public/companies/{uscc}").json()
    assert card["current"]["period"] == "2025Q3" and card["current"]["grade"] == "B"
    assert [h["period"] for h in card["history"]] == ["2025Q2", "2025Q3"]
    assert card["reasons"][0]["rule_id"] == "P-CONTRACT-KEY" and card["reasons"][0]["points"] == -20
    # the public cites the scheme's own document, not the auditors' clause (a Beijing draft)
    assert (
        card["reasons"][0]["clause"]
        == "《烟台市物业服务企业信用信息管理办法》（烟建住房〔2022〕13号）"
    )
    assert card["provenance"]["ruleset"] == "yantai-2022@1.0.0"
    # Q2 was published on 2025-10-15; Q3 went to publicity on 2025-12-31 and was published on
    # 2026-01-20. On 2025-12-30 only Q2 was visible; from 2025-12-31 Q3 showed as proposed.
    before = client.get(f"/v1/public/companies/{uscc}", params={"as_of": "2025-12-30"}).json()
    assert before["current"]["period"] == "2025Q2" and before["current"]["grade"] == "AA"
    assert [h["period"] for h in before["history"]] == ["2025Q2"]
    proposed = client.get(f"/v1/public/companies/{uscc}", params={"as_of": "2025-12-31"}).json()
    assert (
        proposed["current"] | {} == proposed["current"]
        and proposed["current"]["status"] == "proposed"
    )
    assert proposed["current"]["grade"] == "B" and card["current"]["status"] == "published"
    gone = client.get(f"/v1/public/companies/{uscc}", params={"as_of": "2025-09-24"})
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "RESULT_NOT_YET_SHOWN"
    bad = client.get(f"/v1/public/companies/{uscc}", params={"as_of": "2025-13-01"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "DATE_INVALID"


def test_lists_and_csv(client: TestClient, bureau_db: dict[str, Any]) -> None:
    black = client.get("/v1/public/lists/black").json()  # every entry in force today
    assert black["period"] is None and {i["name"] for i in black["items"]} == {"丙物业", "丁物业"}
    q3 = client.get("/v1/public/lists/black", params={"period": "2025Q3"}).json()
    assert q3["period"] == "2025Q3" and {i["name"] for i in q3["items"]} == {"丙物业", "丁物业"}
    red_q2 = client.get("/v1/public/lists/red", params={"period": "2025Q2"}).json()
    assert [i["name"] for i in red_q2["items"]] == ["甲物业"]
    paged = client.get("/v1/public/lists/black", params={"page_size": 1}).json()
    assert len(paged["items"]) == 1 and paged["truncated"] is True
    csv = client.get("/v1/public/lists/black", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "丁物业" in csv.text
    grey = client.get("/v1/public/lists/grey")  # 404 naming the lists (test_public_reasons)
    assert grey.status_code == 404 and grey.json()["error"]["code"] == "LIST_UNKNOWN"


def test_pages(client: TestClient, bureau_db: dict[str, Any]) -> None:
    page = client.get("/", params={"q": "丁"})
    assert page.status_code == 200 and "丁物业" in page.text
    uscc = bureau_db["names"]["丁物业"]
    card = client.get(f"/companies/{uscc}")
    assert "黑名单" in card.text and 'id="history"' in card.text and "polyline" in card.text


def test_input_limits(client: TestClient) -> None:
    assert client.get("/v1/public/companies", params={"q": "x" * 101}).status_code == 422
    assert client.get("/v1/public/companies", params={"page_size": 201}).status_code == 400
    assert client.get("/v1/public/companies/short").status_code == 400  # USCC_INVALID
