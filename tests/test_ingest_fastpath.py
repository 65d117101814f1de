"""The fast paths of validation change nothing: for any mix of good, bad and duplicated
cells, ingest with them (`rating.ingest.onepass` for the plain rows, `rating.ingest.fastpath`
for contracts it does not serve) stores the same rows in the same order, quarantines the same
problems with the same reasons, lines and columns, and reports the same counts as the staged
checks alone."""

from __future__ import annotations

import csv
import dataclasses
import shutil
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rating.ingest import fastpath, onepass
from rating.ingest.loader import ingest_file
from rating.ingest.validate import FileTraits, Mapping
from rating.schema import CONTRACTS, FALSE_WORDS, NULL_TOKENS, TRUE_WORDS, logical_type
from rating.schema.contracts import Column
from rating.sql import rows
from rating.warehouse import open_warehouse
from tests.factories import make_uscc, settings_for

A = make_uscc(1)
PROJECTS = (
    "项目编号,项目名称,行政区,街道,户数,建筑面积,统一社会信用代码,服务开始日期,服务结束日期\n"
    f"P1,阳光花园,芝罘区,向阳街道,500,40000,{A},2020/1/1,\n"
)

# Characters that trip the checks: spaces of every kind at the ends, invisible ones inside,
# the replacement character, full-width digits and letters, signs of numbers and ids.
NOISE = " \t\u00a0\u3000\u200b\ufeff\ufffd'`,.%+-Ee0１Ｘ年月日:/#"
EDGES = ["", " ", "\t", "\u3000", "\u00a0", "\ufeff", "\u200b"]

GOOD: dict[str, list[str]] = {
    "timestamp": ["2025-07-03 10:00:00", "2025-07-10 08:30:00", "2025-07-03", "2025/7/3 10:00"],
    "date": ["2025-07-03", "2021-01-01", "2025/7/3", "2025年7月3日"],
    "int": ["1", "12", "500", "2003"],
    "decimal": ["1", "92.5", "0.5", "40000", "100"],
    "bool": [*TRUE_WORDS[:3], *FALSE_WORDS[:3]],
    "id": ["GD1", "GD2", "P1", "ZX-01", "2026070100000001"],
    "uscc": [A, make_uscc(2)],
    "text": ["阳光花园", "向阳街道", "物业人员推诿扯皮，要求整改。"],
}
BAD: dict[str, list[str]] = {
    "timestamp": ["2099-01-01 00:00:00", "1980-01-01 00:00:00", "2025-13-01 00:00:00", "03/07/2025", "45000"],
    "date": ["2099-01-01", "1980-01-01", "2025-02-30", "03/04/2025", "45000"],
    "int": ["0", "-3", "1,200", "12.0", "1e3", "99999999999999999999", "二"],
    "decimal": ["-1", "0", "1,200.5", "92.5%", "0.925", "abc", "1e400"],
    "bool": ["也许", "2"],
    "id": ["P404", "2.02607E+17", "'GD1", "ＧＤ１", "12.0", "1e5", "G D1", "GD\u200b1", "gd1"],
    "uscc": [A.lower(), A[:-1] + "0", "123"],
    "text": ["#N/A", "\u0001"],
}  # fmt: skip


# Good cells of columns whose rows must agree with other columns or tables to load.
COLUMN_GOOD: dict[str, list[str]] = {
    "received_at": ["2025-07-03 10:00:00", "2025-07-03", "2025/7/3 10:00"],
    "deadline": ["2025-07-10 08:30:00", "2025-07-10", "2026-01-01 00:00:00"],
    "closed_at": ["2025-07-08 09:00:00", "2025-07-09", ""],
    "project_id": ["P1"],
    "company_uscc": [A],
    "service_start": ["2021-01-01", "2021/1/1"],
    "service_end": ["", "2025-12-31"],
    "respondents": ["1", "12"],
    "sample_size": ["12", "500"],
    "repeat_of": ["", "GD1"],
}


def _kind_of(contract_kind: str, name: str, col: Column) -> str:
    identifier = CONTRACTS[contract_kind].identifier(name)
    return identifier if identifier == "uscc" else ("id" if identifier else logical_type(col))


def _words(contract_kind: str, name: str, col: Column) -> list[str]:
    """Good cells of column `name`: its vocabulary and synonyms, or good values of its type."""
    for check in col.checks:
        if check.name == "isin":
            return [str(w) for w in check.statistics["allowed_values"]] + list(
                col.metadata["synonyms"]
            )
    good = COLUMN_GOOD.get(name) or GOOD[_kind_of(contract_kind, name, col)]
    return good + list(col.metadata["synonyms"])


def _spoilt(contract_kind: str, name: str, col: Column) -> st.SearchStrategy[str]:
    """A cell in doubt: a bad one, a good one with something at an end or inside, empty, a
    null token or noise."""
    words = _words(contract_kind, name, col)
    edged = st.tuples(st.sampled_from(EDGES), st.sampled_from(words), st.sampled_from(EDGES))
    trailing = st.tuples(st.sampled_from(words), st.sampled_from(EDGES[1:]))
    return st.one_of(
        st.sampled_from(BAD[_kind_of(contract_kind, name, col)]),
        edged.map("".join),
        trailing.map("".join),
        st.sampled_from(NULL_TOKENS),
        st.text(NOISE, max_size=6),
        st.tuples(st.sampled_from(words), st.text(NOISE, min_size=1, max_size=2)).map("".join),
    )


def _columns(kind: str) -> list[tuple[str, Column]]:
    return [(n, c) for n, c in CONTRACTS[kind].columns.items() if not c.metadata["system"]]


def _rows(kind: str) -> st.SearchStrategy[list[list[str]]]:
    """Rows of good cells, some with one or two cells spoilt (the case the fast path must
    send to the staged checks while its neighbours stay fast)."""
    columns = _columns(kind)
    good = st.tuples(*(st.sampled_from(_words(kind, n, c)) for n, c in columns)).map(list)
    spoil = st.lists(
        st.integers(0, len(columns) - 1).flatmap(
            lambda i: st.tuples(st.just(i), _spoilt(kind, *columns[i]))
        ),
        max_size=2,
    )

    def apply(row: list[str], changes: list[tuple[int, str]]) -> list[str]:
        for i, cell in changes:
            row[i] = cell
        return row

    key = [n for n, _ in columns].index(CONTRACTS[kind].key[0])

    def unique_keys(table: list[list[str]], copies: list[tuple[int, int]]) -> list[list[str]]:
        for i, row in enumerate(table):  # a good key, made unique; a spoilt one as it is
            if row[key] in _words(kind, *columns[key]):
                row[key] = f"{row[key]}{i}"
        for i, j in copies:  # a record sent twice: the later one is a DUPLICATE_KEY
            if i < j < len(table):
                table[j][key] = table[i][key]
        return table

    copies = st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=3)
    table = st.lists(st.builds(apply, good, spoil), min_size=10, max_size=40)
    return st.builds(unique_keys, table, copies)


def _write(path: Path, kind: str, table: list[list[str]]) -> None:
    with path.open("w", encoding="gb18030", errors="strict", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([c.metadata["headers"][0] for _, c in _columns(kind)])
        w.writerows(table)


def _ingest(base: Path, work: Path, kind: str, path: Path) -> dict[str, Any]:
    shutil.copyfile(base, work / "warehouse.duckdb")
    s = settings_for(work)
    con = open_warehouse(s)
    try:
        r = ingest_file(con, s, kind, path)
        stored_order = [line for (line,) in rows(con, f"SELECT _row FROM src_{kind}")]
        assert stored_order == sorted(stored_order)  # file order, though loaded without a sort
        return {
            "result": {k: v for k, v in r.as_dict().items() if k != "batch_id"},
            "stored": rows(con, f"SELECT * FROM src_{kind} ORDER BY _row"),
            "quarantine": rows(
                con,
                """SELECT line, column_name, code, message, value, raw, sheet FROM quarantine
                   ORDER BY line, column_name, code""",
            ),
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse knowing companies A and B and project P1 (references resolve or not)."""
    tmp = tmp_path_factory.mktemp("fastpath")
    s = settings_for(tmp)
    con = open_warehouse(s)
    companies = tmp / "companies.csv"
    companies.write_text(
        f"统一社会信用代码,企业名称,是否纳入信用管理\n{A},阳光物业,是\n{make_uscc(2)},锦绣物业,否\n",
        encoding="utf-8",
    )
    projects = tmp / "projects.csv"
    projects.write_text(PROJECTS, encoding="gb18030")
    ingest_file(con, s, "companies", companies)
    ingest_file(con, s, "projects", projects)
    con.close()
    return s.db_path


# ~64 ingests (~80 s): the full suite runs it; the fast tier keeps the real-export and
# bad-input tests, which go through the fast path too, and the test below that it is taken.
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["complaints", "projects", "surveys", "contracts"])
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fast_and_staged_paths_store_and_quarantine_the_same(
    base: Path, tmp_path: Path, kind: str, data: st.DataObject
) -> None:
    table = data.draw(_rows(kind))
    path = tmp_path / f"{kind}.csv"
    try:
        _write(path, kind, table)
    except UnicodeEncodeError:  # a character GB18030 lacks: not an export a bureau gets
        return
    fast = _ingest(base, tmp_path, kind, path)  # complaints, surveys, contracts: onepass
    with (
        mock.patch.object(onepass, "plain_path", return_value=None),
        mock.patch.object(fastpath, "check_records_sql", return_value=None),
    ):
        staged = _ingest(base, tmp_path, kind, path)
    assert fast == staged
    # Many rows not plain (e.g. every date written `2025年10月1日`): sorted, not marked
    with mock.patch.object(onepass, "MARK_AT_MOST", 0):
        assert _ingest(base, tmp_path, kind, path) == staged


def test_clean_rows_take_the_plain_path(base: Path, tmp_path: Path) -> None:
    """The plain path is taken (not a test that passes because both sides are the staged
    SQL): on a clean file every row is plain, so none is staged into `checked`; and the
    kinds the hypothesis test above draws take the paths it says."""
    path = tmp_path / "complaints.csv"
    _write(
        path,
        "complaints",
        [
            [
                {"工单编号": f"GD{i}", "受理时间": "2025-07-03 10:00:00", "工单来源": "12345热线",
                 "工单类型": "投诉举报类", "十四类": "房屋维修", "项目编号": "P1", "事实认定": "属实",
                 "案件期限": "2025-07-10 10:00:00", "是否重复": "否", "诉求人数": "1"}.get(c.metadata["headers"][0], "")
                for _, c in _columns("complaints")
            ]
            for i in range(3)
        ],
    )  # fmt: skip
    keep = "ALTER TABLE IF EXISTS nonplain RENAME TO nonplain_seen; DROP TABLE IF EXISTS dups"
    shutil.copyfile(base, tmp_path / "warehouse.duckdb")
    s = settings_for(tmp_path)
    con = open_warehouse(s)
    with mock.patch.object(onepass, "DROP", keep):
        result = ingest_file(con, s, "complaints", path)
    assert result.rows_loaded == 3
    assert rows(con, "SELECT count(*) FROM nonplain_seen") == [(0,)]
    con.close()
    mapping = Mapping({n: (f"c{i}", n) for i, n in enumerate(CONTRACTS["projects"].columns)})
    assert onepass.plain_path(CONTRACTS["projects"], mapping, FileTraits()) is None  # no_overlap
    for kind in ("complaints", "surveys", "contracts"):
        mapping = Mapping({n: (f"c{i}", n) for i, n in enumerate(CONTRACTS[kind].columns)})
        assert onepass.plain_path(CONTRACTS[kind], mapping, FileTraits()) is not None


def test_a_plain_row_sent_twice_is_a_duplicate(base: Path, tmp_path: Path) -> None:
    """A clean row whose key an earlier row has leaves the plain path: the later one is
    quarantined as DUPLICATE_KEY (also when the earlier one is in doubt), and the rows load
    in file order around it."""
    good = {"工单编号": "GD1", "受理时间": "2025-07-03 10:00:00", "工单来源": "12345热线",
            "工单类型": "投诉举报类", "十四类": "房屋维修", "项目编号": "P1", "事实认定": "属实",
            "案件期限": "2025-07-10 10:00:00", "是否重复": "否", "诉求人数": "1"}  # fmt: skip

    def row(key: str, when: str = "2025-07-03 10:00:00") -> list[str]:
        cells = {**good, "工单编号": key, "受理时间": when}
        return [cells.get(c.metadata["headers"][0], "") for _, c in _columns("complaints")]

    path = tmp_path / "complaints.csv"
    table = [row("GD1"), row(" GD2", "2025/7/3 10:00"), row("GD2"), row("GD3"), row("GD1")]
    _write(path, "complaints", table)
    plain = _ingest(base, tmp_path, "complaints", path)
    with (
        mock.patch.object(onepass, "plain_path", return_value=None),
        mock.patch.object(fastpath, "check_records_sql", return_value=None),
    ):
        staged = _ingest(base, tmp_path, "complaints", path)
    assert plain == staged
    assert [(q[0], q[2]) for q in plain["quarantine"]] == [
        (4, "DUPLICATE_KEY"),
        (6, "DUPLICATE_KEY"),
    ]
    assert [r[-2] for r in plain["stored"]] == [2, 3, 5]


def test_a_clean_file_gets_the_checked_table_the_staged_sql_makes(
    base: Path, tmp_path: Path
) -> None:
    """With every row plain, `checked` is created empty by DDL instead of by the staged SQL
    (`onepass.empty_checked_sql`): the same columns with the same types."""
    good = {"工单编号": "GD1", "受理时间": "2025-07-03 10:00:00", "工单来源": "12345热线",
            "工单类型": "投诉举报类", "十四类": "房屋维修", "项目编号": "P1", "事实认定": "属实",
            "案件期限": "2025-07-10 10:00:00", "是否重复": "否", "诉求人数": "1"}  # fmt: skip
    real = onepass.mark_rows_sql
    seen: list[list[tuple[Any, ...]]] = []

    def keep_checked(p: onepass.PlainPath) -> list[str]:
        return ["CREATE OR REPLACE TEMP TABLE checked_seen AS FROM checked LIMIT 0", *real(p)]

    for when in ("2025-07-03 10:00:00", " 2025-07-03 10:00:00"):  # plain; in doubt
        cells = {**good, "受理时间": when}
        path = tmp_path / "complaints.csv"
        _write(
            path,
            "complaints",
            [[cells.get(c.metadata["headers"][0], "") for _, c in _columns("complaints")]],
        )
        shutil.copyfile(base, tmp_path / "warehouse.duckdb")
        s = settings_for(tmp_path)
        con = open_warehouse(s)
        with mock.patch.object(onepass, "mark_rows_sql", keep_checked):
            assert ingest_file(con, s, "complaints", path).rows_loaded == 1
        seen.append(rows(con, "SELECT column_name, column_type FROM (DESCRIBE checked_seen)"))
        con.close()
    assert seen[0] and seen[0] == seen[1]


def test_clean_projects_take_the_fast_path(base: Path, tmp_path: Path) -> None:
    """Projects (a no-overlap rule: no plain path) are typed the fast way: on a clean file no
    row is in doubt, so none goes through the staged checks (not a test that passes because
    both sides of the hypothesis test above are the staged SQL)."""
    columns = _columns("projects")
    key = [n for n, _ in columns].index(CONTRACTS["projects"].key[0])
    table = []
    for i in range(3):
        row = [{"built_year": "2005"}.get(n) or _words("projects", n, c)[0] for n, c in columns]
        row[key] = f"{row[key]}{i}"
        table.append(row)
    path = tmp_path / "projects.csv"
    _write(path, "projects", table)
    real = fastpath.check_records_sql

    def keep_doubtful(*a: Any) -> fastpath.CheckSteps | None:
        steps = real(*a)
        assert steps is not None and steps.after[-1] == "DROP TABLE doubtful"
        after = [*steps.after[:-1], "ALTER TABLE doubtful RENAME TO doubtful_seen"]
        return dataclasses.replace(steps, after=after)

    shutil.copyfile(base, tmp_path / "warehouse.duckdb")
    s = settings_for(tmp_path)
    con = open_warehouse(s)
    with mock.patch.object(fastpath, "check_records_sql", keep_doubtful):
        result = ingest_file(con, s, "projects", path)
    assert result.rows_loaded == 3, rows(con, "SELECT line, column_name, code FROM quarantine")
    assert rows(con, "SELECT count(*) FROM doubtful_seen") == [(0,)]
    con.close()
