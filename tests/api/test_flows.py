"""A bureau loads, runs and publishes over HTTP; an auditor replays and verifies over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.factories import settings_for
from tests.golden import scenarios

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`


def test_bureau_then_public_then_auditor(tmp_path: Path) -> None:
    from datetime import datetime

    from rating import tokens

    settings = settings_for(tmp_path)
    keys = {
        r: tokens.create(settings.tokens_file, r, r, datetime(2026, 1, 1))[1] for r in tokens.ROLES
    }
    bureau = {"Authorization": f"Bearer {keys['bureau']}"}
    auditor = {"Authorization": f"Bearer {keys['auditor']}"}
    files = scenarios.yantai().write(tmp_path / "exports")
    with TestClient(create_app(settings)) as c:
        for kind, path in files:
            r = c.post(
                f"/v1/bureau/ingest/{kind}",
                headers=bureau,
                files={"file": (path.name, path.read_bytes())},
            )
            assert r.status_code == 200, r.json()
            body = r.json()
            assert (
                body["rows_read"] == body["rows_loaded"] + body["rows_quarantined"]
                and body["file"] == path.name
            )
        bad = c.post(
            "/v1/bureau/ingest/companies",
            headers=bureau,
            files={"file": ("bad.csv", "统一社会信用代码,企业名称\n123,坏公司\n".encode("gbk"))},
        )
        assert bad.json()["reasons"] == {"BAD_USCC": 1} and bad.json()["warnings"] == []
        header_only = c.post(
            "/v1/bureau/ingest/companies",
            headers=bureau,
            files={"file": ("empty.csv", "统一社会信用代码,企业名称\n".encode())},
        ).json()
        assert header_only["rows_loaded"] == 0
        assert [w["code"] for w in header_only["warnings"]] == ["EMPTY_FILE"]
        q = c.get("/v1/bureau/quarantine", headers=bureau, params={"code": "BAD_USCC"}).json()
        assert q["items"][0]["line"] == 2 and q["items"][0]["file_name"] == "bad.csv"
        assert (
            c.post(
                "/v1/bureau/ingest/companies",
                headers=bureau,
                files={"file": ("x.bin", b"\x00\x01" * 100)},
            ).json()["error"]["code"]
            == "FILE_NOT_TEXT"
        )
        # The bureau rated 2025Q1 and Q2 (its first quarters: 丁's penalty, 甲's award) before
        # the Q3 activity; a run of Q3 reads them. Bad information is a register: its records
        # from 2024 do not make 2024's quarters "missing".
        for p in ("2025Q1", "2025Q2"):
            body = {"period": p}
            refused = c.post("/v1/bureau/runs", headers=bureau, json=body)
            assert refused.json()["error"]["code"] == "PERIOD_NO_DATA"  # registers only
            body["force_period"] = True  # the bureau says it rated them
            assert c.post("/v1/bureau/runs", headers=bureau, json=body).status_code == 200
        run = c.post("/v1/bureau/runs", headers=bureau, json={"period": "2025Q3"}).json()
        assert run["history"]["missing"] == [] and run["history"]["first_data_period"] == "2025Q3"
        # 丙's veto, and 丁's third C in a row now that its history is read (not one C alone).
        assert run["grades"]["AAA"] == 1 and run["black"] == 2
        assert c.get("/v1/public/companies").json()["items"] == []  # nothing disclosed yet
        early = c.post(f"/v1/bureau/runs/{run['run_id']}/publish", headers=bureau)
        assert early.status_code == 409 and early.json()["error"]["code"] == "PUBLICITY_NOT_OVER"
        publicity = c.post(f"/v1/bureau/runs/{run['run_id']}/publicity", headers=bureau).json()
        assert publicity["status"] == "publicity" and publicity["ends_on"] > publicity["starts_on"]
        proposed = c.get("/v1/public/companies", params={"q": "甲物业"}).json()["items"]
        assert proposed[0]["status"] == "proposed"  # Yantai shows proposed results during publicity
        published = c.post(
            f"/v1/bureau/runs/{run['run_id']}/publish", headers=bureau, json={"force": True}
        ).json()
        assert published["status"] == "published" and len(published["ledger_hash"]) == 64
        assert c.get("/v1/bureau/runs", headers=bureau).json()["items"][0]["status"] == "published"
        assert len(c.get("/v1/public/companies").json()["items"]) == 10
        replay = c.post(f"/v1/audit/runs/{run['run_id']}/replay", headers=auditor).json()
        assert replay["status"] == "MATCH"
        impact = c.post(
            f"/v1/audit/runs/{run['run_id']}/impact",
            headers=auditor,
            json={"rules": "yantai-2022@1.0.0"},
        ).json()
        assert impact["status"] == "MATCH" and impact["empty"] is True
        manifest = c.get(f"/v1/audit/runs/{run['run_id']}/manifest", headers=auditor).json()
        assert manifest["manifest"]["ruleset"]["name"] == "yantai-2022"
        uscc = c.get("/v1/public/companies", params={"q": "丙物业"}).json()["items"][0]["uscc"]
        evidence = c.get(
            f"/v1/audit/runs/{run['run_id']}/companies/{uscc}/evidence", headers=auditor
        ).json()
        assert evidence["company"]["veto"] is True and evidence["evidence"]
        assert c.get("/v1/audit/verify", headers=auditor).json()["ok"] is True
        assert [
            r["action"] for r in c.get("/v1/audit/ledger", headers=auditor).json()["records"]
        ] == ["publicity", "publish"]


def test_upload_size_limit(tmp_path: Path) -> None:
    from datetime import datetime

    from rating import tokens

    settings = settings_for(tmp_path).with_(max_upload_mb=1)
    _, key = tokens.create(settings.tokens_file, "bureau", "b", datetime(2026, 1, 1))
    with TestClient(create_app(settings)) as c:
        r = c.post(
            "/v1/bureau/ingest/companies",
            headers={"Authorization": f"Bearer {key}"},
            files={"file": ("big.csv", b"a" * (2 * 1024 * 1024))},
        )
    assert r.status_code == 413 and r.json()["error"]["code"] == "UPLOAD_TOO_LARGE"
