"""The hotline review queue over HTTP: upload orders with names, see the queue, decide."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rating import tokens
from tests.factories import settings_for
from tests.test_matching import FIRST_MONTH, city, write_orders

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`


def test_bureau_uploads_orders_reviews_and_decides(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    key = tokens.create(settings.tokens_file, "bureau", "b", datetime(2026, 1, 1))[1]
    bureau = {"Authorization": f"Bearer {key}"}
    bureau_rows, _ = city()
    files = bureau_rows.write(tmp_path / "exports", kinds=("companies", "projects"))
    orders = write_orders(tmp_path / "july.csv", FIRST_MONTH)
    with TestClient(create_app(settings)) as c:
        for kind, path in [*files, ("complaints", orders)]:
            r = c.post(
                f"/v1/bureau/ingest/{kind}",
                headers=bureau,
                files={"file": (path.name, path.read_bytes())},
            )
            assert r.status_code == 200, r.json()
        body = r.json()
        assert (body["rows_loaded"], body["rows_in_review"], body["rows_quarantined"]) == (4, 2, 2)
        assert sum(body["matched"].values()) == 3
        queue = c.get("/v1/bureau/match/review", headers=bureau, params={"limit": 1}).json()
        assert queue["pending"] == 2 and queue["truncated"] and len(queue["items"]) == 1
        item = queue["items"][0]
        assert item["complaint_id"] == "H4" and "content" not in item
        assert {x["project_id"] for x in item["candidates"][:2]} == {"P3", "P4"}
        # Each candidate says why: 锦绣花园 is neither 锦绣家园 nor 锦绣佳园 (suffix class).
        assert all({"for", "against", "score"} <= set(x) for x in item["candidates"])
        assert any("小区类别不符" in a for x in item["candidates"] for a in x["against"])
        url = f"/v1/bureau/match/review/{item['review_id']}"
        both = c.post(
            url, headers=bureau, json={"project_id": "P4", "reject": True, "decided_by": "张三"}
        )
        assert both.status_code == 400 and both.json()["error"]["code"] == "REVIEW_BAD_DECISION"
        nobody = c.post(url, headers=bureau, json={"project_id": "P4"})
        assert nobody.status_code == 422
        unknown = c.post(url, headers=bureau, json={"project_id": "P9", "decided_by": "张三"})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "UNKNOWN_PROJECT"
        done = c.post(url, headers=bureau, json={"project_id": "P4", "decided_by": "张三"})
        assert done.status_code == 200 and done.json()["loaded_batch"] > 0
        again = c.post(url, headers=bureau, json={"project_id": "P4", "decided_by": "张三"})
        assert again.status_code == 409 and again.json()["error"]["code"] == "REVIEW_DECIDED"
        missing = c.post(
            "/v1/bureau/match/review/R99-9",
            headers=bureau,
            json={"reject": True, "decided_by": "x"},
        )
        assert missing.status_code == 404
        assert c.get("/v1/bureau/match/review", headers=bureau).json()["pending"] == 1
