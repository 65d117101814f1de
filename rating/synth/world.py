"""The city behind the exports: companies, projects and who served which project when.

Each company has a latent quality that drifts slowly from quarter to quarter
(`World.quality`, see `quality.py`); the companies frame keeps where it starts (`z0`).
Households are scaled so that the requested complaints make the city's 12345 complaint
density the published one (`rates.HOTLINE_PER_1000_HOUSEHOLDS`). Every other kind reads the world;
nothing writes back to it. Projects change hands at most once in the covered time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from rating.synth import vocab
from rating.synth.plan import (
    DAY,
    S_COMPANIES,
    S_PROJECTS,
    S_QUALITY,
    Plan,
    day_of,
    pick,
    quality_tier,
    uniform_days,
)
from rating.synth.quality import Quality, drift
from rating.synth.rates import CHANNEL_SHARES, HOTLINE_PER_1000_HOUSEHOLDS, MIN_HOUSEHOLDS
from rating.uscc import ALPHABET, WEIGHTS

HANDOVER_SHARE = 0.10
LOCAL_COMPANY_SHARE = 0.6  # projects served by a company registered in their district

DISTRICT_NAMES = [d[0] for d in vocab.DISTRICTS]
DISTRICT_SHARES = np.array([d[2] for d in vocab.DISTRICTS])


@dataclass(frozen=True)
class Periods:
    """Service periods, sorted by project then start; `last` is the end or the covered end."""

    project: np.ndarray
    company: np.ndarray
    start: np.ndarray
    last: np.ndarray
    open: np.ndarray

    def __len__(self) -> int:
        return len(self.project)

    def overlap(self, lo: int, hi: int) -> np.ndarray:
        """Days each period was served within [lo, hi] (0 when none)."""
        out: np.ndarray = np.maximum(0, np.minimum(self.last, hi) - np.maximum(self.start, lo) + 1)
        return out


@dataclass(frozen=True)
class World:
    companies: pl.DataFrame  # uscc, name, district, registered, registered_on, z0, size
    projects: (
        pl.DataFrame
    )  # project_id, project_name, district, street, address, households, floor_area, noise
    periods: Periods
    quality: Quality  # z per company and quarter

    def period_frame(self) -> pl.DataFrame:
        """One row per period with the project's and company's attributes (small kinds only);
        `tier` is the company's in the first covered quarter."""
        p = self.periods
        return pl.DataFrame(
            {"pi": p.project, "ci": p.company, "start": p.start, "last": p.last}
        ).with_columns(
            self.projects.select("project_id", "project_name", "street", "district")[p.project],
            self.companies.select("uscc")[p.company],
            tier=quality_tier(self.quality.at(p.company, 0)),
        )


def _syllable_brands(rng: np.random.Generator, n: int) -> pl.Series:
    syl = pl.Series(vocab.BRAND_SYLLABLES)
    s = len(syl)
    if n <= s * (s - 1) // 2:
        k = rng.choice(s * (s - 1), n, replace=False)
        a, b = k // (s - 1), k % (s - 1)
        b = b + (b >= a)
        return syl[a] + syl[b]
    k = rng.choice(s**3, n, replace=False)
    return syl[k // (s * s)] + syl[(k // s) % s] + syl[k % s]


def _usccs(rng: np.random.Generator, district: np.ndarray) -> np.ndarray:
    """Valid, distinct codes: 91 + the district's division code + 9 scrambled chars + check."""
    n = len(district)
    codes = np.array([[int(c) for c in d[1]] for d in vocab.DISTRICTS])[district]
    multiplier = int(rng.integers(10**9, 10**10)) | 1
    multiplier += multiplier % 31 == 0
    x = (np.arange(n, dtype=np.int64) * multiplier + int(rng.integers(0, 31**9))) % 31**9
    org = np.stack([(x // 31**k) % 31 for k in range(9)], axis=1)  # low digits first: no runs
    values = np.concatenate([np.tile([9, 1], (n, 1)), codes, org], axis=1)
    check = (31 - (values @ np.array(WEIGHTS)) % 31) % 31
    chars = np.array(list(ALPHABET), dtype="<U1")[np.concatenate([values, check[:, None]], axis=1)]
    return np.ascontiguousarray(chars).view("<U18").ravel()


def make_companies(plan: Plan) -> pl.DataFrame:
    """The plan's companies: USCC (valid check character), a realistic name from
    `vocab.COMPANY_PATTERNS`, district by the city's shares, registration, starting quality `z0` and
    size."""
    rng = plan.rng(S_COMPANIES)
    n = plan.companies
    district = pick(rng, DISTRICT_SHARES, n)
    patterns = [p for p, _ in vocab.COMPANY_PATTERNS]
    pattern = pick(rng, [w for _, w in vocab.COMPANY_PATTERNS], n)
    brand = _syllable_brands(rng, n)
    frame = pl.DataFrame(
        {
            "pattern": pl.Series(patterns)[pattern],
            "brand": brand,
            "d": pl.Series([d[:-1] for d in DISTRICT_NAMES])[district],
        }
    )
    name = frame.select(
        pl.col("pattern")
        .str.replace("{city}", vocab.CITY[:-1], literal=True)
        .str.replace("{brand}", pl.col("brand"), literal=True)
        .str.replace("{district}", pl.col("d"), literal=True)
    ).to_series()
    z = rng.standard_normal(n)
    oldest, newest = day_of(date(1998, 1, 1)), plan.start_day - 400
    return pl.DataFrame(
        {
            "uscc": _usccs(rng, district),
            "name": name,
            "district": pl.Series(DISTRICT_NAMES)[district],
            "registered": rng.random(n) >= 0.01,
            "registered_on": pl.Series(
                uniform_days(rng, np.full(n, oldest), np.full(n, newest))
            ).cast(pl.Date),
            "z0": z,
            "size": rng.lognormal(0.0, 1.2, n),
            "district_idx": district,
        }
    )


def _zipf(k: int, a: float = 0.6) -> np.ndarray:
    """Weights 1/rank^a: the first entries of a name list are the most common."""
    out: np.ndarray = 1.0 / np.arange(1, k + 1) ** a
    return out


def _project_names(rng: np.random.Generator, n: int) -> pl.Series:
    prefixes, suffixes = pl.Series(vocab.COMPOUND_PREFIXES), pl.Series(vocab.COMPOUND_SUFFIXES)
    name = (
        prefixes[pick(rng, _zipf(len(prefixes)), n)] + suffixes[pick(rng, _zipf(len(suffixes)), n)]
    )
    phase = pl.Series(("",) + vocab.COMPOUND_PHASES)[
        np.where(rng.random(n) < 0.12, pick(rng, np.ones(7), n) + 1, 0)
    ]
    unit = pl.Series(vocab.WORK_UNIT_COMPOUNDS)[
        pick(rng, np.ones(len(vocab.WORK_UNIT_COMPOUNDS)), n)
    ]
    names: pl.Series = pl.select(
        pl.when(pl.Series(rng.random(n) < 0.04)).then(unit).otherwise(name + phase)
    ).to_series()
    return names


def _streets(rng: np.random.Generator, district: np.ndarray) -> pl.Series:
    streets = [s for d in vocab.DISTRICTS for s in d[3]]
    counts = np.array([len(d[3]) for d in vocab.DISTRICTS])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    idx = offsets[district] + np.floor(rng.random(len(district)) * counts[district]).astype(
        np.int64
    )
    out: pl.Series = pl.Series(streets)[idx]
    return out


def _assign_companies(
    rng: np.random.Generator, companies: pl.DataFrame, district: np.ndarray
) -> np.ndarray:
    size = companies["size"].to_numpy()
    home = companies["district_idx"].to_numpy()
    out = pick(rng, size, len(district))
    local = rng.random(len(district)) < LOCAL_COMPANY_SHARE
    for d in range(len(vocab.DISTRICTS)):
        members = np.flatnonzero(home == d)
        rows = np.flatnonzero(local & (district == d))
        if len(members) and len(rows):
            out[rows] = members[pick(rng, size[members], len(rows))]
    return out


def _households(plan: Plan, rng: np.random.Generator, n: int) -> np.ndarray:
    """Lognormal sizes (median 450, 50 … 3,000) scaled so that the 12345 share of the
    complaints asked for is `HOTLINE_PER_1000_HOUSEHOLDS` a year: a city's households follow
    its complaint volume (the other channels come on top, as they do in a bureau's export)."""
    shape = np.clip(rng.lognormal(np.log(450), 0.7, n), 50, 3000)
    hotline = plan.complaints * CHANNEL_SHARES["12345热线"] / sum(CHANNEL_SHARES.values())
    wanted = hotline / plan.years / HOTLINE_PER_1000_HOUSEHOLDS * 1000
    scale = wanted / shape.sum() if plan.complaints else 1.0
    out: np.ndarray = np.maximum(np.round(shape * scale), MIN_HOUSEHOLDS).astype(np.int64)
    return out


def make_projects(
    plan: Plan, companies: pl.DataFrame, quality: Quality
) -> tuple[pl.DataFrame, Periods]:
    """The plan's projects (id `XM<6 digits>`, name, district, street, address, households scaled to
    the published hotline density, floor area 60–120 m² a household) and their service periods: who
    served which project when, at most one change of hands in the covered time."""
    rng = plan.rng(S_PROJECTS)
    n = plan.projects
    district = pick(rng, DISTRICT_SHARES, n)
    households = _households(plan, rng, n)
    road = pl.Series(vocab.ROADS)[pick(rng, np.ones(len(vocab.ROADS)), n)]
    number = pl.Series(rng.integers(1, 999, n)).cast(pl.Utf8)
    projects = pl.DataFrame(
        {
            "project_id": "XM" + pl.Series(np.arange(1, n + 1)).cast(pl.Utf8).str.zfill(6),
            "project_name": _project_names(rng, n),
            "district": pl.Series(DISTRICT_NAMES)[district],
            "street": _streets(rng, district),
            "address": pl.Series(DISTRICT_NAMES)[district] + road + number + "号",
            "households": households,
            "floor_area": np.round(households * rng.uniform(60, 120, n), 2),
            "noise": rng.lognormal(0.0, 0.3, n),
        }
    )
    return projects, _periods(plan, rng, companies, quality, district)


def _periods(
    plan: Plan,
    rng: np.random.Generator,
    companies: pl.DataFrame,
    quality: Quality,
    district: np.ndarray,
) -> Periods:
    n = len(district)
    company = _assign_companies(rng, companies, district)
    span = plan.end_day - plan.start_day + 1
    before = rng.random(n) < 0.88
    start = np.where(
        before,
        plan.start_day - rng.integers(30, 3650, n),
        plan.start_day + np.floor(rng.random(n) * max(span - 20, 1)).astype(np.int64),
    )
    factor = np.sqrt(quality.factor(company, 0))  # worse companies lose projects more often
    p_hand = np.clip(HANDOVER_SHARE * factor / factor.mean(), 0, 0.5)
    lo = np.maximum(start + 60, plan.start_day + 10)
    hi = np.full(n, plan.end_day - 10)
    hand = (rng.random(n) < p_hand) & (lo <= hi) & (plan.companies > 1)
    at = uniform_days(rng, lo, hi)
    successor = pick(rng, companies["size"].to_numpy(), n)
    successor = np.where(successor == company, (successor + 1) % plan.companies, successor)
    first = np.arange(n)
    second = np.flatnonzero(hand)
    proj = np.concatenate([first, second])
    order = np.lexsort((np.concatenate([start, at[second]]), proj))
    return Periods(
        project=proj[order],
        company=np.concatenate([company, successor[second]])[order],
        start=np.concatenate([start, at[second]])[order],
        last=np.concatenate(
            [np.where(hand, at - 1, plan.end_day), np.full(len(second), plan.end_day)]
        )[order],
        open=np.concatenate([~hand, np.ones(len(second), dtype=bool)])[order],
    )


def make_world(plan: Plan) -> World:
    """The city of a plan: companies, projects, service periods and each company's quality per
    quarter (`quality.drift`), all from the plan's seeded streams (same plan, same world)."""
    companies = make_companies(plan)
    quality = drift(plan.rng(S_QUALITY), companies["z0"].to_numpy(), len(plan.periods))
    projects, periods = make_projects(plan, companies, quality)
    return World(companies, projects, periods, quality)


def seconds(days: np.ndarray) -> np.ndarray:
    """Integer days since 1970-01-01 → seconds (int64)."""
    return days.astype(np.int64) * DAY
