"""The two registers a bureau keeps: companies (an Excel workbook) and projects with their
service periods (a GB18030 CSV with dates written `2025/7/3`)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from rating.synth import dirt
from rating.synth.context import Context, GeneratedFile, headers
from rating.synth.plan import S_DIRT, S_PROJECTS, dates
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
)
PROJECT_EXTRA = {"company_name": "物业服务企业"}


def write_companies(ctx: Context) -> list[GeneratedFile]:
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


def project_rows(ctx: Context) -> pl.DataFrame:
    """One row per service period, typed (dates as dates), sorted by project then start."""
    p, world = ctx.world.periods, ctx.world
    return world.projects.drop("noise")[p.project].with_columns(
        company_name=world.companies["name"][p.company],
        company_uscc=world.companies["uscc"][p.company],
        service_start=dates(p.start),
        service_end=dates(p.last, ~p.open),
    )


def write_projects(ctx: Context) -> list[GeneratedFile]:
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
