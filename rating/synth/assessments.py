"""Contract-performance checks (合同履行) and street-office opinions (街道评价意见).

Checks: about one visit per project and half-year, each looking at 3–5 obligations, one
row per obligation. Opinions: one or two per project and quarter (the street office, and
sometimes a residents' committee, owners' committee or residents' representatives), dated
in the last ten days of the quarter. Both lean on the serving company's quality tier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import polars as pl

from rating.schema.vocabularies import EVALUATORS, OBLIGATIONS, PERFORMANCE
from rating.synth import vocab
from rating.synth.context import Context, GeneratedFile, headers
from rating.synth.plan import (
    S_CHECKS,
    S_OPINIONS,
    dates,
    day_of,
    kept,
    pick,
    pick_by_row,
    uniform_days,
)
from rating.synth.rates import PERFORMANCE_BY_TIER, SECOND_EVALUATOR, SECOND_OPINION
from rating.synth.writers import EXCEL_MAX_ROWS, CsvFile, XlsxFile, format_temporal, with_headers

BLOCK_PERIODS = 200_000
CHECK_COLUMNS = ("check_id", "checked_on", "project_id", "obligation", "performance", "finding")
OPINION_COLUMNS = (
    "opinion_id",
    "period",
    "evaluator",
    "street",
    "project_id",
    "project_name",
    "rating",
    "score",
    "rated_on",
    "opinion",
)
OPINION_EXTRA = {"street": "街道", "project_name": "项目名称"}


def _halves(ctx: Context) -> Iterator[tuple[int, int, int]]:
    """(year, first day, last day) of each half-year, clipped to the covered time."""
    plan = ctx.plan
    for year in range(plan.periods[0].year, plan.periods[-1].year + 1):
        for first, last in (
            (date(year, 1, 1), date(year, 6, 30)),
            (date(year, 7, 1), date(year, 12, 31)),
        ):
            lo, hi = max(day_of(first), plan.start_day), min(day_of(last), plan.end_day)
            if lo <= hi:
                yield year, lo, hi


def _checks(ctx: Context, lo: int, hi: int, block: slice, rng: np.random.Generator) -> pl.DataFrame:
    p, world = ctx.world.periods, ctx.world
    ids = np.arange(len(p))[block]
    served = p.overlap(lo, hi)[block]
    visited = ids[rng.random(len(ids)) < served / (hi - lo + 1)]
    n = len(visited)
    day = uniform_days(rng, np.maximum(p.start[visited], lo), np.minimum(p.last[visited], hi))
    pool = len(OBLIGATIONS) - 1  # 其他 only now and then
    k = rng.integers(3, 6, n)
    chosen = np.argsort(rng.random((n, pool)), axis=1)[:, :5]
    chosen = np.where(rng.random((n, 5)) < 0.03, pool, chosen)
    keep = np.arange(5) < k[:, None]
    parent = np.repeat(np.arange(n), 5)[keep.ravel()]
    obligation = chosen[keep]
    tier = world.companies["tier"].to_numpy()[p.company[visited]][parent]
    performance = pick_by_row(rng, PERFORMANCE_BY_TIER, tier)
    findings = [(o, f) for o in OBLIGATIONS for f in vocab.OBLIGATION_FINDINGS[o]]
    f_count = np.array([len(vocab.OBLIGATION_FINDINGS[o]) for o in OBLIGATIONS])
    f_offset = np.concatenate([[0], np.cumsum(f_count)[:-1]])
    finding = f_offset[obligation] + np.floor(rng.random(len(parent)) * f_count[obligation]).astype(
        np.int64
    )
    order = np.lexsort((obligation, parent, day[parent]))
    return pl.DataFrame(
        {
            "checked_on": dates(day[parent]),
            "project_id": world.projects["project_id"][p.project[visited][parent]],
            "obligation": pl.Series(OBLIGATIONS)[obligation],
            "performance": pl.Series(PERFORMANCE)[performance],
            "finding": kept(pl.Series([f for _, f in findings])[finding], performance > 0),
        }
    )[order]


def write_checks(ctx: Context) -> list[GeneratedFile]:
    plan = ctx.plan
    path = ctx.out_dir / "contracts.csv"
    halves = list(_halves(ctx))
    blocks = [
        slice(i, i + BLOCK_PERIODS) for i in range(0, max(len(ctx.world.periods), 1), BLOCK_PERIODS)
    ]
    number = 0
    with CsvFile(path, CHECK_COLUMNS, encoding="utf-8") as out:
        for h, (year, lo, hi) in enumerate(halves):
            for b, block in enumerate(blocks):
                frame = _checks(ctx, lo, hi, block, plan.rng(S_CHECKS, h, b))
                ids = (
                    pl.Series(np.arange(number + 1, number + len(frame) + 1))
                    .cast(pl.Utf8)
                    .str.zfill(8)
                )
                number += len(frame)
                frame = format_temporal(
                    frame.with_columns(check_id=f"HT{year}" + ids), {"checked_on": "%Y-%m-%d"}
                )
                out.write(frame.select(CHECK_COLUMNS))
            ctx.report("contracts", h + 1, len(halves))
    return [GeneratedFile("contracts", path, out.rows, "csv", "utf-8")]


def _opinions(ctx: Context, q: int) -> pl.DataFrame:
    plan, p, world = ctx.plan, ctx.world.periods, ctx.world
    rng = plan.rng(S_OPINIONS, q)
    period = plan.periods[q]
    hi = day_of(period.end)
    lo = hi - 9
    active = np.flatnonzero(p.overlap(lo, hi) > 0)
    count = 1 + (rng.random(len(active)) < SECOND_OPINION)
    rows = np.repeat(active, count)
    second = np.concatenate([[False], rows[1:] == rows[:-1]])
    evaluator = np.where(second, 1 + pick(rng, SECOND_EVALUATOR, len(rows)), 0)
    day = uniform_days(rng, np.maximum(p.start[rows], lo), np.minimum(p.last[rows], hi))
    tier = world.companies["tier"].to_numpy()[p.company[rows]]
    score = np.round(np.clip(86 - 5.5 * (tier - 2) + rng.normal(0, 5, len(rows)), 40, 100), 1)
    rating = np.digitize(score, [60, 80, 90])
    ratings = ("不合格", "合格", "良好", "优秀")
    texts = [t for r in ratings for t in vocab.OPINION_TEXTS[r]]
    text = 2 * rating + (rng.random(len(rows)) < 0.5)
    proj = world.projects.select("project_id", "project_name", "street")[p.project[rows]]
    ids = pl.Series(np.arange(1, len(rows) + 1)).cast(pl.Utf8).str.zfill(7)
    return pl.DataFrame(
        {
            "opinion_id": f"PJ{period}" + ids,
            "period": pl.Series([str(period)] * len(rows), dtype=pl.Utf8),
            "evaluator": pl.Series(EVALUATORS)[evaluator],
            "rating": pl.Series(ratings)[rating],
            "score": score,
            "rated_on": pl.Series(day.astype(np.int32)).cast(pl.Date),
            "opinion": pl.Series(texts)[text],
        }
    ).with_columns(*proj.get_columns())


def write_opinions(ctx: Context) -> list[GeneratedFile]:
    """One workbook when it fits one sheet, otherwise one workbook per quarter."""
    plan, p = ctx.plan, ctx.world.periods
    header = headers("opinions", OPINION_COLUMNS, OPINION_EXTRA)
    bound = sum(
        2 * int((p.overlap(day_of(q.end) - 9, day_of(q.end)) > 0).sum()) for q in plan.periods
    )
    groups = (
        [list(range(len(plan.periods)))]
        if bound < EXCEL_MAX_ROWS
        else [[q] for q in range(len(plan.periods))]
    )
    files = []
    for group in groups:
        name = "opinions.xlsx" if len(groups) == 1 else f"opinions_{plan.periods[group[0]]}.xlsx"
        with XlsxFile(ctx.out_dir / name, list(header.values())) as out:
            for q in group:
                frame = format_temporal(_opinions(ctx, q), {"rated_on": "%Y-%m-%d"})
                out.write(with_headers(frame, header))
                ctx.report("opinions", q + 1, len(plan.periods))
        files.append(GeneratedFile("opinions", out.path, out.rows, "xlsx", None))
    return files
