"""API fixtures: the golden Yantai bureau, rated for three quarters, Q2 and Q3 published on
known dates, tokens for both roles, and a TestClient over the real app and DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from rating import tokens
from rating.engine.runner import execute_run
from rating.ingest.loader import ingest_file
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from tests.factories import load, publish_after_publicity, settings_for
from tests.golden import scenarios

if TYPE_CHECKING:  # the app is imported by the fixtures that build it, not at collection
    from fastapi.testclient import TestClient

PUBLISHED = {"2025Q2": datetime(2025, 10, 15, 10, 0), "2025Q3": datetime(2026, 1, 20, 10, 0)}
# The golden bureau's projects as a register names them: two 阳光花园 in two districts, 金色公寓
# beside 金色名邸, two phases of 翠竹新村 (P5 changes hands on 2025-08-16), addresses.
COMPOUNDS = {
    "P1": ("阳光花园", "芝罘区", "向阳街道", "南大街118号"),
    "P2": ("阳光花园", "莱山区", "滨海路街道", "迎春大街9号"),
    "P3": ("金色公寓", "芝罘区", "向阳街道", "中山路12号"),
    "P4": ("金色名邸", "芝罘区", "毓璜顶街道", "中山路88号"),
    "P5": ("翠竹新村二期", "芝罘区", "向阳街道", "青年路5号"),
    "P7": ("翠竹新村一期", "芝罘区", "向阳街道", "青年路3号"),
    "P8": ("锦绣家园", "福山区", "清洋街道", "永达街6号"),
    "P9": ("锦绣花园", "福山区", "清洋街道", "永达街20号"),
    "P10": ("海韵名都", "莱山区", "滨海路街道", "观海路1号"),
}
FORMER = ("癸物业", "烟台癸水物业管理有限公司")  # registered under the second name first


def realistic(bureau: Any) -> Any:
    for row in bureau.rows["projects"]:
        name, district, street, address = COMPOUNDS[row["project_id"]]
        row.update(project_name=name, district=district, street=street, address=address)
    for row in bureau.rows["companies"]:
        if row["name"] == FORMER[0]:
            row["name"] = FORMER[1]
    return bureau


@pytest.fixture(scope="session")
def bureau_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("api")
    con, settings, _ = load(realistic(scenarios.yantai()), tmp)
    renamed = tmp / "renamed.csv"  # the register's correction: 癸 renamed
    uscc = con.execute(
        "SELECT uscc FROM src_companies WHERE name = $n", {"n": FORMER[1]}
    ).fetchone()[0]  # type: ignore[index]
    renamed.write_text(f"uscc,name,district\n{uscc},{FORMER[0]},莱山区\n", encoding="utf-8")
    assert ingest_file(con, settings, "companies", renamed).rows_loaded == 1
    # A real export carries complainants' names, phones and addresses: ingest must drop them.
    personal = tmp / "hotline.csv"
    personal.write_text(
        "工单编号,受理时间,工单来源,工单类型,十四类,内容描述,项目编号,事实认定,案件期限,结案时间,联系人,联系电话,诉求地址\n"
        "SH-PRIV-1,2025-08-01 10:00,12345,投诉举报类,停车管理,张三反映车位被占,P1,属实,2025-08-05,2025-08-02,"
        "张三,13912345678,幸福路88号3单元\n",
        encoding="gb18030",
    )
    assert ingest_file(con, settings, "complaints", personal).ignored_columns == [
        "联系人",
        "联系电话",
        "诉求地址",
    ]
    rs = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    runs = {
        p: execute_run(con, settings, rs, Period.parse(p)).run_id
        for p in ("2025Q1", "2025Q2", "2025Q3")
    }
    for period, at in PUBLISHED.items():
        publish_after_publicity(con, settings, runs[period], at)
    names = dict(con.execute("SELECT name, uscc FROM src_companies").fetchall())
    names.pop(FORMER[1])
    con.close()
    keys = {
        role: tokens.create(settings.tokens_file, role, f"test {role}", datetime(2026, 1, 1))[1]
        for role in tokens.ROLES
    }
    return {"settings": settings, "runs": runs, "names": names, "tokens": keys, "tmp": tmp}


@pytest.fixture
def client(bureau_db: dict[str, Any]) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app(bureau_db["settings"])) as c:
        yield c


def auth(bureau_db: dict[str, Any], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {bureau_db['tokens'][role]}"}


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An app over a copy of nothing: an empty warehouse, for write flows."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    settings = settings_for(tmp_path)
    keys = {
        role: tokens.create(settings.tokens_file, role, role, datetime(2026, 1, 1))[1]
        for role in tokens.ROLES
    }
    with TestClient(create_app(settings)) as c:
        yield c, keys
