"""Ingest: every kind of bad input gets its reason code, and rows read = loaded + quarantined."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from rating.errors import InputFileError, UsageError
from rating.ingest.loader import ingest_file
from rating.schema import CONTRACTS
from rating.sql import rows, value
from rating.warehouse import open_warehouse
from tests.factories import fresh_warehouse, make_uscc, write_csv

A, B = make_uscc(1), make_uscc(2)
COMPANY_HEADERS = ["统一社会信用代码", "企业名称", "是否纳入信用管理"]
PROJECT_HEADERS = [
    "项目编号",
    "项目名称",
    "行政区",
    "街道",
    "户数",
    "建筑面积",
    "统一社会信用代码",
    "服务开始日期",
    "服务结束日期",
]


def _companies(tmp: Path, encoding: str = "utf-8") -> Path:
    path = tmp / f"companies-{encoding}.csv"
    path.write_bytes(
        (
            ",".join(COMPANY_HEADERS)
            + f"\n{A},阳光物业服务有限公司,是\n{B},锦绣物业管理有限公司,否\n"
        ).encode(encoding)
    )
    return path


def _projects(tmp: Path, lines: list[str], encoding: str = "gb18030") -> Path:
    path = tmp / "projects.csv"
    path.write_bytes(("\n".join([",".join(PROJECT_HEADERS), *lines]) + "\n").encode(encoding))
    return path


@pytest.fixture
def con(settings):  # type: ignore[no-untyped-def]
    con = fresh_warehouse(settings)
    yield con
    con.close()


def _loaded(con, kind: str) -> int:  # type: ignore[no-untyped-def]
    return int(value(con, f"SELECT count(*) FROM src_{kind}"))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings_load_the_same(con, settings, tmp_path, encoding) -> None:  # type: ignore[no-untyped-def]
    result = ingest_file(con, settings, "companies", _companies(tmp_path, encoding))
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)
    assert sorted(rows(con, "SELECT uscc, name, registered FROM src_companies")) == sorted(
        [(A, "阳光物业服务有限公司", True), (B, "锦绣物业管理有限公司", False)]
    )
    assert result.encoding in ("utf-8", "utf-8-sig", "gb18030")


def test_date_forms_and_english_headers(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ingest_file(con, settings, "companies", _companies(tmp_path))
    path = tmp_path / "p.csv"
    write_csv(
        path,
        [],
        [],
        headers=[
            "project_id",
            "project_name",
            "district",
            "street",
            "households",
            "floor_area",
            "company_uscc",
            "service_start",
            "service_end",
        ],
    )
    path.write_text(
        path.read_text()
        + "\n".join(
            [
                f"P1,阳光花园,芝罘区,向阳街道,500,40000,{A},2025-07-03,",
                f"P2,锦绣家园,芝罘区,向阳街道,1,200,{A},2025/7/3,2025年9月30日",
                f'P3,幸福里,芝罘区,向阳街道,"1,200",8000.5,{A},2025年7月3日 08:00,',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = ingest_file(con, settings, "projects", path)
    assert result.rows_quarantined == 0, rows(con, "SELECT * FROM quarantine")
    assert rows(con, "SELECT DISTINCT service_start FROM src_projects") == [
        (__import__("datetime").date(2025, 7, 3),)
    ]
    assert value(con, "SELECT households FROM src_projects WHERE project_id = 'P3'") == 1200


BAD_PROJECT_ROWS = {
    "BAD_USCC": f"P1,阳光花园,芝罘区,向阳街道,500,40000,{A[:-1]}0,2020/1/1,",
    "UNKNOWN_COMPANY": f"P2,阳光花园,芝罘区,向阳街道,500,40000,{make_uscc(99)},2020/1/1,",
    "OUT_OF_RANGE": f"P3,阳光花园,芝罘区,向阳街道,0,40000,{A},2020/1/1,",
    "BAD_NUMBER": f"P4,阳光花园,芝罘区,向阳街道,五百,40000,{A},2020/1/1,",
    "BAD_DATE": f"P5,阳光花园,芝罘区,向阳街道,500,40000,{A},2025.13.45,",
    "FUTURE_DATE": f"P6,阳光花园,芝罘区,向阳街道,500,40000,{A},2030/1/1,",
    "MISSING_VALUE": f"P7,,芝罘区,向阳街道,500,40000,{A},2020/1/1,",
    "BAD_DATE_ORDER": f"P8,阳光花园,芝罘区,向阳街道,500,40000,{A},2020/1/1,2019/1/1",
    "MALFORMED_LINE": "P9,阳光花园,芝罘区",
}


def test_each_bad_row_gets_its_reason_and_nothing_is_lost(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ingest_file(con, settings, "companies", _companies(tmp_path))
    good = f"P0,幸福里,芝罘区,向阳街道,300,20000,{B},2021/3/1,"
    result = ingest_file(
        con, settings, "projects", _projects(tmp_path, [good, *BAD_PROJECT_ROWS.values()])
    )
    assert result.rows_read == 1 + len(BAD_PROJECT_ROWS)
    assert result.rows_loaded == 1
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    assert result.reasons == {code: 1 for code in BAD_PROJECT_ROWS}
    found = rows(con, "SELECT code, file_name, line, column_name FROM quarantine ORDER BY line")
    lines = {code: line for code, _, line, _ in found}
    for i, code in enumerate(BAD_PROJECT_ROWS):
        assert lines[code] == i + 3, code  # header is line 1, the good row line 2
    assert all(f == "projects.csv" for _, f, _, _ in found)
    columns = {code: col for code, _, _, col in found}
    assert columns["OUT_OF_RANGE"] == "户数" and columns["BAD_USCC"] == "统一社会信用代码"
    # an out-of-range value names the range allowed, not only "outside the allowed range"
    message = rows(con, "SELECT message FROM quarantine WHERE code = 'OUT_OF_RANGE'")[0][0]
    assert message == "outside the allowed range (户数): > 0"


def test_line_numbers_of_a_clean_read_count_the_title_above_the_header(  # type: ignore[no-untyped-def]
    con, settings, tmp_path
) -> None:
    """Every line splits (no MALFORMED_LINE): record k is line k + the lines above it."""
    ingest_file(con, settings, "companies", _companies(tmp_path))
    good = f"P0,幸福里,芝罘区,向阳街道,300,20000,{B},2021/3/1,"
    bad = [r for code, r in BAD_PROJECT_ROWS.items() if code != "MALFORMED_LINE"]
    path = _projects(tmp_path, [good, *bad])
    path.write_bytes("2026年第三季度 项目台账\n".encode("gb18030") + path.read_bytes())
    result = ingest_file(con, settings, "projects", path)
    assert (result.header_line, result.rows_loaded, result.rows_quarantined) == (2, 1, len(bad))
    lines = dict(rows(con, "SELECT code, line FROM quarantine"))
    assert [lines[c] for c in BAD_PROJECT_ROWS if c != "MALFORMED_LINE"] == list(range(4, 12))
    assert rows(con, "SELECT _row FROM src_projects") == [(3,)]


def test_overlapping_service_and_duplicate_keys(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ingest_file(con, settings, "companies", _companies(tmp_path))
    result = ingest_file(
        con,
        settings,
        "projects",
        _projects(
            tmp_path,
            [
                f"P1,阳光花园,芝罘区,向阳街道,500,40000,{A},2020/1/1,2025/8/15",
                f"P1,阳光花园,芝罘区,向阳街道,500,40000,{B},2025/8/16,",
                f"P1,阳光花园,芝罘区,向阳街道,500,40000,{B},2025/8/16,",
                f"P2,锦绣家园,芝罘区,向阳街道,500,40000,{A},2020/1/1,",
                f"P2,锦绣家园,芝罘区,向阳街道,500,40000,{B},2024/1/1,",
            ],
        ),
    )
    assert result.reasons == {"DUPLICATE_KEY": 1, "OVERLAPPING_SERVICE": 2}
    assert result.rows_loaded == 2


def test_complaint_checks(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ingest_file(con, settings, "companies", _companies(tmp_path))
    ingest_file(
        con,
        settings,
        "projects",
        _projects(tmp_path, [f"P1,阳光花园,芝罘区,向阳街道,500,40000,{A},2020/1/1,"]),
    )
    headers = [
        "工单编号",
        "受理时间",
        "工单来源",
        "工单类型",
        "十四类",
        "项目编号",
        "事实认定",
        "案件期限",
        "结案时间",
        "是否重复",
        "联系电话",
    ]
    base = [
        "2025-07-03 10:00:00",
        "12345",
        "投诉举报类",
        "房屋维修",
        "P1",
        "属实",
        "2025-07-10",
        "2025-07-08",
        "否",
        "13800000000",
    ]
    variants = {
        None: base,
        "BAD_ENUM": [*base[:3], "扰民", *base[4:]],
        "UNKNOWN_PROJECT": [*base[:4], "P404", *base[5:]],
        "BAD_BOOLEAN": [*base[:8], "也许", base[9]],
        "BAD_DATE_ORDER": [*base[:7], "2025-07-01", *base[8:]],
    }
    path = tmp_path / "c.csv"
    path.write_text(
        ",".join(headers)
        + "\n"
        + "\n".join(",".join([f"GD{i}", *v]) for i, v in enumerate(variants.values()))
        + "\n",
        encoding="gb18030",
    )
    result = ingest_file(con, settings, "complaints", path)
    assert result.reasons == {k: 1 for k in variants if k}
    assert result.ignored_columns == ["联系电话"]  # personal data is never stored
    assert "13800000000" not in str(rows(con, "SELECT * FROM src_complaints"))


def test_xlsx_and_parquet(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    book = tmp_path / "companies.xlsx"
    wb = xlsxwriter.Workbook(book)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["企业名称", "统一社会信用代码", "成立日期"])
    ws.write_row(1, 0, ["阳光物业服务有限公司", A])
    ws.write_datetime(
        1,
        2,
        __import__("datetime").datetime(2015, 3, 2),
        wb.add_format({"num_format": "yyyy-mm-dd"}),
    )
    ws.write_row(2, 0, ["坏公司", "123"])
    wb.close()
    result = ingest_file(con, settings, "companies", book)
    assert (result.format, result.rows_loaded, result.reasons) == ("xlsx", 1, {"BAD_USCC": 1})
    assert value(con, "SELECT line FROM quarantine") == 3
    frame = pl.DataFrame(
        {
            "uscc": [B],
            "name": ["锦绣物业管理有限公司"],
            "registered_on": [__import__("datetime").date(2016, 1, 1)],
        }
    )
    frame.write_parquet(tmp_path / "more.parquet")
    result = ingest_file(con, settings, "companies", tmp_path / "more.parquet")
    assert (result.format, result.rows_loaded) == ("parquet", 1)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "FILE_EMPTY"),
        (b"\x00\x01\x02binary\x00" * 100, "FILE_NOT_TEXT"),
        ("工单编号,受理时间\nGD1,2025-07-01\n".encode(), "FILE_WRONG_KIND"),
        ("名称,名称\n1,2\n".encode(), "FILE_WRONG_KIND"),
        (b"PK\x03\x04not really a workbook", "FILE_UNREADABLE"),
        (b"\x80\xff" * 1000, "FILE_BAD_ENCODING"),
    ],
)
def test_unreadable_files_change_nothing(con, settings, tmp_path, content, code) -> None:  # type: ignore[no-untyped-def]
    ingest_file(con, settings, "companies", _companies(tmp_path))
    before = rows(
        con,
        "SELECT (SELECT count(*) FROM ingest_batches), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM src_companies)",
    )
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as err:
        ingest_file(con, settings, "companies", path)
    assert err.value.code == code
    after = rows(
        con,
        "SELECT (SELECT count(*) FROM ingest_batches), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM src_companies)",
    )
    assert before == after


def test_a_file_mostly_in_another_encoding_is_refused_without_blaming_line_1(
    con, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Three of five lines pasted from GBK into a UTF-8 file (a fresh-eyes case): refused
    whole, and the reason no longer says "line 1 and …" when line 1 reads (it always did)."""
    gbk = "91370600000000003W,锦绣物业\n91370600000000001N,阳光物业\n913706000000000040,海滨物业\n"
    path = tmp_path / "pasted3.csv"
    path.write_bytes(
        "统一社会信用代码,企业名称\n91370600000000002R,Sunshine\n".encode() + gbk.encode("gbk")
    )
    with pytest.raises(InputFileError) as err:
        ingest_file(con, settings, "companies", path)
    assert err.value.code == "FILE_BAD_ENCODING"
    assert "line 1" not in str(err.value) and "3 of 5 lines are not utf-8" in str(err.value)


@pytest.mark.parametrize("name", ["企业.xlsx", "企业.XLS"])
def test_text_behind_an_excel_name_is_not_called_a_wrong_kind(
    con, settings, tmp_path, name
) -> None:  # type: ignore[no-untyped-def]
    """A plain-text file renamed 企业.xlsx: the real problem is that it is no workbook
    (FILE_UNREADABLE, as for a damaged ZIP), not "missing columns"."""
    path = tmp_path / name
    path.write_text("随便写的一些文字\n第二行\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        ingest_file(con, settings, "companies", path)
    assert err.value.code == "FILE_UNREADABLE"
    assert "not a real Excel workbook" in err.value.message and "plain text" in err.value.message
    assert rows(con, "SELECT count(*) FROM ingest_batches") == [(0,)]


def test_csv_text_behind_an_excel_name_is_read_with_a_warning(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Some systems save CSV under an .xlsx name; its values read exactly as CSV, so it is
    loaded, and the warning says what the file really is."""
    path = tmp_path / "企业.xlsx"
    path.write_bytes(_companies(tmp_path).read_bytes())
    result = ingest_file(con, settings, "companies", path)
    assert (result.format, result.rows_loaded) == ("csv", 2)
    assert [w.code for w in result.warnings] == ["FILE_NOT_EXCEL"]
    assert "really CSV text" in result.warnings[0].message


def test_the_same_rows_sent_again_are_not_counted_as_corrections(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An export sent twice in another encoding (other bytes, same rows): both rows supersede
    their earlier versions, but nothing was corrected — the result and the batch say so."""
    ingest_file(con, settings, "companies", _companies(tmp_path))
    changed = tmp_path / "mixed.csv"
    changed.write_text(
        ",".join(COMPANY_HEADERS) + f"\n{A},阳光物业服务有限公司,是\n{B},锦绣物业有限公司,否\n",
        encoding="utf-8",
    )
    resent = ingest_file(con, settings, "companies", _companies(tmp_path, "gb18030"))
    assert (resent.rows_superseding, resent.rows_repeated) == (2, 2)
    mixed = ingest_file(con, settings, "companies", changed)
    assert (mixed.rows_superseding, mixed.rows_repeated) == (2, 1)
    stored = rows(
        con,
        "SELECT reading->>'$.rows_repeated' FROM ingest_batches WHERE batch_id = $b",
        {"b": mixed.batch_id},
    )
    assert stored == [("1",)]


def test_missing_file_and_unknown_kind(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputFileError) as err:
        ingest_file(con, settings, "companies", tmp_path / "nope.csv")
    assert err.value.code == "FILE_NOT_FOUND"
    with pytest.raises(UsageError) as err2:
        ingest_file(con, settings, "people", _companies(tmp_path))
    assert err2.value.code == "UNKNOWN_KIND"


def test_reingest_is_a_no_op_and_corrections_are_new_rows(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = ingest_file(con, settings, "companies", _companies(tmp_path))
    again = ingest_file(con, settings, "companies", _companies(tmp_path))
    assert again.status == "already_loaded" and again.batch_id == first.batch_id
    assert _loaded(con, "companies") == 2
    fix = tmp_path / "fix.csv"
    fix.write_text(
        ",".join(COMPANY_HEADERS) + f"\n{A},阳光物业服务有限公司(更名),是\n", encoding="utf-8"
    )
    corrected = ingest_file(con, settings, "companies", fix)
    assert (corrected.rows_superseding, corrected.rows_repeated) == (1, 0)
    assert _loaded(con, "companies") == 3  # the old row is still there, untouched
    assert rows(
        con, "SELECT name FROM src_companies WHERE uscc = $u ORDER BY _batch", {"u": A}
    ) == [("阳光物业服务有限公司",), ("阳光物业服务有限公司(更名)",)]
    from rating.warehouse import visible_rows

    seen_before = rows(
        con,
        f"SELECT s.name FROM {visible_rows(CONTRACTS['companies'])} AND s.uscc = $u",
        {"watermark": first.batch_id, "u": A},
    )
    seen_after = rows(
        con,
        f"SELECT s.name FROM {visible_rows(CONTRACTS['companies'])} AND s.uscc = $u",
        {"watermark": corrected.batch_id, "u": A},
    )
    assert seen_before == [("阳光物业服务有限公司",)] and seen_after == [
        ("阳光物业服务有限公司(更名)",)
    ]


def test_every_contract_header_maps_to_its_column() -> None:
    from rating.ingest.loader import map_headers

    for kind, contract in CONTRACTS.items():
        for name, col in contract.columns.items():
            if col.metadata["system"]:  # filled by the loader: no header maps to it
                assert not any(v == name for v in contract.header_map().values())
                continue
            for header in col.metadata["headers"]:
                mapping, _ = map_headers(
                    contract, [header, *[n for n in contract.columns if n != name]], "x"
                )
                assert mapping.source[name][1] == header, (kind, header)


def test_an_older_warehouse_gains_new_contract_columns_when_opened(tmp_path: Path) -> None:
    from tests.factories import settings_for

    settings = settings_for(tmp_path)
    con = open_warehouse(settings)
    con.execute("ALTER TABLE src_complaints DROP COLUMN match_method")  # as before matching
    con.execute("ALTER TABLE src_complaints DROP COLUMN community_name")
    # an older engine stored the fingerprint of its own, older layout
    con.execute("UPDATE meta SET value = 'older' WHERE key = 'layout_fingerprint'")
    con.close()
    con = open_warehouse(settings)
    columns = {r[0] for r in rows(con, "SELECT column_name FROM (DESCRIBE src_complaints)")}
    assert set(CONTRACTS["complaints"].columns) <= columns
    con.close()


def test_a_read_only_command_upgrades_an_older_warehouse_once(tmp_path: Path) -> None:
    """A newer engine's first command on a file an older one wrote may be a read-only one
    (`rating explain`): it must not fail on a column the older layout lacks (decision 0015's
    `run_evidence.lines` made explain an INTERNAL error); the file is upgraded as a write
    command would, then read."""
    import duckdb

    from rating import warehouse
    from rating.engine.evidence import expanded_evidence_sql
    from tests.factories import settings_for

    settings = settings_for(tmp_path)
    con = open_warehouse(settings)
    con.execute("ALTER TABLE run_evidence DROP COLUMN lines")  # as an older engine left it
    con.execute("UPDATE meta SET value = 'older' WHERE key = 'layout_fingerprint'")
    con.close()
    con = open_warehouse(settings, read_only=True)
    assert rows(con, expanded_evidence_sql("TRUE")) == []
    stored = "SELECT value FROM meta WHERE key = 'layout_fingerprint'"
    assert value(con, stored) == warehouse.layout_fingerprint()
    with pytest.raises(duckdb.Error):  # and the connection handed back is a read-only one
        con.execute("CREATE TABLE t (x INT)")
    con.close()


def test_a_current_warehouse_is_opened_without_rerunning_its_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rating import warehouse
    from rating.schema import tables
    from tests.factories import settings_for

    settings = settings_for(tmp_path)
    tables_sql = "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'match_decisions'"
    con = open_warehouse(settings)
    stored = "SELECT value FROM meta WHERE key = 'layout_fingerprint'"
    assert value(con, stored) == warehouse.layout_fingerprint()
    con.execute("DROP TABLE match_decisions")  # by hand, behind the engine's back
    con.close()
    con = open_warehouse(settings)  # its fingerprint is this engine's: no statement runs
    assert value(con, tables_sql) == 0
    con.execute("UPDATE meta SET value = 'older' WHERE key = 'layout_fingerprint'")
    con.close()
    con = open_warehouse(settings)  # another layout's fingerprint: the whole layout runs
    assert value(con, tables_sql) == 1
    assert value(con, stored) == warehouse.layout_fingerprint()
    con.close()
    # a layout that gains a statement has another fingerprint, so every file migrates once
    before = warehouse.layout_fingerprint()
    monkeypatch.setattr(tables, "MIGRATIONS", [*tables.MIGRATIONS, "SELECT 1"])
    assert warehouse.layout_fingerprint() != before


def test_uscc_require_says_what_is_wrong() -> None:
    from rating.errors import UsageError
    from rating.uscc import check_char, require

    good = "91370600" + "MA3C4F5G6"
    good += check_char(good)
    assert require(f" {good.lower()} ") == good
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    for bad, why in ((good[:10], "18"), (good[:16] + "I" + good[17], "'I'"), (wrong, "check")):
        with pytest.raises(UsageError) as err:
            require(bad)
        assert err.value.code == "USCC_INVALID" and why in err.value.message
