"""API fixtures: the golden Yantai bureau, rated for three quarters, Q2 and Q3 published on
known dates, tokens for both roles, and a TestClient over the real app and DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rating import tokens
from rating.engine.runner import execute_run
from rating.ingest.loader import ingest_file
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from tests.factories import load, publish_after_publicity, settings_for
from tests.golden import scenarios

PUBLISHED = {"2025Q2": datetime(2025, 10, 15, 10, 0), "2025Q3": datetime(2026, 1, 20, 10, 0)}


@pytest.fixture(scope="session")
def bureau_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("api")
    con, settings, _ = load(scenarios.yantai(), tmp)
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
    con.close()
    keys = {
        role: tokens.create(settings.tokens_file, role, f"test {role}", datetime(2026, 1, 1))[1]
        for role in tokens.ROLES
    }
    return {"settings": settings, "runs": runs, "names": names, "tokens": keys, "tmp": tmp}


@pytest.fixture
def client(bureau_db: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(bureau_db["settings"])) as c:
        yield c


def auth(bureau_db: dict[str, Any], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {bureau_db['tokens'][role]}"}


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An app over a copy of nothing: an empty warehouse, for write flows."""
    settings = settings_for(tmp_path)
    keys = {
        role: tokens.create(settings.tokens_file, role, role, datetime(2026, 1, 1))[1]
        for role in tokens.ROLES
    }
    with TestClient(create_app(settings)) as c:
        yield c, keys
