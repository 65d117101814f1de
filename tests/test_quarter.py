"""A quarter that cannot go wrong quietly: history checked, periods refused, runs discarded,
"latest" defined once.

The bureau: 甲 has a 25-point penalty in January 2025 that keeps it at C for three quarters
(hand-computed in the golden Yantai scenario, as 丁物业): rated in order, its third C in
2025Q3 puts it on the black list; rated alone, 2025Q3 would see one C and list nobody.
The data starts with that penalty, so 2025Q1 is the first period with data.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from rating.audit import objections
from rating.audit.discard import discard
from rating.audit.publication import publicize, publish
from rating.cli import main
from rating.engine import explainer, standing
from rating.engine.planner import RunRequest, rate
from rating.errors import ConflictError, NotFoundError, UsageError
from rating.periods import Period
from rating.public import WarehouseView, build
from rating.settings import Settings
from rating.sql import rows
from tests.factories import Bureau, load

# rates the bureau quarter after quarter end to end (history, publication, discards, the CLI): not in `make test-fast`
pytestmark = pytest.mark.slow

Q1, Q2, Q3 = (Period.parse(p) for p in ("2025Q1", "2025Q2", "2025Q3"))


def bureau() -> Bureau:
    b = Bureau()
    jia = b.company(1, "甲物业")
    for n, name in ((2, "乙物业"), (3, "丙物业")):
        b.project(f"P{n}", b.company(n, name), households=400)
    b.project("P1", jia, households=500)
    b.event(jia, "2025-01-10", code="B01", description="擅自停水停电", points=25)
    for day in ("2025-02-11", "2025-04-08", "2025-07-09", "2025-08-15"):
        b.complaint("P2", day)
    return b


def _black(con: Any, run_id: str) -> set[str]:
    return {
        n
        for (n,) in rows(
            con, "SELECT name FROM run_companies WHERE run_id = $r AND black", {"r": run_id}
        )
    }


@pytest.fixture
def city(tmp_path: Path) -> tuple[Any, Settings]:
    con, settings, _ = load(bureau(), tmp_path)
    return con, settings


def test_missing_history_is_refused_with_the_commands_that_fix_it(
    city: tuple[Any, Settings],
) -> None:
    con, settings = city
    with pytest.raises(ConflictError) as refused:
        rate(con, settings, RunRequest(Q3))
    err = refused.value
    assert err.code == "HISTORY_MISSING"
    assert err.details["missing"] == ["2025Q1", "2025Q2"]
    assert err.details["first_data_period"] == "2025Q1"
    assert err.details["commands"] == ["rating run --period 2025Q1", "rating run --period 2025Q2"]
    assert "rating run --period 2025Q3 --with-history" in err.message
    assert rows(con, "SELECT count(*) FROM runs") == [(0,)]  # nothing was made


def test_a_register_older_than_the_rating_does_not_start_the_history(tmp_path: Path) -> None:
    """Bad information in force for years (a register kept before any rating) is read, but
    its first record does not make the quarters before the rated activity "missing"."""
    b = bureau()
    b.event(b.company(4, "丁物业"), "2023-03-01", code="B01", description="擅自停水停电", points=5)
    con, settings, _ = load(b, tmp_path)
    with pytest.raises(ConflictError) as refused:
        rate(con, settings, RunRequest(Q3))
    assert refused.value.details["first_data_period"] == "2025Q1"
    assert refused.value.details["missing"] == ["2025Q1", "2025Q2"]


def test_with_history_gives_what_rating_in_order_gives(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    con, settings, _ = load(bureau(), tmp_path / "a")
    made = rate(con, settings, RunRequest(Q3, with_history=True))
    assert [r.run_id for r in made.history_made] == ["2025Q1-01", "2025Q2-01"]
    manifest = explainer.run_row(con, made.report.run_id)["manifest"]
    assert manifest["parameters"]["history_made"] == ["2025Q1-01", "2025Q2-01"]
    assert manifest["history"]["runs"]["2025Q2"] == {"run_id": "2025Q2-01", "status": "draft"}
    assert explainer.run_row(con, "2025Q1-01")["manifest"]["parameters"]["history_for"] == "2025Q3"

    in_order, settings_b, _ = load(bureau(), tmp_path / "b")
    last = [rate(in_order, settings_b, RunRequest(p)).report for p in (Q1, Q2, Q3)][-1]
    assert _black(con, made.report.run_id) == _black(in_order, last.run_id) == {"甲物业"}
    assert made.report.results_sha256 == last.results_sha256  # byte-identical results

    card = explainer.explain(con, None, bureau().company(1, "甲物业"))
    assert card["read"]["run_id"] == "2025Q3-01" and "newest draft" in card["read"]["why"]
    assert card["streak"]["periods"] == 3 and card["streak"]["since"] == "2025Q1"
    assert card["streak"]["from_data_start"] is True
    assert "2025Q1 is the first period with data" in card["streak"]["text"]
    from rating.engine.shapes import StreakRecord
    from tests.test_shapes import mismatches

    assert mismatches(card["streak"], StreakRecord) == []


def test_a_run_reads_what_its_sources_hold_once(
    city: tuple[Any, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusals, the history check and the manifest share one reading of every source
    (`history.data_span`, a query per source over the whole warehouse)."""
    from rating.engine import history

    con, settings = city
    read: list[str] = []
    real = history.data_span

    def counted(*args: Any, **kwargs: Any) -> Any:
        read.append(str(args[2]))
        return real(*args, **kwargs)

    monkeypatch.setattr(history, "data_span", counted)
    made = rate(con, settings, RunRequest(Q3, with_history=True))
    assert read == ["2025Q3", "2025Q1", "2025Q2"]  # once per rate(): the period, its history
    manifest = explainer.run_row(con, made.report.run_id)["manifest"]
    assert manifest["history"]["first_data_period"] == "2025Q1"
    assert manifest["history"]["missing"] == []


def test_periods_that_cannot_be_rated_yet(city: tuple[Any, Settings]) -> None:
    con, settings = city  # the clock reads 2026-11-01
    with pytest.raises(ConflictError) as open_period:
        rate(con, settings, RunRequest(Period.parse("2026Q4")))
    assert (
        open_period.value.code == "PERIOD_NOT_ENDED" and "2026-12-31" in open_period.value.message
    )
    with pytest.raises(ConflictError) as typo:
        rate(con, settings, RunRequest(Period.parse("2024Q3")))
    assert typo.value.code == "PERIOD_NO_DATA" and "2025-01-10" in typo.value.message
    forced = rate(con, settings, RunRequest(Period.parse("2024Q3"), force_period=True))
    manifest = explainer.run_row(con, forced.report.run_id)["manifest"]
    assert [o["code"] for o in manifest["parameters"]["overrides"]] == ["PERIOD_NO_DATA"]
    with pytest.raises(ConflictError) as far:  # forcing the period does not skip its history
        rate(con, settings, RunRequest(Period.parse("2030Q1"), force_period=True))
    assert far.value.code == "HISTORY_MISSING" and far.value.details["missing"][0] == "2028Q1"


def test_latest_is_the_newest_published_else_the_newest_draft(city: tuple[Any, Settings]) -> None:
    con, settings = city
    with pytest.raises(NotFoundError):
        standing.latest_run(con)
    for p in (Q1, Q2, Q3):
        rate(con, settings, RunRequest(p))
    assert standing.latest_run(con).run_id == "2025Q3-01"
    publish(con, settings, "2025Q2-01", force=True)
    latest = standing.latest_run(con)
    assert (latest.run_id, latest.status) == ("2025Q2-01", "published")
    assert "newest published" in latest.why
    rate(con, settings, RunRequest(Period.parse("2024Q3"), force_period=True))  # a forced typo
    assert standing.latest_run(con).run_id == "2025Q2-01"


def test_a_discarded_run_no_longer_counts_and_stays_for_auditors(
    city: tuple[Any, Settings],
) -> None:
    con, settings = city
    for p in (Q1, Q2, Q3):
        rate(con, settings, RunRequest(p))
    with pytest.raises(UsageError) as no_reason:
        discard(con, settings, "2025Q1-01", " ", "张三")
    assert no_reason.value.code == "DISCARD_NO_REASON"
    done = discard(con, settings, "2025Q1-01", "录入了错误的投诉文件", "张三")
    assert done["status"] == "discarded" and done["was"] == "draft" and done["by"] == "张三"
    assert explainer.run_row(con, "2025Q1-01")["status"] == "discarded"  # still readable
    assert rows(con, "SELECT action, status FROM ledger") == [("discard", "discarded")]
    with pytest.raises(ConflictError) as gone:
        rate(con, settings, RunRequest(Q3))  # not history any more
    assert gone.value.code == "HISTORY_MISSING" and gone.value.details["missing"] == ["2025Q1"]
    with pytest.raises(ConflictError) as again:
        discard(con, settings, "2025Q1-01", "twice", "张三")
    assert again.value.code == "RUN_NOT_DISCARDABLE"
    with pytest.raises(ConflictError) as dead:
        publish(con, settings, "2025Q1-01", force=True)
    assert dead.value.code == "RUN_DISCARDED"
    publish(con, settings, "2025Q2-01", force=True)
    with pytest.raises(ConflictError) as published:
        discard(con, settings, "2025Q2-01", "too late", "张三")
    assert published.value.code == "RUN_NOT_DISCARDABLE"
    assert "stays published" in published.value.message


def test_discarding_a_run_in_publicity_hides_it_and_closes_its_objections(
    city: tuple[Any, Settings],
) -> None:
    con, settings = city
    for p in (Q1, Q2, Q3):
        rate(con, settings, RunRequest(p))
    jia = bureau().company(1, "甲物业")
    day = settings.with_(now=datetime(2025, 10, 9, 10))
    publicize(con, day, "2025Q3-01")
    event = rows(con, "SELECT event_id FROM src_events")[0][0]
    filed = objections.file(con, day, "2025Q3-01", jia, [f"events:{event}"], "处罚已撤销")
    shown = WarehouseView(build(con, settings.zone, day.current_time)).card(jia)
    assert shown is not None and shown.current.period == "2025Q3"
    discard(con, day, "2025Q3-01", "用错了规则版本", "李四")
    hidden = WarehouseView(build(con, settings.zone, day.current_time)).card(jia)
    assert hidden is None or hidden.current.period != "2025Q3"  # never published
    state = {o["objection_id"]: o["state"] for o in objections.objections_of(con)}
    assert state == {filed["objection_id"]: "closed"}
    redo = rate(con, settings, RunRequest(Q3)).report  # the period can be rated afresh
    assert redo.run_id == "2025Q3-02" and standing.latest_run(con).run_id == "2025Q3-02"


def test_the_public_card_says_where_a_streak_starts(city: tuple[Any, Settings]) -> None:
    """The resident's card (and its page) gives the streak of C behind the black listing and
    that 2025Q1 is the first period with data, in plain Chinese."""
    from rating.public.text import PublicWords

    con, settings = city
    for p in (Q1, Q2, Q3):
        run_id = rate(con, settings, RunRequest(p)).report.run_id
        publish(con, settings, run_id, force=True)
    jia = bureau().company(1, "甲物业")
    card = WarehouseView(build(con, settings.zone, settings.current_time)).card(jia)
    assert card is not None and card.current.black and card.current.streak is not None
    streak = card.current.streak
    assert (streak.grade, streak.periods, streak.since) == ("C", 3, "2025Q1")
    assert streak.from_data_start
    text = PublicWords("zh").grade_streak(streak)
    assert text == "连续3期为C级（自2025Q1起）；2025Q1为本系统数据起始期，此前无数据可计"


def test_cli_run_discard_and_show_say_what_they_read(
    city: tuple[Any, Settings], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    con, settings = city
    con.close()
    monkeypatch.setenv("RATING_NOW", "2026-11-01T09:00:00")
    monkeypatch.setenv("RATING_RULES_DIR", str(settings.rules_dir))
    db = ["--db", str(settings.db_path), "--json"]

    def cli(*args: str) -> tuple[int, Any]:
        code = main([*args, *db])
        return code, json.loads(capsys.readouterr().out)

    code, refused = cli("run", "--period", "2025Q3")
    assert code == 3 and refused["error"]["code"] == "HISTORY_MISSING"
    code, made = cli("run", "--period", "2025Q3", "--with-history")
    assert code == 0 and made["black"] == 1
    assert [r["run_id"] for r in made["history_made"]] == ["2025Q1-01", "2025Q2-01"]
    code, typo = cli("show", "--list", "blak")
    assert code == 2 and "'black'" in typo["error"]["message"]  # the closest list named
    code, black = cli("show", "--list", "black")
    (jia,) = black["lists"]["black"]["rows"]  # listed for its third C, which the row says
    assert (jia["name"], jia["streak"]["periods"], jia["streak"]["since"]) == (
        "甲物业",
        3,
        "2025Q1",
    )
    monkeypatch.setenv("RATING_LANG", "zh")
    # --wide: every cell whole on one line, whatever width the shared console took before
    main(["--wide", "show", "--list", "black", "--db", str(settings.db_path)])
    assert "；自 2025Q1 起连续 3 期评为 C" in capsys.readouterr().out
    main(["--wide", "explain", jia["uscc"], "--db", str(settings.db_path)])
    explained = capsys.readouterr().out  # the rule set's list title said once, the ground after
    assert "黑名单：黑名单" not in explained and "\n  黑名单" in explained
    assert "连续：自 2025Q1 起连续 3 期评为 C（2025Q1 是有数据的第一期，故从该期起算）" in explained
    monkeypatch.delenv("RATING_LANG")
    code, done = cli("runs", "discard", "2025Q3-01", "--reason", "重算", "--by", "张三")
    assert code == 0 and done["status"] == "discarded"
    code, shown = cli("show")
    assert shown["read"]["run_id"] == "2025Q2-01" and shown["read"]["status"] == "draft"
    code, listed = cli("runs", "list")
    assert [r["status"] for r in listed][:1] == ["discarded"]
    code, forced = cli("run", "--period", "2024Q3", "--force-period")
    assert code == 0 and [o["code"] for o in forced["overrides"]] == ["PERIOD_NO_DATA"]


@pytest.mark.slow
def test_the_readme_walk_through_gives_what_rating_every_quarter_in_order_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """README's "A quarter, step by step", followed word for word (but 6,000 complaints, not
    200,000, and without the command whose USCC is a placeholder); then the same exports rated
    quarter by quarter in order in a second warehouse: the black lists are the same."""
    import shlex

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("## A quarter, step by step")[1].split("```sh")[1].split("```")[0]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RATING_NOW", "2026-11-01T09:00:00")
    monkeypatch.delenv("RATING_DB", raising=False)
    for line in block.strip().splitlines():
        command = line.split("#")[0].strip().replace("--complaints 200000", "--complaints 6000")
        if not command.startswith("rating ") or "XXXX" in command:
            continue
        assert main(shlex.split(command)[1:]) == 0, command
    capsys.readouterr()

    def black(*db: str) -> set[str]:
        assert main(["show", "--list", "black", "--limit", "100000", "--json", *db]) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["period"] == "2026Q3"
        return {r["uscc"] for r in shown["lists"]["black"]["rows"]}

    walked = black()
    db = ["--db", str(tmp_path / "in-order.duckdb")]
    assert main(["ingest", "--all", "exports", *db]) == 0
    for period in ("2025Q4", "2026Q1", "2026Q2", "2026Q3"):
        assert main(["run", "--period", period, *db]) == 0
    capsys.readouterr()
    assert walked == black(*db) and walked


def test_with_history_makes_the_history_of_the_history_too(tmp_path: Path) -> None:
    """A rule set reading eight quarters back: 2025Q3 needs 2023Q3…2025Q2, and the first of
    those needs 2023Q1 and 2023Q2 (the data starts in 2023Q1) — all made, oldest first."""
    b = bureau()
    for year in (2023, 2024):
        for month in (2, 5, 8, 11):
            b.complaint("P3", f"{year}-{month:02d}-14")
    con, settings, _ = load(b, tmp_path)
    made = rate(con, settings, RunRequest(Q3, with_history=True)).history_made
    periods = [r.period for r in made]
    assert periods == [str(Q3.previous(k)) for k in range(10, 0, -1)]
    assert rate(con, settings, RunRequest(Q3, again=True)).history.missing == []


def test_a_run_that_would_repeat_one_that_counts_is_refused_until_again(
    city: tuple[Any, Settings],
) -> None:
    """Rating 2025Q3 twice over the same records makes nothing new: refused with the run it
    would repeat (in publicity too); `again` makes it; new records make a new run welcome."""
    con, settings = city
    for p in (Q1, Q2, Q3):
        rate(con, settings, RunRequest(p))
    with pytest.raises(ConflictError) as same:
        rate(con, settings, RunRequest(Q3))
    assert same.value.code == "RUN_UNCHANGED"
    assert same.value.details == {"run_id": "2025Q3-01", "status": "draft"}
    assert "--again" in same.value.message
    assert "`rating show 2025Q3-01`" in same.value.message  # a command that works as written
    publicize(con, settings.with_(now=datetime(2025, 10, 9, 10)), "2025Q3-01")
    with pytest.raises(ConflictError) as in_publicity:
        rate(con, settings, RunRequest(Q3))
    assert in_publicity.value.details == {"run_id": "2025Q3-01", "status": "publicity"}
    again = rate(con, settings, RunRequest(Q3, again=True)).report
    assert again.run_id == "2025Q3-02"
    latest = standing.latest_run(con)  # staff read the new draft; residents see the other
    assert (latest.run_id, latest.in_publicity) == ("2025Q3-02", "2025Q3-01")
    assert latest.line().endswith("; run 2025Q3-01 is in publicity")
    first, second = (
        value
        for (value,) in rows(
            con, "SELECT results_sha256 FROM runs WHERE period = '2025Q3' ORDER BY run_id"
        )
    )
    assert first == second  # byte for byte, as the refusal said
    # Discarding the repeat leaves the run in publicity, which still counts: still refused.
    discard(con, settings, "2025Q3-02", "重复", "李四")
    with pytest.raises(ConflictError):
        rate(con, settings, RunRequest(Q3))
