"""Contract-performance checks (合同履行) and street-office opinions (街道评价意见).

Checks: about one visit per project and quarter, each looking at every obligation, one
row per obligation; what a project got wrong last quarter it mostly gets wrong again
(`PERFORMANCE_KEPT`), and posting notices is missed less often than staffing or upkeep
(`OBLIGATION_DIFFICULTY`). Opinions: one or two per project and quarter (the street office,
and sometimes a residents' committee, owners' committee or residents' representatives),
dated in the last ten days of the quarter, with a persistent lean per project. Both follow
the serving company's quality at the time.
"""

from __future__ import annotations

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
    pick_each,
    sticky_uniforms,
    uniform_days,
)
from rating.synth.quality import by_position
from rating.synth.rates import (
    OBLIGATION_DIFFICULTY,
    OPINION_BY_TIER,
    OPINION_SPREAD,
    PERFORMANCE_BY_TIER,
    PERFORMANCE_KEPT,
    SECOND_EVALUATOR,
    SECOND_OPINION,
)
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


def _checks(ctx: Context, lo: int, hi: int, block: slice, rng: np.random.Generator) -> pl.DataFrame:
    p, world = ctx.world.periods, ctx.world
    ids = np.arange(len(p))[block]
    served = p.overlap(lo, hi)[block]
    visited = ids[rng.random(len(ids)) < served / (hi - lo + 1)]
    n = len(visited)
    day = uniform_days(rng, np.maximum(p.start[visited], lo), np.minimum(p.last[visited], hi))
    pool = len(OBLIGATIONS) - 1  # every regular obligation; now and then one recorded as 其他
    parent = np.repeat(np.arange(n), pool)
    obligation = np.tile(np.arange(pool), n)
    obligation = np.where(rng.random(len(obligation)) < 0.03, pool, obligation)
    pos = world.quality.position(p.company[visited], _quarter_of(ctx, day))[parent]
    key = p.project[visited][parent] * len(OBLIGATIONS) + obligation
    sticky = sticky_uniforms(
        ctx.plan, S_CHECKS, key, ctx.plan.projects * len(OBLIGATIONS), PERFORMANCE_KEPT, rng
    )
    probs = by_position(PERFORMANCE_BY_TIER, pos)
    probs[:, 2] *= OBLIGATION_DIFFICULTY[obligation]  # renormalised by pick_each
    performance = pick_each(rng, probs, sticky)
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


def _quarter_of(ctx: Context, day: np.ndarray) -> np.ndarray:
    """Index of the covered quarter each day falls in."""
    starts = np.array([day_of(q.start) for q in ctx.plan.periods])
    out: np.ndarray = np.searchsorted(starts, day, side="right") - 1
    return out


def write_checks(ctx: Context) -> list[GeneratedFile]:
    """Write contracts.csv (UTF-8): the contract-performance checks of every covered quarter, ids
    `HT<year><8 digits>`, in blocks of `BLOCK_PERIODS` service periods so memory stays flat at any
    size; returns the one file written."""
    plan = ctx.plan
    path = ctx.out_dir / "contracts.csv"
    quarters = [(q.year, day_of(q.start), day_of(q.end)) for q in plan.periods]
    blocks = [
        slice(i, i + BLOCK_PERIODS) for i in range(0, max(len(ctx.world.periods), 1), BLOCK_PERIODS)
    ]
    number = 0
    with CsvFile(path, CHECK_COLUMNS, encoding="utf-8") as out:
        for h, (year, lo, hi) in enumerate(quarters):
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
            ctx.report("contracts", h + 1, len(quarters))
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
    pos = world.quality.position(p.company[rows], q)
    spread, project_spread = OPINION_SPREAD
    local = plan.rng(S_OPINIONS).normal(0, project_spread, plan.projects)[p.project[rows]]
    centre = by_position(OPINION_BY_TIER, pos)
    score = np.round(np.clip(centre + local + rng.normal(0, spread, len(rows)), 40, 100), 1)
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
