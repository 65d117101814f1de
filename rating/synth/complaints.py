"""Complaint work orders (12345 and other channels), generated chunk by chunk.

The covered months share the requested total in proportion to the projects served in them
and a seasonal factor (July–August busiest). A month with more than `CHUNK_ROWS` orders is
split into runs of days. Within a chunk, a service period receives orders in proportion to
households × the company's complaint factor that quarter × project noise × days served;
how cases are found, handled and rated, and how often they are collective petitions,
follows the company's quality that quarter; about a third of orders repeat an
earlier case of the chunk (same project and text, arriving again within days, often through
another channel). Orders are sorted by time and numbered `yyyymmdd` + an 8-digit sequence
of the day, so a repeat always carries a later id than the order it repeats.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from rating.schema.vocabularies import FINDINGS, RESULTS, SATISFACTION
from rating.synth import dirt, integrity, vocab
from rating.synth.context import Context, GeneratedFile, headers
from rating.synth.plan import (
    DAY,
    S_COMPLAINTS,
    S_DIRT,
    Plan,
    allocate,
    day_of,
    kept,
    pick,
    pick_each,
    uniform_days,
)
from rating.synth.quality import by_position
from rating.synth.rates import (
    CHANNEL_SHARES,
    COLLECTIVE_BY_TIER,
    DEADLINE_DAYS,
    DEADLINE_SHARES,
    FINDING_BY_TIER,
    HOUR_WEIGHTS,
    LATE_BY_TIER,
    ORDER_TYPE_SHARES,
    REPEAT_SHARE,
    RESULT_BY_TIER,
    SATISFACTION_BY_RESULT,
    SEASON,
    STILL_OPEN,
)
from rating.synth.world import World
from rating.synth.writers import (
    CsvFile,
    ParquetFile,
    format_temporal,
    with_headers,
    write_parquet,
)

CHUNK_ROWS = 1_000_000

CATEGORY_NAMES = list(vocab.CATEGORY_SHARES)
_PROBLEMS = [p for c in CATEGORY_NAMES for p in vocab.COMPLAINT_PROBLEMS[c]]
_PROBLEM_COUNT = np.array([len(vocab.COMPLAINT_PROBLEMS[c]) for c in CATEGORY_NAMES])
_PROBLEM_OFFSET = np.concatenate([[0], np.cumsum(_PROBLEM_COUNT)[:-1]])


@dataclass(frozen=True)
class Chunk:
    index: int
    quarter: int  # index into plan.periods
    lo: int  # first day, included
    hi: int  # last day, included
    rows: int


def _months(plan: Plan) -> Iterator[tuple[int, int, int, int]]:
    """(quarter index, month, first day, last day) of every covered month."""
    for q, period in enumerate(plan.periods):
        for m in range(period.start.month, period.start.month + 3):
            first = date(period.year, m, 1)
            nxt = date(period.year + (m == 12), m % 12 + 1, 1)
            yield q, m, day_of(first), day_of(nxt) - 1


def plan_chunks(plan: Plan, world: World) -> list[Chunk]:
    """Split the plan's complaints over months in proportion to each month's exposure (service days
    weighted by company quality) times its season factor (`SEASON`), then into chunks of at most
    `CHUNK_ROWS` (1,000,000) rows over consecutive days, so any city size is written in bounded
    memory. Counts are exact (`allocate`, largest remainder)."""
    bases = [period_weights(world, q) for q in range(len(plan.periods))]
    months = list(_months(plan))
    weights = np.array(
        [
            (bases[q] * world.periods.overlap(lo, hi)).sum() * SEASON[m - 1]
            for q, m, lo, hi in months
        ]
    )
    counts = allocate(plan.complaints, weights)
    chunks: list[Chunk] = []
    for (q, _, lo, hi), count in zip(months, counts, strict=True):
        parts = np.array_split(np.arange(lo, hi + 1), max(1, -(-int(count) // CHUNK_ROWS)))
        for days, rows in zip(
            parts, allocate(int(count), np.array([len(p) for p in parts])), strict=True
        ):
            chunks.append(Chunk(len(chunks), q, int(days[0]), int(days[-1]), int(rows)))
    return chunks


def period_weights(world: World, quarter: int) -> np.ndarray:
    """Expected complaints per served day in a covered quarter, up to a constant, for every
    service period."""
    p = world.periods
    households = world.projects["households"].to_numpy()[p.project]
    noise = world.projects["noise"].to_numpy()[p.project]
    out: np.ndarray = households * noise * world.quality.factor(p.company, quarter)
    return out


@dataclass
class _Orders:
    """Per-order arrays of one chunk, originals first, then repeats (`src` = their original)."""

    period: np.ndarray
    time: np.ndarray
    src: np.ndarray  # index of the original, -1 for originals
    n_orig: int


def _arrivals(
    plan: Plan, world: World, chunk: Chunk, rng: np.random.Generator, base: np.ndarray
) -> _Orders:
    n = chunk.rows
    n_rep = min(int(rng.binomial(n, REPEAT_SHARE)), max(n - 1, 0))
    n_orig = n - n_rep
    p = world.periods
    period = pick(rng, base * p.overlap(chunk.lo, chunk.hi), n_orig)
    first = np.maximum(p.start[period], chunk.lo)
    last = np.minimum(p.last[period], chunk.hi)
    day = uniform_days(rng, first, last)
    clock = pick(rng, HOUR_WEIGHTS, n_orig) * 3600 + rng.integers(0, 3600, n_orig)
    t_orig = day * DAY + clock
    src = rng.integers(0, max(n_orig, 1), n_rep)
    room = (last[src] + 1) * DAY - 1 - t_orig[src]
    t_rep = t_orig[src] + np.floor(rng.random(n_rep) ** 2 * np.minimum(room, 7 * DAY)).astype(
        np.int64
    )
    return _Orders(
        period=np.concatenate([period, period[src]]),
        time=np.concatenate([t_orig, t_rep]),
        src=np.concatenate([np.full(n_orig, -1), src]),
        n_orig=n_orig,
    )


def _inherit(values: np.ndarray, orders: _Orders) -> np.ndarray:
    """Repeats carry their original's value."""
    out = values.copy()
    out[orders.n_orig :] = values[orders.src[orders.n_orig :]]
    return out


def _content(
    rng: np.random.Generator, orders: _Orders, category: np.ndarray, name: pl.Series
) -> pl.Series:
    n = len(orders.period)
    problem = _inherit(
        _PROBLEM_OFFSET[category]
        + np.floor(rng.random(n) * _PROBLEM_COUNT[category]).astype(np.int64),
        orders,
    )
    building = _inherit(rng.integers(1, 31, n), orders)
    situation = pick(rng, np.ones(len(vocab.COMPLAINT_SITUATIONS)), n)
    situation = np.where(rng.random(n) < 0.5, _inherit(situation, orders), situation)
    demand = _inherit(pick(rng, np.ones(len(vocab.COMPLAINT_DEMANDS)), n), orders)
    openings = pl.Series(vocab.COMPLAINT_OPENINGS + vocab.REPEAT_OPENINGS)
    opening = pick(rng, np.ones(len(vocab.COMPLAINT_OPENINGS)), n)
    repeat_opening = len(vocab.COMPLAINT_OPENINGS) + pick(
        rng, np.ones(len(vocab.REPEAT_OPENINGS)), n
    )
    opening = np.where(orders.src >= 0, repeat_opening, opening)
    return pl.select(
        pl.concat_str(
            [
                openings[opening],
                name,
                pl.Series(building).cast(pl.Utf8),
                pl.lit("号楼"),
                pl.Series(_PROBLEMS)[problem],
                pl.lit("，"),
                pl.Series(vocab.COMPLAINT_SITUATIONS)[situation],
                pl.lit("，"),
                pl.Series(vocab.COMPLAINT_DEMANDS)[demand],
                pl.lit("。"),
            ]
        )
    ).to_series()


def _handling(
    plan: Plan, rng: np.random.Generator, orders: _Orders, pos: np.ndarray
) -> dict[str, np.ndarray]:
    """Deadline, closing time, finding, result and satisfaction (quality-dependent)."""
    n = len(orders.time)
    deadline = orders.time + DEADLINE_DAYS[pick(rng, DEADLINE_SHARES, n)] * DAY
    late = rng.random(n) < by_position(LATE_BY_TIER, pos)
    allowed = deadline - orders.time
    on_time = orders.time + np.floor(rng.uniform(0.05, 0.95, n) * allowed).astype(np.int64)
    overdue = deadline + rng.integers(DAY // 2, 12 * DAY, n)
    closed = np.where(late, overdue, on_time)
    is_open = (closed > plan.end_ts) | (rng.random(n) < STILL_OPEN)
    finding = _inherit(pick_each(rng, by_position(FINDING_BY_TIER, pos)), orders)
    finding = np.where(is_open, FINDINGS.index("未认定"), finding)
    result = pick_each(rng, by_position(RESULT_BY_TIER, np.minimum(pos + late, 4)))
    satisfaction = pick_each(rng, SATISFACTION_BY_RESULT[result])
    return {
        "deadline": deadline,
        "closed": closed,
        "open": is_open,
        "finding": finding,
        "result": result,
        "satisfaction": satisfaction,
    }


def _petitioners(rng: np.random.Generator, pos: np.ndarray) -> np.ndarray:
    """Mostly one caller; a few cases of 2–9; collective cases (≥ 10) lean on bad companies."""
    n = len(pos)
    u = rng.random(n)
    collective = rng.random(n) < by_position(COLLECTIVE_BY_TIER, pos)
    out: np.ndarray = np.where(
        collective, rng.integers(10, 61, n), np.where(u < 0.93, 1, rng.integers(2, 10, n))
    )
    return out


def _ids(time: np.ndarray) -> pl.Series:
    """yyyymmdd + the order's 8-digit number within its day (times must be sorted)."""
    day = time // DAY
    seq = np.arange(len(day)) - np.searchsorted(day, day, side="left") + 1
    stamp = pl.Series(day.astype(np.int32)).cast(pl.Date).dt.strftime("%Y%m%d")
    return stamp + pl.Series(seq).cast(pl.Utf8).str.zfill(8)


def _timestamps(seconds: np.ndarray, keep: np.ndarray | None = None) -> pl.Series:
    values = pl.from_epoch(pl.Series(seconds), time_unit="s")
    return values if keep is None else kept(values, keep)


def complaint_chunk(plan: Plan, world: World, chunk: Chunk, base: np.ndarray) -> pl.DataFrame:
    """One chunk of orders, typed (datetimes as datetimes), sorted by receipt time; `base` is
    `period_weights` of the chunk's quarter."""
    rng = plan.rng(S_COMPLAINTS, chunk.index)
    orders = _arrivals(plan, world, chunk, rng, base)
    n = len(orders.time)
    p = world.periods
    project, company = p.project[orders.period], p.company[orders.period]
    pos = world.quality.position(company, chunk.quarter)
    category = _inherit(pick(rng, list(vocab.CATEGORY_SHARES.values()), n), orders)
    order_type = _inherit(pick(rng, list(ORDER_TYPE_SHARES.values()), n), orders)
    channel = pick(rng, list(CHANNEL_SHARES.values()), n)
    channel = np.where(rng.random(n) < 0.5, _inherit(channel, orders), channel)
    h = _handling(plan, rng, orders, pos)
    proj = world.projects.select("district", "street", "project_name", "project_id")[project]
    frame = (
        pl.DataFrame(
            {
                "received_at": _timestamps(orders.time),
                "channel": pl.Series(CHANNEL_SHARES.keys())[channel],
                "order_type": pl.Series(ORDER_TYPE_SHARES.keys())[order_type],
                "category": pl.Series(CATEGORY_NAMES)[category],
                "content": _content(rng, orders, category, proj["project_name"]),
            }
        )
        .with_columns(*proj.get_columns())
        .with_columns(
            company_name=world.companies["name"][company],
            fact_finding=pl.Series(FINDINGS)[h["finding"]],
            deadline=_timestamps(h["deadline"]),
            closed_at=_timestamps(h["closed"], ~h["open"]),
            result=kept(pl.Series(RESULTS)[h["result"]], ~h["open"]),
            satisfaction=kept(pl.Series(SATISFACTION)[h["satisfaction"]], ~h["open"]),
            is_repeat=pl.Series(np.where(orders.src >= 0, "是", "否")),
            petitioners=_petitioners(rng, pos),
        )
    )
    return _number(frame, orders)


def _number(frame: pl.DataFrame, orders: _Orders) -> pl.DataFrame:
    order = np.argsort(orders.time, kind="stable")  # originals first among equal times
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    ids = _ids(orders.time[order])
    src_position = np.where(orders.src >= 0, position[np.maximum(orders.src, 0)], 0)[order]
    repeat_of = kept(ids[src_position], orders.src[order] >= 0)
    return frame[order].with_columns(complaint_id=ids, repeat_of=repeat_of)


COLUMNS = (
    "complaint_id",
    "received_at",
    "channel",
    "order_type",
    "category",
    "content",
    "district",
    "street",
    "project_name",
    "project_id",
    "company_name",
    "fact_finding",
    "deadline",
    "closed_at",
    "result",
    "satisfaction",
    "is_repeat",
    "repeat_of",
    "petitioners",
)
EXTRA_HEADERS = {
    "district": "行政区",
    "street": "街道",
    "project_name": "小区名称",
    "company_name": "物业公司",
}
DATETIME_COLUMNS = ("received_at", "deadline", "closed_at")


def write(ctx: Context) -> list[GeneratedFile]:
    """One file per covered quarter, written chunk by chunk."""
    plan = ctx.plan
    chunks = plan_chunks(plan, ctx.world)
    header = headers("complaints", COLUMNS, EXTRA_HEADERS)
    defects = dirt.COMPLAINTS_TYPED if plan.parquet else dirt.COMPLAINTS_TEXT
    files: list[GeneratedFile] = []
    done = 0
    for q, period in enumerate(plan.periods):
        path = ctx.out_dir / f"complaints_{period}.{'parquet' if plan.parquet else 'csv'}"
        out = (
            ParquetFile(path)
            if plan.parquet
            else CsvFile(path, list(header.values()), encoding="gb18030", crlf=True)
        )
        base = period_weights(ctx.world, q)
        with out:
            for chunk in (c for c in chunks if c.quarter == q):
                frame = complaint_chunk(plan, ctx.world, chunk, base)
                extra = _extras(ctx, chunk, frame)
                if not plan.parquet:
                    frame = format_temporal(
                        frame, dict.fromkeys(DATETIME_COLUMNS, "%Y-%m-%d %H:%M:%S")
                    )
                frame, bad = dirt.spoil(
                    frame, plan.rng(S_DIRT, S_COMPLAINTS, chunk.index), plan.dirty, defects
                )
                ctx.spoiled("complaints", bad)
                out.write(with_headers(frame, header))
                if extra is not None:
                    out.write(with_headers(extra, header))
                done += chunk.rows
                ctx.report("complaints", done, plan.complaints)
        fmt, enc = ("parquet", None) if plan.parquet else ("csv", "gb18030")
        files.append(GeneratedFile("complaints", path, out.rows, fmt, enc))
    if plan.integrity:
        write_parquet(ctx.out_dir / integrity.TRUTH_FILE, ctx.truth.frame())
    return files


def _extras(ctx: Context, chunk: Chunk, frame: pl.DataFrame) -> pl.DataFrame | None:
    """Opt-in unmarked duplicates and campaigns (synth/integrity.py), clean, as text for CSV."""
    if not ctx.plan.integrity:
        return None
    spec = (chunk.index, chunk.lo, chunk.hi, chunk.rows)
    extra = integrity.extras(ctx.plan, ctx.world, spec, frame, ctx.truth)
    if ctx.plan.parquet:
        return extra
    return format_temporal(extra, dict.fromkeys(DATETIME_COLUMNS, "%Y-%m-%d %H:%M:%S"))
