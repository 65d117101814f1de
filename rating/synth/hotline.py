"""Real-shaped 12345 exports: names instead of ids, with the noise call-takers add.

Reads complaints with their true projects from a warehouse and writes them as a hotline
export: 小区名称, 物业公司 (a name, as typed), 行政区, 街道, 诉求地址 — no 项目编号 — plus a truth
file (complaint id → project id) to measure matching against. Noise, each at a rate scaled by
`noise` (0 clean … 1 very dirty): company names abbreviated, with or without 有限公司, with a
branch (分公司) or the city in front; compound names with 小区 appended, phases in brackets,
full-width characters, spaces, a mistyped character; streets without 街道 or missing;
districts missing. Compound names shared across districts stay shared, as in real cities.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from rating.schema import CONTRACTS
from rating.sql import frame
from rating.warehouse import visible_rows

HALF = "0123456789()"
FULL = "０１２３４５６７８９（）"
TYPO_POOL = "园苑家花阳光锦绣幸福金城华府新村雅居东西南北区庭景湖江山水明珠"

HEADERS = {
    "complaint_id": "工单编号",
    "received_at": "受理时间",
    "channel": "工单来源",
    "order_type": "工单类型",
    "category": "十四类",
    "content": "内容描述",
    "fact_finding": "事实认定",
    "deadline": "案件期限",
    "closed_at": "结案时间",
    "result": "办理结果",
    "satisfaction": "是否满意",
    "community_name": "小区名称",
    "company_name": "物业公司",
    "district": "行政区",
    "street": "街道",
    "address": "诉求地址",
}


def _source(con: duckdb.DuckDBPyConnection, period_start: str, period_end: str) -> pl.DataFrame:
    return frame(
        con,
        f"""
        SELECT c.complaint_id, c.received_at, c.channel, c.order_type, c.category, c.content, c.fact_finding,
               c.deadline, c.closed_at, c.result, c.satisfaction, c.project_id AS true_project,
               p.project_name AS community_name, p.district, p.street, p.address, co.name AS company_name
        FROM (SELECT s.* FROM {visible_rows(CONTRACTS["complaints"])}) c
        JOIN (SELECT s.* FROM {visible_rows(CONTRACTS["projects"])}) p
          ON p.project_id = c.project_id AND c._date BETWEEN p.service_start AND coalesce(p.service_end, DATE '9999-12-31')
        JOIN (SELECT s.uscc, s.name FROM {visible_rows(CONTRACTS["companies"])}) co ON co.uscc = p.company_uscc
        WHERE c._date BETWEEN CAST($start AS DATE) AND CAST($end AS DATE)
        ORDER BY c.received_at, c.complaint_id""",
        {"watermark": 2**31 - 1, "start": period_start, "end": period_end},
    )


def _pick(rng: np.random.Generator, n: int, rate: float) -> pl.Series:
    return pl.Series(rng.random(n) < rate)


def _company_noise(df: pl.DataFrame, rng: np.random.Generator, noise: float) -> pl.Expr:
    name = pl.col("company_name")
    short = name.str.replace(r"(有限责任公司|有限公司)$", "")
    brand = short.str.replace(r"(物业服务|物业管理)$", "") + "物业"
    branch = name + pl.col("district").str.slice(0, 2) + "分公司"
    variant = rng.integers(0, 4, df.height)
    picked = _pick(rng, df.height, noise)
    return (
        pl.when(picked & pl.Series(variant == 0))
        .then(short)
        .when(picked & pl.Series(variant == 1))
        .then(brand)
        .when(picked & pl.Series(variant == 2))
        .then(branch)
        .when(picked & pl.Series(variant == 3))
        .then("云港市" + short)
        .otherwise(name)
    )


def _compound_noise(df: pl.DataFrame, rng: np.random.Generator, noise: float) -> pl.Expr:
    name = pl.col("community_name")
    bracketed = name.str.replace(r"(一期|二期|三期|东区|西区|南区|北区)$", "（${1}）")
    spaced = name.str.slice(0, 2) + " " + name.str.slice(2)
    variant = rng.integers(0, 4, df.height)
    picked = _pick(rng, df.height, noise)
    return (
        pl.when(picked & pl.Series(variant == 0))
        .then(name + "小区")
        .when(picked & pl.Series(variant == 1))
        .then(bracketed)
        .when(picked & pl.Series(variant == 2))
        .then(spaced)
        .when(picked & pl.Series(variant == 3))
        .then(name.str.replace_many(list(HALF), list(FULL)))
        .otherwise(name)
    )


def _typos(names: pl.Series, rng: np.random.Generator, rate: float) -> pl.Series:
    values = names.to_list()
    for i in np.flatnonzero(rng.random(len(values)) < rate):
        text = values[i]
        if text and len(text) >= 3:
            at = int(rng.integers(0, len(text)))
            values[i] = text[:at] + TYPO_POOL[int(rng.integers(0, len(TYPO_POOL)))] + text[at + 1 :]
    return pl.Series(names.name, values)


def write_hotline(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    period_start: str,
    period_end: str,
    *,
    noise: float = 0.3,
    seed: int = 0,
) -> tuple[Path, Path, int]:
    """Write `out` (GB18030 CSV, Chinese headers) and `out`.truth.parquet; returns the row count."""
    rng = np.random.default_rng(seed)
    df = _source(con, period_start, period_end)
    df = df.with_columns(
        company_name=_company_noise(df, rng, noise), community_name=_compound_noise(df, rng, noise)
    )
    df = df.with_columns(_typos(df["community_name"], rng, noise * 0.15))
    df = df.with_columns(
        street=pl.when(_pick(rng, df.height, noise * 0.3))
        .then(None)
        .when(_pick(rng, df.height, noise * 0.5))
        .then(pl.col("street").str.replace(r"街道$", ""))
        .otherwise(pl.col("street")),
        district=pl.when(_pick(rng, df.height, noise * 0.1))
        .then(None)
        .otherwise(pl.col("district")),
    )
    truth = out.with_name(out.name + ".truth.parquet")
    df.select("complaint_id", "true_project").write_parquet(truth)
    export = df.select([pl.col(c).alias(h) for c, h in HEADERS.items()])
    text = export.write_csv(null_value="", datetime_format="%Y-%m-%d %H:%M:%S")
    out.write_bytes(text.encode("gb18030"))
    return out, truth, df.height


def hotline_from_folder(
    folder: Path, out: Path, *, noise: float = 0.3, seed: int = 0
) -> tuple[Path, Path, int]:
    """A hotline export of a generated folder's complaints, written to `out` (with its truth).

    The folder's companies, projects and complaints are loaded — validated as any ingest —
    into a scratch warehouse beside `out`, which is removed afterwards.
    """
    from rating.ingest.folder import plan_folder
    from rating.ingest.loader import ingest_file
    from rating.settings import Settings
    from rating.warehouse import open_warehouse

    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = out.with_name(out.name + ".scratch.duckdb")
    scratch.unlink(missing_ok=True)
    settings = Settings.from_env(db_path=scratch)
    con = open_warehouse(settings)
    try:
        for kind, path in plan_folder(folder):
            if kind in ("companies", "projects", "complaints"):
                ingest_file(con, settings, kind, path)
        return write_hotline(con, out, "1900-01-01", "9999-12-31", noise=noise, seed=seed)
    finally:
        con.close()
        scratch.unlink(missing_ok=True)
        scratch.with_name(scratch.name + ".wal").unlink(missing_ok=True)
