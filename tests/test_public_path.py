"""`[consequences] public_path`: the public card shows the way back up only when the rule set
says so. The golden Yantai bureau is rated under a copy of yantai-2022@1.1.0 with
`public_path = true` (the shipped versions keep it false: tests/test_consequences.py checks
the card has none). Worked by hand as in tests/test_consequences.py: 丁 (55, third C, listed
2026-01-20) gets 80, AA with its 25-point penalty lifted, and cannot leave the list before
2026-04-20; 乙 (B) meets the standard, so it has no path on the card."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from rating.ruleset.loader import load_ruleset
from rating.sql import rows
from tests.factories import load, rate_and_publish
from tests.golden import scenarios

# a rule set's public path end to end (three runs, publication, card, snapshot): not in `make test-fast`
pytestmark = pytest.mark.slow

RULES = Path(__file__).resolve().parents[1] / "rules"
PUBLISHED = {"2025Q2": datetime(2025, 10, 15, 10, 0), "2025Q3": datetime(2026, 1, 20, 10, 0)}


@pytest.fixture(scope="module")
def bureau(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("public-path")
    rules = tmp / "rules" / "yantai-2022" / "1.1.0"
    shutil.copytree(RULES / "yantai-2022" / "1.1.0", rules)
    text = (rules / "ruleset.toml").read_text(encoding="utf-8")
    assert text.count("public_path = false") == 1
    (rules / "ruleset.toml").write_text(text.replace("public_path = false", "public_path = true"))
    con, settings, _results = load(scenarios.yantai(), tmp)
    rs = load_ruleset(tmp / "rules", "yantai-2022@1.1.0")
    assert rs.definition.consequences and rs.definition.consequences.public_path
    rate_and_publish(con, settings, rs, ("2025Q1", "2025Q2", "2025Q3"), PUBLISHED)
    names = {n: u for u, n in rows(con, "SELECT uscc, name FROM src_companies")}
    con.execute("CHECKPOINT")
    con.close()
    return {"settings": settings, "names": names, "tmp": tmp}


def _client(settings: Any) -> Any:
    from fastapi.testclient import TestClient

    from api.app import create_app

    return TestClient(create_app(settings))


def test_the_card_shows_the_way_back_up_when_the_rule_set_says_so(bureau: dict[str, Any]) -> None:
    ding, yi = bureau["names"]["丁物业"], bureau["names"]["乙物业"]
    with _client(bureau["settings"]) as c:
        card = c.get(f"/v1/public/companies/{ding}", params={"as_of": "2026-02-01"}).json()
        path = card["path"]
        assert (path["period"], path["ruleset"]) == ("2025Q3", "yantai-2022@1.1.0")
        assert [g["aim"] for g in path["goals"]] == ["升一级至B", "移出黑名单"]
        for goal in path["goals"]:
            (option,) = goal["options"]
            assert option.endswith("→ 80.00分，AA") and "信用记录解除" in option
            assert "EV0003" not in option  # no record ids on the public card
        assert "2026年4月20日前不得移出黑名单" in path["listing"]
        assert "2026年4月20日" in path["earliest"]
        # the card before 2025Q3 was published shows 2025Q2's result: 丁 C, not yet listed
        before = c.get(f"/v1/public/companies/{ding}", params={"as_of": "2025-11-01"}).json()
        assert before["path"]["period"] == "2025Q2" and before["path"]["listing"] is None
        assert [g["aim"] for g in before["path"]["goals"]] == ["升一级至B"]
        # 乙 is B, the standard: nothing to show
        assert (
            c.get(f"/v1/public/companies/{yi}", params={"as_of": "2026-02-01"}).json()["path"]
            is None
        )
        page = c.get(f"/companies/{ding}", params={"as_of": "2026-02-01"})
        assert page.status_code == 200 and "信用修复路径" in page.text
        assert "升一级至B" in page.text and "EV0003" not in page.text


def test_the_card_speaks_the_servers_language(bureau: dict[str, Any]) -> None:
    ding = bureau["names"]["丁物业"]
    with _client(bureau["settings"].with_(language="en")) as c:
        card = c.get(f"/v1/public/companies/{ding}", params={"as_of": "2026-02-01"}).json()
        assert [g["aim"] for g in card["path"]["goals"]] == [
            "up one grade, to B",
            "off the black list",
        ]
        assert card["path"]["goals"][0]["options"][0].endswith("→ 80.00, AA")
        page = c.get(f"/companies/{ding}", params={"as_of": "2026-02-01"})
        assert "The way back up" in page.text and "up one grade, to B" in page.text


def test_the_static_snapshot_carries_the_path(bureau: dict[str, Any]) -> None:
    from rating import public
    from rating.public import static
    from rating.warehouse import open_warehouse

    settings, ding = bureau["settings"], bureau["names"]["丁物业"]
    con = open_warehouse(settings)
    try:
        view = public.WarehouseView(public.build(con, settings.zone, settings.current_time))
    finally:
        con.close()
    folder = bureau["tmp"] / "snapshot"
    static.export(view, folder)
    files = static.StaticView(folder, settings.current_time)
    from datetime import date

    card = files.card(ding, date(2026, 2, 1))
    assert card is not None and card.path is not None and card == view.card(ding, date(2026, 2, 1))


def test_the_public_card_shows_the_score_floored_as_every_channel(bureau: dict[str, Any]) -> None:
    """Issue 16: a stored 39.4459 read 39.44 in `rating show` but 39.45 on the card and in its
    JSON (DECIMAL(18,2) rounds half up). The card carries the figure as shown, floored to the
    rule set's places (rating.scores), in its JSON, its grade reason and its projects."""
    from datetime import date

    from rating import public
    from rating.warehouse import open_warehouse

    settings, ding = bureau["settings"], bureau["names"]["丁物业"]
    copy = bureau["tmp"] / "floored.duckdb"
    shutil.copyfile(settings.db_path, copy)
    con = open_warehouse(settings.with_(db_path=copy))
    try:
        con.execute("UPDATE run_companies SET score = 55.4459 WHERE uscc = ?", [ding])
        con.execute("UPDATE run_projects SET score = 39.4459 WHERE company_uscc = ?", [ding])
        view = public.WarehouseView(public.build(con, settings.zone, settings.current_time))
    finally:
        con.close()
    card = view.card(ding, date(2026, 2, 1))
    assert card is not None and card.current is not None and card.current.score == 55.44
    reason = card.current.grade_reason or ""
    assert "55.44" in reason and "55.45" not in reason
    assert {p.score for p in card.projects} == {39.44}
    assert all(r.points == round(r.points, 2) for r in card.reasons)
