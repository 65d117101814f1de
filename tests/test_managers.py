"""Project managers, their assignments and satisfaction surveys as inputs (issue 19).

A manager is a person: the identity number is checked (GB 11643-1999), kept only as a keyed
hash, and masked wherever a rejected row is shown.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating import idnumber
from rating.errors import UsageError
from rating.schema.tables import layout_ddl
from rating.settings import Settings
from rating.sql import rows, value
from tests.factories import (
    Bureau,
    examples,
    load,
    make_id_number,
    publish_after_publicity,
    settings_for,
)

# GB 11643-1999's own example: 北京市朝阳区, born 1949-12-31, check X.
STANDARD_EXAMPLE = "11010519491231002X"


def test_the_standards_example_and_a_wrong_check_character() -> None:
    assert idnumber.is_valid(STANDARD_EXAMPLE)
    assert idnumber.is_valid(STANDARD_EXAMPLE.lower())  # x read as X
    assert not idnumber.is_valid("110105194912310021")
    assert not idnumber.is_valid("11010519491231002")  # 17 characters
    assert not idnumber.is_valid("１１0105194912310020")  # full-width digits
    # by hand: 1×7+1×9+0×10+1×5+0×8+5×4+1×2+9×1+4×6+9×3+1×7+2×9+3×10+1×5+0×8+0×4+2×2 = 167;
    # 167 mod 11 = 2 → check character X
    assert idnumber.check_char("11010519491231002") == "X"


_CON = duckdb.connect()
for _ddl in layout_ddl()[:8]:
    if "MACRO" in _ddl:
        _CON.execute(_ddl)


@settings(max_examples=examples(300), deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789Xx", min_size=16, max_size=19),
        st.from_regex(r"[0-9]{17}", fullmatch=True).map(lambda b: b + idnumber.check_char(b)),
    )
)
def test_python_and_sql_checks_agree(number: str) -> None:
    assert _CON.execute("SELECT id_number_valid($n)", {"n": number}).fetchone() == (
        idnumber.is_valid(number),
    )
    assert _CON.execute("SELECT mask_id($n)", {"n": number}).fetchone() == (idnumber.mask(number),)


def _register(tmp: Path, numbers: list[str]) -> Bureau:
    b = Bureau()
    firm = b.company(1, "甲物业")
    b.project("P1", firm)
    for i, number in enumerate(numbers, start=1):
        b.manager(f"M{i:03d}", f"经理{i}", firm, id_hash=number)
    return b


def test_identity_numbers_are_kept_only_as_keyed_hashes(tmp_path: Path) -> None:
    key_file = tmp_path / "id.key"
    idnumber.generate_key(key_file)
    good, bad = make_id_number(7), STANDARD_EXAMPLE[:-1] + "1"
    con, _, results = load(
        _register(tmp_path, [good, bad, ""]), tmp_path, settings_for(tmp_path, id_key=key_file)
    )
    managers = results[-1]
    assert (managers.rows_read, managers.rows_loaded, managers.rows_quarantined) == (3, 2, 1)
    assert managers.reasons == {"BAD_ID_NUMBER": 1}
    key = idnumber.load_key(key_file)
    assert rows(con, "SELECT certificate_no, id_hash FROM src_managers ORDER BY 1") == [
        ("M001", idnumber.keyed_hash(key, good)),
        ("M003", None),
    ]
    # the quarantine shows the rejected number masked, in the cell and in the raw row
    cell, raw = rows(con, "SELECT value, CAST(raw AS VARCHAR) FROM quarantine")[0]
    assert cell == "11**************21" and bad not in raw and cell in raw
    # nowhere in the warehouse is a number in clear
    dump = str(rows(con, "SELECT * FROM src_managers")) + str(rows(con, "SELECT * FROM quarantine"))
    assert good not in dump and bad not in dump


def test_a_line_that_cannot_be_read_keeps_no_identity_number(tmp_path: Path) -> None:
    """A malformed line is kept whole in the quarantine for the reader — with any identity
    number in it masked, as in a rejected cell."""
    from rating.ingest.loader import ingest_file

    con, settings, _ = load(_register(tmp_path, []), tmp_path)
    number, old = make_id_number(9), "370602800101123"  # and a 15-digit number of before 1999
    register = tmp_path / "register.csv"
    register.write_text(
        f"证书编号,姓名,身份证号\nM009,经理9,{number},多出的一格\nM010,经理10,{old},又多\n",
        encoding="utf-8",
    )
    result = ingest_file(con, settings, "managers", register)
    assert result.reasons == {"MALFORMED_LINE": 2}
    kept = rows(con, "SELECT value FROM quarantine WHERE code = 'MALFORMED_LINE' ORDER BY line")
    assert kept == [
        (f"M009,经理9,{idnumber.mask(number)},多出的一格",),
        (f"M010,经理10,{idnumber.mask(old)},又多",),
    ]
    assert number not in str(rows(con, "SELECT * FROM quarantine"))


@pytest.mark.slow  # the reader is a child process (`rating.ingest.isolated`)
def test_the_isolated_reader_writes_no_identity_number_in_clear(tmp_path: Path) -> None:
    """The API's reader (a child process) seals personal cells and masks number-like runs of
    unreadable lines before anything reaches its folder; the server unseals in memory."""
    from rating.ingest.isolated import Limits, consume_read, read_isolated

    number = make_id_number(11)
    upload = tmp_path / "managers.csv"
    upload.write_text(
        f"证书编号,姓名,身份证号\nM001,经理1,{number}\nM002,经理2,\nM003,经理3,{number},多\n",
        encoding="utf-8",
    )
    read = read_isolated(upload, "managers", tmp_path / "read", Limits(memory_mb=512))
    written = [p for p in read.folder.rglob("*") if p.is_file()]
    assert written and all(number.encode() not in p.read_bytes() for p in written), written
    con = duckdb.connect()
    raw = consume_read(con, read, upload)
    assert rows(con, "SELECT c0, c2 FROM raw ORDER BY _line") == [("M001", number), ("M002", None)]
    assert [r.text for r in raw.rejected] == [f"M003,经理3,{idnumber.mask(number)},多"]
    assert not upload.exists() and not [p for p in read.folder.rglob("*") if p.is_file()]


def test_each_hash_names_the_key_that_made_it(tmp_path: Path) -> None:
    """After a key rotation the register holds hashes of two keys: `id_key` tells which."""
    from rating.ingest.loader import ingest_file

    old_key, new_key = tmp_path / "old.key", tmp_path / "new.key"
    old_id, new_id = idnumber.generate_key(old_key), idnumber.generate_key(new_key)
    first, second = make_id_number(7), make_id_number(8)
    con, settings, _ = load(
        _register(tmp_path, [first, ""]), tmp_path, settings_for(tmp_path, id_key=old_key)
    )
    later = tmp_path / "rotated.csv"
    later.write_text(f"证书编号,姓名,身份证号\nM009,经理9,{second}\n", encoding="utf-8")
    assert ingest_file(con, settings.with_(id_key=new_key), "managers", later).rows_loaded == 1
    got = rows(con, "SELECT certificate_no, id_hash, id_key FROM src_managers ORDER BY 1")
    assert got == [
        ("M001", idnumber.keyed_hash(idnumber.load_key(old_key), first), old_id),
        ("M002", None, None),  # no number, no hash: no key named
        ("M009", idnumber.keyed_hash(idnumber.load_key(new_key), second), new_id),
    ]
    assert old_id != new_id and all(len(k) == 16 for k in (old_id, new_id))


def test_without_a_key_numbers_are_checked_and_nothing_is_kept(tmp_path: Path) -> None:
    con, _, results = load(_register(tmp_path, [make_id_number(7), "12345"]), tmp_path)
    assert results[-1].reasons == {"BAD_ID_NUMBER": 1}
    assert value(con, "SELECT count(id_hash) + count(id_key) FROM src_managers") == 0
    assert value(con, "SELECT value FROM quarantine") == "*****"


def test_keys_are_made_once_and_must_be_long_enough(tmp_path: Path) -> None:
    key_file = tmp_path / "k"
    kid = idnumber.generate_key(key_file)
    assert len(kid) == 16 and key_file.stat().st_mode & 0o777 == 0o600
    with pytest.raises(UsageError) as exists:
        idnumber.generate_key(key_file)
    assert exists.value.code == "ID_KEY_EXISTS"
    (tmp_path / "short").write_text("abcd")
    with pytest.raises(UsageError) as short:
        idnumber.load_key(tmp_path / "short")
    assert short.value.code == "ID_KEY_INVALID"


def test_assignments_name_known_managers_one_at_a_time(tmp_path: Path) -> None:
    b = _register(tmp_path, [make_id_number(1), make_id_number(2)])
    b.project("P2", b.rows["companies"][0]["uscc"])
    b.assign("P1", "M001", "2024-01-01", "2025-06-30")
    b.assign("P1", "M002", "2025-07-01")  # a clean hand-over
    b.assign("P2", "M001", "2025-07-01")  # the manager moves on: fine
    b.assign("P2", "M009", "2024-01-01", "2024-12-31")  # unknown manager
    b.assign("P2", "M002", "2025-06-01", "2025-05-01")  # ends before it starts
    con, _, results = load(b, tmp_path)
    assignments = results[-1]
    assert assignments.kind == "assignments" and assignments.rows_loaded == 3
    assert assignments.reasons == {"BAD_DATE_ORDER": 1, "UNKNOWN_MANAGER": 1}
    # a later file overlapping a loaded period is refused; the same start is a correction
    extra = tmp_path / "more.csv"
    extra.write_text(
        "项目编号,证书编号,任职开始日期,任职结束日期\n"
        "P1,M002,2025-06-01,2025-06-15\n"
        "P1,M002,2025-07-01,2026-01-31\n",
        encoding="utf-8",
    )
    from rating.ingest.loader import ingest_file

    result = ingest_file(con, settings_for(tmp_path), "assignments", extra)
    assert result.reasons == {"OVERLAPPING_ASSIGNMENT": 1} and result.rows_superseding == 1


def test_survey_checks(tmp_path: Path) -> None:
    b = Bureau()
    b.project("P1", b.company(1, "甲物业"))
    b.survey("P1", "2026-09-20", organiser="第三方", respondents=120, sample_size=150)
    b.survey("P1", "2026-09-20", respondents=12, sample_size=10)  # more answers than asked
    b.survey("P1", "2026-09-20", satisfaction_rate=None, score=None)  # nothing measured
    b.survey("P1", "2026-09-20", satisfaction_rate=100.5)
    b.survey("P1", "2026-09-20", satisfaction_rate=None, score=88, organiser="街镇")
    b.survey("P9", "2026-09-20")
    con, _, results = load(b, tmp_path)
    surveys = results[-1]
    assert (surveys.rows_loaded, surveys.rows_quarantined) == (2, 4)
    assert surveys.reasons == {"MISSING_VALUE": 1, "OUT_OF_RANGE": 2, "UNKNOWN_PROJECT": 1}
    ranges = (
        "SELECT DISTINCT message FROM quarantine WHERE code = 'OUT_OF_RANGE' AND kind = 'surveys'"
    )
    assert "outside the allowed range (satisfaction_rate): 0–100" in {
        m for (m,) in rows(con, ranges)
    }
    assert rows(con, "SELECT organiser, satisfaction_rate, score FROM src_surveys ORDER BY 1") == [
        ("第三方机构", 90, None),
        ("街道办事处", None, 88),
    ]


def test_satisfaction_rates_written_with_a_percent_sign(tmp_path: Path) -> None:
    """Exports write a rate as 92.5, 92.5% or 92.5％: all are 92.5; a word is a coded problem
    naming the file, the line and the column."""
    from rating.ingest.loader import ingest_file

    b = Bureau()
    b.project("P1", b.company(1, "甲物业"))
    con, settings, _ = load(b, tmp_path)
    surveys = tmp_path / "surveys.csv"
    surveys.write_text(
        "测评编号,项目编号,测评日期,组织方,有效问卷数,满意率\n"
        "CP-1,P1,2026-09-20,第三方,120,92.5%\n"
        "CP-2,P1,2026-09-20,第三方,120,92.5％\n"
        "CP-3,P1,2026-09-20,第三方,120,８８．５ ％\n"
        "CP-4,P1,2026-09-20,第三方,120,92.5\n"
        "CP-5,P1,2026-09-20,第三方,120,abc\n"
        "CP-6,P1,2026-09-20,第三方,120,100.5%\n",
        encoding="utf-8",
    )
    result = ingest_file(con, settings, "surveys", surveys)
    assert (result.rows_loaded, result.reasons) == (4, {"BAD_NUMBER": 1, "OUT_OF_RANGE": 1})
    assert rows(con, "SELECT survey_id, satisfaction_rate FROM src_surveys ORDER BY 1") == [
        ("CP-1", 92.5),
        ("CP-2", 92.5),
        ("CP-3", 88.5),
        ("CP-4", 92.5),
    ]
    assert rows(
        con, "SELECT file_name, line, column_name, code, value FROM quarantine ORDER BY line"
    ) == [
        ("surveys.csv", 6, "满意率", "BAD_NUMBER", "abc"),
        ("surveys.csv", 7, "满意率", "OUT_OF_RANGE", "100.5%"),
    ]


def test_a_rate_written_as_a_fraction_is_refused_not_loaded_at_a_hundredth(
    tmp_path: Path,
) -> None:
    """0.925 in a rate column in percent is the fraction 0.925 (92.5%), not 0.925 per cent:
    in a CSV or in an .xlsx cell formatted 0.0% (Excel shows 92.5%, the cell holds 0.925 and
    the reader cannot see the format), it is quarantined as RATE_AS_FRACTION, naming the file,
    line and column; 0, 1 and 1..100 stay valid."""
    import xlsxwriter

    from rating.ingest.loader import ingest_file

    b = Bureau()
    b.project("P1", b.company(1, "甲物业"))
    con, settings, _ = load(b, tmp_path)
    header = ["测评编号", "项目编号", "测评日期", "组织方", "有效问卷数", "满意率"]
    rates = [0.925, 0, 1, 0.5, 100, 0.999]
    (tmp_path / "surveys.csv").write_text(
        ",".join(header)
        + "\n"
        + "".join(f"CSV-{i},P1,2026-09-20,第三方,120,{r}\n" for i, r in enumerate(rates)),
        encoding="utf-8",
    )
    book = tmp_path / "surveys.xlsx"
    wb = xlsxwriter.Workbook(book)
    ws, pct = wb.add_worksheet(), wb.add_format({"num_format": "0.0%"})
    ws.write_row(0, 0, header)
    for i, r in enumerate(rates, start=1):
        ws.write_row(i, 0, [f"XL-{i}", "P1", "2026-09-20", "第三方", 120])
        ws.write_number(i, 5, r, pct)
    wb.close()
    for name in ("surveys.csv", "surveys.xlsx"):
        result = ingest_file(con, settings, "surveys", tmp_path / name)
        assert (result.rows_loaded, result.reasons) == (3, {"RATE_AS_FRACTION": 3}), name
    assert rows(
        con,
        "SELECT DISTINCT satisfaction_rate FROM src_surveys ORDER BY 1",
    ) == [(0,), (1,), (100,)]
    found = rows(
        con,
        "SELECT file_name, line, column_name, code, value, message FROM quarantine "
        "ORDER BY file_name, line",
    )
    assert [r[:5] for r in found] == [
        (f, line, "满意率", "RATE_AS_FRACTION", v)
        for f in ("surveys.csv", "surveys.xlsx")
        for line, v in ((2, "0.925"), (5, "0.5"), (7, "0.999"))
    ]
    assert "92.5%" in found[0][5]


# ---------------------------------------------------------------- the manager part, by hand


def _shanghai_bureau() -> Bureau:
    """Two companies; 甲's project P1 passes to 乙 on 2026-08-01 with a new manager, and its
    old manager M001 moves to 乙's project P2 the same day."""
    b = Bureau()
    c1, c2 = b.company(1, "甲物业"), b.company(2, "乙物业")
    b.project("P1", c1, service_end="2026-07-31")
    b.project("P1", c2, service_start="2026-08-01", households=500)
    b.project("P2", c2)
    b.manager("M001", "张三", c2)  # now employed by 乙
    b.manager("M002", "李四", c2)
    b.manager("M003", "王五", c1)  # in charge of nothing this quarter
    b.assign("P1", "M001", "2024-01-01", "2026-07-31")
    b.assign("P1", "M002", "2026-08-01")
    b.assign("P2", "M001", "2026-08-01")
    late = {"deadline": "2026-07-12 18:00:00", "closed_at": "2026-07-20 10:00:00"}
    b.complaint("P1", "2026-07-10", complaint_id="GD-LATE", **late)  # M001, on P1 (甲)
    b.complaint("P1", "2026-08-15", complaint_id="GD-POOR", satisfaction="不满意")  # M002
    b.complaint("P2", "2026-09-05", complaint_id="GD-MASS", petitioners=12)  # M001, on P2 (乙)
    b.complaint("P2", "2026-07-20", complaint_id="GD-NOBODY", satisfaction="不满意")  # no manager
    b.event(c2, "2026-09-01", event_id="EV-M2", manager_no="M002", code="B05", points=10)
    b.event(c1, "2026-09-10", event_id="EV-M3", manager_no="M003", code="V01", points=18)
    b.survey("P2", "2026-09-20", survey_id="CP-1", respondents=12, satisfaction_rate=100, score=95)
    b.survey(
        "P2", "2026-09-25", survey_id="CP-2", respondents=200, satisfaction_rate=None, score=92
    )
    return b


@pytest.fixture(scope="module")
def shanghai(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, str]:
    from rating.engine.runner import execute_run
    from rating.periods import Period
    from rating.ruleset.loader import load_ruleset

    tmp = tmp_path_factory.mktemp("shanghai")
    con, settings, results = load(_shanghai_bureau(), tmp)
    assert all(r.rows_quarantined == 0 for r in results), [r.as_dict() for r in results]
    rs = load_ruleset(settings.rules_dir, "shanghai-2023@1.0.0")
    report = execute_run(con, settings, rs, Period.parse("2026Q3"), forced=True)
    return con, report.run_id


def test_managers_are_scored_on_the_records_of_their_days_in_charge(shanghai) -> None:  # type: ignore[no-untyped-def]
    con, run_id = shanghai
    managers = rows(
        con,
        """SELECT certificate_no, projects, days_in_charge, points, score, grade, veto
           FROM run_managers WHERE run_id = $r ORDER BY 1""",
        {"r": run_id},
    )
    # M001: P1 from 07-01 to 07-31 (31 days) and P2 from 08-01 to 09-30 (61 days).
    #   GD-LATE on P1 closed late −5; GD-MASS on P2, 12 petitioners −5; two third-party
    #   surveys of P2 scoring 95 and 92: +3 each, capped at +3 → −7 → 93 正常.
    # M002: P1 from 08-01 (61 days). GD-POOR follow-up 不满意 −3; EV-M2 记10分 −10 → 87 警示.
    # M003: no project; EV-M3 (V01, 18 points) −18 → 82, and an 18-point item → 记满18分.
    # GD-NOBODY: P2 had no manager on 07-20, so it counts against nobody.
    assert managers == [
        ("M001", ["P1", "P2"], 92, -7, 93, "正常", False),
        ("M002", ["P1"], 61, -13, 87, "警示", False),
        ("M003", [], 0, -18, 82, "记满18分", True),
    ]
    points = rows(
        con,
        """SELECT certificate_no, rule_id, records, raw_points, points FROM run_manager_points
           WHERE run_id = $r ORDER BY 1, 2""",
        {"r": run_id},
    )
    assert points == [
        ("M001", "SH-M-COLLECTIVE", 1, -5, -5),
        ("M001", "SH-M-LATE", 1, -5, -5),
        ("M001", "SH-M-SURVEY", 2, 6, 3),
        ("M002", "SH-M-EVENT", 1, -10, -10),
        ("M002", "SH-M-POOR", 1, -3, -3),
        ("M003", "SH-M-18", 1, 0, 0),
        ("M003", "SH-M-EVENT", 1, -18, -18),
    ]
    # the evidence of a manager's points names the record, its project and the company then
    evidence = rows(
        con,
        """SELECT record_key, project_id, company_uscc FROM run_manager_evidence
           WHERE run_id = $r AND certificate_no = 'M001' AND source = 'complaints' ORDER BY 1""",
        {"r": run_id},
    )
    names = dict(rows(con, "SELECT name, uscc FROM src_companies"))
    assert evidence == [("GD-LATE", "P1", names["甲物业"]), ("GD-MASS", "P2", names["乙物业"])]


def test_hotline_handling_and_surveys_score_projects(shanghai) -> None:  # type: ignore[no-untyped-def]
    con, run_id = shanghai
    got = rows(
        con,
        """SELECT rule_id, project_id, c.name, round(value, 4), records, points
           FROM run_rule_points p JOIN src_companies c ON c.uscc = p.company_uscc
           WHERE run_id = $r AND rule_id IN ('SH-HOTLINE-ONTIME', 'SH-SURVEY', 'SH-HOTLINE-REOPENED')
           ORDER BY 1, 2, 3""",
        {"r": run_id},
    )
    # P1 under 甲: GD-LATE, 0 of 1 on time → ≤ 0.8 → −5. P1 under 乙: GD-POOR on time, 1 of 1.
    # P2: GD-MASS and GD-NOBODY on time: 2 of 2. Survey CP-1: 100 % of 12 respondents reads
    # as its Wilson lower bound, (1 + 1.3530/12 − 1.645 × √(0 + 0.6765/144)) ÷ (1 + 2.7060/12)
    # = 81.5992 % ≤ 85 → −2 (CP-2 has a score but no rate: not averaged).
    assert got == [
        ("SH-HOTLINE-ONTIME", "P1", "乙物业", 1.0, 1, 0),
        ("SH-HOTLINE-ONTIME", "P1", "甲物业", 0.0, 1, -5),
        ("SH-HOTLINE-ONTIME", "P2", "乙物业", 1.0, 2, 0),
        ("SH-SURVEY", "P2", "乙物业", 81.5992, 1, -2),
    ]


@pytest.mark.slow  # runs a bureau end to end (quarters, the CLI or the report): not in `make test-fast`
def test_cli_shows_and_explains_a_run_s_managers(shanghai, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from rating.engine import managers

    con, run_id = shanghai
    worst = managers.results(con, run_id, limit=1)[0]
    assert (worst.certificate_no, worst.grade, worst.veto) == ("M003", "记满18分", True)
    explained = {p.rule_id: p for p in managers.explain(con, run_id, "M001")}
    assert explained["SH-M-LATE"].evidence[0][:2] == ("complaints", "GD-LATE")
    assert explained["SH-M-SURVEY"].points == 3 and explained["SH-M-SURVEY"].records == 2


# ---------------------------------------------------------------- manager lists and streaks

MANAGER_LISTS = """
[managers.lists.red]
when = "streak('正常') >= 2 AND NOT veto"
title = "项目经理守信名单"

[managers.lists.black]
when = "grade = '记满18分' OR streak('警示') >= 2"
title = "项目经理失信名单"
"""


def _rules_with(tmp: Path, extra: str) -> Path:
    """A copy of the shipped rules whose shanghai-2023@1.0.0 `[managers]` part adds `extra`."""
    import shutil

    from tests.factories import RULES_DIR

    rules = tmp / "rules"
    shutil.copytree(RULES_DIR, rules)
    toml = rules / "shanghai-2023" / "1.0.0" / "ruleset.toml"
    text = toml.read_text(encoding="utf-8")
    at = text.index("\n", text.index("note =", text.index("[managers]")))
    toml.write_text(text[:at] + "\n" + extra + text[at:], encoding="utf-8")
    return rules


@pytest.mark.slow  # runs a bureau end to end (quarters, the CLI or the report): not in `make test-fast`
def test_manager_lists_read_grades_and_streaks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rating.engine.runner import execute_run
    from rating.periods import Period
    from rating.ruleset.loader import load_ruleset

    settings = settings_for(tmp_path).with_(rules_dir=_rules_with(tmp_path, MANAGER_LISTS))
    con, settings, _ = load(_shanghai_bureau(), tmp_path, settings)
    rs = load_ruleset(settings.rules_dir, "shanghai-2023@1.0.0")
    q2 = execute_run(con, settings, rs, Period.parse("2026Q2"), forced=True).run_id
    q3 = execute_run(con, settings, rs, Period.parse("2026Q3"), forced=True).run_id
    listed = (
        "SELECT certificate_no, list, reason FROM run_manager_lists WHERE run_id = $r ORDER BY 1"
    )
    # 2026Q2: M001 in charge of P1 with no record: 100, 正常 — a streak of 1, not yet 2.
    assert rows(
        con, "SELECT certificate_no, grade FROM run_managers WHERE run_id = $r", {"r": q2}
    ) == [("M001", "正常")]
    assert rows(con, listed, {"r": q2}) == []
    # 2026Q3 (grades by hand in test_managers_are_scored_on_…): M001 正常 again → streak 2 →
    # red; M003 记满18分 → black; M002 警示 for the first time → neither.
    assert rows(con, listed, {"r": q3}) == [
        ("M001", "red", "项目经理守信名单"),
        ("M003", "black", "项目经理失信名单"),
    ]
    from rating.engine import managers

    assert {m.certificate_no: m.lists for m in managers.results(con, q3)} == {
        "M001": ["red"],
        "M002": [],
        "M003": ["black"],
    }
    _replayed_and_guarded(con, settings, q3)
    con.close()
    _shows_lists_in_chinese(settings.db_path, q3, capsys)


def _replayed_and_guarded(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str) -> None:
    """The lists are results like the rest: a replay gives them again (its streaks from the
    pinned history run), and once published `verify` notices an entry changed afterwards."""
    from datetime import datetime

    from rating.audit import replay, verify
    from tests.factories import publish_after_publicity

    report = replay.replay(con, settings, run_id)
    assert report.status == "MATCH", report.as_dict()
    assert report.replay_sha256 == report.original_sha256
    publish_after_publicity(con, settings, run_id, datetime(2026, 10, 30, 9))
    assert not verify.verify(con, settings.rules_dir).problems
    con.execute("UPDATE run_manager_lists SET list = 'red' WHERE certificate_no = 'M003'")
    codes = {p["code"] for p in verify.verify(con, settings.rules_dir).problems}
    assert "RESULT_ALTERED" in codes, codes
    con.execute("UPDATE run_manager_lists SET list = 'black' WHERE certificate_no = 'M003'")


def _shows_lists_in_chinese(db: Path, run_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    from rating.cli import main

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RATING_LANG", "zh")
        mp.setenv("COLUMNS", "200")
        assert main(["managers", "show", run_id, "--db", str(db)]) == 0
    out = capsys.readouterr().out
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines()]
    lists = {row[0]: row[4] for row in cells if row and row[0].startswith("M")}
    assert lists == {"M001": "红名单", "M002": "–", "M003": "黑名单"}, out
    from rating.exports import read_table  # --out says them in the same words

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RATING_LANG", "zh")
        file = db.parent / "managers.csv"
        assert main(["managers", "show", run_id, "--out", str(file), "--db", str(db)]) == 0
    table = read_table(file)
    assert dict(zip(table["证书编号"], table["列入名单"], strict=True)) == {
        "M001": "红名单",
        "M002": None,
        "M003": "黑名单",
    }


def test_a_manager_streak_of_an_unknown_grade_is_refused(tmp_path: Path) -> None:
    from rating.errors import RuleSetError
    from rating.ruleset.loader import load_ruleset

    rules = _rules_with(
        tmp_path, '[managers.lists.black]\nwhen = "streak(\'C\') >= 2"\ntitle = "失信"\n'
    )
    with pytest.raises(RuleSetError) as refused:
        load_ruleset(rules, "shanghai-2023@1.0.0")
    assert "streak('C'): not a manager grade" in str(refused.value.as_dict())


@pytest.mark.slow  # runs a bureau end to end (quarters, the CLI or the report): not in `make test-fast`
def test_the_report_lists_the_run_s_managers(shanghai, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import re

    from rating.report.builder import build

    con, run_id = shanghai
    built = build(con, settings_for(tmp_path), run_id, tmp_path / "report")
    page = built.html.read_text("utf-8")
    section = page[page.index('id="list-managers"') : page.index('id="list-grades"')]
    assert "共评价项目经理 3 名，此处按得分从低到高列出 3 名" in section
    cells = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", section, flags=re.S)
    ]
    assert [c for c in cells if c] == [
        ["M003", "王五", "82.00", "记满18分", "", "", "0"],
        ["M002", "李四", "87.00", "警示", "", "P1", "61"],
        ["M001", "张三", "93.00", "正常", "", "P1、P2", "92"],
    ]
    # the workbook holds every manager
    import polars as pl

    sheet = pl.read_excel(built.workbook, sheet_name="项目经理", read_options={"header_row": 2})
    assert sheet["证书编号"].to_list() == ["M003", "M002", "M001"]
    assert sheet["红黑名单"].null_count() == 3 and sheet["负责项目"].to_list()[1:] == [
        "P1",
        "P1、P2",
    ]


# ---------------------------------------------------------------- the command line, as a user meets it


@pytest.fixture(scope="module")
def manager_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A closed warehouse file (the command line opens it) with a shanghai-2023 run of
    2026Q3, which scores managers, and a yantai-2022 run of 2026Q2, which does not."""
    from rating.engine.runner import execute_run
    from rating.periods import Period
    from rating.ruleset.loader import load_ruleset

    tmp = tmp_path_factory.mktemp("manager_cli")
    con, settings, _ = load(_shanghai_bureau(), tmp)
    shanghai = load_ruleset(settings.rules_dir, "shanghai-2023@1.0.0")
    yantai = load_ruleset(settings.rules_dir, "yantai-2022")
    q3 = execute_run(con, settings, shanghai, Period.parse("2026Q3"), forced=True).run_id
    q2 = execute_run(con, settings, yantai, Period.parse("2026Q2"), forced=True).run_id
    con.close()
    return settings.db_path, q3, q2


def _cli(
    capsys: pytest.CaptureFixture[str], *argv: str, columns: int = 200
) -> tuple[int, str, str]:
    from rating.cli import main

    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RATING_LANG", "zh")
        mp.setenv("COLUMNS", str(columns))
        code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow  # runs a bureau end to end (quarters, the CLI or the report): not in `make test-fast`
def test_cli_refuses_an_unknown_manager_and_a_run_that_scores_none(
    manager_db: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, q3, q2 = manager_db
    code, out, err = _cli(capsys, "managers", "explain", "WYJL999999", "--run", q3, "--db", str(db))
    assert (code, out) == (3, "") and "MANAGER_NOT_FOUND" in err and "WYJL999999" in err, err
    assert "评价运行" not in err and f"评定 {q3}" in err
    for argv in (["show", q2], ["explain", "M001", "--run", q2]):
        code, out, err = _cli(capsys, "managers", *argv, "--db", str(db))
        assert (code, out) == (3, ""), (argv, out)
        assert "MANAGERS_NOT_SCORED" in err and "不评价项目经理" in err, err
        assert "yantai-2022" in err and "shanghai-2023@1.0.0" in " ".join(err.split()), err


@pytest.fixture(scope="module")
def yantai_published_last(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """README's walk-through: the demo's yantai-2022 run of 2026Q3 is published, then the
    bureau rates 2026Q3 again under shanghai-2023 (a draft). The newest published run scores
    no managers; the draft does."""
    from datetime import datetime

    from rating.engine.runner import execute_run
    from rating.periods import Period
    from rating.ruleset.loader import load_ruleset

    con, settings, _ = load(_shanghai_bureau(), tmp_path_factory.mktemp("yantai_last"))
    yantai = load_ruleset(settings.rules_dir, "yantai-2022")
    shanghai = load_ruleset(settings.rules_dir, "shanghai-2023@1.0.0")
    q3 = Period.parse("2026Q3")
    published = execute_run(con, settings, yantai, q3, forced=True).run_id
    publish_after_publicity(con, settings, published, datetime(2026, 10, 30, 9))
    draft = execute_run(con, settings, shanghai, q3, forced=True).run_id
    con.close()
    return settings.db_path, draft, published


@pytest.mark.slow  # runs a bureau end to end (quarters, the CLI or the report): not in `make test-fast`
def test_cli_managers_read_the_newest_run_that_scores_them(
    yantai_published_last: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """No run named: `show` and `explain` read the newest run whose rule set scores managers
    and say so, not MANAGERS_NOT_SCORED for the newest published run; a run is named the same
    way in both (argument or --run); a run that scores none names the runs that do."""
    db, draft, published = yantai_published_last
    code, out, err = _cli(capsys, "managers", "show", "--db", str(db))
    assert code == 0, err
    assert f"读取评定 {draft}" in out and "评价规则评价项目经理的最新一次评定" in out, out
    assert f"项目经理，评定 {draft}" in out and "M003" in out
    code, out, err = _cli(capsys, "managers", "explain", "M001", "--db", str(db))
    assert code == 0 and out.splitlines()[0].startswith("张三 M001"), (out, err)
    assert out.splitlines()[1].startswith(f"读取评定 {draft}"), out
    for argv in (
        ["show", draft],
        ["show", "--run", draft],
        ["explain", "M001", draft],
        ["explain", "M001", "--run", draft],
    ):
        code, out, err = _cli(capsys, "managers", *argv, "--db", str(db))
        assert code == 0 and draft in out, (argv, err)
    code, out, err = _cli(capsys, "managers", "show", published, "--db", str(db))
    assert code == 3 and "MANAGERS_NOT_SCORED" in err, err
    assert draft in err and "shanghai-2023@1.0.0" in " ".join(err.split()), err
    code, out, err = _cli(capsys, "managers", "show", draft, "--run", published, "--db", str(db))
    assert code != 0 and "RUN_CONFLICT" in err, err


@pytest.mark.slow  # runs a bureau end to end (quarters, the CLI or the report): not in `make test-fast`
def test_cli_show_says_when_more_managers_exist(
    manager_db: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, q3, _ = manager_db
    code, out, _err = _cli(capsys, "managers", "show", q3, "--limit", "2", "--db", str(db))
    assert code == 0 and "还有更多行：用 --limit 和 --offset" in out, out
    assert f"项目经理，评定 {q3}" in out and "评价运行" not in out
    header = next(line for line in out.splitlines() if "证书编号" in line)
    assert "姓名" in header and "项目" in header and "项目数" not in header, header
    code, out, _err = _cli(capsys, "managers", "show", q3, "--offset", "1", "--db", str(db))
    assert code == 0 and "还有更多行" not in out, out
    code, out, _err = _cli(
        capsys, "managers", "show", q3, "--limit", "2", "--json", "--db", str(db)
    )
    assert '"total": 3' in out and '"truncated": true' in out


@pytest.mark.slow  # runs a bureau end to end (quarters, the CLI or the report): not in `make test-fast`
def test_cli_show_writes_every_manager_to_a_file(
    manager_db: tuple[Path, str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`rating managers show --out`: every manager of the run whatever --limit pages on
    screen, worst score first, headed in the user's language like every `--out`
    (rating.cli.outfile), the about sheet naming the run read and its provenance; a file
    the engine cannot write is refused before any work, saying which suffixes it can."""
    import polars as pl

    from rating.exports import read_table

    db, q3, _ = manager_db
    for suffix in ("xlsx", "csv"):
        out = tmp_path / f"managers.{suffix}"
        argv = ("managers", "show", q3, "--limit", "1", "--out", str(out), "--db", str(db))
        code, said, err = _cli(capsys, *argv)
        assert code == 0 and out.exists(), err
        assert "3" in said and out.name in said, said  # what was written, rows counted
        table = read_table(out)
        assert {"证书编号", "姓名", "所在企业统一社会信用代码", "得分", "等级", "一票否决",
                "列入名单", "项目", "任职天数"} <= set(table.columns), table.columns  # fmt: skip
        assert "certificate_no" not in table.columns
        assert table["证书编号"].to_list() == ["M003", "M002", "M001"], table  # every row
        assert table["姓名"].to_list() == ["王五", "李四", "张三"]
        assert table["等级"][0] == "记满18分" and table["一票否决"].to_list()[0] == "是"
        assert table["项目"].to_list() == [None, "P1", "P1、P2"], table["项目"]  # one cell each
    about = read_table(tmp_path / "managers.xlsx", sheet="关于")
    cells = str(about.rows())
    assert q3 in cells and "shanghai-2023@1.0.0" in cells and "项目经理，评定" in cells, cells
    sheets = pl.read_excel(tmp_path / "managers.xlsx", sheet_id=0, engine="calamine")
    assert list(sheets) == ["项目经理", "关于"], list(sheets)
    code, said, err = _cli(
        capsys, "managers", "show", q3, "--out", str(tmp_path / "m.txt"), "--db", str(db)
    )
    assert code == 2 and "EXPORT_FORMAT" in err and ".xlsx" in err and ".csv" in err, err
    assert not (tmp_path / "m.txt").exists()


@pytest.mark.slow  # runs a bureau end to end (quarters, the CLI or the report): not in `make test-fast`
def test_cli_show_never_cuts_a_project_id(capsys: pytest.CaptureFixture[str]) -> None:
    """A manager in charge of several projects: on a narrow terminal each id stays whole
    (Chinese lists join with 、 and no space, which a folding column used to cut)."""
    from rating.cli import common
    from rating.cli.i18n import language, set_language
    from rating.cli.managers import _render_show
    from rating.engine.managers import ManagerResult

    ids = ["XM000038", "XM000041", "XM000052", "XM000107"]
    someone = ManagerResult("WYJL000048", "张三", None, ids, 92, 81.5, "警示", False, [])
    was = language()
    set_language("zh")
    try:
        for columns in (200, 80, 64, 50, 40):
            capsys.readouterr()
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(common.stdout, "width", columns)
                _render_show("2026Q3-01", [someone], truncated=False)
            out = capsys.readouterr().out
            words = set(out.replace("│", " ").replace("、", " ").split())
            assert set(ids) <= words, (columns, out)
    finally:
        set_language(was)


@pytest.mark.slow  # runs a bureau end to end (quarters, the CLI or the report): not in `make test-fast`
def test_cli_explain_names_the_manager_and_each_rule_s_title_and_clause(
    manager_db: tuple[Path, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from rating.ruleset.loader import load_ruleset

    db, q3, _ = manager_db
    code, out, _err = _cli(capsys, "managers", "explain", "M001", "--run", q3, "--db", str(db))
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith("张三 M001：等级 正常（得分 93.00") and q3 in first, first
    late = load_ruleset(Path("rules"), "shanghai-2023@1.0.0").definition.rule("SH-M-LATE")
    assert f"SH-M-LATE {late.title}" in out and f"依据：{late.clause}" in " ".join(out.split())
    code, out, _err = _cli(
        capsys, "managers", "explain", "M001", "--run", q3, "--json", "--db", str(db)
    )
    assert '"name": "张三"' in out and f'"clause": "{late.clause}"' in out


def test_a_card_masks_a_manager_s_name_and_certificate() -> None:
    """What a company card shows of a person (`rating.public.managers`): the surname and a star
    per other character; the certificate number as identity numbers are masked."""
    from rating.public.managers import mask_name

    assert [mask_name(n) for n in ("张三", "李小明", "欧阳娜娜", " 王 ", "", None)] == [
        "张*",
        "李**",
        "欧***",
        "王",
        "*",
        "*",
    ]
    assert idnumber.mask("WYJL000048") == "WY******48"
    assert idnumber.mask("M001") == "****"  # too short to show any of it
