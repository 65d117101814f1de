"""The synthetic generator: determinism, counts, formats, contracts and internal consistency.

Fixture strategy: one small data set (2,000 complaints, 1% dirt) generated once per module
and read by most tests; tests of a single behaviour generate their own, smaller still.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from rating.errors import UsageError
from rating.ingest.loader import map_headers
from rating.schema import CONTRACTS, KINDS
from rating.schema import vocabularies as c
from rating.synth import MANIFEST, generate, rates, vocab
from rating.synth import complaints as synth_complaints
from rating.uscc import is_valid

END = date(2026, 9, 30)
SMALL = {"complaints": 2000, "seed": 11, "dirty": 0.01}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(out, **SMALL)  # type: ignore[arg-type]
    return out


def manifest(out: Path) -> dict:
    return json.loads((out / MANIFEST).read_text(encoding="utf-8"))


def files_of(out: Path, kind: str) -> list[Path]:
    return [out / f["path"] for f in manifest(out)["files"] if f["kind"] == kind]


def read(path: Path) -> pl.DataFrame:
    """A generated file as text columns under its own headers."""
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".xlsx":
        return pl.read_excel(path, engine="calamine", infer_schema_length=0)
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else _decode(raw)
    return pl.read_csv(io.BytesIO(text.encode("utf-8")), infer_schema_length=0)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_kind(out: Path, kind: str) -> pl.DataFrame:
    return pl.concat([read(p) for p in files_of(out, kind)])


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", complaints=1500, seed=5)
    generate(tmp_path / "b", complaints=1500, seed=5)
    generate(tmp_path / "c", complaints=1500, seed=6)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    differ = [
        n for n in names if (tmp_path / "a" / n).read_bytes() != (tmp_path / "c" / n).read_bytes()
    ]
    assert set(differ) >= {
        "companies.xlsx",
        "projects.csv",
        "complaints_2026Q3.csv",
        "events.parquet",
    }


def test_manifest_matches_files_and_total(data: Path) -> None:
    m = manifest(data)
    assert m["seed"] == SMALL["seed"] and m["complaints"] == SMALL["complaints"]
    assert m["periods"] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert [f["kind"] for f in m["files"]][:2] == ["companies", "projects"]
    assert {f["kind"] for f in m["files"]} == set(KINDS)
    for f in m["files"]:
        assert len(read(data / f["path"])) == f["rows"], f["path"]
    assert sum(f["rows"] for f in m["files"] if f["kind"] == "complaints") == SMALL["complaints"]
    assert [p.name for p in files_of(data, "complaints")] == [
        f"complaints_{q}.csv" for q in m["periods"]
    ]
    assert sorted(p.name for p in data.iterdir()) == sorted(
        [MANIFEST, *(f["path"] for f in m["files"])]
    )


def test_result_as_dict_is_the_manifest_shape(tmp_path: Path) -> None:
    result = generate(tmp_path, complaints=1000, seed=1, dirty=0)
    body = result.as_dict()
    assert set(body) == {"files", "periods"}
    assert set(body["files"][0]) == {"kind", "path", "rows", "format", "encoding"}
    relative = result.as_dict(relative_to=tmp_path)
    m = manifest(tmp_path)
    assert m["files"] == relative["files"] and m["periods"] == list(result.periods)
    assert m["dirty_rows"] == {"projects": 0, "complaints": 0, "inspections": 0}


def test_usccs_are_valid_except_injected_dirt(data: Path) -> None:
    companies = read_kind(data, "companies")
    codes = companies[CONTRACTS["companies"].columns["uscc"].title]
    assert codes.n_unique() == len(codes) and all(is_valid(x) for x in codes)
    assert all(x[2:8] in {d[1] for d in vocab.DISTRICTS} for x in codes)
    projects = read_kind(data, "projects")
    invalid = [
        x for x in projects[CONTRACTS["projects"].columns["company_uscc"].title] if not is_valid(x)
    ]
    assert len(invalid) <= manifest(data)["dirty_rows"]["projects"]
    assert set(projects["物业服务企业统一社会信用代码"]) - set(invalid) <= set(codes)


def test_gb18030_files_are_not_utf8(data: Path) -> None:
    for f in manifest(data)["files"]:
        raw = (data / f["path"]).read_bytes()
        if f["encoding"] == "gb18030":
            raw.decode("gb18030")
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
        elif f["encoding"] == "utf-8-sig":
            assert raw.startswith(b"\xef\xbb\xbf")
            raw.decode("utf-8")
        elif f["encoding"] == "utf-8":
            assert not raw.startswith(b"\xef\xbb\xbf")
            raw.decode("utf-8")


def test_headers_are_accepted_by_the_contracts(data: Path) -> None:
    for f in manifest(data)["files"]:
        headers = read(data / f["path"]).columns
        mapping, ignored = map_headers(CONTRACTS[f["kind"]], headers, f["path"])
        columns = CONTRACTS[f["kind"]].columns
        expected = {n for n, c in columns.items() if not c.metadata["system"]}
        assert set(mapping.source) == expected or f["kind"] == "events"
        assert len(ignored) <= 4, (f["path"], ignored)


def test_vocabulary_is_the_contracts_vocabulary() -> None:
    assert set(vocab.CATEGORY_SHARES) == set(c.CATEGORIES) == set(vocab.CATEGORY_TYPOS)
    assert not set(vocab.CATEGORY_TYPOS.values()) & set(c.CATEGORIES)
    assert set(rates.CHANNEL_SHARES) == set(c.CHANNELS)
    assert set(rates.ORDER_TYPE_SHARES) == set(c.ORDER_TYPES)
    assert set(vocab.OBLIGATION_FINDINGS) == set(c.OBLIGATIONS)
    assert {s for s, _, _ in vocab.INSPECTION_ITEMS} == {
        "综合管理",
        "共用部位维护",
        "共用设施设备维护",
        "公共秩序维护",
        "保洁服务",
        "绿化养护",
        "消防安全",
    }


def _periods(data: Path) -> pl.DataFrame:
    return read_kind(data, "projects").select(
        pl.col("项目编号").alias("project_id"),
        pl.col("服务开始日期").str.strptime(pl.Date, "%Y/%m/%d", strict=False).alias("start"),
        pl.col("服务结束日期").str.strptime(pl.Date, "%Y/%m/%d", strict=False).alias("end"),
        pl.col("服务结束日期").alias("end_text"),
    )


def test_hand_overs_are_contiguous_and_never_overlap(data: Path) -> None:
    periods = _periods(data).filter(pl.col("start").is_not_null()).sort("project_id", "start")
    projects = periods["project_id"].n_unique()
    handed = periods.group_by("project_id").len().filter(pl.col("len") > 1)
    assert 0.04 * projects <= len(handed) <= 0.2 * projects
    pairs = periods.with_columns(next_start=pl.col("start").shift(-1).over("project_id"))
    closed = pairs.filter(pl.col("next_start").is_not_null())
    assert closed.select((pl.col("end") == pl.col("next_start") - pl.duration(days=1)).all()).item()
    last = pairs.filter(pl.col("next_start").is_null())
    assert last["end_text"].is_null().all()
    assert (periods["start"] < date(2025, 10, 1)).mean() > 0.7  # type: ignore[operator]


def test_repeats_reference_earlier_orders_of_the_same_project(data: Path) -> None:
    orders = read_kind(data, "complaints")
    repeats = orders.filter(pl.col("是否重复") == "是")
    assert 0.2 < len(repeats) / len(orders) < 0.4
    assert orders["工单编号"].n_unique() == len(orders)
    joined = repeats.join(orders, left_on="重复工单号", right_on="工单编号", suffix="_orig")
    assert len(joined) == len(repeats)
    assert (joined["重复工单号"] < joined["工单编号"]).all()
    clean = joined.filter(
        ~pl.col("项目编号").str.starts_with("XM9") & ~pl.col("项目编号_orig").str.starts_with("XM9")
    )
    assert (clean["项目编号"] == clean["项目编号_orig"]).all()
    assert (clean["内容描述"].str.contains(clean["小区名称_orig"], literal=True)).all()
    assert orders.filter(pl.col("是否重复") == "否")["重复工单号"].is_null().all()


def test_complaint_values_and_shares(data: Path) -> None:
    orders = read_kind(data, "complaints")
    assert orders["工单来源"].is_in(c.CHANNELS).all()
    assert (orders["工单来源"] == "12345热线").mean() > 0.6  # type: ignore[operator]
    complaint_share = (orders["工单类型"] == "投诉举报类").mean()
    assert abs(complaint_share - rates.ORDER_TYPE_SHARES["投诉举报类"]) < 0.04  # type: ignore[operator]
    assert orders["事实认定"].is_in(c.FINDINGS).all()
    assert orders["办理结果"].drop_nulls().is_in(c.RESULTS).all()
    assert orders["是否满意"].drop_nulls().is_in(c.SATISFACTION).all()
    assert (orders["十四类"].is_in(c.CATEGORIES)).mean() > 0.99  # type: ignore[operator]
    assert (orders["十四类"] == "房屋维修").mean() > 0.1  # type: ignore[operator]
    people = orders["诉求人数"].cast(pl.Int64)
    assert people.min() == 1 and (people == 1).mean() > 0.85  # type: ignore[operator]
    received = orders["受理时间"].str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S", strict=False)
    deadline = orders["案件期限"].str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S")
    closed = orders["结案时间"].str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S")
    days = ((deadline - received).dt.total_hours() / 24).drop_nulls()
    assert days.min() >= 3 and days.max() <= 15  # type: ignore[operator]
    assert ((closed >= received) | closed.is_null() | received.is_null()).all()
    assert 0 < closed.is_null().mean() < 0.2  # type: ignore[operator]


# (kind, row key, project column, date column, date format)
DATED_ROWS = [
    ("complaints", "工单编号", "项目编号", "受理时间", "%Y-%m-%d %H:%M:%S"),
    ("inspections", "检查编号", "项目编号", "检查时间", "%Y年%m月%d日"),
    ("contracts", "check_id", "project_id", "checked_on", "%Y-%m-%d"),
    ("opinions", "评价编号", "项目编号", "评价日期", "%Y-%m-%d"),
    ("events", "event_id", "project_id", "decided_on", None),
]


@pytest.mark.parametrize(("kind", "key", "project", "when", "fmt"), DATED_ROWS)
def test_rows_fall_in_a_service_period_of_their_project(
    data: Path, kind: str, key: str, project: str, when: str, fmt: str | None
) -> None:
    periods = _periods(data)
    spoiled = periods.filter(pl.col("start").is_null())["project_id"].implode()
    day = pl.col(when) if fmt is None else pl.col(when).str.strptime(pl.Datetime, fmt, strict=False)
    rows = (
        read_kind(data, kind)
        .select(
            pl.col(key).alias("key"),
            pl.col(project).alias("project_id"),
            day.cast(pl.Date).alias("day"),
        )
        .filter(pl.col("day").is_not_null() & pl.col("project_id").is_not_null())
        .filter(~pl.col("project_id").str.starts_with("XM9") & ~pl.col("project_id").is_in(spoiled))
    )
    inside = rows.join(periods, on="project_id").filter(
        (pl.col("start") <= pl.col("day"))
        & (pl.col("end").is_null() | (pl.col("day") <= pl.col("end")))
    )
    assert len(rows) > 0
    assert inside["key"].n_unique() == rows["key"].n_unique()


@pytest.mark.slow
def test_processes_with_other_hash_seeds_and_threads_write_the_same_bytes(tmp_path: Path) -> None:
    code = "import sys; from pathlib import Path; from rating.synth import generate; generate(Path(sys.argv[1]), complaints=800, seed=9)"
    for name, env in (
        ("a", {"PYTHONHASHSEED": "1"}),
        ("b", {"PYTHONHASHSEED": "2", "POLARS_MAX_THREADS": "1"}),
    ):
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / name)],
            check=True,
            env={**os.environ, **env},
        )
    generate(tmp_path / "c", complaints=800, seed=9)
    for path in sorted((tmp_path / "a").iterdir()):
        assert (
            path.read_bytes()
            == (tmp_path / "b" / path.name).read_bytes()
            == (tmp_path / "c" / path.name).read_bytes()
        ), path.name


DATE_COLUMNS = {  # deadline-type columns (案件期限, 整改期限, valid_until) may lie later
    "companies": [("成立日期", "%Y年%m月%d日")],
    "projects": [("服务开始日期", "%Y/%m/%d"), ("服务结束日期", "%Y/%m/%d")],
    "complaints": [("受理时间", "%Y-%m-%d %H:%M:%S"), ("结案时间", "%Y-%m-%d %H:%M:%S")],
    "inspections": [("检查时间", "%Y年%m月%d日"), ("整改完成日期", "%Y年%m月%d日")],
    "contracts": [("checked_on", "%Y-%m-%d")],
    "opinions": [("评价日期", "%Y-%m-%d")],
    "events": [("decided_on", None), ("rectified_on", None)],
}


def test_no_date_after_the_end_period(data: Path) -> None:
    for kind, columns in DATE_COLUMNS.items():
        frame = read_kind(data, kind)
        for header, fmt in columns:
            col = (
                frame[header]
                if fmt is None
                else frame[header].str.strptime(pl.Datetime, fmt, strict=False)
            )
            values = col.cast(pl.Date).drop_nulls()
            assert len(values) > 0 or header in ("服务结束日期", "rectified_on"), (kind, header)
            assert values.max() is None or values.max() <= END, (kind, header)  # type: ignore[operator]
            assert values.min() is None or values.min() >= date(1990, 1, 1), (kind, header)  # type: ignore[operator]
    opinions = read_kind(data, "opinions")
    assert set(opinions["评价周期"]) == set(manifest(data)["periods"])


def test_inspections_deduct_within_points_and_rectify_consistently(data: Path) -> None:
    items = read_kind(data, "inspections").with_columns(
        pl.col("分值", "所扣分值").cast(pl.Float64), pl.col("序号").cast(pl.Int64)
    )
    assert (items["所扣分值"] <= items["分值"]).all() and (items["所扣分值"] >= 0).all()
    assert 0 < (items["所扣分值"] > 0).mean() < 0.3  # type: ignore[operator]
    per = items.group_by("检查编号").agg(
        pl.len(), pl.col("序号").max(), pl.col("项目编号").n_unique()
    )
    assert per["len"].is_between(4, 8).all() and (per["len"] == per["序号"]).all()
    assert (per["项目编号"] == 1).all()
    assert items["检查层级"].is_in(c.LEVELS).all() and items["严重程度"].is_in(c.SEVERITIES).all()
    none = items.filter(pl.col("所扣分值") == 0)
    assert (none["整改状态"] == "无需整改").all() and none["整改期限"].is_null().all()
    done = items.filter(pl.col("整改状态") == "已整改")
    assert done["整改完成日期"].is_not_null().all()


def test_events_allow_an_aaa_company(data: Path) -> None:
    events = read_kind(data, "events")
    assert (
        events["info_kind"].is_in(c.INFO_KINDS).all()
        and events["authority_level"].is_in(c.AUTHORITY_LEVELS).all()
    )
    assert events["status"].is_in(c.EVENT_STATUSES).all() and (events["points"] >= 0).all()
    assert events["event_id"].n_unique() == len(events) and events["document_no"].n_unique() == len(
        events
    )
    good = events.filter((pl.col("info_kind") == "良好") & (pl.col("status") == "有效"))
    bad_companies = set(events.filter(pl.col("info_kind") == "不良")["uscc"])
    awarded = good.group_by("uscc").agg(pl.col("points").sum()).filter(pl.col("points") >= 5)
    stars = set(awarded["uscc"]) - bad_companies
    assert stars
    rates = _complaint_rates(data)
    assert (
        rates.filter(pl.col("uscc").is_in(list(stars)))["per_1000"].min()
        <= rates["per_1000"].median()
    )
    veto = events.filter(pl.col("code").str.starts_with("V"))
    assert (veto["points"] == 20).all() and veto["serious"].all()


def _complaint_rates(out: Path) -> pl.DataFrame:
    """Complaints per 1,000 households of each company's projects (first service period)."""
    orders = read_kind(out, "complaints").group_by("项目编号").len()
    projects = (
        read_kind(out, "projects")
        .unique("项目编号", keep="first")
        .select(
            "项目编号",
            pl.col("户数").cast(pl.Float64),
            pl.col("物业服务企业统一社会信用代码").alias("uscc"),
        )
    )
    return (
        projects.join(orders, on="项目编号", how="left")
        .fill_null(0)
        .group_by("uscc")
        .agg((pl.col("len").sum() / pl.col("户数").sum() * 1000).alias("per_1000"))
    )


def test_company_quality_spreads_complaint_rates(tmp_path: Path) -> None:
    generate(tmp_path, complaints=20_000, seed=2, dirty=0)
    rate = _complaint_rates(tmp_path)["per_1000"]
    assert rate.quantile(0.9) > 2.5 * rate.quantile(0.1)  # type: ignore[operator]


def test_small_chunks_keep_ids_unique_and_repeats_consistent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synth_complaints, "CHUNK_ROWS", 97)
    generate(tmp_path, complaints=3000, seed=4, quarters=2, dirty=0)
    orders = read_kind(tmp_path, "complaints")
    assert len(orders) == 3000 and orders["工单编号"].n_unique() == 3000
    repeats = orders.filter(pl.col("是否重复") == "是")
    assert repeats["重复工单号"].is_in(orders["工单编号"].implode()).all()
    assert orders["工单编号"].is_sorted()


def test_parquet_mode_writes_typed_files_with_the_same_headers(tmp_path: Path, data: Path) -> None:
    result = generate(tmp_path, parquet=True, **SMALL)  # type: ignore[arg-type]
    kinds = {f.kind: f for f in result.files}
    assert kinds["complaints"].format == "parquet" and kinds["inspections"].format == "parquet"
    orders = read_kind(tmp_path, "complaints")
    assert orders.columns == read_kind(data, "complaints").columns
    assert orders.schema["受理时间"] == pl.Datetime("us") and len(orders) == SMALL["complaints"]
    map_headers(
        CONTRACTS["inspections"], read_kind(tmp_path, "inspections").columns, "inspections.parquet"
    )


def test_dirt_is_injected_and_counted(data: Path) -> None:
    dirty = manifest(data)["dirty_rows"]
    orders = read_kind(data, "complaints")
    broken = (
        ~orders["十四类"].is_in(c.CATEGORIES)
        | orders["受理时间"].is_null()
        | orders["受理时间"].str.contains(r"\.13\.45")
        | orders["项目编号"].str.starts_with("XM9")
    )
    assert dirty["complaints"] > 0 and int(broken.sum()) == dirty["complaints"]
    assert dirty["inspections"] > 0


def test_dirt_changes_only_the_spoiled_rows(tmp_path: Path, data: Path) -> None:
    generate(tmp_path, **{**SMALL, "dirty": 0})  # type: ignore[arg-type]
    for kind in ("projects", "complaints", "inspections"):
        clean, dirty = read_kind(tmp_path, kind), read_kind(data, kind)
        changed = clean.with_row_index().join(
            dirty.with_row_index(), on=clean.columns + ["index"], how="anti", nulls_equal=True
        )
        assert len(changed) == manifest(data)["dirty_rows"][kind], kind


@pytest.mark.parametrize(
    "options",
    [
        {"complaints": -1},
        {"complaints": 10, "quarters": 0},
        {"complaints": 10, "end": "2026H1"},
        {"complaints": 10, "dirty": 0.6},
        {"complaints": 10, "projects": 400_000},
        {"complaints": 10, "seed": -3},
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, options: dict) -> None:
    with pytest.raises(UsageError):
        generate(tmp_path, **options)


@pytest.mark.slow
def test_every_file_ingests_with_quarantine_explained_by_dirt(data: Path, tmp_path: Path) -> None:
    from rating.ingest.loader import ingest_file
    from rating.settings import Settings
    from rating.warehouse import open_warehouse

    settings = Settings(db_path=tmp_path / "w.duckdb", now=datetime(2026, 11, 1))
    con = open_warehouse(settings)
    results = [
        ingest_file(con, settings, f["kind"], data / f["path"]) for f in manifest(data)["files"]
    ]
    read_rows = sum(r.rows_read for r in results)
    assert read_rows == sum(f["rows"] for f in manifest(data)["files"])
    lost_projects = {
        row[0]
        for row in con.execute(
            "SELECT DISTINCT json_extract_string(raw, '$.项目编号') FROM quarantine WHERE kind = 'projects'"
        ).fetchall()
    }
    lost_projects -= {
        row[0] for row in con.execute("SELECT DISTINCT project_id FROM src_projects").fetchall()
    }
    codes = con.execute(
        "SELECT code, value, count(DISTINCT (batch_id, line)) FROM quarantine GROUP BY ALL"
    ).fetchall()
    for code, value, _ in codes:
        if code == "UNKNOWN_PROJECT":
            assert value.startswith("XM9") or value in lost_projects, value
    own = con.execute(
        "SELECT count(DISTINCT (batch_id, line)) FROM quarantine WHERE code <> 'UNKNOWN_PROJECT'"
    ).fetchone()
    assert own is not None and own[0] <= sum(manifest(data)["dirty_rows"].values())
    assert sum(r.rows_quarantined for r in results) < 0.05 * read_rows
