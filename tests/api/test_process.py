"""The disclosure cycle over HTTP: publicity, an objection upheld and one rejected, publication,
a repair refused as too early, and the auditor's view of who saw what."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rating import tokens
from rating.engine.runner import execute_run
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from tests.factories import Bureau, load

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`


def _client(settings, day: str) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(settings.with_(now=datetime.fromisoformat(f"{day}T10:00:00"))))


def test_due_process_over_http(tmp_path: Path) -> None:
    b = Bureau()
    jia, yi = b.company(1, "甲物业"), b.company(2, "乙物业")
    for n, u in ((1, jia), (2, yi)):
        b.project(f"P{n}", u)
    ev_jia = b.event(
        jia, "2025-08-01", code="V01", description="挪用专项维修资金", points=20, serious="是"
    )
    ev_yi = b.event(yi, "2025-08-01", code="V03", description="拒不退出", points=20, serious="是")
    con, settings, _ = load(b, tmp_path)
    rules = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    run_id = execute_run(con, settings, rules, Period.parse("2025Q3")).run_id
    con.close()
    _, key = tokens.create(settings.tokens_file, "bureau", "b", datetime(2025, 1, 1))
    _, audit_key = tokens.create(settings.tokens_file, "auditor", "a", datetime(2025, 1, 1))
    bureau, auditor = {"Authorization": f"Bearer {key}"}, {"Authorization": f"Bearer {audit_key}"}

    with _client(settings, "2025-10-09") as c:
        assert (
            c.post(f"/v1/bureau/runs/{run_id}/publicity", headers=bureau).json()["ends_on"]
            == "2025-10-17"  # Sat 2025-10-11 was a working day (State Council schedule)
        )
        listed = c.get("/v1/public/lists/black", params={"period": "2025Q3"}).json()["items"]
        assert {(i["name"], i["status"]) for i in listed} == {
            ("甲物业", "proposed"),
            ("乙物业", "proposed"),
        }
    with _client(settings, "2025-10-13") as c:
        filed = {}
        for u, ev in ((jia, ev_jia), (yi, ev_yi)):
            r = c.post(
                "/v1/bureau/objections",
                headers=bureau,
                json={"run_id": run_id, "uscc": u, "records": [f"events:{ev}"], "reasons": "不服"},
            )
            assert r.status_code == 200, r.json()
            filed[u] = r.json()["objection_id"]
        rejected = c.post(
            f"/v1/bureau/objections/{filed[jia]}/reject", headers=bureau, json={"reason": "属实"}
        )
        assert rejected.json()["state"] == "rejected"
        upheld = c.post(
            f"/v1/bureau/objections/{filed[yi]}/uphold", headers=bureau, json={"reason": "记录有误"}
        )
        assert upheld.json()["state"] == "upheld"
        revision = upheld.json()["revision_run"]
        listed = c.get("/v1/public/lists/black", params={"period": "2025Q3"}).json()["items"]
        assert [i["name"] for i in listed] == ["甲物业"]  # 乙 re-rated, the public sees it at once
        assert (
            len(
                c.get("/v1/bureau/objections", headers=bureau, params={"state": "pending"}).json()[
                    "items"
                ]
            )
            == 0
        )
    with _client(settings, "2025-10-21") as c:
        late = c.post(
            "/v1/bureau/objections",
            headers=bureau,
            json={
                "run_id": revision,
                "uscc": jia,
                "records": [f"events:{ev_jia}"],
                "reasons": "再议",
            },
        )
        assert late.status_code == 409 and late.json()["error"]["code"] == "OBJECTION_LATE"
        assert "2025-10-17" in late.json()["error"]["message"]
        assert c.post(f"/v1/bureau/runs/{revision}/publish", headers=bureau).status_code == 200
        early = c.post(
            "/v1/bureau/repairs", headers=bureau, json={"uscc": jia, "proof": "已归还资金"}
        )
        assert (
            early.status_code == 409
            and early.json()["error"]["details"]["possible_from"] == "2026-01-21"
        )
        seen = c.get(f"/v1/audit/companies/{yi}/disclosure", headers=auditor).json()
        assert [e["action"] for e in seen["events"]] == [
            "publicity",
            "objection",
            "revised",
            "publicity",
            "objection_upheld",
            "publish",
        ]
        assert seen["black_entries"] == []
