"""Good and bad credit information from other departments (良好/不良信息), one row per event.

About 0.3 awards and 0.5 penalties per company and year, and a handful of veto items
(一票否决) per thousand companies: penalties and vetoes fall more often on low-quality
companies, awards on high-quality ones. The best 2% of the companies serving a project get
a provincial award (10 points) and no bad information, so an AAA company exists under the
Yantai rules (basic ≤ 80 + good ≤ 40, AAA ≥ 85).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from rating.synth import vocab
from rating.synth.context import Context, GeneratedFile
from rating.synth.plan import S_EVENTS, dates, kept, pick, uniform_days
from rating.synth.rates import (
    BAD_PER_YEAR,
    BAD_SHARES,
    GOOD_PER_YEAR,
    GOOD_SHARES,
    STAR_SHARE,
    VETO_PER_YEAR,
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


def _counts(ctx: Context, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(company, code index, is a star's award) of every event."""
    quality = ctx.world.companies["quality"].to_numpy()
    n = len(quality)
    worse = np.minimum(quality / quality.mean(), 4)
    better = np.minimum((1 / quality) / (1 / quality).mean(), 4)
    serving = np.isin(np.arange(n), ctx.world.periods.company)
    ranked = np.flatnonzero(serving)[np.argsort(quality[serving], kind="stable")]
    stars = ranked[: max(1, round(STAR_SHARE * len(ranked)))]
    years = ctx.plan.years
    good = rng.poisson(GOOD_PER_YEAR * years * better)
    bad = np.where(np.isin(np.arange(n), stars), 0, rng.poisson(BAD_PER_YEAR * years * worse))
    veto = np.where(np.isin(np.arange(n), stars), 0, rng.poisson(VETO_PER_YEAR * years * worse))
    company = np.concatenate(
        [
            np.repeat(np.arange(n), good),
            np.repeat(np.arange(n), bad),
            np.repeat(np.arange(n), veto),
            stars,
        ]
    )
    code = np.concatenate(
        [
            pick(rng, GOOD_SHARES, int(good.sum())),
            N_GOOD + pick(rng, BAD_SHARES, int(bad.sum())),
            N_GOOD + N_BAD + pick(rng, np.ones(len(vocab.VETO_CODES)), int(veto.sum())),
            np.zeros(len(stars), dtype=np.int64),  # G01
        ]
    )
    return company, code, np.arange(len(company)) >= len(company) - len(stars)


def _places(
    ctx: Context, rng: np.random.Generator, company: np.ndarray, code: np.ndarray, star: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(service period or -1, decision day) of every event; stars' awards in the last half-year."""
    p, plan = ctx.world.periods, ctx.plan
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
    period = np.where(wanted & (count > 0), chosen, -1)
    lo = np.where(period >= 0, np.maximum(p.start[period], plan.start_day), plan.start_day)
    hi = np.where(period >= 0, np.minimum(p.last[period], plan.end_day), plan.end_day)
    lo = np.where(star, np.maximum(lo, np.minimum(hi, plan.end_day - 180)), lo)
    return period, uniform_days(rng, lo, hi)


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
    rng, plan, world = ctx.plan.rng(S_EVENTS), ctx.plan, ctx.world
    company, code, star = _counts(ctx, rng)
    period, day = _places(ctx, rng, company, code, star)
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
    """valid_until, serious, rectified_on and status (stars' awards valid two years, never revoked)."""
    n = len(day)
    good, veto = code < N_GOOD, code >= N_GOOD + N_BAD
    serious = np.array([c[4] for c in CODES])[code] | (~good & (rng.random(n) < 0.05))
    u = rng.random(n)
    valid = np.where(
        good,
        np.where((u < 0.6) | star, day + np.where(code == 0, 730, 365), -1),
        np.where(serious, -1, np.where(u < 0.4, day + 365, np.where(u < 0.6, day + 1095, -1))),
    )
    p_fix = np.where(good, 0.0, np.where(veto, 0.1, np.where(serious, 0.3, 0.5)))
    fixed_on = day + rng.integers(10, 91, n)
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
    frame = make_events(ctx)
    path = ctx.out_dir / "events.parquet"
    write_parquet(path, frame)
    ctx.report("events", len(frame), len(frame))
    return [GeneratedFile("events", path, len(frame), "parquet", None)]
