"""Hardening of the API: an upload cannot hurt the server, errors leak nothing, public
parameters' extremes answer 4xx, the rate limit believes only trusted proxies, and every
request is in the access log."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from api.state import AppState
from api.traffic import Limiter
from rating.settings import Settings
from tests.api.conftest import auth

# the real app over the rated API bureau, started for each test; uploads, real servers:
# not in `make test-fast`
pytestmark = pytest.mark.slow

GiB = 1 << 30
COMPANIES = "统一社会信用代码,企业名称,所属区县,是否本市注册\n"


def hostile_xlsx(path: Path) -> Path:
    """A 5 KB workbook whose one far cell (XFD1048576) makes a reader ask for 512 GB."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write(0, 0, "统一社会信用代码")
    sheet.write(1048575, 16383, "x")
    book.close()
    return path


# ---------------------------------------------------------------- at the ASGI level


def _call(app: Any, method: str, path: str, headers: dict[str, str], body: Iterator[bytes]) -> Any:
    """Drive the app directly; returns (status, headers, body, how many chunks it read)."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(body, None)
        pulled += 1
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "app": app,
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body_out = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body_out, pulled


FORM_START = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'


def _endless(chunk: int = 1 << 20, start: bytes = b"") -> Iterator[bytes]:
    """A body that never ends: `start`, then `chunk`-sized blocks of x."""
    if start:
        yield start
    block = b"x" * chunk
    while True:
        yield block


@pytest.fixture
def app(bureau_db: dict[str, Any]) -> Iterator[Any]:
    application = create_app(bureau_db["settings"])
    application.state.rating = AppState(bureau_db["settings"].with_(max_upload_mb=2))
    yield application
    application.state.rating.close()


def test_an_anonymous_upload_is_refused_before_its_body_is_read(app: Any) -> None:
    headers = {"content-type": "multipart/form-data; boundary=x", "content-length": str(3 * GiB)}
    status, out, body, pulled = _call(
        app, "POST", "/v1/bureau/ingest/companies", headers, _endless()
    )
    assert status == 401 and pulled == 0 and b"UNAUTHORIZED" in body
    assert out[b"x-request-id"]
    wrong = {**headers, "authorization": "Bearer rat_00000000_nope"}
    status, _, _, pulled = _call(app, "POST", "/v1/bureau/ingest/companies", wrong, _endless())
    assert status == 401 and pulled == 0


def test_a_json_body_is_not_read_before_the_token_either(app: Any) -> None:
    headers = {"content-type": "application/json", "content-length": str(GiB)}
    status, _, _, pulled = _call(app, "POST", "/v1/bureau/runs", headers, _endless())
    assert status == 401 and pulled == 0


def test_too_large_is_refused_on_its_length_and_while_streaming(
    app: Any, bureau_db: dict[str, Any]
) -> None:
    token = auth(bureau_db, "bureau")
    form = {
        "content-type": "multipart/form-data; boundary=x",
        **{k.lower(): v for k, v in token.items()},
    }
    declared = {**form, "content-length": str(3 * GiB)}
    status, _, body, pulled = _call(
        app, "POST", "/v1/bureau/ingest/companies", declared, _endless()
    )
    assert status == 413 and pulled == 0 and b"UPLOAD_TOO_LARGE" in body
    # chunked: no length; refused once 2 MiB (+ the form's slack) have arrived
    endless_form = _endless(start=FORM_START)
    status, _, body, pulled = _call(app, "POST", "/v1/bureau/ingest/companies", form, endless_form)
    assert status == 413 and b"UPLOAD_TOO_LARGE" in body and pulled <= 5
    runs = {**{k.lower(): v for k, v in token.items()}, "content-type": "application/json"}
    status, _, body, pulled = _call(app, "POST", "/v1/bureau/runs", runs, _endless(1 << 16))
    assert status == 413 and b"BODY_TOO_LARGE" in body and pulled <= 20


def test_uploads_at_once_are_bounded(app: Any, bureau_db: dict[str, Any]) -> None:
    state: AppState = app.state.rating
    state.uploads = state.settings.max_uploads  # as many as allowed are being read
    headers = {"content-type": "multipart/form-data; boundary=x", "content-length": "10"}
    headers.update({k.lower(): v for k, v in auth(bureau_db, "bureau").items()})
    status, out, body, pulled = _call(
        app, "POST", "/v1/bureau/ingest/companies", headers, _endless()
    )
    assert status == 503 and b"UPLOADS_BUSY" in body and pulled == 0
    assert int(out[b"retry-after"]) > 0
    state.uploads = 0


# ---------------------------------------------------------------- through the app


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An app over an empty warehouse of its own, with a bureau token."""
    from datetime import datetime

    from rating import tokens
    from tests.factories import settings_for

    settings = settings_for(tmp_path)
    token = tokens.create(settings.tokens_file, "bureau", "t", datetime(2026, 1, 1))[1]
    with TestClient(create_app(settings)) as c:
        yield c, {"Authorization": f"Bearer {token}"}


def test_a_hostile_workbook_costs_only_its_request(
    writer: tuple[TestClient, dict[str, str]], tmp_path: Path
) -> None:
    import psutil

    client, token = writer
    before = psutil.Process().memory_info().rss
    data = hostile_xlsx(tmp_path / "bomb.xlsx").read_bytes()
    answer = client.post(
        "/v1/bureau/ingest/companies", headers=token, files={"file": ("bomb.xlsx", data)}
    )
    assert answer.status_code in (413, 422), answer.text
    # the readers bound a sparse sheet themselves (issue 12), so the far-away cell is read
    # as what it is: a sheet without this kind's header
    assert answer.json()["error"]["code"] in (
        "UPLOAD_TOO_COMPLEX",
        "FILE_UNREADABLE",
        "FILE_TOO_LARGE",
        "FILE_WRONG_KIND",
        "FILE_NO_HEADER",
    )
    assert psutil.Process().memory_info().rss - before < 256 << 20  # the server's own memory
    assert client.get("/healthz").status_code == 200  # still serving


def test_the_write_lock_is_free_while_an_upload_is_read(
    writer: tuple[TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.routers import bureau

    client, token = writer
    state: AppState = client.app.state.rating  # type: ignore[attr-defined]
    free: list[bool] = []
    real = bureau.read_isolated

    def watching(*args: Any) -> Any:
        got = state.gate.acquire(blocking=False)  # this process's turn at the warehouse
        free.append(got)
        if got:
            state.gate.release()
        return real(*args)

    monkeypatch.setattr(bureau, "read_isolated", watching)
    # a 90 KB header line: the readers must not stall writes while they work on it
    header = ",".join(f"列{i}" for i in range(15000)) + "\n"
    answer = client.post(
        "/v1/bureau/ingest/companies", headers=token, files={"file": ("wide.csv", header.encode())}
    )
    assert answer.status_code < 500 and free == [True]


@pytest.mark.parametrize(
    "name", ["..", ".", "../../etc/passwd", "a/../../b.csv", "\x00.csv", "名单.csv"]
)
def test_upload_names_are_sanitised(writer: tuple[TestClient, dict[str, str]], name: str) -> None:
    client, token = writer
    body = (COMPANIES + "91370600MA3C4ULK6X,阳光物业,芝罘区,是\n").encode("utf-8")
    answer = client.post("/v1/bureau/ingest/companies", headers=token, files={"file": (name, body)})
    assert answer.status_code == 200, answer.text
    shown = answer.json()["file"]
    assert "/" not in shown and not shown.startswith(".") and "\x00" not in shown


def test_errors_show_no_server_paths_or_sql_but_a_request_id(
    writer: tuple[TestClient, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    client, token = writer
    with caplog.at_level(logging.WARNING, logger="rating.api"):
        answer = client.post(
            "/v1/bureau/ingest/companies",
            headers=token,
            files={"file": ("broken.parquet", b"PAR1" + b"\x00garbage" * 100)},
        )
    error = answer.json()["error"]
    assert answer.status_code == 422 and error["request_id"] == answer.headers["x-request-id"]
    assert "/tmp" not in error["message"] and "rating-upload" not in error["message"]
    assert not re.search(r"\b[A-Z][a-z]+ Error:|SELECT|read_parquet", error["message"]), error
    if "server log" in error["message"]:
        assert any(error["request_id"] in r.getMessage() for r in caplog.records)


def test_an_internal_error_names_its_request(
    bureau_db: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.routers import system

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret /srv/path SELECT 1")

    with TestClient(create_app(bureau_db["settings"]), raise_server_exceptions=False) as c:
        monkeypatch.setattr(system.Health, "__init__", broken)
        answer = c.get("/healthz")
    assert answer.status_code == 500
    error = answer.json()["error"]
    assert error["code"] == "INTERNAL" and error["request_id"] in error["message"]
    assert "/srv" not in answer.text and "SELECT" not in answer.text


def test_resource_errors_have_their_own_codes(
    bureau_db: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from api.routers import system

    for number, code, status in (
        (errno.ENOSPC, "DISK_FULL", 507),
        (errno.EROFS, "READ_ONLY_FS", 503),
        (errno.ENAMETOOLONG, "PATH_TOO_LONG", 400),
    ):

        def broken(*_: Any, _n: int = number, **__: Any) -> Any:
            raise OSError(_n, "simulated", "/var/lib/rating/warehouse.duckdb")

        with TestClient(create_app(bureau_db["settings"]), raise_server_exceptions=False) as c:
            monkeypatch.setattr(system.Health, "__init__", broken)
            answer = c.get("/healthz")
            monkeypatch.undo()
        assert answer.status_code == status and answer.json()["error"]["code"] == code
        assert "/var/lib" not in answer.text


# ---------------------------------------------------------------- public parameters


@pytest.mark.parametrize(
    "path",
    [
        "/v1/public/companies/{uscc}?as_of=9999-12-31",
        "/v1/public/companies/{uscc}?as_of=0001-01-01",
        "/v1/public/companies/{uscc}?as_of=1989-12-31",
        "/v1/public/companies/{uscc}?as_of=2100-01-01",
        "/v1/public/companies/{uscc}?as_of=2026-02-30",
        "/v1/public/lists/black?as_of=9999-12-31&format=csv",
        "/v1/public/lists/red?as_of=9999-12-31",
        "/v1/public/lists/red?period=9999Q4&as_of=0001-01-01",
        "/companies/{uscc}?as_of=9999-12-31",
    ],
)
def test_public_extremes_answer_4xx(
    client: TestClient, bureau_db: dict[str, Any], path: str
) -> None:
    answer = client.get(path.format(uscc=bureau_db["names"]["丁物业"]))
    assert 400 <= answer.status_code < 500, (path, answer.status_code)


def test_public_boundaries_inside_the_range_answer(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    uscc = bureau_db["names"]["丁物业"]
    for day in ("1990-01-01", "2026-11-01"):  # the earliest day, and today (the test clock)
        assert client.get(f"/v1/public/companies/{uscc}?as_of={day}").status_code in (200, 404)
    # a list asked for before any result was shown says so (404 LIST_NOT_YET_SHOWN), not 5xx
    early = client.get("/v1/public/lists/black?as_of=1990-01-01&format=csv")
    assert (early.status_code, early.json()["error"]["code"]) == (404, "LIST_NOT_YET_SHOWN")
    assert client.get("/v1/public/lists/black?as_of=2026-11-01&format=csv").status_code == 200
    assert client.get(f"/v1/public/companies/{uscc}?as_of=2026-11-02").status_code == 400
    for query in ("period=0000", "period=9999H2", "q=" + "阳" * 100):
        assert client.get(f"/v1/public/companies?{query}").status_code == 200
        assert client.get(f"/v1/public/lists/red?{query}").status_code in (200, 400, 404)
    # a page past the end names the last page (400 PAGE_INVALID), on the API as on the pages
    past = client.get("/v1/public/companies?page=10000&page_size=200")
    assert (past.status_code, past.json()["error"]["code"]) == (400, "PAGE_INVALID")


# ---------------------------------------------------------------- rate limit and access log


def test_rate_limit_headers_and_refusal(bureau_db: dict[str, Any]) -> None:
    settings = bureau_db["settings"].with_(rate_limit=5)
    with TestClient(create_app(settings)) as c:
        answers = [c.get("/v1/public/companies") for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        first, refused = answers[0], answers[-1]
        assert (
            first.headers["ratelimit-limit"] == "5" and first.headers["ratelimit-remaining"] == "4"
        )
        assert (
            first.headers["ratelimit-policy"] == "5;w=60"
            and int(first.headers["ratelimit-reset"]) >= 1
        )
        assert refused.json()["error"]["code"] == "RATE_LIMITED"
        assert (
            int(refused.headers["retry-after"]) >= 1
            and refused.headers["ratelimit-remaining"] == "0"
        )
        bureau = c.get("/v1/bureau/runs", headers=auth(bureau_db, "bureau"))
        assert bureau.status_code == 200 and "ratelimit-limit" not in bureau.headers


def test_forwarded_for_is_believed_from_trusted_proxies_only(bureau_db: dict[str, Any]) -> None:
    def rotate(settings: Settings) -> list[int]:
        with TestClient(create_app(settings)) as c:
            return [
                c.get(
                    "/v1/public/companies", headers={"X-Forwarded-For": f"10.0.0.{i}"}
                ).status_code
                for i in range(8)
            ]

    assert rotate(bureau_db["settings"].with_(rate_limit=3)).count(429) == 5  # default: none
    trusted = bureau_db["settings"].with_(rate_limit=3, trusted_proxies="testclient, 127.0.0.1")
    assert rotate(trusted).count(429) == 0  # behind a proxy: each forwarded client on its own


def test_the_limiter_forgets_clients_after_their_window() -> None:
    limiter = Limiter(10, window_seconds=1)
    for i in range(2000):
        assert limiter.hit(f"10.0.{i // 250}.{i % 250}")[0]
    assert len(limiter.strategy.storage.storage) >= 2000  # type: ignore[attr-defined]
    time.sleep(2.2)
    limiter.hit("10.9.9.9")  # the storage expires entries as it is used
    time.sleep(0.2)
    assert len(limiter.strategy.storage.storage) <= 3  # type: ignore[attr-defined]


def test_ipv6_clients_count_per_64() -> None:
    from api.traffic import client_key

    a = client_key({"client": ("2001:db8:1:2::10", 1)})
    b = client_key({"client": ("2001:db8:1:2:ffff::1", 1)})
    assert a == b == "2001:db8:1:2::/64"
    assert client_key({"client": ("::ffff:10.0.0.1", 1)}) == "10.0.0.1"


def test_every_request_is_in_the_access_log(
    client: TestClient, bureau_db: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="rating.access"):
        client.get("/v1/public/companies?q=%E4%B8%81", headers={"User-Agent": "probe/1"})
        client.get("/v1/bureau/runs", headers=auth(bureau_db, "bureau"))
        client.get("/v1/bureau/runs")
    lines = [r.getMessage() for r in caplog.records if r.name == "rating.access"]
    combined = re.compile(
        r"^\S+ - (\S+) \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "
        r'"(GET|POST) \S+ HTTP/1\.1" (\d{3}) (\d+|-) "[^"]*" "([^"]*)"$'
    )
    parsed = [combined.match(line) for line in lines]
    assert len(parsed) == 3 and all(parsed), lines
    assert parsed[0].group(5) == "probe/1" and parsed[0].group(3) == "200"  # type: ignore[union-attr]
    token_id = bureau_db["tokens"]["bureau"].split("_")[1]
    assert parsed[1].group(1) == token_id and parsed[2].group(3) == "401"  # type: ignore[union-attr]
    assert bureau_db["tokens"]["bureau"] not in "\n".join(lines)


# ---------------------------------------------------------------- a real server


@contextmanager
def served(settings: Settings) -> Iterator[int]:
    """The app under uvicorn on 127.0.0.1 (a free port), stopped on exit."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _post_raw(port: int, headers: str, body_bytes: int, chunked: bool = False) -> tuple[bytes, int]:
    """Send a POST's headers and up to `body_bytes` of body; (the answer's first bytes, how
    many body bytes the server took before answering)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(headers.encode())
        if chunked:
            s.sendall(f"{len(FORM_START):x}\r\n".encode() + FORM_START + b"\r\n")
        sent, block = 0, b"x" * (1 << 16)
        if chunked:
            block = b"10000\r\n" + block + b"\r\n"
        s.settimeout(0.05)
        answer = b""
        while sent < body_bytes:
            try:
                sent += s.send(block)
            except (BlockingIOError, TimeoutError, BrokenPipeError, ConnectionResetError):
                pass
            try:
                answer += s.recv(4096)
            except (TimeoutError, BlockingIOError):
                continue
            except ConnectionResetError:
                break
            if answer:
                break
        s.settimeout(5)
        try:
            answer += s.recv(4096)
        except (TimeoutError, ConnectionResetError):
            pass
        return answer, sent


def test_a_real_server_answers_before_a_huge_body_arrives(
    bureau_db: dict[str, Any], tmp_path: Path
) -> None:
    settings = bureau_db["settings"].with_(max_upload_mb=1)
    with served(settings) as port:
        anonymous = (
            "POST /v1/bureau/ingest/companies HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {3 * GiB // 2}\r\n\r\n"
        )
        answer, sent = _post_raw(port, anonymous, 64 << 20)
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        assert sent < 64 << 20  # answered long before 1.5 GiB (or even 64 MiB) was sent
        token = bureau_db["tokens"]["bureau"]
        chunked = (
            "POST /v1/bureau/ingest/companies HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        answer, sent = _post_raw(port, chunked, 64 << 20, chunked=True)
        assert b"413" in answer.split(b"\r\n", 1)[0], answer[:200]


def test_verify_over_the_api_checks_an_anchored_head(
    client: TestClient, bureau_db: dict[str, Any]
) -> None:
    token = auth(bureau_db, "auditor")
    ledger = client.get("/v1/audit/ledger", headers=token).json()["records"]
    head = ledger[-1]["hash"]
    assert client.get(f"/v1/audit/verify?expect_head={head}", headers=token).json()["ok"]
    wrong = client.get(f"/v1/audit/verify?expect_head={'0' * 64}", headers=token).json()
    assert not wrong["ok"] and wrong["problems"][0]["code"] == "LEDGER_ANCHOR_MISSING"


def test_serve_on_a_warehouse_it_cannot_open_says_so_first(tmp_path: Path) -> None:
    import subprocess
    import sys

    for db, code in (
        (tmp_path / ("a" * 300 + ".duckdb"), "PATH_TOO_LONG"),
        (tmp_path / "garbage.duckdb", "WAREHOUSE_UNAVAILABLE"),
    ):
        if db.name.startswith("garbage"):
            db.write_text("not a database")
        done = subprocess.run(
            [sys.executable, "-m", "rating.cli", "serve", "--db", str(db), "--port", "1"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        assert done.returncode == 3 and len(lines) == 1 and code in lines[0], lines
        assert "Serving" not in done.stdout


def test_serve_refuses_a_warehouse_that_does_not_exist(tmp_path: Path) -> None:
    """`rating serve` on a missing file says WAREHOUSE_MISSING in Chinese, naming the path
    and `make demo`, and creates nothing (it used to serve a new, empty warehouse)."""
    import subprocess
    import sys

    db = tmp_path / "rating.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "rating.cli", "serve", "--db", str(db), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "RATING_LANG": "zh"},
    )
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 3 and len(lines) == 1, lines
    assert "WAREHOUSE_MISSING" in lines[0] and str(db) in lines[0], lines
    assert "没有数据仓库" in lines[0] and "make demo" in lines[0], lines
    assert not db.exists()


def test_serve_says_it_is_serving_only_once_it_accepts_connections(tmp_path: Path) -> None:
    """The 'Serving … on http://…' line comes after the app's start-up (the public lookup
    loaded into memory) and the bind: a connection made the moment it is printed succeeds.
    `--create` starts on a new, empty warehouse on purpose."""
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = tmp_path / "new.duckdb"
    command = [sys.executable, "-m", "rating.cli", "serve", "--create", "--db", str(db)]
    env = {**os.environ, "RATING_LANG": "en", "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.PIPE, text=True, env=env
    ) as server:
        try:
            assert server.stdout is not None
            first = server.stdout.readline()
            assert first.startswith("Starting"), first
            serving = server.stdout.readline()
            assert serving.startswith("Serving") and f":{port}/" in serving, serving
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            assert db.exists()
        finally:
            server.terminate()
            server.wait(timeout=30)
