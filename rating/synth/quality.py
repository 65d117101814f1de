"""Company quality: a persistent latent trait that drifts slowly from quarter to quarter.

`z[c, k]` is company c's standardised quality in quarter k (higher is worse): k runs over
`PRE_QUARTERS` quarters before the covered time (the year of good and bad information still
in force when the first covered quarter is rated) and then every covered quarter. z is a
stationary AR(1) process, z_k = ρ·z_(k−1) + √(1−ρ²)·ε_k with ρ = `DRIFT_RHO`, so every quarter
is N(0, 1) across companies while one company moves little: grades are sticky, as real
ones are (济南 2022Q1 → Q2: 543 → 547 B, 56 → 59 C).

Kinds read quality through `position`: 0 (best) … 4 (worst), piecewise linear in z through
the centres of the five tiers the `*_BY_TIER` tables of `rates.py` have rows for, so a
probability moves smoothly with z (`by_position` interpolates between two rows) instead of
jumping when a company crosses a tier boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rating.synth.rates import (
    COMPLAINT_BASE,
    COMPLAINT_SIGMA,
    DRIFT_RHO,
    PRE_QUARTERS,
    TIER_CENTRES,
)


@dataclass(frozen=True)
class Quality:
    """z per company (rows) and quarter (columns: `pre` quarters before the covered ones)."""

    z: np.ndarray
    pre: int = PRE_QUARTERS

    def at(self, company: np.ndarray, quarter: int | np.ndarray) -> np.ndarray:
        """z of each company in covered quarter `quarter` (negative: before the covered time)."""
        out: np.ndarray = self.z[company, self.pre + np.asarray(quarter)]
        return out

    def factor(self, company: np.ndarray, quarter: int | np.ndarray) -> np.ndarray:
        """Complaint factor b + (1 − b)·exp(σ·z), median 1: a share b of complaints
        (neighbours, parking) comes whoever serves, the rest leans on quality."""
        lean = np.exp(COMPLAINT_SIGMA * self.at(company, quarter))
        out: np.ndarray = COMPLAINT_BASE + (1 - COMPLAINT_BASE) * lean
        return out

    def position(self, company: np.ndarray, quarter: int | np.ndarray) -> np.ndarray:
        """0 (best) … 4 (worst), continuous."""
        return position(self.at(company, quarter))


def drift(rng: np.random.Generator, start: np.ndarray, quarters: int) -> Quality:
    """A company's z over `PRE_QUARTERS + quarters` quarters, starting from `start` (N(0, 1))."""
    steps = rng.standard_normal((len(start), PRE_QUARTERS + quarters - 1))
    z = np.empty((len(start), PRE_QUARTERS + quarters))
    z[:, 0] = start
    keep, fresh = DRIFT_RHO, np.sqrt(1 - DRIFT_RHO**2)
    for k in range(1, z.shape[1]):
        z[:, k] = keep * z[:, k - 1] + fresh * steps[:, k - 1]
    return Quality(z)


def position(z: np.ndarray) -> np.ndarray:
    """Quality z (standard normal, higher is worse) → position 0 (best) … 4 (worst), piecewise
    linear through the tier centres (`rates.TIER_CENTRES`), clamped at both ends (`np.interp`)."""
    out: np.ndarray = np.interp(z, TIER_CENTRES, np.arange(len(TIER_CENTRES), dtype=np.float64))
    return out


def by_position(table: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Rows of a `*_BY_TIER` table (or entries of a vector) interpolated at each position."""
    lo = np.minimum(np.floor(pos).astype(np.int64), len(table) - 2)
    frac = pos - lo
    if table.ndim == 1:
        out: np.ndarray = table[lo] * (1 - frac) + table[lo + 1] * frac
        return out
    rows: np.ndarray = table[lo] * (1 - frac)[:, None] + table[lo + 1] * frac[:, None]
    return rows
