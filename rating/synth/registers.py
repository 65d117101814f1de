"""The two registers a bureau keeps: companies (an Excel workbook) and projects with their
service periods (a GB18030 CSV with dates written `2025/7/3`)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from rating.synth import dirt
from rating.synth.context import Context, GeneratedFile, headers
from rating.synth.plan import S_ATTRIBUTES, S_DIRT, S_PROJECTS, dates
from rating.synth.writers import CsvFile, format_temporal, with_headers, write_xlsx_small

COMPANY_COLUMNS = ("uscc", "name", "district", "registered", "registered_on")
PROJECT_COLUMNS = (
    "project_id",
    "project_name",
    "district",
    "street",
    "address",
    "households",
    "floor_area",
    "company_name",
    "company_uscc",
    "service_start",
    "service_end",
    "property_type",
    "built_year",
)
PROJECT_EXTRA = {"company_name": "物业服务企业"}
# Mostly residential compounds, some public housing, a few mixed or commercial ones; built
# between 1980 and 2024 (older ones in the old districts would be a refinement).
PROPERTY_TYPE_SHARES = {"住宅": 0.86, "保障性住房": 0.09, "混合": 0.03, "商业": 0.02}


def write_companies(ctx: Context) -> list[GeneratedFile]:
    """Write companies.xlsx: the company register (USCC, name, district, registered 是/否,
    registration date written 2021年3月5日 as bureaus do), the workbook dated the last covered day so
    the same plan gives the same bytes; returns the file written."""
    frame = ctx.world.companies.select(
        "uscc",
        "name",
        "district",
        pl.when(pl.col("registered"))
        .then(pl.lit("是"))
        .otherwise(pl.lit("否"))
        .alias("registered"),
        pl.col("registered_on").dt.strftime("%Y年%-m月%-d日"),
    )
    path = ctx.out_dir / "companies.xlsx"
    end = ctx.plan.periods[-1].end
    write_xlsx_small(
        path,
        with_headers(frame, headers("companies", COMPANY_COLUMNS)),
        created=datetime(end.year, end.month, end.day),
    )
    ctx.report("companies", len(frame), len(frame))
    return [GeneratedFile("companies", path, len(frame), "xlsx", None)]


def project_attributes(ctx: Context) -> pl.DataFrame:
    """Property type and year built per project, from their own random stream (so adding
    them changed no other generated value)."""
    rng, n = ctx.plan.rng(S_ATTRIBUTES), ctx.plan.projects
    kinds = list(PROPERTY_TYPE_SHARES)
    shares = np.array(list(PROPERTY_TYPE_SHARES.values()))
    return pl.DataFrame(
        {
            "property_type": pl.Series(kinds)[rng.choice(len(kinds), n, p=shares / shares.sum())],
            "built_year": rng.integers(1980, 2025, n),
        }
    )


def project_rows(ctx: Context) -> pl.DataFrame:
    """One row per service period, typed (dates as dates), sorted by project then start."""
    p, world = ctx.world.periods, ctx.world
    attributes = project_attributes(ctx)[p.project]
    return world.projects.drop("noise")[p.project].with_columns(
        company_name=world.companies["name"][p.company],
        company_uscc=world.companies["uscc"][p.company],
        service_start=dates(p.start),
        service_end=dates(p.last, ~p.open),
        property_type=attributes["property_type"],
        built_year=attributes["built_year"],
    )


def write_projects(ctx: Context) -> list[GeneratedFile]:
    """Write projects.csv (GB18030, CRLF, the bureau's headers, dates as 2021/3/5) with the plan's
    share of dirty cells; returns the file written."""
    frame = format_temporal(
        project_rows(ctx), dict.fromkeys(("service_start", "service_end"), "%Y/%-m/%-d")
    )
    frame, bad = dirt.spoil(frame, ctx.plan.rng(S_DIRT, S_PROJECTS), ctx.plan.dirty, dirt.PROJECTS)
    ctx.spoiled("projects", bad)
    header = headers("projects", PROJECT_COLUMNS, PROJECT_EXTRA)
    path = ctx.out_dir / "projects.csv"
    with CsvFile(path, list(header.values()), encoding="gb18030", crlf=True) as out:
        out.write(with_headers(frame, header))
    ctx.report("projects", len(frame), len(frame))
    return [GeneratedFile("projects", path, len(frame), "csv", "gb18030")]
