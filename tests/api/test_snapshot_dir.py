"""The public snapshot as a directory of static files: the same answers from it, without the
warehouse, as from the warehouse — for every company, compound, list and day that matters."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rating import public
from rating.cli import main
from rating.public import static

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folder(bureau_db: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = bureau_db["settings"]
    out = tmp_path_factory.mktemp("snapshot") / "public"
    con = duckdb.connect(str(settings.db_path), read_only=True)
    data = public.build(con, settings.zone, settings.current_time)
    con.close()
    static.export(public.WarehouseView(data), out)
    return out


@pytest.fixture(scope="module")
def both(bureau_db: dict[str, Any], folder: Path) -> Iterator[tuple[TestClient, TestClient]]:
    # The directory holds a card for every day it changes, later ones too (a listing's end);
    # the lookup refuses a day after today, so both servers run on a clock past them all.
    settings = bureau_db["settings"].with_(rate_limit=0, now=_after_every_day(folder))
    with (
        TestClient(create_app(settings)) as warehouse,
        TestClient(create_app(settings, snapshot_dir=folder)) as files,
    ):
        yield warehouse, files


def _days(folder: Path) -> list[str]:
    """Every day a card changes, the day before each, and a few others."""
    index = json.loads((folder / "companies" / "index.json").read_text())
    days = {d for timeline in index.values() for d, _ in timeline}
    days |= {(date.fromisoformat(d) - timedelta(days=1)).isoformat() for d in days}
    return sorted(days | {"2025-01-01", "2026-04-20", "2029-02-01"})


def _after_every_day(folder: Path) -> datetime:
    """Noon of the day after the last day `_days` asks about."""
    last = date.fromisoformat(max(_days(folder))) + timedelta(days=1)
    return datetime.combine(last, time(12))


def _urls(bureau_db: dict[str, Any], folder: Path) -> list[str]:
    days = _days(folder)
    urls = ["/v1/public/periods", "/v1/public/grades", "/grades", "/", "/lists/red", "/lists/black"]
    for uscc in bureau_db["names"].values():
        urls += [f"/v1/public/companies/{uscc}", f"/companies/{uscc}"]
        urls += [f"/v1/public/companies/{uscc}?as_of={d}" for d in days]
    for pid in ("P1", "P2", "P5", "P9", "P10"):
        urls += [f"/v1/public/compounds/{pid}", f"/compounds/{pid}"]
        urls += [f"/v1/public/compounds/{pid}?as_of={d}" for d in days[::3]]
    for kind in ("red", "black"):
        for period in ("", "&period=2025Q2", "&period=2025Q3"):
            for fmt in ("json", "csv", "xlsx"):
                urls.append(f"/v1/public/lists/{kind}?format={fmt}{period}")
            urls += [f"/v1/public/lists/{kind}?as_of={d}{period}" for d in days[::2]]
            urls.append(f"/lists/{kind}?x=1{period}")
    addresses = ("中山路12号", "中山路12号金色公寓", "芝罘区中山路88号金色公寓")  # road and number
    for q in (
        "金色公寓",
        "阳光花园",
        "莱山区阳光花园",
        "中山路",
        "癸水",
        "物业",
        "9137",
        *addresses,
    ):
        urls += [f"/v1/public/search?q={q}", f"/v1/public/companies?q={q}", f"/?q={q}"]
    urls += ["/grades?ruleset=unknown", "/v1/public/grades?ruleset=yantai-2022@9.9.9"]
    urls += [f"/companies/{bureau_db['names']['甲物业']}?as_of=2025-01-01"]  # before any result
    for district in ("莱山区", "火星区"):  # a district there is, and one there is not
        urls += [f"/v1/public/search?q=阳光花园&district={district}", f"/?district={district}"]
        urls += [f"/v1/public/companies?district={district}"]
    return urls


def _without_request_id(body: bytes) -> bytes:
    """Errors carry each request's own id; the rest of the answer must be the same bytes."""
    body = re.sub(rb'"request_id":"[0-9a-f]*"', b'"request_id":""', body)
    return re.sub(rb'<span class="rid">[0-9a-f]*</span>', b'<span class="rid"></span>', body)


def test_the_same_answers_from_the_directory_as_from_the_warehouse(
    both: tuple[TestClient, TestClient], bureau_db: dict[str, Any], folder: Path
) -> None:
    warehouse, files = both
    urls = _urls(bureau_db, folder)
    statuses = set()
    for url in urls:
        a, b = warehouse.get(url), files.get(url)
        assert (a.status_code, _without_request_id(a.content)) == (
            b.status_code,
            _without_request_id(b.content),
        ), url
        assert a.headers.get("etag") == b.headers.get("etag"), url
        statuses.add(a.status_code)
    assert len(urls) > 250 and statuses == {200, 404}
    # The red list's dates and ground come from the directory too (not only equal, present):
    # 2025Q2's entry from its publication until 2025Q3's.
    red = files.get("/v1/public/lists/red?period=2025Q2&as_of=2026-01-25").json()["items"]
    assert [(e["red_listing"]["since"], e["red_listing"]["until"]) for e in red] == [
        ("2025-10-15", "2026-01-20")
    ]
    assert red[0]["reason"] == red[0]["red_listing"]["reason"] != ""
    card = files.get(f"/v1/public/companies/{bureau_db['names']['甲物业']}?as_of=2026-01-25")
    assert card.json()["current"]["red_listing"]["since"] == "2026-01-20"


def test_the_static_files_are_what_the_api_serves(
    both: tuple[TestClient, TestClient], bureau_db: dict[str, Any], folder: Path
) -> None:
    warehouse, _ = both
    manifest = json.loads((folder / "manifest.json").read_text())
    today = bureau_db["settings"].current_time().date().isoformat()
    assert manifest["ledger"]["seq"] > 0 and len(manifest["ledger"]["hash"]) == 64
    names = ("lists/black/2025Q3.csv", "lists/black/2025Q3.xlsx", "lists/red/2025Q2.json",
             "lists/red/2025Q2.csv", "lists/red/2025Q2.xlsx", "lists/red/in-force.csv")  # fmt: skip
    for name in names:
        kind, period, fmt = name.split("/")[1], name.split("/")[2].split(".")[0], name.split(".")[1]
        named = "" if period == "in-force" else f"period={period}&"
        served = warehouse.get(  # as on the day the directory was written
            f"/v1/public/lists/{kind}?{named}format={fmt}&page_size=200&as_of={today}"
        )
        if fmt == "json":
            assert (
                json.loads(served.content)["items"]
                == json.loads((folder / name).read_bytes())["items"]
            )
        else:
            assert served.content == (folder / name).read_bytes(), name
    uscc = bureau_db["names"]["丁物业"]
    index = json.loads((folder / "companies" / "index.json").read_text())
    last_day, last_file = index[uscc][-1]
    card = json.loads((folder / last_file).read_text())
    served = warehouse.get(f"/v1/public/companies/{uscc}?as_of={last_day}").json()
    assert card == served


def test_a_public_only_server_has_no_warehouse_endpoints(
    both: tuple[TestClient, TestClient],
) -> None:
    _, files = both
    health = files.get("/healthz").json()
    assert health["public_only"] is True and health["published_runs"] == 2
    assert files.get("/v1/bureau/runs").status_code == 404
    assert all(
        not p.startswith(("/v1/bureau", "/v1/audit"))
        for p in files.get("/openapi.json").json()["paths"]
    )


def test_an_altered_file_is_refused_and_verify_says_so(
    bureau_db: dict[str, Any], folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    copy = tmp_path / "public"
    shutil.copytree(folder, copy)
    db = tmp_path / "w.duckdb"  # (the apps of this module hold the warehouse open)
    shutil.copy(bureau_db["settings"].db_path, db)
    assert main(["public", "verify", str(copy), "--db", str(db), "--json"]) == 0
    ok = json.loads(capsys.readouterr().out)
    assert ok["ok"] is True and ok["records_behind"] == 0
    uscc = bureau_db["names"]["丁物业"]
    day, name = json.loads((copy / "companies" / "index.json").read_text())[uscc][-1]
    (copy / name).write_text((copy / name).read_text().replace('"C"', '"A"'))
    assert main(["public", "verify", str(copy), "--db", str(db), "--json"]) == 1
    assert name in json.loads(capsys.readouterr().out)["altered"]
    settings = bureau_db["settings"].with_(now=_after_every_day(copy))
    with TestClient(create_app(settings, snapshot_dir=copy)) as c:
        altered = c.get(f"/v1/public/companies/{uscc}?as_of={day}")
        assert altered.status_code == 503 and altered.json()["error"]["code"] == "SNAPSHOT_ALTERED"


def test_a_public_only_server_follows_a_new_export_of_its_directory(
    bureau_db: dict[str, Any], folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replicas serving the directory pick up the next `rating publish` without a restart; a
    directory caught mid-swap or altered keeps the view served until then."""
    import shutil
    from datetime import datetime

    from api import state

    monkeypatch.setattr(state, "RELOAD_CHECK_S", 0.0)
    copy = tmp_path / "public"
    shutil.copytree(folder, copy)
    settings = bureau_db["settings"].with_(rate_limit=0)
    with TestClient(create_app(settings, snapshot_dir=copy)) as c:
        before = c.get("/healthz").json()["snapshot_built_at"]
        moved = (copy / "manifest.json").read_bytes()
        (copy / "manifest.json").write_bytes(b"{not json")  # altered: keep serving
        assert c.get("/healthz").json()["snapshot_built_at"] == before
        (copy / "manifest.json").write_bytes(moved)
        later = datetime.fromisoformat(before) + timedelta(hours=1)
        db = tmp_path / "w.duckdb"  # (the apps of this module hold the warehouse open)
        shutil.copy(settings.db_path, db)
        con = duckdb.connect(str(db), read_only=True)
        data = public.build(con, settings.zone, lambda: later)
        con.close()
        static.export(public.WarehouseView(data), copy)
        assert c.get("/healthz").json()["snapshot_built_at"] == later.isoformat()
        uscc = bureau_db["names"]["丁物业"]
        assert c.get(f"/v1/public/companies/{uscc}").status_code == 200
