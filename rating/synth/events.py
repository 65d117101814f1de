"""Good and bad credit information from other departments (良好/不良信息), one row per event.

Events are drawn quarter by quarter from the company's quality that quarter, for the
covered time and the `PRE_QUARTERS` before it (so the first rated quarter already sees the
information still in force). Rates per company and year (`rates.py`) lean exponentially on
quality: awards on the best companies, penalties and a few veto items (一票否决) per
thousand companies clustered in a few bad ones. Each year the best `STAR_SHARE` of the
serving companies get the provincial award (10 points, valid a year, announced on the same
day every year), so AAA companies exist under the Yantai rules (basic ≤ 80 + good ≤ 40,
AAA ≥ 85) in every quarter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from rating.synth import vocab
from rating.synth.context import Context, GeneratedFile
from rating.synth.plan import S_EVENTS, dates, day_of, kept, pick, uniform_days
from rating.synth.rates import (
    BAD_PER_YEAR,
    BAD_SHARES,
    BAD_SLOPE,
    BAD_VALIDITY_DAYS,
    BAD_VALIDITY_SHARES,
    FIXED_SERIOUS,
    FIXED_VETO,
    GOOD_PER_YEAR,
    GOOD_SHARES,
    GOOD_SLOPE,
    STAR_LIST_DAY,
    STAR_SHARE,
    VETO_PER_YEAR,
    VETO_SLOPE,
    WITH_PROJECT,
)
from rating.synth.writers import write_parquet

CODES = vocab.GOOD_CODES + vocab.BAD_CODES + vocab.VETO_CODES
N_GOOD, N_BAD = len(vocab.GOOD_CODES), len(vocab.BAD_CODES)
C = vocab.CITY_SHORT
AUTHORITIES = {  # key -> (name, level, penalty prefix, award prefix); {d} district, {s} street
    "province": ("省住房和城乡建设厅", "省级", "省建罚", "省建字"),
    "city": (vocab.CITY + "住房和城乡建设局", "市级", C + "建罚", C + "建字"),
    "district": ("{d}住房和城乡建设局", "区级", C + "{d0}建罚", C + "{d0}建字"),
    "street": ("{s}办事处", "街道", "{s2}办罚", "{s2}办发"),
    "market": (vocab.CITY + "市场监督管理局", "市级", C + "市监罚", C + "市监字"),
    "fire": (vocab.CITY + "消防救援支队", "市级", C + "消罚", C + "消字"),
}
COLUMNS = (
    "event_id",
    "uscc",
    "project_id",
    "info_kind",
    "code",
    "description",
    "authority",
    "authority_level",
    "decided_on",
    "points",
    "valid_until",
    "serious",
    "rectified_on",
    "document_no",
    "status",
)


def _quarters(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(first day, last day) of every quarter of `ctx.world.quality`: the year before the
    covered time, then the covered quarters."""
    first = ctx.plan.periods[0]
    pre = ctx.world.quality.pre
    spans = [first.previous(pre - k) for k in range(pre)] + list(ctx.plan.periods)
    return (
        np.array([day_of(q.start) for q in spans], dtype=np.int64),
        np.array([day_of(q.end) for q in spans], dtype=np.int64),
    )


def _serving(ctx: Context, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(companies, quarters): does the company serve some project in that quarter?"""
    p = ctx.world.periods
    out = np.zeros((ctx.plan.companies, len(lo)), dtype=bool)
    for k in range(len(lo)):
        out[p.company[p.overlap(int(lo[k]), int(hi[k])) > 0], k] = True
    return out


def _rate(per_year: float, slope: float, z: np.ndarray) -> np.ndarray:
    """Events per company and quarter: `per_year` on average over a N(0, 1) city, leaning
    exponentially on quality (slope > 0: on bad companies; < 0: on good ones)."""
    out: np.ndarray = per_year / 4 * np.exp(slope * z - slope**2 / 2)
    return out


def _stars(ctx: Context, serving: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(company, quarter) of the provincial awards: each year (four quarters counted back
    from the last), the best `STAR_SHARE` of the serving companies by mean quality."""
    z, k_all = ctx.world.quality.z, serving.shape[1]
    companies, quarters = [], []
    for last in range(k_all - 1, -1, -4):
        block = np.arange(max(0, last - 3), last + 1)
        active = np.flatnonzero(serving[:, block].any(axis=1))
        if not len(active):
            continue
        mean = np.where(serving[active][:, block], z[active][:, block], np.nan)
        ranked = active[np.argsort(np.nanmean(mean, axis=1), kind="stable")]
        best = ranked[: max(1, round(STAR_SHARE * len(active)))]
        companies.append(best)
        quarters.append(np.full(len(best), block[len(block) // 2]))
    return np.concatenate(companies), np.concatenate(quarters)


@dataclass(frozen=True)
class _Drawn:
    """Every event's company, quarter (a column of the quality matrix), code index and
    whether it is a star's award; the quarters' first and last days."""

    company: np.ndarray
    quarter: np.ndarray
    code: np.ndarray
    star: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def _counts(ctx: Context, rng: np.random.Generator) -> _Drawn:
    lo, hi = _quarters(ctx)
    serving = _serving(ctx, lo, hi)
    z = ctx.world.quality.z
    kinds = (
        (GOOD_PER_YEAR, -GOOD_SLOPE),
        (BAD_PER_YEAR, BAD_SLOPE),
        (VETO_PER_YEAR, VETO_SLOPE),
    )
    counts = [np.where(serving, rng.poisson(_rate(r, s, z)), 0) for r, s in kinds]
    who = [np.repeat(np.arange(c.size), c.ravel()) for c in counts]  # flat (company, quarter)
    star_c, star_k = _stars(ctx, serving)
    n_good, n_bad, n_veto = (len(w) for w in who)
    width = z.shape[1]
    company = np.concatenate([w // width for w in who] + [star_c])
    quarter = np.concatenate([w % width for w in who] + [star_k])
    code = np.concatenate(
        [
            pick(rng, GOOD_SHARES, n_good),
            N_GOOD + pick(rng, BAD_SHARES, n_bad),
            N_GOOD + N_BAD + pick(rng, np.ones(len(vocab.VETO_CODES)), n_veto),
            np.zeros(len(star_c), dtype=np.int64),  # G01
        ]
    )
    star = np.arange(len(company)) >= len(company) - len(star_c)
    return _Drawn(company, quarter, code, star, lo, hi)


def _places(
    ctx: Context, rng: np.random.Generator, events: _Drawn
) -> tuple[np.ndarray, np.ndarray]:
    """(service period or -1, decision day) of every event, inside its quarter."""
    company, code, star = events.company, events.code, events.star
    p = ctx.world.periods
    kind = np.where(code < N_GOOD, 0, np.where(code < N_GOOD + N_BAD, 1, 2))
    by_company = np.argsort(p.company, kind="stable")
    first = np.searchsorted(p.company[by_company], company, side="left")
    count = np.searchsorted(p.company[by_company], company, side="right") - first
    wanted = (rng.random(len(company)) < WITH_PROJECT[kind]) | star
    chosen = (
        by_company[
            np.minimum(
                first + np.floor(rng.random(len(company)) * count).astype(np.int64),
                len(by_company) - 1,
            )
        ]
        if len(by_company)
        else np.zeros(len(company), dtype=np.int64)
    )
    lo, hi = events.lo[events.quarter], events.hi[events.quarter]
    served_lo = np.maximum(p.start[chosen], lo) if len(by_company) else lo
    served_hi = np.minimum(p.last[chosen], hi) if len(by_company) else hi
    on_project = wanted & (count > 0) & (served_lo <= served_hi)
    period = np.where(on_project, chosen, -1)
    first, last = np.where(on_project, served_lo, lo), np.where(on_project, served_hi, hi)
    day = uniform_days(rng, first, last)
    # The provincial list comes out on the same day every year: one award in force at a time.
    day = np.where(star, np.clip(lo + STAR_LIST_DAY, first, last), day)
    return period, day


def _authority(frame: pl.DataFrame) -> pl.DataFrame:
    """Fill authority, its level and the document prefix from the code's authority key."""
    names, levels, prefixes = {}, {}, {}
    for key, (name, level, penalty, award) in AUTHORITIES.items():
        names[key], levels[key] = name, level
        prefixes[(key, True)], prefixes[(key, False)] = award, penalty

    def fill(template: pl.Expr) -> pl.Expr:
        return (
            template.str.replace("{d0}", pl.col("district").str.slice(0, 1), literal=True)
            .str.replace("{d}", pl.col("district"), literal=True)
            .str.replace("{s2}", pl.col("street").str.slice(0, 2), literal=True)
            .str.replace("{s}", pl.col("street"), literal=True)
        )

    prefix = (
        pl.when(pl.col("info_kind") == "良好")
        .then(pl.col("key").replace_strict({k: a for (k, good), a in prefixes.items() if good}))
        .otherwise(
            pl.col("key").replace_strict({k: a for (k, good), a in prefixes.items() if not good})
        )
    )
    return frame.with_columns(
        authority=fill(pl.col("key").replace_strict(names)),
        authority_level=pl.col("key").replace_strict(levels),
        prefix=fill(prefix),
    )


def make_events(ctx: Context) -> pl.DataFrame:
    """The good and bad information (良好/不良信息) of the covered time and the `PRE_QUARTERS` quarters
    before it (in force when the first quarter is rated) as a frame in the `events` contract's
    columns: counts per company by quality, codes and points from `CODES`, a project when the event
    belongs to one."""
    rng, plan, world = ctx.plan.rng(S_EVENTS), ctx.plan, ctx.world
    events = _counts(ctx, rng)
    company, code, star = events.company, events.code, events.star
    period, day = _places(ctx, rng, events)
    n = len(company)
    has_project = period >= 0
    pidx = np.where(has_project, world.periods.project[np.maximum(period, 0)], 0)
    streets = [s for d in vocab.DISTRICTS for s in d[3]]
    codes = pl.DataFrame(CODES, schema=["code", "text", "points", "key", "serious"], orient="row")[
        code
    ]
    proj = world.projects.select("project_id", "project_name", "street", "district")[pidx]
    frame = pl.DataFrame(
        {
            "uscc": world.companies["uscc"][company],
            "project_id": kept(proj["project_id"], has_project),
            "info_kind": pl.Series(np.where(code < N_GOOD, "良好", "不良")),
            "decided_on": dates(day),
            "with_project": has_project,
            "any_street": pl.Series(streets)[pick(rng, np.ones(len(streets)), n)],
            "home": world.companies["district"][company],
        }
    ).with_columns(*proj.drop("project_id").get_columns(), *codes.get_columns())
    on_project = pl.col("with_project")
    frame = frame.with_columns(
        district=pl.when(on_project).then("district").otherwise("home"),
        street=pl.when(on_project).then("street").otherwise("any_street"),
        description=pl.when(on_project)
        .then(pl.col("project_name") + "项目：" + pl.col("text"))
        .otherwise("text"),
    )
    frame = _authority(frame).with_columns(_terms(rng, plan.end_day, day, code, star))
    return _number(frame.with_columns(pl.col("points").cast(pl.Float64)))


def _terms(
    rng: np.random.Generator, end_day: int, day: np.ndarray, code: np.ndarray, star: np.ndarray
) -> list[pl.Series]:
    """valid_until, serious, rectified_on and status (stars' awards valid a year, never revoked)."""
    n = len(day)
    good, veto = code < N_GOOD, code >= N_GOOD + N_BAD
    serious = np.array([c[4] for c in CODES])[code] | (~good & (rng.random(n) < 0.05))
    u = rng.random(n)
    bad_days = BAD_VALIDITY_DAYS[pick(rng, BAD_VALIDITY_SHARES, n)]
    valid = np.where(
        good,
        np.where(star, day + 365, np.where(u < 0.6, day + np.where(code == 0, 730, 365), -1)),
        np.where(serious | (bad_days < 0), -1, day + bad_days),
    )
    p_fix = np.where(good, 0.0, np.where(veto, FIXED_VETO, np.where(serious, FIXED_SERIOUS, 0.5)))
    fixed_on = day + np.where(veto | serious, rng.integers(30, 271, n), rng.integers(10, 91, n))
    fixed = (rng.random(n) < p_fix) & (fixed_on <= end_day)

    return [
        dates(valid, valid >= 0).alias("valid_until"),
        pl.Series("serious", serious),
        dates(fixed_on, fixed).alias("rectified_on"),
        pl.Series("status", np.where((rng.random(n) < 0.01) & ~star, "已撤销", "有效")),
    ]


def _number(frame: pl.DataFrame) -> pl.DataFrame:
    """Event ids in decision order; document numbers run per issuing prefix and year."""
    frame = frame.with_row_index("_i").sort(["decided_on", "_i"])
    year = pl.col("decided_on").dt.year().cast(pl.Utf8)
    seq = pl.int_range(1, pl.len() + 1).over(["prefix", pl.col("decided_on").dt.year()])
    return frame.with_columns(
        event_id=pl.lit("XY") + pl.int_range(1, pl.len() + 1).cast(pl.Utf8).str.zfill(8),
        document_no=pl.col("prefix") + "〔" + year + "〕" + seq.cast(pl.Utf8) + "号",
    ).select(COLUMNS)


def write(ctx: Context) -> list[GeneratedFile]:
    """Write events.parquet (typed columns, zstd) from `make_events`; returns the file written."""
    frame = make_events(ctx)
    path = ctx.out_dir / "events.parquet"
    write_parquet(path, frame)
    ctx.report("events", len(frame), len(frame))
    return [GeneratedFile("events", path, len(frame), "parquet", None)]
