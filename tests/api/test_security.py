"""The role matrix, the one error shape, and no personal data in any public response."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import auth

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`

SAMPLE = {
    "kind": "companies",
    "run_id": "2025Q3-01",
    "uscc": "91370600000000001N",
    "objection_id": "OBJ-0001",
    "repair_id": "REP-0001",
    "decision": "approve",
    "review_id": "R1-1",
    "project_id": "P1",
    "certificate_no": "M001",
}
BODIES = {
    "/v1/bureau/runs": {"period": "2025Q3"},
    "/v1/audit/runs/{run_id}/impact": {"rules": "yantai-2022@1.0.0"},
    "/v1/bureau/objections": {
        "run_id": "2025Q3-01",
        "uscc": "91370600000000001N",
        "records": ["complaints:GD0001"],
        "reasons": "x",
    },
    "/v1/bureau/objections/{objection_id}/uphold": {"reason": "x"},
    "/v1/bureau/objections/{objection_id}/reject": {"reason": "x"},
    "/v1/bureau/repairs": {"uscc": "91370600000000001N", "proof": "x"},
    "/v1/bureau/repairs/{repair_id}/{decision}": {"reason": "x"},
    "/v1/bureau/match/review/{review_id}": {"project_id": "P1", "decided_by": "x"},
}


def _routes(prefix: str) -> list[tuple[str, str]]:
    """Every documented (method, path) under `prefix`, read from the OpenAPI schema."""
    paths = create_app().openapi()["paths"]
    return sorted((m.upper(), p) for p, ops in paths.items() if p.startswith(prefix) for m in ops)


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    url = path.format(**{**SAMPLE, "kind": "red"} if "/lists/" in path else SAMPLE)
    if path == "/v1/bureau/ingest/{kind}":
        return client.post(
            url, headers=headers, files={"file": ("c.csv", b"uscc,name\n", "text/csv")}
        )
    return client.request(method, url, headers=headers, json=BODIES.get(path))


@pytest.mark.parametrize(("area", "role"), [("/v1/bureau", "bureau"), ("/v1/audit", "auditor")])
def test_role_matrix(client: TestClient, bureau_db: dict[str, Any], area: str, role: str) -> None:
    other = "auditor" if role == "bureau" else "bureau"
    routes = _routes(area)
    assert len(routes) >= 4
    for method, path in routes:
        none = _call(client, method, path, {})
        assert none.status_code == 401 and none.json()["error"]["code"] == "UNAUTHORIZED", path
        assert none.headers["www-authenticate"] == "Bearer"
        wrong = _call(client, method, path, auth(bureau_db, other))
        assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "FORBIDDEN", path
        bad = _call(client, method, path, {"Authorization": "Bearer rat_00000000_nope"})
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "TOKEN_INVALID", path
        right = _call(client, method, path, auth(bureau_db, role))
        assert right.status_code not in (401, 403), (path, right.json())


def test_public_needs_no_token_and_ignores_one(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    for method, path in _routes("/v1/public"):
        for headers in ({}, auth(bureau_db, "bureau")):
            response = _call(client, method, path, headers)
            if path == "/v1/public/managers":  # a lookup by a full certificate number only
                assert response.json()["error"]["code"] == "CERTIFICATE_REQUIRED"
                continue
            assert response.status_code in (200, 404), (path, response.status_code)


def test_revoked_tokens_are_refused(bureau_db: dict[str, Any], tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    from rating import tokens

    settings = bureau_db["settings"].with_(tokens_path=tmp_path / "t.json")
    record, secret = tokens.create(settings.tokens_file, "auditor", "x", datetime(2026, 1, 1))
    with TestClient(create_app(settings)) as c:
        headers = {"Authorization": f"Bearer {secret}"}
        assert c.get("/v1/audit/ledger", headers=headers).status_code == 200
        tokens.revoke(settings.tokens_file, record.token_id, datetime(2026, 1, 2))
        refused = c.get("/v1/audit/ledger", headers=headers)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "TOKEN_REVOKED"
    stored = settings.tokens_file.read_text()
    assert secret.split("_", 2)[2] not in stored  # only the hash is kept


def assert_canonical_error(body: dict[str, Any], status: int) -> None:
    assert set(body) == {"ok", "error"} and body["ok"] is False
    err = body["error"]
    assert set(err) <= {"code", "message", "status", "problems", "details", "request_id"}
    assert re.fullmatch(r"[0-9a-f]{16}", err["request_id"])
    assert re.fullmatch(r"[A-Z][A-Z_]+", err["code"]) and isinstance(err["message"], str)
    assert err["status"] == status
    for p in err.get("problems", []):
        assert "code" in p and "message" in p


def test_one_error_shape(client: TestClient, bureau_db: dict[str, Any]) -> None:
    cases = [
        client.get("/v1/public/companies/91370600000000000K"),  # 404 from the library
        client.get("/v1/nowhere"),  # 404 from routing (outside /v1/ it is a page: test_lookup)
        client.post("/v1/public/companies"),  # 405
        client.get("/v1/public/companies", params={"page": 0}),  # 400 PAGE_INVALID
        client.get("/v1/bureau/runs"),  # 401
        client.get("/v1/audit/ledger", headers=auth(bureau_db, "bureau")),  # 403
        client.post(
            "/v1/bureau/runs", headers=auth(bureau_db, "bureau"), json={"period": "2025Q5"}
        ),  # 422
        client.post(
            "/v1/bureau/runs/2019Q1-01/publish", headers=auth(bureau_db, "bureau")
        ),  # 404 run
    ]
    for response in cases:
        assert_canonical_error(response.json(), response.status_code)
    page = cases[3].json()["error"]
    assert (cases[3].status_code, page["code"], page["details"]["field"]) == (
        400,
        "PAGE_INVALID",
        "page",
    )


def test_no_stack_trace_leaves_the_server(bureau_db: dict[str, Any]) -> None:
    app = create_app(bureau_db["settings"])

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    assert response.status_code == 500
    assert_canonical_error(response.json(), 500)
    assert "passwd" not in response.text and "Traceback" not in response.text


# Complainants' phones, names and addresses, complaint text, record ids: never public.
PERSONAL = re.compile(
    r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])|张三|幸福路|车位被占|楼道漏水|GD\d{4}|SH-PRIV"
    r"|\"content\"|complaint_id|record_key|联系电话"
)


def test_no_personal_data_in_any_public_response(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    seen = 0
    for name, uscc in bureau_db["names"].items():
        urls = [
            f"/v1/public/companies/{uscc}",
            f"/v1/public/companies/{uscc}?as_of=2025-12-31",
            f"/companies/{uscc}",
            f"/v1/public/companies?q={name}",
            f"/?q={name}",
            f"/v1/public/tender/{uscc}?on=2026-02-01",
        ]
        for url in urls:
            response = client.get(url)
            assert not PERSONAL.search(response.text), (url, PERSONAL.search(response.text))
            seen += 1
    for pid in ("P1", "P2", "P3", "P4", "P5", "P7", "P8", "P9", "P10"):
        for url in (f"/v1/public/compounds/{pid}", f"/compounds/{pid}"):
            response = client.get(url)
            assert response.status_code == 200 and not PERSONAL.search(response.text), url
            seen += 1
    for url in (
        "/grades",
        "/v1/public/grades",
        "/v1/public/periods",
        "/v1/public/managers?certificate_no=WYJL000048",  # yantai-2022 publishes none
        "/?q=阳光",
        "/v1/public/search?q=物业",
    ):
        response = client.get(url)
        assert response.status_code == 200 and not PERSONAL.search(response.text), url
        seen += 1
    for kind in ("red", "black"):
        for period in ("2025Q2", "2025Q3"):
            page = client.get(f"/lists/{kind}", params={"period": period})
            assert page.status_code == 200 and not PERSONAL.search(page.text)
            for fmt in ("json", "csv", "xlsx"):
                response = client.get(
                    f"/v1/public/lists/{kind}", params={"format": fmt, "period": period}
                )
                assert response.status_code == 200 and not PERSONAL.search(_text(response.content))
                seen += 1
    assert seen > 80
    public_paths = {p for _, p in _routes("/v1/public")}
    assert public_paths == {
        "/v1/public/search",
        "/v1/public/companies",
        "/v1/public/companies/{uscc}",
        "/v1/public/compounds/{project_id}",
        "/v1/public/lists/{kind}",
        "/v1/public/periods",
        "/v1/public/grades",
        "/v1/public/managers",
        "/v1/public/tender/{uscc}",
    }


def _text(body: bytes) -> str:
    """Text of a response: an XLSX's XML parts unzipped, anything else decoded."""
    import io
    import zipfile

    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    return body.decode("utf-8")


def test_no_personal_data_in_the_static_snapshot(bureau_db: dict[str, Any], tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every file a city would hand to a web server or CDN."""
    import duckdb

    from rating import public
    from rating.public import static

    settings = bureau_db["settings"]
    con = duckdb.connect(str(settings.db_path), read_only=True)
    data = public.build(con, settings.zone, settings.current_time)
    con.close()
    manifest = static.export(public.WarehouseView(data), tmp_path / "public")
    assert len(manifest["files"]) > 40
    for name in manifest["files"]:
        text = _text((tmp_path / "public" / name).read_bytes())
        assert not PERSONAL.search(text), (name, PERSONAL.search(text))
