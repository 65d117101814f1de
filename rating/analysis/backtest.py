"""The early-warning backtest: time-based folds, recalibration on earlier folds only.

For each outcome period L with enough history, the model is fitted on outcomes before L and
predicts L from the period before it (a *fold*). Fold k's raw predictions are recalibrated
by each method of `calibration.METHODS`, fitted on the raw predictions of folds before k
only — so no prediction is ever calibrated on its own outcome or a later one. The method
with the lowest pooled Brier score is chosen (ties: the simpler). The chosen method is then
judged on every fold: ROC AUC, Brier, log loss, ECE with a company-bootstrap interval,
calibration slope and intercept, Spiegelhalter's z, the reliability table on equal-width
bins, and the mean predicted vs the observed rate per quarter — against the uncalibrated
model and the current-grade baseline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import numpy as np
import polars as pl

from rating.analysis import calibration as cal
from rating.analysis.warning import (
    BOOTSTRAP_DRAWS,
    MIN_TRAIN_PERIODS,
    BandRate,
    Fitted,
    at_risk,
    band_rates,
    estimator,
    labelled,
    split,
    target,
)
from rating.errors import UsageError

_KEEP = ("period", "label_period", "uscc", "name", "grade", "y")


@dataclass(frozen=True)
class Fold:
    scored: str
    trained_on: list[str]
    train_rows: int
    predictions: pl.DataFrame  # _KEEP + p_raw, p_baseline


def folds(
    rows: pl.DataFrame, kind: str, min_train_periods: int, up_to: str | None = None
) -> list[Fold]:
    """Every fold with at least `min_train_periods` outcome periods to learn from (outcome
    periods up to `up_to` when given), oldest first. `rows` carry the target as `y`."""
    out = []
    periods = sorted(rows.filter(pl.col("y").is_not_null())["label_period"].unique().to_list())
    for scored in periods:
        if up_to is not None and scored > up_to:
            break
        train, test = split(rows, scored)
        if train["label_period"].n_unique() < min_train_periods or test.is_empty():
            continue
        fitted = Fitted(train, kind)
        preds = test.select(_KEEP).with_columns(
            p_raw=pl.Series(fitted.predict(test)), p_baseline=pl.Series(fitted.baseline(test))
        )
        out.append(
            Fold(scored, sorted(train["label_period"].unique().to_list()), len(train), preds)
        )
    return out


def _calibrated(found: list[Fold], method: str) -> tuple[np.ndarray, list[cal.Calibrator]]:
    """Fold by fold, raw predictions recalibrated on the earlier folds only."""
    parts, used = [], []
    for k, fold in enumerate(found):
        earlier = [f.predictions for f in found[:k]]
        if earlier:
            pool = pl.concat(earlier)
            fitted = cal.fit(
                method,
                pool["p_raw"].to_numpy(),
                pool["y"].to_numpy(),
                tuple(f.scored for f in found[:k]),
            )
        else:
            fitted = cal.Calibrator("none")
        used.append(fitted)
        parts.append(fitted.apply(fold.predictions["p_raw"].to_numpy()))
    return (np.concatenate(parts) if parts else np.array([])), used


def _brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


@dataclass(frozen=True)
class Evidence:
    """What a ranking's calibration rests on: the calibrator (fitted on every fold's raw
    predictions up to the ranked period), how it was chosen, and the reliability and band
    rates of its out-of-fold predictions."""

    calibrator: cal.Calibrator
    chosen_by: str
    reliability: list[cal.ReliabilityBin]
    bands: list[BandRate]


def choose(found: list[Fold]) -> tuple[str, dict[str, float], dict[str, np.ndarray]]:
    """(chosen method, pooled Brier per method, calibrated predictions per method)."""
    y = np.concatenate([f.predictions["y"].to_numpy() for f in found])
    predicted = {m: _calibrated(found, m)[0] for m in cal.METHODS}
    scores = {m: round(_brier(y, p), 6) for m, p in predicted.items()}
    best = min(cal.METHODS, key=lambda m: (scores[m], cal.METHODS.index(m)))
    return best, scores, predicted


def calibrate_for(rows: pl.DataFrame, at: str, kind: str) -> Evidence:
    """The calibration a ranking at period `at` uses (see `Evidence`)."""
    found = folds(rows, kind, MIN_TRAIN_PERIODS, up_to=at)
    if not found:
        empty = np.array([])
        return Evidence(
            cal.Calibrator("none"),
            "no backtest fold yet: raw probabilities, none shown as calibrated",
            cal.reliability(empty, empty),
            band_rates(empty, empty),
        )
    method, scores, predicted = choose(found)
    pool = pl.concat([f.predictions for f in found])
    y = pool["y"].to_numpy()
    fitted = cal.fit(method, pool["p_raw"].to_numpy(), y, tuple(f.scored for f in found))
    chosen_by = "lowest Brier score of out-of-fold predictions: " + ", ".join(
        f"{m} {s:.4f}" for m, s in scores.items()
    )
    return Evidence(
        fitted, chosen_by, cal.reliability(y, predicted[method]), band_rates(y, predicted[method])
    )


# ------------------------------------------------------------------------------ the backtest


@dataclass
class Backtest:
    model: str
    target: str = "event"
    predicts: str = ""
    calibration_method: str = "none"
    calibration_choice: dict[str, float] = field(default_factory=dict)
    folds: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    calibration: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    per_period: list[dict[str, Any]] = field(default_factory=list)
    bands: list[dict[str, Any]] = field(default_factory=list)
    top_decile: dict[str, float | None] = field(default_factory=dict)
    rows: int = 0
    events: int = 0
    not_applicable: int = 0
    predictions: pl.DataFrame | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("predictions")
        return out

    def metric_rows(self) -> list[list[Any]]:
        """Calibrated model, uncalibrated model, baseline: ROC AUC, Brier, log loss, ECE,
        calibration slope, share of events in the top decile."""
        return [
            [
                name,
                self.metrics[name]["roc_auc"],
                self.metrics[name]["brier"],
                self.metrics[name]["log_loss"],
                self.metrics[name]["ece"],
                self.metrics[name]["slope"],
                self.top_decile[name],
            ]
            for name in ("model", "uncalibrated", "baseline")
        ]

    @property
    def beats_baseline(self) -> bool | None:
        m, b = self.metrics.get("model", {}), self.metrics.get("baseline", {})
        if m.get("roc_auc") is None or b.get("roc_auc") is None:
            return None
        return bool(m["roc_auc"] > b["roc_auc"] and m["brier"] < b["brier"])


def backtest(
    con: duckdb.DuckDBPyConnection,
    kind: str = "logistic",
    min_train_periods: int = MIN_TRAIN_PERIODS,
    target_name: str = "event",
) -> Backtest:
    """Expanding-window backtest over every outcome period with enough history.

    Raises `UsageError` WARNING_BAD_MODEL / WARNING_BAD_TARGET, WARNING_NO_RUNS, and
    WARNING_NOT_ENOUGH_HISTORY when no fold has enough earlier outcomes.
    """
    estimator(kind)  # fail early on an unknown model
    goal = target(target_name)
    table, _ = labelled(con)
    rows = at_risk(table, goal)
    found = folds(rows, kind, min_train_periods)
    if not found:
        raise UsageError(
            f"a backtest needs outcomes in at least {min_train_periods + 1} periods "
            f"(rate more consecutive periods)",
            code="WARNING_NOT_ENOUGH_HISTORY",
        )
    method, scores, predicted = choose(found)
    used = _calibrated(found, method)[1]
    result = Backtest(kind, goal.name, goal.words, method, scores)
    result.not_applicable = int(
        table.filter(pl.col(goal.label).is_not_null()).height
        - rows.filter(pl.col("y").is_not_null()).height
    )
    for fold, fitted in zip(found, used, strict=True):
        result.folds.append(
            {
                "scored": fold.scored,
                "trained_on": fold.trained_on,
                "train_rows": fold.train_rows,
                "test_rows": len(fold.predictions),
                "events": int(fold.predictions["y"].sum()),
                "calibrated_with": fitted.method,
                "calibration_fitted_on": list(fitted.fitted_on),
            }
        )
    predictions = pl.concat([f.predictions for f in found]).with_columns(
        p_model=pl.Series(predicted[method])
    )
    _score(result, predictions)
    return result


def _measures(y: np.ndarray, p: np.ndarray, companies: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import log_loss, roc_auc_score

    q = np.clip(p, 1e-6, 1 - 1e-6)
    both = len(set(y.tolist())) == 2
    slope, intercept = cal.slope_intercept(y, q)
    return {
        "roc_auc": round(float(roc_auc_score(y, q)), 4) if both else None,
        "brier": round(_brier(y, q), 4),
        "log_loss": round(float(log_loss(y, q, labels=[0, 1])), 4),
        "ece": round(cal.ece(y, q), 4),
        "ece_ci95": list(cal.bootstrap_ece(y, q, companies, BOOTSTRAP_DRAWS)),
        "slope": slope,
        "intercept": intercept,
        "spiegelhalter_z": cal.spiegelhalter_z(y, q),
    }


def _score(result: Backtest, predictions: pl.DataFrame) -> None:
    y = predictions["y"].to_numpy()
    companies = predictions["uscc"].to_numpy()
    result.rows, result.events, result.predictions = len(y), int(y.sum()), predictions
    for name, column in (
        ("model", "p_model"),
        ("uncalibrated", "p_raw"),
        ("baseline", "p_baseline"),
    ):
        p = predictions[column].to_numpy()
        result.metrics[name] = _measures(y, p, companies)
        result.calibration[name] = [b.as_dict() for b in cal.reliability(y, p)]
        result.top_decile[name] = _top_share(y, p)
    result.metrics["base_rate"] = {"events_share": round(float(y.mean()), 4)}
    result.metrics["difference"] = _gap(predictions)
    result.per_period = (
        predictions.group_by("label_period")
        .agg(
            n=pl.len(),
            predicted=pl.col("p_model").mean().round(4),
            observed=pl.col("y").mean().round(4),
        )
        .sort("label_period")
        .rename({"label_period": "period"})
        .to_dicts()
    )
    result.bands = [b.as_dict() for b in band_rates(y, predictions["p_model"].to_numpy())]


def _gap(predictions: pl.DataFrame, draws: int = BOOTSTRAP_DRAWS) -> dict[str, Any]:
    """Model minus baseline (AUC, Brier) with a 95% interval from resampling companies.

    Companies, not rows, are drawn with replacement: one company's periods are not
    independent, and pretending they were would make the interval too narrow.
    """
    from scipy.stats import rankdata

    def auc(yy: np.ndarray, p: np.ndarray) -> float:  # Mann–Whitney, ties averaged
        ranks = rankdata(p)
        pos = int(yy.sum())
        return float((ranks[yy == 1].sum() - pos * (pos + 1) / 2) / (pos * (len(yy) - pos)))

    y = predictions["y"].to_numpy()
    pm, pb = predictions["p_model"].to_numpy(), predictions["p_baseline"].to_numpy()
    codes = predictions["uscc"].cast(pl.Categorical).to_physical().to_numpy()
    members = [np.flatnonzero(codes == c) for c in range(int(codes.max()) + 1)]
    rng = np.random.default_rng(0)

    def gaps(idx: np.ndarray) -> tuple[float, float]:
        yy = y[idx]
        d_auc = auc(yy, pm[idx]) - auc(yy, pb[idx]) if 0 < yy.sum() < len(yy) else np.nan
        return float(d_auc), _brier(yy, pm[idx]) - _brier(yy, pb[idx])

    point = gaps(np.arange(len(y)))
    drawn = np.array(
        [
            gaps(np.concatenate([members[c] for c in rng.integers(0, len(members), len(members))]))
            for _ in range(draws)
        ]
    )
    lo, hi = np.nanpercentile(drawn, [2.5, 97.5], axis=0)
    return {
        "roc_auc": None if np.isnan(point[0]) else round(point[0], 4),
        "roc_auc_ci95": [round(float(lo[0]), 4), round(float(hi[0]), 4)],
        "brier": round(point[1], 4),
        "brier_ci95": [round(float(lo[1]), 4), round(float(hi[1]), 4)],
        "draws": draws,
        "resampled": "companies",
    }


def _top_share(y: np.ndarray, p: np.ndarray) -> float | None:
    """Share of all events found in the tenth of company-periods ranked riskiest."""
    if y.sum() == 0:
        return None
    k = max(1, int(round(len(p) * 0.1)))
    top = np.argsort(-p, kind="stable")[:k]
    return round(float(y[top].sum() / y.sum()), 4)


def verdict(bt: Backtest) -> str:
    """Two honest sentences (Chinese): does the model beat the baseline, how sure is that,
    and are its probabilities calibrated."""
    d = bt.metrics.get("difference", {})
    if bt.beats_baseline is None or d.get("roc_auc") is None:
        return "模型与基准无法比较（回测中只有一种结果）。"
    auc_lo, auc_hi = d["roc_auc_ci95"]
    br_lo, br_hi = d["brier_ci95"]
    sure = [name for name, ok in (("AUC", auc_lo > 0), ("Brier", br_hi < 0)) if ok]
    head = (
        "模型在 AUC 和 Brier 分数上都优于按现有等级的基准"
        if bt.beats_baseline
        else "模型并未在 AUC 和 Brier 分数上都优于按现有等级的基准"
    )
    gain = (
        f"{'与'.join(sure)}的改进在统计上明确大于零。"
        if sure
        else "在此样本量下，两项改进都不能确定大于零。"
    )
    m = bt.metrics["model"]
    lo, hi = m["ece_ci95"]
    calibrated = (
        f"校准（{_method_words(bt.calibration_method)}）后期望校准误差 ECE {m['ece']:.3f}"
        f"（95% 区间 {lo:.3f}–{hi:.3f}），校准斜率 {_num(m['slope'])}"
        f"（1 为理想，小于 1 表示过度自信）。"
    )
    return (
        f"{head}：AUC {d['roc_auc']:+.3f}（95% 区间 {auc_lo:+.3f} 至 {auc_hi:+.3f}），"
        f"Brier {d['brier']:+.4f}（{br_lo:+.4f} 至 {br_hi:+.4f}），按企业重抽样。{gain}{calibrated}"
    )


def _method_words(method: str) -> str:
    return {
        "none": "未重新校准",
        "temperature": "温度缩放校准",
        "platt": "Platt 逻辑校准",
        "isotonic": "保序回归校准",
    }[method]


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"
