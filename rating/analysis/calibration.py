"""Calibration of early-warning probabilities, and how to tell whether they are honest.

A probability is *calibrated* when, of the companies told "30 %", about 30 % meet the event.
Ranking well (AUC) does not make a model calibrated: a logistic model fitted on a few
quarters is typically overconfident at the top. Two recalibrations are offered, each fitted
only on out-of-fold predictions of *earlier* periods (the backtest chooses between them):

* `temperature` — one number b, p = logistic(b · logit p_raw), fitted by maximum likelihood
  (temperature scaling, Guo et al. 2017): it corrects over- or under-confidence without
  moving the middle, so it survives a change of base rate between quarters;
* `platt` — logistic regression of the outcome on the logit of the raw probability
  (Platt 1999, "Probabilistic outputs for support vector machines"), two numbers;
* `isotonic` — the monotone step function that best fits the outcomes (pool adjacent
  violators; Zadrozny & Elkan 2002), stored as its knots and applied by interpolation.

Measures (all on equal-width bins of the predicted probability, so the top of the range is
not hidden in one wide quantile bin): the reliability table with counts and Wilson intervals,
the expected calibration error (ECE = Σ n_b/N · |observed_b − predicted_b|, Naeini et al.
2015), the calibration slope and intercept (logistic regression of y on logit p; Cox 1958 —
slope < 1 means overconfident), and Spiegelhalter's z (1986; |z| > 1.96 flags miscalibration).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rating.errors import UsageError

METHODS = ("none", "temperature", "platt", "isotonic")
BINS = 10  # equal-width bins of [0, 1]
EPS = 1e-6
# A recalibration needs this many earlier out-of-fold predictions, with events and non-events.
MIN_FIT_ROWS = 50
MIN_FIT_EVENTS = 5


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1 - EPS)
    return np.asarray(np.log(q / (1 - q)))


@dataclass(frozen=True)
class Calibrator:
    """A fitted recalibration `p_raw → p`, with what it was fitted on.

    `params`: for `temperature` {"b"} with p = 1 / (1 + exp(−b·logit p_raw)); for `platt`
    {"a", "b"} with p = 1 / (1 + exp(−(a + b·logit p_raw))); for
    `isotonic` {"x", "y"}, the knots of a non-decreasing step function, interpolated linearly
    between knots and held flat beyond them; for `none`, nothing.
    """

    method: str
    rows: int = 0
    events: int = 0
    fitted_on: tuple[str, ...] = ()  # the outcome periods whose predictions fitted it
    params: dict[str, list[float] | float] = field(default_factory=dict)

    def apply(self, p: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw ones (same shape; values in [0, 1])."""
        p = np.asarray(p, dtype=np.float64)
        if self.method in ("temperature", "platt"):
            a = float(self.params.get("a", 0.0))  # type: ignore[arg-type]
            b = float(self.params["b"])  # type: ignore[arg-type]
            return np.asarray(1 / (1 + np.exp(-(a + b * _logit(p)))))
        if self.method == "isotonic":
            x = np.asarray(self.params["x"], dtype=np.float64)
            y = np.asarray(self.params["y"], dtype=np.float64)
            return np.asarray(np.interp(p, x, y))
        return p

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "rows": self.rows,
            "events": self.events,
            "fitted_on": list(self.fitted_on),
            "params": self.params,
        }


def fit(method: str, p: np.ndarray, y: np.ndarray, periods: tuple[str, ...] = ()) -> Calibrator:
    """Fit `method` on raw probabilities `p` and outcomes `y` (0/1 arrays of equal length).

    Falls back to `none` (recorded as such) when there are fewer than `MIN_FIT_ROWS` rows or
    fewer than `MIN_FIT_EVENTS` events or non-events: a recalibration of a handful of
    outcomes would add noise, not honesty. Raises `UsageError` for an unknown method.
    """
    if method not in METHODS:
        raise UsageError(
            f"calibration must be one of {', '.join(METHODS)}", code="WARNING_BAD_CALIBRATION"
        )
    events = int(y.sum())
    enough = len(y) >= MIN_FIT_ROWS and min(events, len(y) - events) >= MIN_FIT_EVENTS
    if method == "none" or not enough:
        return Calibrator("none", len(y), events, periods)
    if method == "temperature":
        return Calibrator("temperature", len(y), events, periods, {"b": _temperature(p, y)})
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(p).reshape(-1, 1), y)
        params: dict[str, list[float] | float] = {
            "a": round(float(model.intercept_[0]), 6),
            "b": round(float(model.coef_[0][0]), 6),
        }
        return Calibrator("platt", len(y), events, periods, params)
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
    params = {
        "x": [round(float(v), 6) for v in iso.X_thresholds_],
        "y": [round(float(v), 6) for v in iso.y_thresholds_],
    }
    return Calibrator("isotonic", len(y), events, periods, params)


def _temperature(p: np.ndarray, y: np.ndarray) -> float:
    """The b in (0.05, 5) maximising the likelihood of y under logistic(b · logit p)."""
    from scipy.optimize import minimize_scalar

    z = _logit(p)

    def loss(b: float) -> float:
        q = np.clip(1 / (1 + np.exp(-b * z)), EPS, 1 - EPS)
        return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))

    found = minimize_scalar(loss, bounds=(0.05, 5.0), method="bounded", options={"xatol": 1e-6})
    return round(float(found.x), 6)


# ------------------------------------------------------------------------------ measures


def wilson(events: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (Wilson 1927); (0, 1) when n = 0."""
    if n == 0:
        return 0.0, 1.0
    phat = events / n
    centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class ReliabilityBin:
    """One equal-width bin [low, high) of predicted probability (the last one includes 1)."""

    low: float
    high: float
    n: int
    events: int
    predicted: float | None  # mean predicted probability in the bin
    observed: float | None  # share that met the event
    observed_ci95: tuple[float, float]

    def as_dict(self) -> dict[str, object]:
        return {
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "events": self.events,
            "predicted": self.predicted,
            "observed": self.observed,
            "observed_ci95": list(self.observed_ci95),
        }


def bin_index(p: np.ndarray, bins: int = BINS) -> np.ndarray:
    """The equal-width bin of each probability (0 … bins−1; 1.0 falls in the last)."""
    return np.minimum((np.asarray(p) * bins).astype(int), bins - 1)


def reliability(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> list[ReliabilityBin]:
    """Every equal-width bin, with its count (empty bins included, so the chart shows gaps)."""
    idx = bin_index(p, bins)
    out = []
    for b in range(bins):
        members = idx == b
        n, events = int(members.sum()), int(y[members].sum())
        out.append(
            ReliabilityBin(
                low=round(b / bins, 4),
                high=round((b + 1) / bins, 4),
                n=n,
                events=events,
                predicted=round(float(p[members].mean()), 4) if n else None,
                observed=round(events / n, 4) if n else None,
                observed_ci95=tuple(round(v, 4) for v in wilson(events, n)),  # type: ignore[arg-type]
            )
        )
    return out


def ece(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> float:
    """Expected calibration error over equal-width bins (0 = perfectly calibrated)."""
    idx = bin_index(p, bins)
    total = 0.0
    for b in range(bins):
        members = idx == b
        if members.any():
            total += members.sum() * abs(float(y[members].mean()) - float(p[members].mean()))
    return total / max(len(y), 1)


def slope_intercept(y: np.ndarray, p: np.ndarray) -> tuple[float | None, float | None]:
    """Calibration slope and intercept: y ~ logistic(a + b·logit p). (None, None) when y is
    constant. b = 1 and a = 0 for perfectly calibrated predictions; b < 1: overconfident."""
    if len(set(y.tolist())) < 2:
        return None, None
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(p).reshape(-1, 1), y)
    return round(float(model.coef_[0][0]), 4), round(float(model.intercept_[0]), 4)


def spiegelhalter_z(y: np.ndarray, p: np.ndarray) -> float | None:
    """Spiegelhalter's z for the Brier score: Σ(y−p)(1−2p) / √Σ(1−2p)²p(1−p)."""
    q = np.clip(p, EPS, 1 - EPS)
    var = float(np.sum((1 - 2 * q) ** 2 * q * (1 - q)))
    if var <= 0:
        return None
    return round(float(np.sum((y - q) * (1 - 2 * q)) / math.sqrt(var)), 4)


def bootstrap_ece(
    y: np.ndarray, p: np.ndarray, companies: np.ndarray, draws: int, seed: int = 0
) -> tuple[float, float]:
    """95 % interval of the ECE, resampling companies (a company's periods travel together:
    they are not independent, and treating them so would make the interval too narrow)."""
    codes = np.unique(companies, return_inverse=True)[1]
    members = [np.flatnonzero(codes == c) for c in range(int(codes.max()) + 1)]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(draws):
        idx = np.concatenate([members[c] for c in rng.integers(0, len(members), len(members))])
        values.append(ece(y[idx], p[idx]))
    lo, hi = np.percentile(values, [2.5, 97.5])
    return round(float(lo), 4), round(float(hi), 4)
