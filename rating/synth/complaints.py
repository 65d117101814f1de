"""Complaint work orders (12345 and other channels), generated chunk by chunk.

The covered months share the requested total in proportion to the projects served in them
and a seasonal factor (July–August busiest). A month with more than `CHUNK_ROWS` orders is
split into runs of days. Within a chunk, a service period receives orders in proportion to
households × company quality × project noise × days served; about 30% of orders repeat an
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

from rating.ingest.contracts import FINDINGS, RESULTS, SATISFACTION
from rating.synth import vocab
from rating.synth.plan import DAY, S_COMPLAINTS, Plan, allocate, day_of, pick, pick_by_row, uniform_days
from rating.synth.world import World

CHUNK_ROWS = 1_000_000
REPEAT_SHARE = 0.30
SEASON = np.array([0.85, 0.8, 0.95, 1.0, 1.0, 1.1, 1.35, 1.45, 1.1, 0.95, 0.95, 0.9])
HOUR_WEIGHTS = np.array(
    [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 1.5, 3, 4, 4, 3.5, 2.5, 2.5, 3.5, 3.8, 3.5, 3, 2.5, 3, 3, 2.5, 1.5, 0.8]
)
CHANNEL_SHARES = {"12345热线": 0.74, "住建服务热线": 0.12, "网上投诉": 0.09, "信访": 0.02, "其他": 0.03}
ORDER_TYPE_SHARES = {"投诉举报类": 0.55, "求助类": 0.35, "咨询类": 0.05, "意见建议类": 0.03, "其他类": 0.02}
DEADLINE_DAYS, DEADLINE_SHARES = np.array([3, 5, 7, 10, 15]), [0.1, 0.3, 0.25, 0.2, 0.15]
# Rows: quality tier 0 (best) … 4 (worst); columns in the order of the contract constants.
FINDING_BY_TIER = np.array([[.25, .17, .45, .13], [.33, .19, .36, .12], [.40, .20, .29, .11],
                            [.48, .20, .22, .10], [.56, .20, .15, .09]])
RESULT_BY_TIER = np.array([[.80, .12, .05, .03], [.74, .15, .08, .03], [.66, .18, .13, .03],
                           [.57, .21, .19, .03], [.48, .24, .25, .03]])
SATISFACTION_BY_RESULT = np.array([[.68, .18, .05, .09], [.30, .33, .22, .15], [.08, .15, .57, .20],
                                   [.10, .20, .40, .30]])
LATE_BY_TIER = np.array([0.03, 0.06, 0.10, 0.16, 0.26])
STILL_OPEN = 0.002  # suspended cases, open whatever their age

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
    base = period_weights(world)
    months = list(_months(plan))
    weights = np.array([(base * world.periods.overlap(lo, hi)).sum() * SEASON[m - 1] for _, m, lo, hi in months])
    counts = allocate(plan.complaints, weights)
    chunks: list[Chunk] = []
    for (q, _, lo, hi), count in zip(months, counts, strict=True):
        parts = np.array_split(np.arange(lo, hi + 1), max(1, -(-int(count) // CHUNK_ROWS)))
        for days, rows in zip(parts, allocate(int(count), np.array([len(p) for p in parts])), strict=True):
            chunks.append(Chunk(len(chunks), q, int(days[0]), int(days[-1]), int(rows)))
    return chunks


def period_weights(world: World) -> np.ndarray:
    """Expected complaints per served day, up to a constant, for every service period."""
    p = world.periods
    households = world.projects["households"].to_numpy()[p.project]
    noise = world.projects["noise"].to_numpy()[p.project]
    return households * noise * world.companies["quality"].to_numpy()[p.company]


@dataclass
class _Orders:
    """Per-order arrays of one chunk, originals first, then repeats (`src` = their original)."""

    period: np.ndarray
    time: np.ndarray
    src: np.ndarray  # index of the original, -1 for originals
    n_orig: int


def _arrivals(plan: Plan, world: World, chunk: Chunk, rng: np.random.Generator, base: np.ndarray) -> _Orders:
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
    t_rep = t_orig[src] + np.floor(rng.random(n_rep) ** 2 * np.minimum(room, 7 * DAY)).astype(np.int64)
    return _Orders(
        period=np.concatenate([period, period[src]]),
        time=np.concatenate([t_orig, t_rep]),
        src=np.concatenate([np.full(n_orig, -1), src]),
        n_orig=n_orig,
    )


def _inherit(values: np.ndarray, orders: _Orders) -> np.ndarray:
    """Repeats carry their original's value."""
    out = values.copy()
    out[orders.n_orig:] = values[orders.src[orders.n_orig:]]
    return out


def _content(rng: np.random.Generator, orders: _Orders, category: np.ndarray, name: pl.Series) -> pl.Series:
    n = len(orders.period)
    problem = _inherit(_PROBLEM_OFFSET[category] + np.floor(rng.random(n) * _PROBLEM_COUNT[category]).astype(np.int64), orders)
    building = _inherit(rng.integers(1, 31, n), orders)
    situation = pick(rng, np.ones(len(vocab.COMPLAINT_SITUATIONS)), n)
    situation = np.where(rng.random(n) < 0.5, _inherit(situation, orders), situation)
    demand = _inherit(pick(rng, np.ones(len(vocab.COMPLAINT_DEMANDS)), n), orders)
    openings = pl.Series(vocab.COMPLAINT_OPENINGS + vocab.REPEAT_OPENINGS)
    opening = pick(rng, np.ones(len(vocab.COMPLAINT_OPENINGS)), n)
    repeat_opening = len(vocab.COMPLAINT_OPENINGS) + pick(rng, np.ones(len(vocab.REPEAT_OPENINGS)), n)
    opening = np.where(orders.src >= 0, repeat_opening, opening)
    return pl.select(pl.concat_str([
        openings[opening], name, pl.Series(building).cast(pl.Utf8), pl.lit("号楼"),
        pl.Series(_PROBLEMS)[problem], pl.lit("，"), pl.Series(vocab.COMPLAINT_SITUATIONS)[situation],
        pl.lit("，"), pl.Series(vocab.COMPLAINT_DEMANDS)[demand], pl.lit("。"),
    ])).to_series()


def _handling(plan: Plan, rng: np.random.Generator, orders: _Orders, tier: np.ndarray) -> dict[str, np.ndarray]:
    """Deadline, closing time, finding, result and satisfaction (quality-dependent)."""
    n = len(orders.time)
    deadline = orders.time + DEADLINE_DAYS[pick(rng, DEADLINE_SHARES, n)] * DAY
    late = rng.random(n) < LATE_BY_TIER[tier]
    allowed = deadline - orders.time
    on_time = orders.time + np.floor(rng.uniform(0.05, 0.95, n) * allowed).astype(np.int64)
    overdue = deadline + rng.integers(DAY // 2, 12 * DAY, n)
    closed = np.where(late, overdue, on_time)
    is_open = (closed > plan.end_ts) | (rng.random(n) < STILL_OPEN)
    finding = _inherit(pick_by_row(rng, FINDING_BY_TIER, tier), orders)
    finding = np.where(is_open, FINDINGS.index("未认定"), finding)
    result = pick_by_row(rng, RESULT_BY_TIER, np.minimum(tier + late, 4))
    satisfaction = pick_by_row(rng, SATISFACTION_BY_RESULT, result)
    return {"deadline": deadline, "closed": closed, "open": is_open, "finding": finding,
            "result": result, "satisfaction": satisfaction}


def _petitioners(rng: np.random.Generator, n: int) -> np.ndarray:
    u = rng.random(n)
    return np.where(u < 0.93, 1, np.where(u < 0.995, rng.integers(2, 10, n), rng.integers(10, 61, n)))


def _ids(time: np.ndarray) -> pl.Series:
    """yyyymmdd + the order's 8-digit number within its day (times must be sorted)."""
    day = time // DAY
    seq = np.arange(len(day)) - np.searchsorted(day, day, side="left") + 1
    stamp = pl.Series(day.astype(np.int32)).cast(pl.Date).dt.strftime("%Y%m%d")
    return stamp + pl.Series(seq).cast(pl.Utf8).str.zfill(8)


def _timestamps(seconds: np.ndarray, null: np.ndarray | None = None) -> pl.Series:
    s = pl.from_epoch(pl.Series(seconds), time_unit="s")
    return s if null is None else pl.select(pl.when(pl.Series(null)).then(None).otherwise(s)).to_series()


def complaint_chunk(plan: Plan, world: World, chunk: Chunk, base: np.ndarray) -> pl.DataFrame:
    """One chunk of orders, typed (datetimes as datetimes), sorted by receipt time."""
    rng = plan.rng(S_COMPLAINTS, chunk.index)
    orders = _arrivals(plan, world, chunk, rng, base)
    n = len(orders.time)
    p = world.periods
    project, company = p.project[orders.period], p.company[orders.period]
    tier = world.companies["tier"].to_numpy()[company]
    category = _inherit(pick(rng, list(vocab.CATEGORY_SHARES.values()), n), orders)
    order_type = _inherit(pick(rng, list(ORDER_TYPE_SHARES.values()), n), orders)
    channel = pick(rng, list(CHANNEL_SHARES.values()), n)
    channel = np.where(rng.random(n) < 0.5, _inherit(channel, orders), channel)
    h = _handling(plan, rng, orders, tier)
    proj = world.projects.select("district", "street", "project_name", "project_id")[project]
    frame = pl.DataFrame({
        "received_at": _timestamps(orders.time),
        "channel": pl.Series(CHANNEL_SHARES.keys())[channel],
        "order_type": pl.Series(ORDER_TYPE_SHARES.keys())[order_type],
        "category": pl.Series(CATEGORY_NAMES)[category],
        "content": _content(rng, orders, category, proj["project_name"]),
    }).with_columns(proj).with_columns(
        company_name=world.companies["name"][company],
        fact_finding=pl.Series(FINDINGS)[h["finding"]],
        deadline=_timestamps(h["deadline"]),
        closed_at=_timestamps(h["closed"], h["open"]),
        result=pl.select(pl.when(pl.Series(h["open"])).then(None)
                         .otherwise(pl.Series(RESULTS)[h["result"]])).to_series(),
        satisfaction=pl.select(pl.when(pl.Series(h["open"])).then(None)
                               .otherwise(pl.Series(SATISFACTION)[h["satisfaction"]])).to_series(),
        is_repeat=pl.Series(np.where(orders.src >= 0, "是", "否")),
        petitioners=_petitioners(rng, n),
    )
    return _number(frame, orders)


def _number(frame: pl.DataFrame, orders: _Orders) -> pl.DataFrame:
    order = np.argsort(orders.time, kind="stable")  # originals first among equal times
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    ids = _ids(orders.time[order])
    src_position = np.where(orders.src >= 0, position[np.maximum(orders.src, 0)], 0)[order]
    repeat_of = pl.select(pl.when(pl.Series(orders.src[order] >= 0)).then(ids[src_position])).to_series()
    return frame[order].with_columns(complaint_id=ids, repeat_of=repeat_of)


COLUMNS = ("complaint_id", "received_at", "channel", "order_type", "category", "content", "district",
           "street", "project_name", "project_id", "company_name", "fact_finding", "deadline",
           "closed_at", "result", "satisfaction", "is_repeat", "repeat_of", "petitioners")
EXTRA_HEADERS = {"district": "行政区", "street": "街道", "project_name": "小区名称", "company_name": "物业公司"}
DATETIME_COLUMNS = ("received_at", "deadline", "closed_at")
