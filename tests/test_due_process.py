"""The disclosure cycle over several quarters, and what the public saw on every day between.

Four companies are black-listed by veto items in 2025Q3 (Yantai rules: 7 working days of
publicity, proposed results shown; black-list entries last 3 months at least, 12 for safety
matters, 36 at most):
* 甲 objects; the objection is rejected; it stays listed until the maximum;
* 乙 objects successfully: its disputed record is voided and the quarter re-rated;
* 丙 reaches the minimum, applies for credit repair, is repaired: gone from public view,
  still in the auditor's history;
* 丁 (a safety matter) may not repair before a year, and leaves at the maximum.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rating.audit import objections, repairs
from rating.audit.disclosure import company_history, history, sync_expiries
from rating.audit.publication import publicize, publish
from rating.engine.runner import execute_run
from rating.errors import ConflictError
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.sql import rows
from rating.warehouse import transaction
from tests.factories import Bureau, load

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`

VETO = {
    "甲物业": ("V01", "挪用专项维修资金"),
    "乙物业": ("V03", "被解约拒不退出"),
    "丙物业": ("V05", "串通投标"),
    "丁物业": ("V04", "重大安全责任事故"),
}


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00")


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("story")
    b = Bureau()
    uscc, events = {}, {}
    for n, (name, (code, what)) in enumerate(VETO.items(), 1):
        uscc[name] = b.company(n, name)
        b.project(f"P{n}", uscc[name])
        events[name] = b.event(
            uscc[name], "2025-08-01", code=code, description=what, points=20, serious="是"
        )
    con, settings, _ = load(b, tmp)
    rules = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    s = settings.with_
    r1 = execute_run(con, s(now=at("2025-10-08")), rules, Period.parse("2025Q3")).run_id
    steps: dict[str, Any] = {"r1": r1}

    steps["publicity"] = publicize(con, s(now=at("2025-10-09")), r1)
    with pytest.raises(ConflictError) as early:
        publish(con, s(now=at("2025-10-17")), r1)
    steps["early"] = early.value
    steps["obj_jia"] = objections.file(
        con,
        s(now=at("2025-10-10")),
        r1,
        uscc["甲物业"],
        [f"events:{events['甲物业']}"],
        "维修资金已归还，不应认定挪用",
    )
    steps["obj_yi"] = objections.file(
        con,
        s(now=at("2025-10-13")),
        r1,
        uscc["乙物业"],
        [f"events:{events['乙物业']}"],
        "解约已被法院撤销，我司并未拒不退出",
    )
    steps["rejected"] = objections.reject(
        con,
        s(now=at("2025-10-15", 9)),
        steps["obj_jia"]["objection_id"],
        "银行流水显示资金挪用属实",
    )
    steps["upheld"] = objections.uphold(
        con,
        s(now=at("2025-10-15", 11)),
        steps["obj_yi"]["objection_id"],
        "法院判决撤销解约，认定记录有误",
    )
    with pytest.raises(ConflictError) as late:
        objections.file(
            con,
            s(now=at("2025-10-21", 9)),
            steps["upheld"]["revision_run"],
            uscc["丙物业"],
            [f"events:{events['丙物业']}"],
            "迟到的异议",
        )
    steps["late"] = late.value
    with pytest.raises(ConflictError) as superseded:
        publish(con, s(now=at("2025-10-21")), r1)
    steps["superseded"] = superseded.value
    steps["published"] = publish(con, s(now=at("2025-10-21")), steps["upheld"]["revision_run"])
    with pytest.raises(ConflictError) as too_early:
        repairs.apply(con, s(now=at("2025-12-01")), uscc["丙物业"], "已退出串标项目")
    steps["repair_too_early"] = too_early.value
    steps["repair"] = repairs.apply(
        con, s(now=at("2026-01-22")), uscc["丙物业"], "已退出串标项目并整改，附整改报告"
    )
    steps["repaired"] = repairs.decide(
        con, s(now=at("2026-01-25")), steps["repair"]["repair_id"], True, "整改到位"
    )
    with pytest.raises(ConflictError) as safety:
        repairs.apply(con, s(now=at("2026-02-01")), uscc["丁物业"], "已整改")
    steps["safety_too_early"] = safety.value
    with transaction(con):
        steps["expired"] = sync_expiries(con, at("2028-10-22"))
    return {"con": con, "settings": settings, "uscc": uscc, "events": events, "steps": steps}


def test_lifecycle_rules(story: dict[str, Any]) -> None:
    st = story["steps"]
    # 7 working days after Thursday 2025-10-09: Oct 10, 11 (a Saturday worked after the National
    # Day holiday, by the State Council's 2025 schedule), 13, 14, 15, 16, 17.
    assert st["publicity"]["ends_on"] == "2025-10-17"
    assert st["publicity"]["calendar"]["calendar"].startswith("chinesecalendar")
    assert st["early"].code == "PUBLICITY_NOT_OVER" and "2025-10-17" in st["early"].message
    assert st["late"].code == "OBJECTION_LATE" and "2025-10-17" in st["late"].message
    assert st["superseded"].code == "RUN_SUPERSEDED"
    assert (
        st["repair_too_early"].code == "REPAIR_TOO_EARLY"
        and "2026-01-21" in st["repair_too_early"].message
    )
    assert (
        st["safety_too_early"].code == "REPAIR_TOO_EARLY"
        and "2026-10-21" in st["safety_too_early"].message
    )


def test_objections_are_decided_and_recorded(story: dict[str, Any]) -> None:
    con, st = story["con"], story["steps"]
    states = {o["uscc"]: o["state"] for o in objections.objections_of(con)}
    assert states == {story["uscc"]["甲物业"]: "rejected", story["uscc"]["乙物业"]: "upheld"}
    upheld = st["upheld"]
    assert upheld["revision_run"] != st["r1"] and len(upheld["correction_batches"]) == 1
    assert [c["uscc"] for c in upheld["changed"]] == [story["uscc"]["乙物业"]]  # only 乙 moved
    assert upheld["changed"][0]["grade"] == ["C", "AA"]
    # the correction is a superseding row: the original record is untouched
    versions = rows(
        con,
        "SELECT status, _batch FROM src_events WHERE event_id = $e ORDER BY _batch",
        {"e": story["events"]["乙物业"]},
    )
    assert [v[0] for v in versions] == ["有效", "已撤销"]
    manifest = rows(
        con,
        "SELECT manifest->>'$.extra_batches', manifest->>'$.parameters.revision_of' FROM runs "
        "WHERE run_id = $r",
        {"r": upheld["revision_run"]},
    )[0]
    assert manifest == (str(upheld["correction_batches"]).replace(" ", ""), st["r1"])


def test_list_entries_and_repair_keep_the_auditors_history(story: dict[str, Any]) -> None:
    con, uscc = story["con"], story["uscc"]
    entries = {e.uscc: e for e in history(con).entries}
    assert set(entries) == {uscc["甲物业"], uscc["丙物业"], uscc["丁物业"]}
    assert entries[uscc["丁物业"]].safety and entries[uscc["丁物业"]].min_until == date(
        2026, 10, 21
    )
    assert (
        entries[uscc["丙物业"]].end() == date(2026, 1, 25)
        and entries[uscc["丙物业"]].end_reason == "repaired"
    )
    assert entries[uscc["丁物业"]].end() == date(2028, 10, 21)
    assert {e["uscc"] for e in story["steps"]["expired"]} == {uscc["甲物业"], uscc["丁物业"]}
    actions = [h["action"] for h in company_history(con, uscc["丙物业"])]
    assert actions == [
        "publicity",
        "revised",
        "publicity",
        "publish",
        "repair_applied",
        "repair_approved",
    ]
    run = story["steps"]["published"].run_id
    still = rows(
        con,
        "SELECT black FROM run_companies WHERE run_id = $r AND uscc = $u",
        {"r": run, "u": uscc["丙物业"]},
    )
    assert still == [(True,)]  # the published result itself never changes


CHECKS = [  # (day, company, expected grade or None when nothing is visible, status, black)
    ("2025-10-08", "甲物业", None, None, None),
    ("2025-10-09", "乙物业", "C", "proposed", True),
    ("2025-10-14", "乙物业", "C", "proposed", True),
    ("2025-10-15", "乙物业", "AA", "proposed", False),  # re-rated after the upheld objection
    ("2025-10-15", "甲物业", "C", "proposed", True),  # rejected: no change
    ("2025-10-20", "丙物业", "C", "proposed", True),
    ("2025-10-21", "丙物业", "C", "published", True),
    ("2025-10-21", "乙物业", "AA", "published", False),
    ("2026-01-24", "丙物业", "C", "published", True),
    (
        "2026-01-25",
        "丙物业",
        "C",
        "published",
        False,
    ),  # repaired: off the public list from that day
    ("2027-06-30", "甲物业", "C", "published", True),
    ("2028-10-20", "丁物业", "C", "published", True),
    ("2028-10-21", "丁物业", "C", "published", False),  # the maximum: 36 months after 2025-10-21
    ("2028-10-21", "甲物业", "C", "published", False),
]


def test_the_public_saw_exactly_this_on_each_day(story: dict[str, Any]) -> None:
    settings = story["settings"].with_(now=at("2028-11-01"), rate_limit=0)
    with TestClient(create_app(settings)) as client:
        for day, name, grade, status, black in CHECKS:
            response = client.get(
                f"/v1/public/companies/{story['uscc'][name]}", params={"as_of": day}
            )
            if grade is None:
                assert response.status_code == 404, (day, name)
                continue
            current = response.json()["current"]
            # Decision 0012: in publicity a black listing is proposed (`current.proposed`), not
            # in force (`current.black`); once published it is in force.
            proposed = any(p["kind"] == "black" for p in current["proposed"])
            shown = proposed if status == "proposed" else bool(current["black"])
            assert (current["grade"], current["status"], shown) == (grade, status, black), (
                day,
                name,
                current,
            )
            if status == "proposed":
                assert not current["black"], (day, name, "a proposal is not in force")
        listed = client.get("/v1/public/lists/black", params={"as_of": "2026-02-01"}).json()[
            "items"
        ]
        assert {i["name"] for i in listed} == {"甲物业", "丁物业"}
        auditor_view = company_history(story["con"], story["uscc"]["丙物业"])
        assert auditor_view[-1]["payload"]["reason"] == "整改到位"


def test_cycle_over_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same cycle through the CLI: publicize, object, reject, publish, repair window."""
    import json

    from rating.cli import main

    b = Bureau()
    u = b.company(1, "甲物业")
    b.project("P1", u)
    ev = b.event(
        u, "2025-08-01", code="V01", description="挪用专项维修资金", points=20, serious="是"
    )
    con, settings, _ = load(b, tmp_path)
    con.close()
    db = ["--db", str(settings.db_path)]
    env = {"RATING_RULES_DIR": str(settings.rules_dir)}

    def cli(day: str, *args: str) -> tuple[int, Any]:
        for name, setting in {**env, "RATING_NOW": f"{day}T10:00:00"}.items():
            monkeypatch.setenv(name, setting)  # undone after the test
        code = main([*args, *db, "--json"])
        out = capsys.readouterr().out
        return code, json.loads(out) if out.strip() else None

    _, run = cli("2025-10-08", "run", "--period", "2025Q3")
    assert cli("2025-10-09", "publicize", run["run_id"])[1]["ends_on"] == "2025-10-17"
    code, obj = cli(
        "2025-10-10",
        "objection",
        "file",
        run["run_id"],
        u,
        "--record",
        f"events:{ev}",
        "--reason",
        "不服",
    )
    assert code == 0 and obj["state"] == "pending"
    code, refused = cli("2025-10-21", "publish", run["run_id"])
    assert (
        code == 3 and refused["error"]["code"] == "PUBLICITY_NOT_OVER"
    )  # the objection is unresolved
    assert (
        cli("2025-10-21", "objection", "reject", obj["objection_id"], "--reason", "属实")[1][
            "state"
        ]
        == "rejected"
    )
    assert cli("2025-10-21", "publish", run["run_id"])[0] == 0
    assert cli("2026-01-22", "repair", "apply", u, "--proof", "已整改")[1]["state"] == "pending"
    listed = cli("2026-01-22", "lists", "show")[1]
    assert [e["uscc"] for e in listed] == [u]


def test_every_due_process_answer_has_its_declared_shape(story: dict[str, Any]) -> None:
    """What publicity, objections, repairs, publication and expiry hand back is what
    `rating.audit.shapes` declares: every key, nothing more (see tests/test_shapes.py)."""
    from rating.audit import shapes
    from tests.test_shapes import mismatches

    st = story["steps"]
    declared = {
        "publicity": shapes.Publicized,
        "obj_jia": shapes.ObjectionFiled,
        "rejected": shapes.ObjectionRejected,
        "upheld": shapes.ObjectionUpheld,
        "repair": shapes.RepairApplied,
        "repaired": shapes.RepairDecided,
    }
    for step, shape in declared.items():
        assert mismatches(st[step], shape) == [], step
    assert st["upheld"]["changed"]  # the nested rows are checked too
    payload = {
        k: v
        for k, v in st["published"].payload.items()
        if k in shapes.PublicationPayload.__annotations__
    }
    assert mismatches(payload, shapes.PublicationPayload) == []
    assert st["published"].payload["black_entries"]
    for entry in st["published"].payload["black_entries"]:
        assert mismatches(entry, shapes.BlackEntryRecord) == []
    assert st["expired"] and all(mismatches(e, shapes.ExpiryRecord) == [] for e in st["expired"])
    events = company_history(story["con"], story["uscc"]["丙物业"])
    assert events and all(mismatches(e, shapes.LedgerEvent) == [] for e in events)
    filed = objections.objections_of(story["con"])
    assert {o["state"] for o in filed} == {"rejected", "upheld"}
    assert all(mismatches(o, shapes.ObjectionRecord) == [] for o in filed)
    applied = repairs.repairs_of(story["con"])
    assert applied and all(mismatches(r, shapes.RepairRecord) == [] for r in applied)
