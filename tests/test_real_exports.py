"""Real exports as they really arrive (issue 12): one test per kind of damage, on small
files written here; the shared example files run too (`tests/real_exports`, a copy of
`../shared/cases/real-exports`)."""

from __future__ import annotations

import codecs
import os
from datetime import datetime
from pathlib import Path

import pytest

from rating.errors import InputFileError
from rating.ingest.loader import ingest_file
from rating.sql import rows, value
from rating.warehouse import open_warehouse
from tests.exportfiles import Book, SheetSpec, cells
from tests.factories import fresh_warehouse, make_uscc

A = make_uscc(1)
HEADERS = [
    "工单编号",
    "受理时间",
    "工单来源",
    "工单类型",
    "十四类",
    "项目编号",
    "事实认定",
    "案件期限",
]
REST = ["12345", "投诉举报类", "房屋维修", "P1", "属实"]


def row(cid: str, received: str = "2026-07-03 10:00:00", deadline: str = "2026-07-10") -> list[str]:
    return [cid, received, *REST, deadline]


@pytest.fixture
def con(settings, tmp_path):  # type: ignore[no-untyped-def]
    con = fresh_warehouse(settings)
    (tmp_path / "c.csv").write_text(f"统一社会信用代码,企业名称\n{A},阳光物业\n", encoding="utf-8")
    (tmp_path / "p.csv").write_text(
        "项目编号,项目名称,行政区,街道,户数,统一社会信用代码,服务开始日期\n"
        f"P1,阳光花园,芝罘区,向阳街道,500,{A},2020/1/1\n",
        encoding="utf-8",
    )
    ingest_file(con, settings, "companies", tmp_path / "c.csv")
    ingest_file(con, settings, "projects", tmp_path / "p.csv")
    yield con
    con.close()


def csv_file(path: Path, lines: list[list[str]], encoding: str = "utf-8", sep: str = ",") -> Path:
    text = "\n".join(sep.join(c) for c in [HEADERS, *lines]) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def loaded(con, column: str = "received_at") -> dict[str, object]:  # type: ignore[no-untyped-def]
    return dict(rows(con, f"SELECT complaint_id, {column} FROM src_complaints ORDER BY 1"))


def problems(con, batch: int) -> list[tuple]:  # type: ignore[no-untyped-def]
    return rows(
        con,
        "SELECT line, sheet, code, message, value FROM quarantine WHERE batch_id = $b ORDER BY line, code",
        {"b": batch},
    )


def test_long_ids_written_as_numbers(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    book = Book(
        [
            SheetSpec(
                "Sheet1",
                [
                    cells(1, HEADERS),
                    cells(2, [("n", "202607030000001501"), *row("x")[1:]]),  # exact digits
                    cells(3, [("n", "2.026070300000124E+17"), *row("x")[1:]]),  # a double
                    cells(4, [("n", "2.026070300000124E+17"), *row("x")[1:]]),  # the same double
                    cells(5, [("n", "202607030000001000"), *row("x")[1:]]),  # Excel's 15 digits
                    cells(6, [("n", "1.5E+3"), *row("x")[1:]]),  # exactly 1500
                ],
            )
        ]
    ).write(tmp_path / "ids.xlsx")
    result = ingest_file(con, settings, "complaints", book)
    assert set(loaded(con)) == {"202607030000001501", "1500"}
    assert result.reasons == {"ID_NOT_EXACT": 3}  # never DUPLICATE_KEY for lost digits
    assert [p[0] for p in problems(con, result.batch_id)] == [3, 4, 5]
    text = csv_file(
        tmp_path / "ids.csv",
        [row("2.02607E+15"), row("2026070300001601.0"), row("202607030000001701.0")],
    )
    result = ingest_file(con, settings, "complaints", text)
    assert "2026070300001601" in loaded(con)
    assert result.normalised == {"decimal_suffix": 1}
    assert result.reasons == {"ID_NOT_EXACT": 2}


def test_dates_and_times_as_people_write_them(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    written = {
        "D1": "26/7/3 9:15",  # yy/m/d (Excel zh-CN)
        "D2": "26.7.3",
        "D3": "7/13/26 3:20 PM",  # m/d/yy, 12-hour
        "D4": "2026/7/3 下午 3:20:15",
        "D5": "2026-07-03 上午12:05",
        "D6": "2026-07-03T07:20:15Z",  # UTC → Asia/Shanghai
        "D7": "2026-07-03T15:20:15+08:00",
        "D8": "２０２６年７月３日 15时20分",
        "D9": "20260703",
        "D10": "46206",  # Excel serial (1900 system)
        "D11": "7/3/26",  # ambiguous
        "D12": "3/7/2026",  # ambiguous: March 7 or 3 July
        "D13": "0026-07-03 10:00:00",
        "D14": "7/3/85",
        "D15": "2026-02-30",
    }
    path = csv_file(tmp_path / "dates.csv", [row(k, v, "2026-12-31") for k, v in written.items()])
    result = ingest_file(con, settings, "complaints", path)
    at = datetime
    assert loaded(con) == {
        "D1": at(2026, 7, 3, 9, 15),
        "D2": at(2026, 7, 3),
        "D3": at(2026, 7, 13, 15, 20),
        "D4": at(2026, 7, 3, 15, 20, 15),
        "D5": at(2026, 7, 3, 0, 5),
        "D6": at(2026, 7, 3, 15, 20, 15),
        "D7": at(2026, 7, 3, 15, 20, 15),
        "D8": at(2026, 7, 3, 15, 20),
        "D9": at(2026, 7, 3),
        "D10": at(2026, 7, 3),
    }
    assert result.reasons == {"AMBIGUOUS_DATE": 2, "DATE_TOO_EARLY": 2, "BAD_DATE": 1}
    messages = {p[4]: p[3] for p in problems(con, result.batch_id)}
    assert "2026-07-03 00:00:00 (月/日/年) 或 2007-03-26 00:00:00 (年/月/日)" in messages[
        "7/3/26"
    ] or ("2007-03-26 00:00:00 (年/月/日) 或 2026-07-03 00:00:00 (月/日/年)" in messages["7/3/26"])
    assert "2026-03-07" in messages["3/7/2026"] and "2026-07-03" in messages["3/7/2026"]
    # A workbook in the 1904 date system: the same serial is four years and a day later.
    book = Book(
        [
            SheetSpec(
                "S",
                [
                    cells(1, HEADERS),
                    cells(2, [*row("E1")[:1], ("n", "44744"), *REST, "2026-12-31"]),
                    cells(3, [*row("E2")[:1], ("d", "44744.5", 1), *REST, "2026-12-31"]),
                ],
            )
        ],  # fmt: skip
        date1904=True,
    ).write(tmp_path / "mac.xlsx")
    ingest_file(con, settings, "complaints", book)
    assert loaded(con)["E1"] == at(2026, 7, 3) and loaded(con)["E2"] == at(2026, 7, 3, 12)


def test_workbooks_sheets_titles_and_cells(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    template = ["*工单编号\n（必填）", "受理时间 ", "【必填】工单来源", "工单类型", "十四类", "项目编号", "事实认定", "案件期限（必填）"]  # fmt: skip
    first = SheetSpec(
        "第1页",
        [
            cells(1, ["2026年7月工单明细表"]),
            cells(2, ["填表说明：带*为必填"]),
            cells(3, template),
            cells(4, row("W1")),
            cells(7, row("W2")),  # after two blank rows: Excel shows row 7
            cells(8, [*row("W3")[:4], ("e", "#N/A"), *row("W3")[5:]]),
            cells(9, ["合计：3件"]),
        ],
    )
    second = SheetSpec(
        "第2页",
        [
            cells(1, template),
            cells(2, row("W4")),
            cells(3, [*row("W5")[:1], ("f", "A1+1"), *row("W5")[2:]]),
        ],  # fmt: skip
    )
    hidden = SheetSpec("old", [cells(1, HEADERS), cells(2, row("HIDDEN"))], state="hidden")
    notes = SheetSpec("说明", [cells(1, ["本表由系统导出"])])
    path = Book([first, hidden, second, notes]).write(tmp_path / "book.xlsx")
    result = ingest_file(con, settings, "complaints", path)
    assert set(loaded(con)) == {"W1", "W2", "W4"}
    assert result.rows_skipped == {"total": 1}
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 3, 2)
    assert [(s["name"], s["status"]) for s in result.sheets] == [
        ("第1页", "read"), ("old", "skipped"), ("第2页", "read"), ("说明", "skipped"),
    ]  # fmt: skip
    assert result.sheets[0]["header_row"] == 3
    found = problems(con, result.batch_id)
    assert [(p[0], p[1], p[2]) for p in found] == [
        (8, "第1页", "CELL_ERROR"),
        (3, "第2页", "FORMULA_NO_VALUE"),
    ] or [(p[0], p[1], p[2]) for p in found] == [
        (3, "第2页", "FORMULA_NO_VALUE"),
        (8, "第1页", "CELL_ERROR"),
    ]
    assert value(con, "SELECT _row FROM src_complaints WHERE complaint_id = 'W2'") == 7
    # Sheets of two kinds in one workbook: refused, naming them.
    projects = SheetSpec("项目", [cells(1, ["项目编号", "项目名称", "行政区", "街道", "户数", "统一社会信用代码", "服务开始日期"])])  # fmt: skip
    mixed = Book([first, projects]).write(tmp_path / "mixed.xlsx")
    with pytest.raises(InputFileError) as err:
        ingest_file(con, settings, "complaints", mixed)
    assert err.value.code == "FILE_MIXED_SHEETS" and "项目" in err.value.message
    with pytest.raises(InputFileError) as err:
        ingest_file(con, settings, "complaints", Book([notes]).write(tmp_path / "none.xlsx"))
    assert err.value.code == "FILE_WRONG_KIND" and "说明" in err.value.message


def test_text_files_in_every_encoding_and_shape(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for i, codec in enumerate(("utf-16-le", "utf-16-be")):
        data = "\r\n".join("\t".join(c) for c in [HEADERS, row(f"U{i}")]) + "\r\n"
        bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
        path = tmp_path / f"unicode{i}.txt"
        path.write_bytes(bom + data.encode(codec))
        result = ingest_file(con, settings, "complaints", path)
        assert result.rows_loaded == 1 and result.encoding == codec
    html = (
        "<html><meta charset='gbk'><table>"
        + "".join(
            "<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in [HEADERS, row("H1")]
        )
        + "</table></html>"
    )
    (tmp_path / "web.xls").write_bytes(html.encode("gbk"))
    assert ingest_file(con, settings, "complaints", tmp_path / "web.xls").rows_loaded == 1
    # A GBK row far past the first 64 KiB of a UTF-8 file, blank separator lines, a total
    # row, a quoted line break, an over-long line: each line keeps its number.
    good = [row(f"T{i}") for i in range(2000)]
    lines = [",".join(c) for c in [HEADERS, *good]]
    body = "\n".join(lines).encode("utf-8").split(b"\n")
    body[1500] = ",".join(row("GBK1")).encode("gbk")
    body += [b",,,,,,,", b"", ("合计：2000件" + "," * 7).encode(), ('Q1,"2026-07-03\n10:00:00",' + ",".join(REST) + ",2026-07-10").encode(), ",".join(row("LONG")).encode() + b"x" * (2 << 20), ",".join(row("LAST")).encode()]  # fmt: skip
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\n".join(body) + b"\n")
    result = ingest_file(con, settings, "complaints", path)
    assert result.reasons == {"BAD_ENCODING": 1, "LINE_TOO_LONG": 1}
    assert result.rows_skipped == {"blank": 2, "total": 1}
    assert [p[0] for p in problems(con, result.batch_id)] == [1501, 2007]
    assert value(con, "SELECT _row FROM src_complaints WHERE complaint_id = 'LAST'") == 2008
    assert value(con, "SELECT _row FROM src_complaints WHERE complaint_id = 'Q1'") == 2005
    # A title line above the header of a CSV.
    titled = tmp_path / "titled.csv"
    titled.write_text(
        "2026年7月工单\n" + "\n".join(",".join(c) for c in [HEADERS, row("TT")]) + "\n"
    )
    result = ingest_file(con, settings, "complaints", titled)
    assert result.header_line == 2 and result.rows_loaded == 1


def test_invisible_characters_in_keys(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fw = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in A)
    path = tmp_path / "ids.csv"
    path.write_text(
        "统一社会信用代码,企业名称\n"
        f"\t{fw},全角物业\n'{make_uscc(2)},撇号物业\n{make_uscc(3)}\u200b,零宽物业\n"
        f"\ufeff{make_uscc(4)}\u00a0,BOM物业\n{make_uscc(5)[:9]} {make_uscc(5)[9:]},空格物业\n",
        encoding="utf-8",
    )
    result = ingest_file(con, settings, "companies", path)
    assert result.rows_loaded == 4 and result.reasons == {"BAD_CHARACTER": 1}
    assert result.normalised == {
        "apostrophe": 1, "bom": 1, "fullwidth": 1, "no_break_space": 1, "tab": 1, "zero_width": 1,
    }  # fmt: skip
    assert "U+0020 SPACE at position 10" in problems(con, result.batch_id)[0][3]
    assert value(con, "SELECT count(*) FROM src_companies WHERE uscc = $u", {"u": A}) == 2
    # The corrected re-send of a tab-prefixed order supersedes it: counted once.
    first = csv_file(tmp_path / "tab.csv", [row("\t2026070300001501")])
    ingest_file(con, settings, "complaints", first)
    again = csv_file(tmp_path / "fixed.csv", [row("2026070300001501", "2026-07-03 11:00:00")])
    assert ingest_file(con, settings, "complaints", again).rows_superseding == 1


def test_hostile_files_are_refused_or_read_within_bounds(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sparse = Book(
        [
            SheetSpec(
                "S",
                [
                    cells(1, HEADERS),
                    cells(2, row("S1")),
                    '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
                ],
                dimension="A1:XFD1048576",
            )
        ]  # fmt: skip
    ).write(tmp_path / "sparse.xlsx")
    result = ingest_file(con, settings, "complaints", sparse)
    # The far cell lies outside the header's columns: its row holds nothing of the table.
    assert (result.rows_loaded, result.rows_read, result.rows_skipped) == (1, 2, {"blank": 1})
    bomb = Book([SheetSpec("S", [cells(1, HEADERS)], padding=20 << 20)]).write(
        tmp_path / "bomb.xlsx"
    )
    with pytest.raises(InputFileError) as err:
        ingest_file(con, settings, "complaints", bomb)
    assert err.value.code == "FILE_TOO_LARGE" and "inflates" in err.value.message
    slow = tmp_path / "slow.csv"
    slow.write_text('"a' + "," * 90_000 + "\n1\n")
    with pytest.raises(InputFileError) as err:
        ingest_file(con, settings, "complaints", slow)
    assert err.value.code == "FILE_NO_HEADER"
    wide = tmp_path / "wide.csv"
    wide.write_text(
        ",".join([*HEADERS, *(f"x{i}" for i in range(3000))])
        + "\n"
        + ",".join(row("W") + [""] * 3000)
        + "\n"
    )
    assert ingest_file(con, settings, "complaints", wide).rows_loaded == 1


# A copy of ../shared/cases/real-exports (the team's shared cases, README included) lives in
# tests/real_exports, so a clone anywhere runs them; RATING_SHARED_CASES points at another copy
# (e.g. the shared folder itself, to try its newest files).
SHARED = Path(
    os.environ.get("RATING_SHARED_CASES", Path(__file__).resolve().parent / "real_exports")
)
# file → (rows loaded, reasons, rows skipped); every row read is one of these.
EXPECTED = {
    "01_complaints_xlsx_18digit_order_id_numeric.xlsx": (1, {"ID_NOT_EXACT": 3}, {}),
    "03_complaints_csv_two_digit_year.csv": (2, {"AMBIGUOUS_DATE": 3}, {}),
    "04_complaints_csv_12h_clock_am_pm.csv": (3, {}, {}),
    "06_complaints_xlsx_blank_rows_line_numbers.xlsx": (3, {"BAD_ENUM": 1}, {}),
    "08_complaints_xlsx_rows_split_across_sheets.xlsx": (6, {}, {}),
    "10_companies_xlsx_template_headers_linebreak_asterisk.xlsx": (3, {}, {}),
    "11_complaints_xlsx_title_row_above_header.xlsx": (2, {}, {}),
    "12_complaints_txt_utf16le_unicode_text.txt": (2, {}, {}),
    "14_projects_csv_mixed_utf8_and_gbk_rows.csv": (2, {"BAD_ENCODING": 1}, {}),
    "15_complaints_csv_tab_prefixed_order_ids.csv": (2, {}, {}),
    "20_complaints_csv_excel_saved_blank_comma_rows_and_total_row.csv": (2, {}, {"blank": 7, "total": 1}),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_real_export_cases(shared_city, tmp_path, name) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from tests.factories import settings_for

    settings = settings_for(tmp_path)
    shutil.copyfile(shared_city, settings.db_path)
    con = open_warehouse(settings)
    kind = name.split("_")[1]
    result = ingest_file(con, settings, kind, SHARED / name)
    skipped = sum(result.rows_skipped.values())
    assert (result.rows_loaded, result.reasons, result.rows_skipped) == EXPECTED[name]
    assert result.rows_read == result.rows_loaded + result.rows_quarantined + skipped
    if name.startswith("06"):
        assert (
            value(con, "SELECT line FROM quarantine WHERE batch_id = $b", {"b": result.batch_id})
            == 6
        )
    if name.startswith("15"):
        assert all(
            not str(c).startswith("\t")
            for (c,) in rows(con, "SELECT complaint_id FROM src_complaints")
        )
    con.close()


@pytest.fixture(scope="module")
def shared_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The warehouse the shared cases assume: `rating generate --complaints 2000` (seed 0),
    its companies and projects ingested."""
    from rating.synth import generate
    from tests.factories import settings_for

    tmp = tmp_path_factory.mktemp("shared")
    generate(tmp / "gen", complaints=2000, seed=0)
    settings = settings_for(tmp)
    con = open_warehouse(settings)
    ingest_file(con, settings, "companies", tmp / "gen" / "companies.xlsx")
    ingest_file(con, settings, "projects", tmp / "gen" / "projects.csv")
    con.close()
    return Path(settings.db_path)


# --- The property: Excel-like transformations never change a value --------------------

CATEGORIES = ("房屋维修", "停车管理", "清洁卫生")


def _transformed(tmp: Path, n: int, rows_: list[list[str]], how: str) -> Path:
    """The rows written as a bureau's tools would: `numbers` (ids as number cells, a title
    row, a blank row, split over a second sheet) or `tabbed` (a CSV with TAB-prefixed ids
    and Excel's trailing separator lines)."""
    if how == "numbers":
        half = len(rows_) // 2 + 1

        def sheet(name: str, part: list[list[str]], start: int) -> SheetSpec:
            out = [cells(1, ["工单明细表"]), cells(2, HEADERS)]
            out += [
                cells(
                    start + i + (1 if i > 0 else 0),
                    [("n", r[0]) if r[0].isdigit() else r[0], *r[1:]],
                )
                for i, r in enumerate(part)
            ]
            return SheetSpec(name, out)

        book = Book([sheet("第1页", rows_[:half], 3), sheet("第2页", rows_[half:], 3)])
        return book.write(tmp / f"p{n}.xlsx")
    path = tmp / f"p{n}.csv"
    lines = [",".join(HEADERS)] + [",".join(["\t" + r[0], *r[1:]]) for r in rows_]
    path.write_text("\n".join([*lines, ",,,,,,,", ""]), encoding="utf-8")
    return path


@pytest.mark.slow
def test_excel_like_transformations_load_the_same_values_or_a_reason(
    con, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    counter = iter(range(10**6))
    order = st.tuples(
        st.one_of(
            st.integers(10**15, 10**18 - 1).map(str), st.from_regex(r"GD[0-9]{6}", fullmatch=True)
        ),
        st.datetimes(datetime(2024, 1, 1), datetime(2026, 9, 30)).map(
            lambda d: d.replace(microsecond=0)
        ),
        st.sampled_from(CATEGORIES),
    )

    @hsettings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.lists(order, min_size=1, max_size=6, unique_by=lambda o: o[0]),
        st.sampled_from(["numbers", "tabbed"]),
    )
    def check(orders, how) -> None:  # type: ignore[no-untyped-def]
        n = next(counter)
        wanted = {f"{n}{cid}" if not cid.isdigit() else str(int(cid) + n * 10**18): (at, cat) for cid, at, cat in orders}  # fmt: skip
        lines = [
            [
                cid,
                at.strftime("%Y-%m-%d %H:%M:%S"),
                "12345",
                "投诉举报类",
                cat,
                "P1",
                "属实",
                "2026-12-31",
            ]
            for cid, (at, cat) in wanted.items()
        ]
        result = ingest_file(con, settings, "complaints", _transformed(tmp_path, n, lines, how))
        got = {
            cid: (at, cat)
            for cid, at, cat in rows(
                con,
                "SELECT complaint_id, received_at, category FROM src_complaints WHERE _batch = $b",
                {"b": result.batch_id},
            )
        }
        assert all(wanted.get(cid) == v for cid, v in got.items()), "a value changed"
        refused = set(wanted) - set(got)
        codes = set(result.reasons)
        assert not refused or codes <= {"ID_NOT_EXACT"}, result.reasons
        assert result.rows_loaded + result.rows_quarantined == len(wanted)

    check()


# --- Line endings: classic Mac CSV, stray CRs ------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_mac_csv_is_read_line_by_line(con, settings, tmp_path, encoding) -> None:  # type: ignore[no-untyped-def]
    # Excel for Mac's "CSV (Macintosh)": every line ends in a lone CR, a cell's own line
    # break (quoted) is a CR or an LF; each is a line as an editor shows it.
    path = tmp_path / "mac.csv"
    lines = [",".join(c) for c in [HEADERS, row("M1"), row("M2"), row("M3")]]
    path.write_bytes(("\r".join(lines) + "\r").encode(encoding))
    result = ingest_file(con, settings, "complaints", path)
    assert (result.rows_read, result.rows_loaded, result.encoding) == (3, 3, encoding)
    assert dict(rows(con, "SELECT complaint_id, _row FROM src_complaints")) == {
        "M1": 2, "M2": 3, "M3": 4,
    }  # fmt: skip
    projects = tmp_path / "mac-projects.csv"
    head = "项目编号,项目名称,行政区,街道,户数,统一社会信用代码,服务开始日期"
    body = [
        head,
        f'P7,"阳光\r花园",芝罘区,向阳街道,500,{A},2020/1/1',
        f"P9,翠湖,芝罘区,向阳街道,500,{A},2020/1/1",
        f"P10,明月,芝罘区,向阳街道,5x0,{A},2020/1/1",
    ]
    projects.write_bytes(("\r".join(body) + "\r").encode(encoding))
    result = ingest_file(con, settings, "projects", projects)
    assert (result.rows_read, result.rows_loaded, result.reasons) == (3, 2, {"BAD_NUMBER": 1})
    assert rows(
        con, "SELECT project_id, project_name, _row FROM src_projects WHERE _batch = $b ORDER BY _row",
        {"b": result.batch_id},
    ) == [("P7", "阳光\n花园", 2), ("P9", "翠湖", 4)]  # fmt: skip
    assert [p[0] for p in problems(con, result.batch_id)] == [5]
    # An LF anywhere in a Mac file (here inside a quoted cell) makes its lines ambiguous.
    body.insert(2, f'P8,"锦绣\n家园",芝罘区,向阳街道,500,{A},2020/1/1')
    projects.write_bytes(("\r".join(body) + "\r").encode(encoding))
    with pytest.raises(InputFileError, match="line 4 mixes line ends") as err:
        ingest_file(con, settings, "projects", projects)
    assert err.value.code == "FILE_UNREADABLE"


def test_a_stray_cr_in_a_crlf_file_refuses_it_naming_its_line(con, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A CR alone outside quotes in a Windows (CRLF) file: inside a cell or a line end, no
    # reader can tell (fresh-eyes F4: two rows became one MALFORMED_LINE), so the file is
    # refused naming its first such line; a CR inside a quoted cell is part of the cell.
    good = [",".join(row(f"C{i}")) for i in range(60)]
    good[50] = ",".join(row("C50")).replace("属实", '"属\r实"')  # quoted: a line break in a cell
    path = tmp_path / "crlf.csv"
    path.write_bytes(("\r\n".join([",".join(HEADERS), *good]) + "\r\n").encode())
    result = ingest_file(con, settings, "complaints", path)
    assert result.rows_read == 60 == result.rows_loaded + result.rows_quarantined
    assert "MALFORMED_LINE" not in result.reasons
    assert value(con, "SELECT _row FROM src_complaints WHERE complaint_id = 'C59'") == 61
    good[45] = ",".join(row("C45")).replace("房屋维修", "房屋\r维修")  # line 47
    path.write_bytes(("\r\n".join([",".join(HEADERS), *good]) + "\r\n").encode())
    with pytest.raises(InputFileError, match=r"crlf\.csv: line 47 mixes line ends") as err:
        ingest_file(con, settings, "complaints", path)
    assert err.value.code == "FILE_UNREADABLE"


COMPANIES_HEAD = "统一社会信用代码,企业名称"
COMPANY_ROWS = [
    "91370600000000001N,甲物业", "91370600000000002R,乙物业",
    "91370600000000003W,丙物业", "913706000000000040,丁物业",
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        # F1: the header ends in CR CR LF (the first data row used to vanish without a trace)
        ("header_cr", COMPANIES_HEAD + "\r\r\n" + "\r\n".join(COMPANY_ROWS) + "\r\n", 1),
        # F2: every line ends in CR CR LF (Python's csv writer on Windows without newline='')
        ("crcrlf", "\r\r\n".join([COMPANIES_HEAD, *COMPANY_ROWS]) + "\r\r\n", 1),
        # F2: a quoted header cell holding a lone CR in a CRLF file
        ("quoted_header_cr", '"统一社会\r信用代码",企业名称\r\n' + "\r\n".join(COMPANY_ROWS), 1),
        # F4: a lone CR between two complete rows of a CRLF file
        (
            "between",
            COMPANIES_HEAD
            + "\r\n"
            + "\r\n".join(COMPANY_ROWS[:2])
            + "\r"
            + "\r\n".join(COMPANY_ROWS[2:])
            + "\r\n",
            3,
        ),
        # F4: a CRLF export with a Mac export appended
        (
            "crlf_then_mac",
            "\r\n".join([COMPANIES_HEAD, *COMPANY_ROWS[:2]])
            + "\r\n"
            + "\r".join(COMPANY_ROWS[2:])
            + "\r",
            4,
        ),
        # F4: the last row ends in CR CR LF
        ("last_crcrlf", "\r\n".join([COMPANIES_HEAD, *COMPANY_ROWS]) + "\r\r\n", 5),
        # F5: a Mac export with a CRLF export appended
        (
            "mac_then_crlf",
            "\r".join([COMPANIES_HEAD, *COMPANY_ROWS[:2]])
            + "\r"
            + "\r\n".join(COMPANY_ROWS[2:])
            + "\r\n",
            4,
        ),
        # F5: CRLF inside a quoted cell of a Mac file
        (
            "mac_quoted_crlf",
            COMPANIES_HEAD
            + "\r"
            + COMPANY_ROWS[0]
            + "\r"
            + '91370600000000002R,"乙\r\n物业"\r'
            + "\r".join(COMPANY_ROWS[2:])
            + "\r",
            3,
        ),
    ],
)
def test_ambiguous_line_ends_refuse_the_whole_file(
    con, settings, tmp_path, name, text, line
) -> None:  # type: ignore[no-untyped-def]
    # Fresh-eyes F1, F2, F4, F5: each used to lose, merge or mis-number rows, or name a temp
    # file; now nothing loads and the reason names the user's file and its first such line.
    path = tmp_path / f"{name}.csv"
    path.write_bytes(text.encode())
    before = value(con, "SELECT count(*) FROM src_companies")
    with pytest.raises(InputFileError) as err:
        ingest_file(con, settings, "companies", path)
    assert err.value.code == "FILE_UNREADABLE"
    message = str(err.value)
    assert f"{name}.csv: " in message and "numbered" not in message and "Error" not in message
    if name != "quoted_header_cr":
        assert f"line {line} mixes line ends" in message
    assert value(con, "SELECT count(*) FROM src_companies") == before


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_a_stray_quote_refuses_rather_than_shifts_rows(con, settings, tmp_path, ending) -> None:  # type: ignore[no-untyped-def]
    # Fresh-eyes F3: a `"` inside an unquoted cell, on the numbered path (a Mac file, or a
    # CRLF file with a blank line), shifted the next rows (丁's line shown as its USCC).
    lines = [COMPANIES_HEAD, *COMPANY_ROWS]
    lines[2] = lines[2].replace("乙物业", '乙物业3"店')
    if ending == "\r\n":
        lines.insert(3, "")  # a blank line sends a CRLF file down the numbered path
    path = tmp_path / "stray.csv"
    path.write_bytes((ending.join(lines) + ending).encode())
    with pytest.raises(InputFileError, match=r"stray\.csv: from line 3 on") as err:
        ingest_file(con, settings, "companies", path)
    assert err.value.code == "FILE_UNREADABLE"
    # Without the blank line a CRLF file is read by DuckDB as it is: every row, each its line.
    if ending == "\r\n":
        del lines[3]
        path.write_bytes((ending.join(lines) + ending).encode())
        result = ingest_file(con, settings, "companies", path)
        assert (result.rows_read, result.rows_loaded) == (4, 4)


@pytest.mark.parametrize("where", [0, 9, 17])
def test_rows_pasted_from_gbk_into_a_small_utf8_file(con, settings, tmp_path, where) -> None:  # type: ignore[no-untyped-def]
    # Real-export case 14, with nothing else non-ASCII: only the header (UTF-8 Chinese) and
    # two pasted GBK rows; the rows are quarantined wherever they sit, the rest loads.
    head = "项目编号,项目名称,行政区,街道,户数,统一社会信用代码,服务开始日期"
    lines = [head.encode()] + [
        f"Q{i},Garden {i},Zhifu,Xiangyang,500,{A},2020/1/1".encode() for i in range(20)
    ]
    for at in (where + 1, where + 3):
        lines[at] = f"G{at},国标花园,芝罘区,向阳街道,500,{A},2020/1/1".encode("gbk")
    path = tmp_path / "pasted.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = ingest_file(con, settings, "projects", path)
    assert (result.encoding, result.rows_loaded, result.reasons) == ("utf-8", 18, {"BAD_ENCODING": 2})  # fmt: skip
    assert [p[0] for p in problems(con, result.batch_id)] == [where + 2, where + 4]
    assert "国标花园" in problems(con, result.batch_id)[0][3]  # shown as GBK reads it
    # The same file all in GBK is a GBK file: read as GB18030, nothing quarantined.
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(path.read_bytes().replace(head.encode(), head.encode("gbk")))
    result = ingest_file(con, settings, "projects", gbk)
    assert (result.encoding, result.rows_loaded, result.reasons) == ("gb18030", 20, {})
