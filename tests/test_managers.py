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
from rating.sql import rows, value
from tests.factories import Bureau, load, make_id_number, settings_for

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


@settings(max_examples=300, deadline=None)
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


def test_without_a_key_numbers_are_checked_and_nothing_is_kept(tmp_path: Path) -> None:
    con, _, results = load(_register(tmp_path, [make_id_number(7), "12345"]), tmp_path)
    assert results[-1].reasons == {"BAD_ID_NUMBER": 1}
    assert value(con, "SELECT count(id_hash) FROM src_managers") == 0
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
    assert rows(con, "SELECT organiser, satisfaction_rate, score FROM src_surveys ORDER BY 1") == [
        ("第三方机构", 90, None),
        ("街道办事处", None, 88),
    ]
