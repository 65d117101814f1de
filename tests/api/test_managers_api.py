"""Project managers through the API (issue 19): the register, assignments and surveys uploaded
like any export, the bureau's list and explanation of a run's managers, and the public lookup
that shows only what the scheme publishes — never an identity number."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers import bureau as bureau_router
from rating import idnumber, tokens
from rating.warehouse import open_warehouse
from tests.factories import make_id_number, publish_after_publicity, settings_for
from tests.test_managers import _shanghai_bureau

# end to end through the API (uploads, a run, publication): not in `make test-fast`
pytestmark = pytest.mark.slow

ID_NUMBER = make_id_number(7)


def _rules_publishing(tmp: Path, publish: str) -> Path:
    """A copy of the shipped rules with Shanghai's `[managers] publish` set to `publish`."""
    import shutil

    from tests.factories import RULES_DIR

    rules = tmp / "rules"
    shutil.copytree(RULES_DIR, rules)
    toml = rules / "shanghai-2023" / "1.0.0" / "ruleset.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'publish = "name_and_certificate"' in text
    toml.write_text(text.replace('publish = "name_and_certificate"', f'publish = "{publish}"'))
    return rules


def _bureau_via_api(tmp: Path, publish: str) -> dict[str, Any]:
    """Upload the Shanghai bureau through the API (M001 with an identity number), rate 2026Q3,
    then publish the run."""
    key_file = tmp / "id.key"
    idnumber.generate_key(key_file)
    rules = _rules_publishing(tmp, publish)
    settings = settings_for(tmp, id_key=key_file).with_(rules_dir=rules)
    keys = {
        role: tokens.create(settings.tokens_file, role, role, datetime(2026, 1, 1))[1]
        for role in tokens.ROLES
    }
    bureau = _shanghai_bureau()
    bureau.rows["managers"][0]["id_hash"] = ID_NUMBER
    head = {"Authorization": f"Bearer {keys['bureau']}"}
    uploads = tmp / "uploads"
    uploads.mkdir()
    old_tempdir = tempfile.tempdir
    tempfile.tempdir = str(uploads)  # where the API keeps an upload while it reads it
    seen: list[Path] = []  # files holding the number in clear once validation starts
    try:
        with pytest.MonkeyPatch.context() as mp, TestClient(create_app(settings)) as c:
            mp.setattr(
                bureau_router, "ingest_file", _spying(bureau_router.ingest_file, uploads, seen)
            )
            for kind, path in bureau.write(tmp / "exports"):
                with path.open("rb") as f:
                    r = c.post(f"/v1/bureau/ingest/{kind}", headers=head, files={"file": f})
                assert r.status_code == 200, r.text
                assert r.json()["rows_quarantined"] == 0, r.json()
            r = c.post(
                "/v1/bureau/runs",
                headers=head,
                json={"period": "2026Q3", "rules": "shanghai-2023@1.0.0", "force": True},
            )
            assert r.status_code == 200, r.text
            run_id = r.json()["run_id"]
    finally:
        tempfile.tempdir = old_tempdir
    return {
        "settings": settings,
        "keys": keys,
        "run_id": run_id,
        "uploads": uploads,
        "seen_during": seen,
    }


def _holding_the_number(folder: Path) -> list[Path]:
    needle = ID_NUMBER.encode("ascii")
    return [p for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _spying(ingest_file: Any, uploads: Path, seen: list[Path]) -> Any:
    """`ingest_file` whose raw reader, once done, notes every file under `uploads` that
    still holds the identity number in clear."""

    def spy(con: Any, settings: Any, kind: str, path: Path, **kw: Any) -> Any:
        read_raw = kw.pop("read_raw")

        def reading(*args: Any) -> Any:
            raw = read_raw(*args)
            seen.extend(_holding_the_number(uploads))
            return raw

        return ingest_file(con, settings, kind, path, read_raw=reading, **kw)

    return spy


def _publish(world: dict[str, Any]) -> None:
    con = open_warehouse(world["settings"])
    try:
        publish_after_publicity(con, world["settings"], world["run_id"], datetime(2026, 10, 30, 9))
    finally:
        con.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    world = _bureau_via_api(tmp_path_factory.mktemp("managers-api"), "name_and_certificate")
    with TestClient(create_app(world["settings"])) as c:  # nothing published yet
        world["before"] = c.get("/v1/public/managers?certificate_no=M002")
    _publish(world)
    return world


@pytest.fixture
def client(published: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(published["settings"])) as c:
        yield c


def _bureau(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['keys']['bureau']}"}


def test_the_bureau_lists_a_run_s_managers(published: dict[str, Any], client: TestClient) -> None:
    run_id = published["run_id"]
    r = client.get(f"/v1/bureau/runs/{run_id}/managers", headers=_bureau(published))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3
    # as tests/test_managers.py computes by hand: worst score first
    assert [(m["certificate_no"], m["score"], m["grade"]) for m in body["items"]] == [
        ("M003", 82, "记满18分"),
        ("M002", 87, "警示"),
        ("M001", 93, "正常"),
    ]
    assert body["items"][2]["projects"] == ["P1", "P2"]
    assert body["items"][2]["days_in_charge"] == 92
    assert all(m["lists"] == [] for m in body["items"])  # shanghai-2023@1.0.0 lists nobody
    page = client.get(
        f"/v1/bureau/runs/{run_id}/managers?limit=1&offset=1", headers=_bureau(published)
    ).json()
    assert [m["certificate_no"] for m in page["items"]] == ["M002"] and page["total"] == 3
    # the public and an auditor's token cannot read it
    assert client.get(f"/v1/bureau/runs/{run_id}/managers").status_code == 401


def test_the_bureau_explains_a_manager_s_score(
    published: dict[str, Any], client: TestClient
) -> None:
    run_id = published["run_id"]
    r = client.get(f"/v1/bureau/runs/{run_id}/managers/M001", headers=_bureau(published))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["score"], body["grade"], body["veto"]) == (93, "正常", False)
    rules = {p["rule_id"]: p for p in body["rules"]}
    assert {k: (v["records"], v["points"]) for k, v in rules.items()} == {
        "SH-M-COLLECTIVE": (1, -5),
        "SH-M-LATE": (1, -5),
        "SH-M-SURVEY": (2, 3),
    }
    late = rules["SH-M-LATE"]["evidence"]
    assert [(e["source"], e["record_key"], e["project_id"], e["date"]) for e in late] == [
        ("complaints", "GD-LATE", "P1", "2026-07-10")
    ]
    missing = client.get(f"/v1/bureau/runs/{run_id}/managers/M999", headers=_bureau(published))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "MANAGER_NOT_FOUND"


def test_the_public_sees_name_certificate_and_grade_once_published(
    published: dict[str, Any], client: TestClient
) -> None:
    before = published["before"]
    assert before.status_code == 404 and before.json()["error"]["code"] == "RUN_NOT_FOUND"
    r = client.get("/v1/public/managers?certificate_no=M002")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["shown"] is True and body["publish"] == "name_and_certificate"
    assert body["items"] == [{"certificate_no": "M002", "name": "李四", "grade": "警示"}]
    assert body["total"] == 1 and body["ruleset_title"].startswith("上海市")
    # written as a resident types it: lower case, spaces
    for typed in ("m002", " M 002 "):
        one = client.get("/v1/public/managers", params={"certificate_no": typed}).json()
        assert [m["name"] for m in one["items"]] == ["李四"], typed
    unknown = client.get("/v1/public/managers?certificate_no=M999").json()
    assert (unknown["items"], unknown["total"]) == ([], 0)
    # nothing else of the person: no score, employer, projects, nor any trace of the ID number
    key = idnumber.load_key(published["settings"].id_key)
    for text in (r.text,):
        assert "score" not in text and "employer" not in text and "P1" not in text
        assert ID_NUMBER not in text and idnumber.keyed_hash(key, ID_NUMBER) not in text


def test_the_public_api_names_nobody_without_a_full_certificate_number(
    client: TestClient,
) -> None:
    """The cards mask the manager (李*); a list of every manager with name and number
    would undo it. Without a certificate number the lookup answers 400, in Chinese, naming
    nobody — as the /managers page does."""
    for url in (
        "/v1/public/managers",
        "/v1/public/managers?certificate_no=%20",
        "/v1/public/managers?page_size=200",
    ):
        r = client.get(url)
        assert r.status_code == 400, (url, r.text)
        error = r.json()["error"]
        assert error["code"] == "CERTIFICATE_REQUIRED" and "完整的证书编号" in error["message"]
        assert all(n not in r.text for n in ("张三", "李四", "王五", "M00"))


def test_a_scheme_that_publishes_nothing_names_nobody(tmp_path: Path) -> None:
    world = _bureau_via_api(tmp_path, "none")
    _publish(world)
    with TestClient(create_app(world["settings"])) as c:
        body = c.get("/v1/public/managers?certificate_no=M001").json()
        assert (body["shown"], body["publish"], body["items"], body["total"]) == (
            False,
            "none",
            [],
            0,
        )
        assert "张三" not in c.get("/v1/public/managers?certificate_no=M001").text
        # nor the company cards: no manager on any compound, no manager column on the page
        yi = _uscc(world, "乙物业")
        card = c.get(f"/v1/public/companies/{yi}").json()
        assert [p["manager"] for p in card["projects"]] == [None, None]
        # (the scheme's own title, cited as the basis of each reason and named in the footer,
        # says 项目经理)
        assert "项目经理" not in _without_title(
            c.get(f"/companies/{yi}").text.split("<footer", 1)[0]
        )
        lookup = c.get("/managers?certificate_no=M001").text
        assert "不公开项目经理" in lookup and "张三" not in lookup
        # the bureau still sees its managers
        r = c.get(f"/v1/bureau/runs/{world['run_id']}/managers", headers=_bureau(world))
        assert r.json()["total"] == 3


def test_no_identity_number_in_clear_on_disk_after_an_upload(published: dict[str, Any]) -> None:
    """The upload and the isolated reader's raw table are deleted as soon as the raw table is
    in memory — before validation starts — and the rest of the temporary folder when the
    request ends; the warehouse keeps only the keyed hash."""
    assert published["seen_during"] == []
    assert _holding_the_number(published["uploads"]) == []
    needle = ID_NUMBER.encode("ascii")
    db = published["settings"].db_path
    for path in [db, *db.parent.glob(db.name + "*")]:
        if path.is_file():
            assert needle not in path.read_bytes(), path


def test_a_killed_server_s_upload_folders_are_swept_at_start(
    published: dict[str, Any], tmp_path: Path
) -> None:
    """A server killed mid-upload leaves its folder (the file in clear) behind: the next start
    removes folders untouched for an hour, and leaves a running upload's alone."""
    import os
    import time

    from rating.ingest.isolated import UPLOAD_PREFIX

    stale, running = tmp_path / (UPLOAD_PREFIX + "old"), tmp_path / (UPLOAD_PREFIX + "now")
    for folder in (stale, running):
        (folder / "file").mkdir(parents=True)
        (folder / "file" / "managers.csv").write_text(f"身份证号\n{ID_NUMBER}\n")
    hours_ago = time.time() - 2 * 3600
    for p in (stale / "file" / "managers.csv", stale / "file", stale):
        os.utime(p, (hours_ago, hours_ago))
    old_tempdir = tempfile.tempdir
    tempfile.tempdir = str(tmp_path)
    try:
        with TestClient(create_app(published["settings"])):
            pass
    finally:
        tempfile.tempdir = old_tempdir
    assert not stale.exists() and (running / "file" / "managers.csv").exists()


def test_the_bureau_is_told_a_run_scores_no_managers(
    published: dict[str, Any], client: TestClient
) -> None:
    """A run under a rule set without a `[managers]` part answers MANAGERS_NOT_SCORED in the
    API's error shape, naming the rule sets that score managers — not an empty list that reads
    as "nobody to report" (as `rating managers show` answers)."""
    r = client.post(
        "/v1/bureau/runs",
        headers=_bureau(published),
        json={"period": "2026Q3", "rules": "yantai-2022", "force": True},
    )
    assert r.status_code == 200, r.text
    other = r.json()["run_id"]
    for path in (f"/v1/bureau/runs/{other}/managers", f"/v1/bureau/runs/{other}/managers/M001"):
        r = client.get(path, headers=_bureau(published))
        assert r.status_code == 404, (path, r.text)
        body = r.json()
        assert body["ok"] is False and body["error"]["code"] == "MANAGERS_NOT_SCORED", body
        assert body["error"]["status"] == 404
        assert "yantai-2022@" in body["error"]["message"]
        assert "shanghai-2023@1.0.0" in body["error"]["message"]
        assert "items" not in body


def test_the_public_lookup_speaks_of_results_not_runs(published: dict[str, Any]) -> None:
    """Before anything is published the lookup says so in residents' words: results of a
    period, never the internal "run" (评价运行), in English and in the Chinese catalog."""
    from rating.cli import i18n

    error = published["before"].json()["error"]
    assert (
        error["message"] == "尚未公布任何一期评价结果。"
    )  # the public API speaks the pages' language
    message = "no results are published yet"  # the library's, as the command line translates it
    try:
        i18n.set_language("zh")
        for english in (message, "the results of 2026Q2 are not published yet"):
            chinese = i18n.error_text("RUN_NOT_FOUND", english)
            assert "评价运行" not in chinese and "评价结果" in chinese, chinese
        assert i18n.error_text("RUN_NOT_FOUND", message) == "尚未公布任何一期评价结果"
    finally:
        i18n.set_language("en")


def _uscc(world: dict[str, Any], name: str) -> str:
    con = open_warehouse(world["settings"])
    try:
        found = con.execute("SELECT uscc FROM src_companies WHERE name = $n", {"n": name})
        return str(found.fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def test_a_company_card_shows_each_compound_s_manager_masked(
    published: dict[str, Any], client: TestClient
) -> None:
    """P1 passed from 甲 to 乙 on 2026-08-01 with a new manager: 甲's card shows P1 under M001
    (in charge on 甲's last day), 乙's shows P1 under M002 and P2 under M001 — each with the
    manager's own grade, masked name and certificate, never the full name or number."""
    jia, yi = _uscc(published, "甲物业"), _uscc(published, "乙物业")

    def managers(uscc: str) -> dict[str, Any]:
        r = client.get(f"/v1/public/companies/{uscc}")
        assert r.status_code == 200, r.text
        for full in ("张三", "李四", "王五", "M001", "M002", ID_NUMBER):
            assert full not in r.text, full
        return {p["project_id"]: p["manager"] for p in r.json()["projects"]}

    zhang = {"name": "张*", "certificate_no": "****", "grade": "正常", "red": False, "black": False}
    li = {"name": "李*", "certificate_no": "****", "grade": "警示", "red": False, "black": False}
    assert managers(jia) == {"P1": zhang}
    assert managers(yi) == {"P1": li, "P2": zhang}
    page = client.get(f"/companies/{yi}")
    assert page.status_code == 200
    assert "项目经理" in page.text and "李*" in page.text and "警示" in page.text
    assert "张三" not in page.text and "李四" not in page.text
    assert "姓名和证书编号部分隐去" in page.text


def test_a_card_in_publicity_names_no_manager(
    published: dict[str, Any], client: TestClient
) -> None:
    """During 2026Q3's publicity (from 2026-10-10) the card shows the proposed grades and no
    manager: a person's grade is put up only once objections are decided."""
    yi = _uscc(published, "乙物业")
    card = client.get(f"/v1/public/companies/{yi}?as_of=2026-10-15").json()
    assert card["current"]["status"] == "proposed"
    assert [p["manager"] for p in card["projects"]] == [None, None]
    page = client.get(f"/companies/{yi}?as_of=2026-10-15").text.split("<footer", 1)[0]
    assert "李*" not in page and "项目经理" not in _without_title(page)  # the footer names it too


def test_a_static_snapshot_carries_the_same_masked_managers(
    published: dict[str, Any], client: TestClient, tmp_path: Path
) -> None:
    """A public-only server (a directory of static files) shows the cards' managers exactly as
    the warehouse does, in publicity as after: the masked names travel in the card files."""
    import duckdb

    from rating import public
    from rating.public import static

    settings = published["settings"]
    con = duckdb.connect(str(settings.db_path), read_only=True)
    try:
        data = public.build(con, settings.zone, settings.current_time)
    finally:
        con.close()
    static.export(public.WarehouseView(data), tmp_path / "public")
    yi = _uscc(published, "乙物业")
    with TestClient(create_app(settings, snapshot_dir=tmp_path / "public")) as files:
        for url in (f"/v1/public/companies/{yi}", f"/v1/public/companies/{yi}?as_of=2026-10-15"):
            mine, theirs = files.get(url).json(), client.get(url).json()
            assert mine["projects"] == theirs["projects"], url
        shown = files.get(f"/v1/public/companies/{yi}").json()["projects"]
        assert [p["manager"]["name"] for p in shown] == ["李*", "张*"]


def test_the_manager_lookup_page_answers_a_full_certificate_number(
    published: dict[str, Any], client: TestClient
) -> None:
    """/managers: the form alone names nobody; a full certificate number gives the name and
    the grade of the latest published results, as Shanghai's public lookup does; an unknown
    one says so."""
    empty = client.get("/managers")
    assert empty.status_code == 200 and 'id="certificate_no"' in empty.text
    assert all(n not in empty.text for n in ("张三", "李四", "王五"))
    found = client.get("/managers?certificate_no=M002")
    assert found.status_code == 200
    assert "李四" in found.text and "警示" in found.text and "2026年第3季度" in found.text
    assert "张三" not in found.text and "王五" not in found.text and "87" not in found.text
    # the rule set by the name a resident reads, not its id
    assert "上海市物业服务企业和项目经理信用信息管理办法" in found.text
    assert "shanghai-2023@" not in found.text
    missing = client.get("/managers?certificate_no=M999").text
    assert "没有这个证书编号的项目经理" in missing and "李四" not in missing
    # written as a resident types it
    assert "李四" in client.get("/managers", params={"certificate_no": " m002"}).text
    card = client.get(f"/companies/{_uscc(published, '乙物业')}").text
    assert 'href="/managers"' in card


def test_the_lookup_s_example_is_no_certificate_number(client: TestClient) -> None:
    """The form's example was the demo's WYJL000048, a real record: it must look like an
    example (no digits), so nobody mistakes it for a number to look up."""
    import re

    from rating.public.managers import normalise_certificate

    html = client.get("/managers").text
    found = re.search(r'id="certificate_no"[^>]*placeholder="([^"]*)"', html)
    assert found and "WYJL" in found.group(1), html
    example = found.group(1)
    assert not re.search(r"\d", example), example
    assert not re.search(r"WYJL\d{6}", normalise_certificate(example))


def test_the_manager_lookup_page_refuses_a_wrong_period(client: TestClient) -> None:
    """A period that is not one (2025Q5) answers 400, a period with no published result 404
    — in Chinese, naming nobody — never the latest period's grade instead."""
    same = client.get("/managers?certificate_no=M002&period=2026Q3")
    assert same.status_code == 200 and "李四" in same.text
    assert 'name="period" value="2026Q3"' in same.text  # a new lookup keeps the period
    bad = client.get("/managers?certificate_no=M002&period=2025Q5")
    assert bad.status_code == 400 and "李四" not in bad.text
    assert "期次“2025Q5”有误：应写成 2026Q3（季度" in bad.text
    later = client.get("/managers?certificate_no=M002&period=2030Q1")
    assert later.status_code == 404 and "李四" not in later.text
    assert "该期评价结果尚未公布" in later.text and "2030Q1 的评价结果尚未公布" in later.text
    # and a way to the results that are published, for the same certificate
    assert 'href="/managers?certificate_no=M002"' in later.text
    api = client.get("/v1/public/managers?certificate_no=M002&period=2030Q1")
    assert api.status_code == 404 and "尚未公布" in api.json()["error"]["message"]


def _without_title(page: str) -> str:
    """A page without the Shanghai scheme's title (《上海市物业服务企业和项目经理信用信息管理
    办法》, the basis the reasons cite), whose words name managers though no manager is shown."""
    return page.replace("上海市物业服务企业和项目经理信用信息管理办法", "")
