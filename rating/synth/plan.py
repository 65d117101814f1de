"""The resolved knobs of one generation run, its covered time and its random streams.

Time inside the generator is integers: days since 1970-01-01 for dates, seconds since
1970-01-01 00:00:00 for times (naive local time of the bureau). Every kind draws from its
own numpy stream, keyed by (seed, stream, chunk), so a chunk's content never depends on
how many numbers another kind drew: same arguments, same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from rating.errors import UsageError
from rating.periods import Period

EPOCH = date(1970, 1, 1)
DAY = 86_400

# Stream numbers: never reuse or renumber one (that would change every generated file).
S_COMPANIES, S_PROJECTS, S_COMPLAINTS, S_INSPECTIONS = 1, 2, 3, 4
S_CHECKS, S_OPINIONS, S_EVENTS, S_DIRT = 5, 6, 7, 8
S_QUALITY = 10  # 9 is synth/integrity.py's
S_ATTRIBUTES = 11  # property type and year built of projects
S_MANAGERS = 12  # managers, assignments and surveys (synth/managers.py)

MAX_PROJECTS = 300_000
MAX_COMPANIES = 200_000


def day_of(d: date) -> int:
    """Days since 1970-01-01 (`EPOCH`): the integer day the generator counts in."""
    return (d - EPOCH).days


@dataclass(frozen=True)
class Plan:
    seed: int
    complaints: int
    companies: int
    projects: int
    periods: tuple[Period, ...]
    parquet: bool
    dirty: float
    integrity: bool = False  # opt-in extras with ground truth (synth/integrity.py)

    @classmethod
    def resolve(
        cls,
        *,
        complaints: int,
        seed: int,
        companies: int | None,
        projects: int | None,
        quarters: int,
        end: str,
        parquet: bool,
        dirty: float,
        integrity: bool = False,
    ) -> Plan:
        if complaints < 0:
            raise UsageError("complaints must be ≥ 0", code="SYNTH_BAD_OPTION")
        if seed < 0:
            raise UsageError("seed must be ≥ 0", code="SYNTH_BAD_OPTION")
        if not 1 <= quarters <= 40:
            raise UsageError("quarters must be between 1 and 40", code="SYNTH_BAD_OPTION")
        if not 0 <= dirty <= 0.5:
            raise UsageError("dirty must be a fraction between 0 and 0.5", code="SYNTH_BAD_OPTION")
        last = Period.parse(end)
        if last.kind != "Q":
            raise UsageError(
                f"end must be a quarter such as 2026Q3, not '{end}'", code="SYNTH_BAD_OPTION"
            )
        n_projects = projects if projects is not None else default_projects(complaints, quarters)
        n_companies = companies if companies is not None else max(5, round(n_projects / 5))
        if not 1 <= n_projects <= MAX_PROJECTS:
            raise UsageError(
                f"projects must be between 1 and {MAX_PROJECTS:,}", code="SYNTH_BAD_OPTION"
            )
        if not 1 <= n_companies <= MAX_COMPANIES:
            raise UsageError(
                f"companies must be between 1 and {MAX_COMPANIES:,}", code="SYNTH_BAD_OPTION"
            )
        periods = tuple(last.previous(quarters - 1 - i) for i in range(quarters))
        return cls(seed, complaints, n_companies, n_projects, periods, parquet, dirty, integrity)

    @property
    def start_day(self) -> int:
        return day_of(self.periods[0].start)

    @property
    def end_day(self) -> int:
        """Last covered day, included: no generated date lies after it (deadlines excepted)."""
        return day_of(self.periods[-1].end)

    @property
    def end_ts(self) -> int:
        return (self.end_day + 1) * DAY - 1

    @property
    def years(self) -> float:
        return len(self.periods) / 4

    def rng(self, stream: int, *chunk: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, stream, *chunk]))

    def knobs(self) -> dict[str, object]:
        return {
            "complaints": self.complaints,
            "companies": self.companies,
            "projects": self.projects,
            "quarters": len(self.periods),
            "end": str(self.periods[-1]),
            "parquet": self.parquet,
            "dirty": self.dirty,
        } | ({"integrity": True} if self.integrity else {})


def default_projects(complaints: int, quarters: int) -> int:
    """About ten complaints per project and quarter, within [20, 300,000]."""
    return int(min(MAX_PROJECTS, max(20, round(complaints / quarters / 10))))


def pick(rng: np.random.Generator, probs: np.ndarray | Sequence[float], n: int) -> np.ndarray:
    """n draws of a categorical distribution (indices into probs)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    cdf = np.cumsum(np.asarray(probs, dtype=np.float64))
    idx = np.searchsorted(cdf / cdf[-1], rng.random(n), side="right")
    out: np.ndarray = np.minimum(idx, len(cdf) - 1)
    return out


def pick_by_row(rng: np.random.Generator, table: np.ndarray, row: np.ndarray) -> np.ndarray:
    """One categorical draw per element; `table[row[i]]` holds that element's probabilities."""
    if len(row) == 0:
        return np.zeros(0, dtype=np.int64)
    cdf = np.cumsum(table, axis=1)
    cdf = cdf / cdf[:, -1:]
    u = rng.random(len(row))
    idx = (u[:, None] >= cdf[row]).sum(axis=1)
    out: np.ndarray = np.minimum(idx, table.shape[1] - 1)
    return out


def pick_each(
    rng: np.random.Generator, probs: np.ndarray, u: np.ndarray | None = None
) -> np.ndarray:
    """One categorical draw per row of `probs` (rows need not sum to 1), from the uniforms
    `u` when given (see `sticky_uniforms`)."""
    if len(probs) == 0:
        return np.zeros(0, dtype=np.int64)
    cdf = np.cumsum(probs, axis=1)
    cdf = cdf / cdf[:, -1:]
    idx = ((rng.random(len(probs)) if u is None else u)[:, None] >= cdf).sum(axis=1)
    out: np.ndarray = np.minimum(idx, probs.shape[1] - 1)
    return out


def sticky_uniforms(
    plan: Plan, stream: int, keys: np.ndarray, n_keys: int, keep: float, rng: np.random.Generator
) -> np.ndarray:
    """A uniform per element that, with probability `keep`, is the same for every element of
    the same key (one fixed draw per key from `stream`), else fresh from `rng`: what a project
    got wrong last quarter it tends to get wrong again."""
    fixed = plan.rng(stream).random(n_keys)[keys]
    out: np.ndarray = np.where(rng.random(len(keys)) < keep, fixed, rng.random(len(keys)))
    return out


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split `total` into integers proportional to `weights` (largest remainder, exact)."""
    w = np.asarray(weights, dtype=np.float64)
    if total == 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=np.int64)
    exact = w / w.sum() * total
    out: np.ndarray = np.floor(exact).astype(np.int64)
    short = total - int(out.sum())
    order = np.argsort(-(exact - out), kind="stable")
    out[order[:short]] += 1
    return out


def rounded_count(rng: np.random.Generator, expected: float) -> int:
    """Stochastic rounding: floor(expected + u), deterministic for a given stream."""
    return int(np.floor(expected + rng.random()))


def quality_tier(z: np.ndarray) -> np.ndarray:
    """0 (best) … 4 (worst) from a company's standardised log complaint factor."""
    out: np.ndarray = np.digitize(z, [-1.0, -0.35, 0.35, 1.0]).astype(np.int64)
    return out


def uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A day in [lo, hi] (both included) per element."""
    span = np.maximum(hi - lo + 1, 1)
    out: np.ndarray = lo + np.floor(rng.random(len(lo)) * span).astype(np.int64)
    return out


def dates(days: np.ndarray, keep: np.ndarray | None = None) -> pl.Series:
    """Day numbers as a polars Date series, null where `keep` is false."""
    values = pl.Series(days.astype(np.int32)).cast(pl.Date)
    return values if keep is None else kept(values, keep)


def kept(values: pl.Series, keep: np.ndarray) -> pl.Series:
    """`values` where `keep`, null elsewhere."""
    out: pl.Series = pl.select(pl.when(pl.Series(keep)).then(values)).to_series()
    return out.alias(values.name)
