"""Inspection score sheets: one row per checked item (city, district and street inspections).

Each project is inspected about 0.5–1.5 times a quarter, on a working day inside one of
its service periods; each inspection checks 4–8 distinct items of the sheet. Deductions are
rare for good companies and frequent for bad ones (the company's quality that quarter),
never above the item's points; deducted
items carry a rectification deadline and, when rectified by the end of the covered time,
the date it was confirmed.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from rating.schema.vocabularies import LEVELS, RECTIFICATION, SEVERITIES
from rating.synth import dirt, vocab
from rating.synth.context import Context, GeneratedFile, headers
from rating.synth.plan import (
    S_DIRT,
    S_INSPECTIONS,
    dates,
    day_of,
    pick,
    pick_each,
    uniform_days,
)
from rating.synth.quality import by_position
from rating.synth.rates import (
    AMOUNT_BY_TIER,
    AMOUNTS,
    DEDUCT_BY_TIER,
    FIXED_BY_TIER,
    LEVEL_SHARES,
)
from rating.synth.writers import CsvFile, ParquetFile, format_temporal, with_headers

BLOCK_PERIODS = 200_000  # service periods per chunk: ≈ 1.2M item rows a quarter
MAX_ITEMS = 8
COLUMNS = (
    "inspection_id",
    "item_no",
    "inspected_on",
    "level",
    "inspector_org",
    "project_id",
    "project_name",
    "section",
    "item",
    "max_points",
    "deducted",
    "score",
    "severity",
    "rectify_by",
    "rectification",
    "rectified_on",
)
EXTRA = {"project_name": "项目名称", "score": "得分"}
DATE_FORMAT = "%Y年%-m月%-d日"


def _working_day(day: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Move Saturdays back and Sundays forward when that stays inside [lo, hi]."""
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    moved = np.where(weekday == 5, day - 1, np.where(weekday == 6, day + 1, day))
    return np.where((moved >= lo) & (moved <= hi), moved, day)


def _inspections(ctx: Context, q: int, block: slice, rng: np.random.Generator) -> pl.DataFrame:
    """One row per inspection of the block's periods in quarter q."""
    p, plan = ctx.world.periods, ctx.plan
    lo, hi = day_of(plan.periods[q].start), day_of(plan.periods[q].end)
    ids = np.arange(len(p))[block]
    served = p.overlap(lo, hi)[block]
    rate = 0.5 + plan.rng(S_INSPECTIONS).random(plan.projects)[p.project[block]]
    count = rng.poisson(rate * served / (hi - lo + 1))
    period = np.repeat(ids, count)
    first, last = np.maximum(p.start[period], lo), np.minimum(p.last[period], hi)
    day = _working_day(uniform_days(rng, first, last), first, last)
    level = pick(rng, LEVEL_SHARES, len(period))
    proj = ctx.world.projects.select("project_id", "project_name", "district", "street")[
        p.project[period]
    ]
    org = pl.select(
        pl.when(pl.Series(level) == 0)
        .then(pl.lit(vocab.CITY + "住房和城乡建设局"))
        .when(pl.Series(level) == 1)
        .then(proj["district"] + "住房和城乡建设局")
        .otherwise(proj["street"] + "办事处")
    ).to_series()
    order = np.lexsort((period, day))
    return pl.DataFrame(
        {
            "inspected_on": pl.Series(day.astype(np.int32)).cast(pl.Date),
            "level": pl.Series(LEVELS)[level],
            "inspector_org": org,
            "project_id": proj["project_id"],
            "project_name": proj["project_name"],
            "pos": ctx.world.quality.position(p.company[period], q),
            "n_items": rng.integers(4, MAX_ITEMS + 1, len(period)),
        }
    )[order]


def _items(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Expand inspections into 4–8 distinct sheet items each, in sheet order."""
    n, pool = len(frame), len(vocab.INSPECTION_ITEMS)
    chosen = np.argsort(rng.random((n, pool)), axis=1)[:, :MAX_ITEMS]
    k = frame["n_items"].to_numpy()
    chosen = np.sort(np.where(np.arange(MAX_ITEMS) < k[:, None], chosen, pool), axis=1)
    keep = chosen < pool
    parent = np.repeat(np.arange(n), MAX_ITEMS)[keep.ravel()]
    item = chosen[keep]
    sections, texts, points = zip(*vocab.INSPECTION_ITEMS, strict=True)
    return frame[parent].with_columns(
        item_no=(pl.Series(np.cumsum(keep, axis=1)[keep])).cast(pl.Int64),
        section=pl.Series(sections)[item],
        item=pl.Series(texts)[item],
        max_points=pl.Series(np.array(points, dtype=np.float64)[item]),
    )


def _findings(items: pl.DataFrame, rng: np.random.Generator, end_day: int) -> pl.DataFrame:
    n = len(items)
    pos = items["pos"].to_numpy()
    deducted = np.where(
        rng.random(n) < by_position(DEDUCT_BY_TIER, pos),
        AMOUNTS[pick_each(rng, by_position(AMOUNT_BY_TIER, pos))],
        0.0,
    )
    deducted = np.minimum(deducted, items["max_points"].to_numpy())
    severity = np.where(deducted >= 3, 2, np.where(deducted >= 1.5, 1, 0))
    day = items["inspected_on"].cast(pl.Int32).to_numpy().astype(np.int64)
    limit = day + np.array([30, 15, 7])[severity]
    fixed_on = day + 1 + np.floor(rng.random(n) * 1.3 * (limit - day)).astype(np.int64)
    found = deducted > 0
    fixed = found & (rng.random(n) < by_position(FIXED_BY_TIER, pos)) & (fixed_on <= end_day)
    status = np.where(
        ~found,
        RECTIFICATION.index("无需整改"),
        np.where(fixed, RECTIFICATION.index("已整改"), RECTIFICATION.index("未整改")),
    )
    return items.with_columns(
        deducted=pl.Series(deducted),
        score=pl.Series(items["max_points"].to_numpy() - deducted),
        severity=pl.Series(SEVERITIES)[severity],
        rectify_by=dates(limit, found),
        rectification=pl.Series(RECTIFICATION)[status],
        rectified_on=dates(fixed_on, fixed),
    )


def write(ctx: Context) -> list[GeneratedFile]:
    """Write the inspections of every covered quarter — inspections.parquet, or a UTF-8 CSV with
    byte-order mark and the bureau's headers — one row per inspection item, ids numbered per year,
    with the plan's share of dirty cells (`dirt`); in blocks of `BLOCK_PERIODS` service periods.
    Returns the one file written."""
    plan, p = ctx.plan, ctx.world.periods
    header = headers("inspections", COLUMNS, EXTRA)
    path = ctx.out_dir / ("inspections.parquet" if plan.parquet else "inspections.csv")
    out = (
        ParquetFile(path)
        if plan.parquet
        else CsvFile(path, list(header.values()), encoding="utf-8", bom=True)
    )
    blocks = [slice(i, i + BLOCK_PERIODS) for i in range(0, max(len(p), 1), BLOCK_PERIODS)]
    next_id, total, done = 1, len(plan.periods) * len(blocks), 0
    with out:
        for q in range(len(plan.periods)):
            for b, block in enumerate(blocks):
                rng = plan.rng(S_INSPECTIONS, q, b)
                frame = _findings(_items(_inspections(ctx, q, block, rng), rng), rng, plan.end_day)
                frame, next_id = _numbered(frame, next_id, plan.periods[q].year)
                frame = (
                    frame
                    if plan.parquet
                    else format_temporal(
                        frame,
                        {c: DATE_FORMAT for c in ("inspected_on", "rectify_by", "rectified_on")},
                    )
                )
                frame, bad = dirt.spoil(
                    frame,
                    plan.rng(S_DIRT, S_INSPECTIONS, q, b),
                    plan.dirty,
                    dirt.INSPECTIONS_TYPED if plan.parquet else dirt.INSPECTIONS_TEXT,
                )
                ctx.spoiled("inspections", bad)
                out.write(with_headers(frame, header))
                done += 1
                ctx.report("inspections", done, total)
    fmt, enc = ("parquet", None) if plan.parquet else ("csv", "utf-8-sig")
    return [GeneratedFile("inspections", path, out.rows, fmt, enc)]


def _numbered(items: pl.DataFrame, first: int, year: int) -> tuple[pl.DataFrame, int]:
    """检查编号 JC + year + running number: one per inspection (item 1 starts a new one)."""
    starts = (items["item_no"] == 1).cum_sum()
    number = first - 1 + starts
    ids = pl.lit(f"JC{year}") + number.cast(pl.Utf8).str.zfill(7)
    last = int(number.max()) if len(items) else first - 1  # type: ignore[arg-type]
    return items.with_columns(inspection_id=ids), last + 1
