"""Early warning: how likely a company is to meet an event next period, said honestly.

Two events (`TARGETS`): `event` — a new downgrade or a new black-list entry (the default; it
cannot happen to a company already at the lowest grade *and* on the black list, which is
shown as "not applicable", never 0 %) — and `black` — on the black list next period, new
or staying. A model (scikit-learn; logistic regression by default, gradient boosting on
request) is trained on company-periods whose outcome lies strictly before the period it
scores (`features.company_periods`); its raw probabilities are recalibrated on out-of-fold
predictions of earlier periods (`rating.analysis.calibration`), with the method chosen by
the backtest (`rating.analysis.backtest`). The naive baseline is the current grade.

`rank` scores a period for the next one: the inspection list. A probability is printed only
where the backtest shows predictions of that size calibrated within `TOLERANCE`
(equal-width bin with at least `MIN_BIN_ROWS` company-periods); elsewhere the company gets a
risk band (高/中/低) with the rate observed for that band in the backtest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import polars as pl

from rating.analysis.calibration import ReliabilityBin, bin_index
from rating.analysis.features import FEATURES, company_periods, period_chain
from rating.errors import UsageError
from rating.periods import Period

MODELS = ("logistic", "boosting")
MIN_TRAIN_PERIODS = 2
BOOTSTRAP_DRAWS = 300
PRIOR_WEIGHT = 2.0  # pseudo-companies pulling a grade's rate towards the overall rate
TOLERANCE = 0.05  # a bin is calibrated when |observed − predicted| ≤ 5 points …
MIN_BIN_ROWS = 30  # … over at least this many company-periods of the backtest
BANDS = (("低", 0.0, 0.10), ("中", 0.10, 0.30), ("高", 0.30, 1.0001))


@dataclass(frozen=True)
class Target:
    """What is predicted: its label column and its name in the bureau's words."""

    name: str
    label: str
    words: str
    not_applicable: str | None  # why the event cannot happen, for those it cannot happen to


TARGETS = {
    "event": Target(
        "event",
        "label",
        "下期新增降级或列入黑名单的概率",
        "不适用：已在黑名单且已是最低等级，不会再新增降级或列入黑名单",
    ),
    "black": Target("black", "label_black", "下期在黑名单上（新列入或继续）的概率", None),
}


def target(name: str) -> Target:
    """The prediction target named `name` (`event` or `black`, see `TARGETS`). Raises `UsageError`
    (`WARNING_BAD_TARGET`) for another name."""
    if name not in TARGETS:
        raise UsageError(f"--target must be one of {', '.join(TARGETS)}", code="WARNING_BAD_TARGET")
    return TARGETS[name]


def estimator(kind: str) -> Any:
    """A fresh scikit-learn classifier; `UsageError` WARNING_BAD_MODEL for an unknown kind."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "logistic":
        return make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=2000))
    if kind == "boosting":
        return HistGradientBoostingClassifier(
            max_depth=3, learning_rate=0.05, max_iter=150, l2_regularization=1.0, random_state=0
        )
    raise UsageError(f"--model must be one of {', '.join(MODELS)}", code="WARNING_BAD_MODEL")


def _matrix(rows: pl.DataFrame) -> np.ndarray:
    return rows.select(FEATURES).fill_null(0).to_numpy().astype(np.float64)


class Fitted:
    """A model fitted on training rows (column `y`), with the grade baseline on the same rows."""

    def __init__(self, train: pl.DataFrame, kind: str) -> None:
        y = train["y"].to_numpy()
        self.kind = kind
        self.base_rate = float(y.mean())
        by_grade = train.group_by("grade").agg(pl.col("y").sum(), pl.len())
        self.grade_rate = {
            g: (s + PRIOR_WEIGHT * self.base_rate) / (n + PRIOR_WEIGHT)
            for g, s, n in by_grade.iter_rows()
        }
        self.constant = len(set(y.tolist())) < 2
        self.estimator = None if self.constant else estimator(kind).fit(_matrix(train), y)

    def predict(self, rows: pl.DataFrame) -> np.ndarray:
        """Raw (uncalibrated) probabilities, one per row."""
        if self.estimator is None:
            return np.full(len(rows), self.base_rate)
        out: np.ndarray = self.estimator.predict_proba(_matrix(rows))[:, 1]
        return out

    def baseline(self, rows: pl.DataFrame) -> np.ndarray:
        return np.array([self.grade_rate.get(g, self.base_rate) for g in rows["grade"]])

    def drivers(self, rows: pl.DataFrame, top: int = 3) -> list[list[str]]:
        """Per row, the features pushing the logistic score up the most (empty for boosting).

        Each is the feature's name and `+` or `-`: above or below its training mean.
        """
        if self.kind != "logistic" or self.estimator is None:
            return [[] for _ in range(len(rows))]
        scaler, logistic = self.estimator[0], self.estimator[-1]
        z = scaler.transform(_matrix(rows))
        push = z * logistic.coef_[0]
        order = np.argsort(-push, axis=1)[:, :top]
        return [
            [f"{FEATURES[j]}{'+' if z[i, j] > 0 else '-'}" for j in r if push[i, j] > 0]
            for i, r in enumerate(order)
        ]


def labelled(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, list[Period]]:
    """Every rated company-period with features, labels and `event_possible`; and the periods."""
    chain = period_chain(con)
    if not chain:
        raise UsageError("no runs yet: rate some periods first", code="WARNING_NO_RUNS")
    return company_periods(con, chain), [r.period for r in chain]


def at_risk(table: pl.DataFrame, goal: Target) -> pl.DataFrame:
    """Rows the event can happen to, with the target's label as `y` (null when unknown)."""
    rows = table if goal.not_applicable is None else table.filter(pl.col("event_possible"))
    return rows.with_columns(y=pl.col(goal.label))


def split(table: pl.DataFrame, scored: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(train, test) for outcome period `scored`: train only on outcomes strictly before it."""
    known = table.filter(pl.col("y").is_not_null())
    train = known.filter(pl.col("label_period") < scored)
    test = known.filter(pl.col("label_period") == scored)
    assert train.is_empty() or str(train["label_period"].max()) < scored  # no look-ahead
    return train, test


# ------------------------------------------------------------------------------ ranking


@dataclass(frozen=True)
class BandRate:
    """A risk band and how often its companies met the event in the backtest."""

    band: str
    low: float
    high: float
    n: int
    events: int

    @property
    def observed(self) -> float | None:
        return round(self.events / self.n, 4) if self.n else None

    def as_dict(self) -> dict[str, object]:
        return {
            "band": self.band,
            "low": self.low,
            "high": min(self.high, 1.0),
            "n": self.n,
            "events": self.events,
            "observed": self.observed,
        }


def band_of(p: float) -> str:
    """The risk band (低/中/高) of a probability `p` in [0, 1]: below 0.10, below 0.30, the rest
    (`BANDS`). Raises `StopIteration` for p outside [0, 1.0001)."""
    return next(name for name, low, high in BANDS if low <= p < high)


def band_rates(y: np.ndarray, p: np.ndarray) -> list[BandRate]:
    """Count and events of each band over backtest predictions `p` with outcomes `y`."""
    out = []
    for name, low, high in BANDS:
        members = (p >= low) & (p < high)
        out.append(BandRate(name, low, high, int(members.sum()), int(y[members].sum())))
    return out


def trusted_bins(bins: list[ReliabilityBin]) -> list[bool]:
    """Per equal-width bin: shown as a probability (calibrated within `TOLERANCE` over at
    least `MIN_BIN_ROWS` company-periods of the backtest)?"""
    return [
        b.n >= MIN_BIN_ROWS
        and b.predicted is not None
        and b.observed is not None
        and abs(b.observed - b.predicted) <= TOLERANCE
        for b in bins
    ]


@dataclass(frozen=True)
class CompanyRisk:
    """One company's warning. `shown` is `probability` (calibrated and trusted), `band`
    (a probability of that size was not calibrated in the backtest) or `not_applicable`."""

    rank: int
    uscc: str
    name: str | None
    district: str | None
    grade: str | None
    score: float | None
    shown: str
    probability: float | None  # calibrated; None when not applicable
    band: str | None
    band_observed: float | None
    baseline: float | None
    drivers: list[str]
    reason: str | None = None  # why not applicable

    def text(self) -> str:
        """The warning in the bureau's words: 23%, 高风险（回测 41%）, or why not applicable."""
        if self.shown == "not_applicable":
            return self.reason or "不适用"
        if self.shown == "probability" and self.probability is not None:
            return f"{self.probability:.0%}"
        seen = "" if self.band_observed is None else f"（回测中此档 {self.band_observed:.0%} 发生）"
        return f"{self.band}风险{seen}"

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "text": self.text()}


@dataclass
class Ranking:
    """Companies rated in `period`, riskiest first, for `for_period`, with the calibration
    that turned raw scores into the probabilities shown and the evidence that they hold."""

    period: str
    for_period: str
    model: str
    target: str
    predicts: str  # the target in the bureau's words
    trained_on: list[str]
    train_rows: int
    calibration: dict[str, object]
    trusted: list[bool]
    reliability: list[ReliabilityBin]
    bands: list[BandRate]
    companies: list[CompanyRisk] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "for_period": self.for_period,
            "model": self.model,
            "target": self.target,
            "predicts": self.predicts,
            "trained_on": self.trained_on,
            "train_rows": self.train_rows,
            "calibration": self.calibration,
            "tolerance": TOLERANCE,
            "min_bin_rows": MIN_BIN_ROWS,
            "reliability": [
                {**b.as_dict(), "trusted": t}
                for b, t in zip(self.reliability, self.trusted, strict=True)
            ],
            "bands": [b.as_dict() for b in self.bands],
            "companies": [c.as_dict() for c in self.companies],
        }


def rank(
    con: duckdb.DuckDBPyConnection,
    period: str | None = None,
    kind: str = "logistic",
    target_name: str = "event",
) -> Ranking:
    """Companies rated in `period` (default: the latest), riskiest first, for the next period.

    The model is fitted on every outcome known at `period`; its calibration on the backtest's
    out-of-fold predictions up to `period` (`backtest.calibrate_for`). Raises `UsageError`
    WARNING_NO_RUN_FOR_PERIOD, WARNING_NOT_ENOUGH_HISTORY, WARNING_BAD_MODEL/TARGET.
    """
    from rating.analysis.backtest import calibrate_for

    estimator(kind)
    goal = target(target_name)
    table, periods = labelled(con)
    at = Period.parse(period) if period else periods[-1]
    if at not in periods:
        raise UsageError(f"no run for period {at}", code="WARNING_NO_RUN_FOR_PERIOD")
    rows = at_risk(table, goal)
    train = rows.filter(pl.col("y").is_not_null() & (pl.col("label_period") <= str(at)))
    if train.is_empty():
        raise UsageError(
            f"no outcomes known up to {at}: rate at least two consecutive periods",
            code="WARNING_NOT_ENOUGH_HISTORY",
        )
    fitted = Fitted(train, kind)
    evidence = calibrate_for(rows, str(at), kind)
    scored = table.filter(pl.col("period") == str(at))
    possible = scored["event_possible"].to_numpy() if goal.not_applicable else None
    raw = fitted.predict(scored)
    calibrated = evidence.calibrator.apply(raw)
    trusted = trusted_bins(evidence.reliability)
    observed = {b.band: b.observed for b in evidence.bands}
    order = np.lexsort((scored["uscc"].to_numpy(), -raw, -calibrated))
    if possible is not None:  # the not applicable last
        order = np.concatenate([order[possible[order]], order[~possible[order]]])
    drivers, baseline = fitted.drivers(scored), fitted.baseline(scored)
    out = []
    for n, i in enumerate(order, start=1):
        row = scored.row(int(i), named=True)
        applicable = possible is None or bool(possible[i])
        p = float(calibrated[i])
        shown = (
            "not_applicable"
            if not applicable
            else "probability"
            if trusted[int(bin_index(np.array([p]))[0])]
            else "band"
        )
        out.append(
            CompanyRisk(
                rank=n,
                uscc=row["uscc"],
                name=row["name"],
                district=row["district"],
                grade=row["grade"],
                score=row["score"],
                shown=shown,
                probability=round(p, 4) if applicable else None,
                band=band_of(p) if applicable else None,
                band_observed=observed.get(band_of(p)) if applicable else None,
                baseline=round(float(baseline[i]), 4) if applicable else None,
                drivers=drivers[i] if applicable else [],
                reason=None if applicable else goal.not_applicable,
            )
        )
    return Ranking(
        period=str(at),
        for_period=str(at.previous(-1)),
        model=kind,
        target=goal.name,
        predicts=goal.words,
        trained_on=sorted(train["label_period"].unique().to_list()),
        train_rows=len(train),
        calibration=evidence.calibrator.as_dict() | {"chosen_by": evidence.chosen_by},
        trusted=trusted,
        reliability=evidence.reliability,
        bands=evidence.bands,
        companies=out,
    )
