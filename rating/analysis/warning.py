"""Early warning: the probability that a company is downgraded or black-listed next period.

A model (scikit-learn; logistic regression by default, gradient boosting on request) is
trained on company-periods whose outcome period lies strictly before the period it scores
(`features.company_periods`). The naive baseline is the current grade: the share of
companies of that grade that met the event next period, in the same training rows.

`backtest` is an expanding-window, time-based split: for each outcome period L with enough
history, fit on outcomes before L, predict L from the period before it, and pool the
predictions; it reports ROC AUC, Brier score and log loss of the model and the baseline, a
calibration table, and how many events the top tenth of the ranking holds. `rank` fits on
every known outcome and scores the latest (or a chosen) period: the inspection list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
import numpy as np
import polars as pl

from rating.analysis.features import FEATURES, company_periods, period_chain
from rating.errors import UsageError
from rating.periods import Period

MODELS = ("logistic", "boosting")
MIN_TRAIN_PERIODS = 2
BOOTSTRAP_DRAWS = 300
PRIOR_WEIGHT = 2.0  # pseudo-companies pulling a grade's rate towards the overall rate


@dataclass
class Backtest:
    model: str
    folds: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    calibration: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    top_decile: dict[str, float | None] = field(default_factory=dict)
    rows: int = 0
    events: int = 0
    predictions: pl.DataFrame | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("predictions")
        return out

    def metric_rows(self) -> list[list[Any]]:
        """Model, then baseline: ROC AUC, Brier, log loss, share of events in the top decile."""
        return [
            [
                name,
                self.metrics[name]["roc_auc"],
                self.metrics[name]["brier"],
                self.metrics[name]["log_loss"],
                self.top_decile[name],
            ]
            for name in ("model", "baseline")
        ]

    @property
    def beats_baseline(self) -> bool | None:
        m, b = self.metrics.get("model", {}), self.metrics.get("baseline", {})
        if m.get("roc_auc") is None or b.get("roc_auc") is None:
            return None
        return bool(m["roc_auc"] > b["roc_auc"] and m["brier"] < b["brier"])


def verdict(bt: Backtest) -> str:
    """One honest sentence: does the model beat the baseline, and how sure is that."""
    d = bt.metrics.get("difference", {})
    if bt.beats_baseline is None or d.get("roc_auc") is None:
        return "The model and the baseline cannot be compared (one outcome class only)."
    auc_lo, auc_hi = d["roc_auc_ci95"]
    br_lo, br_hi = d["brier_ci95"]
    sure = []
    if auc_lo > 0:
        sure.append("AUC")
    if br_hi < 0:
        sure.append("Brier")
    head = (
        "The model beats the current-grade baseline on both AUC and Brier score"
        if bt.beats_baseline
        else "The model does NOT beat the current-grade baseline on both AUC and Brier score"
    )
    return (
        f"{head}: AUC {d['roc_auc']:+.3f} (95% interval {auc_lo:+.3f} to {auc_hi:+.3f}), "
        f"Brier {d['brier']:+.4f} ({br_lo:+.4f} to {br_hi:+.4f}), companies resampled. "
        + (
            f"The gain is clear of zero for {' and '.join(sure)}."
            if sure
            else "Neither gain is clear of zero at this sample size."
        )
    )


def _estimator(kind: str) -> Any:
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
    """A model fitted on training rows, with the grade baseline fitted on the same rows."""

    def __init__(self, train: pl.DataFrame, kind: str) -> None:
        y = train["label"].to_numpy()
        self.kind = kind
        self.base_rate = float(y.mean())
        by_grade = train.group_by("grade").agg(pl.col("label").sum(), pl.len())
        self.grade_rate = {
            g: (s + PRIOR_WEIGHT * self.base_rate) / (n + PRIOR_WEIGHT)
            for g, s, n in by_grade.iter_rows()
        }
        self.constant = len(set(y.tolist())) < 2
        self.estimator = None if self.constant else _estimator(kind).fit(_matrix(train), y)

    def predict(self, rows: pl.DataFrame) -> np.ndarray:
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


def _labelled(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, list[Period]]:
    chain = period_chain(con)
    if not chain:
        raise UsageError("no runs yet: rate some periods first", code="WARNING_NO_RUNS")
    table = company_periods(con, chain)
    return table, [r.period for r in chain]


def split(table: pl.DataFrame, scored: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(train, test) for outcome period `scored`: train only on outcomes strictly before it."""
    labelled = table.filter(pl.col("label").is_not_null())
    train = labelled.filter(pl.col("label_period") < scored)
    test = labelled.filter(pl.col("label_period") == scored)
    assert train.is_empty() or str(train["label_period"].max()) < scored  # no look-ahead
    return train, test


def backtest(
    con: duckdb.DuckDBPyConnection,
    kind: str = "logistic",
    min_train_periods: int = MIN_TRAIN_PERIODS,
) -> Backtest:
    """Expanding-window backtest over every outcome period with enough history."""
    _estimator(kind)  # fail early on an unknown model
    table, _ = _labelled(con)
    result = Backtest(kind)
    pooled = []
    for scored in sorted(table["label_period"].drop_nulls().unique().to_list()):
        train, test = split(table, scored)
        if train["label_period"].n_unique() < min_train_periods or test.is_empty():
            continue
        fitted = Fitted(train, kind)
        pooled.append(
            test.select("period", "label_period", "uscc", "name", "grade", "label").with_columns(
                p_model=pl.Series(fitted.predict(test)), p_baseline=pl.Series(fitted.baseline(test))
            )
        )
        result.folds.append(
            {
                "scored": scored,
                "trained_on": sorted(train["label_period"].unique().to_list()),
                "train_rows": len(train),
                "test_rows": len(test),
                "events": int(test["label"].sum()),
            }
        )
    if not pooled:
        raise UsageError(
            f"a backtest needs outcomes in at least {min_train_periods + 1} periods "
            f"(rate more consecutive periods)",
            code="WARNING_NOT_ENOUGH_HISTORY",
        )
    predictions = pl.concat(pooled)
    _score(result, predictions)
    return result


def _score(result: Backtest, predictions: pl.DataFrame) -> None:
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    y = predictions["label"].to_numpy()
    result.rows, result.events, result.predictions = len(y), int(y.sum()), predictions
    for name in ("model", "baseline"):
        p = np.clip(predictions[f"p_{name}"].to_numpy(), 1e-6, 1 - 1e-6)
        both = len(set(y.tolist())) == 2
        result.metrics[name] = {
            "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
            "brier": round(float(brier_score_loss(y, p)), 4),
            "log_loss": round(float(log_loss(y, p, labels=[0, 1])), 4),
        }
        result.calibration[name] = calibration(y, p)
        result.top_decile[name] = _top_share(y, p)
    result.metrics["base_rate"] = {"events_share": round(float(y.mean()), 4)}
    result.metrics["difference"] = _gap(predictions)


def _gap(predictions: pl.DataFrame, draws: int = BOOTSTRAP_DRAWS) -> dict[str, Any]:
    """Model minus baseline (AUC, Brier) with a 95% interval from resampling companies.

    Companies, not rows, are drawn with replacement: one company's periods are not
    independent, and pretending they were would make the interval too narrow.
    """
    from scipy.stats import rankdata

    def roc_auc_score(yy: np.ndarray, p: np.ndarray) -> float:  # Mann–Whitney, ties averaged
        ranks = rankdata(p)
        pos = int(yy.sum())
        return float((ranks[yy == 1].sum() - pos * (pos + 1) / 2) / (pos * (len(yy) - pos)))

    def brier_score_loss(yy: np.ndarray, p: np.ndarray) -> float:
        return float(np.mean((p - yy) ** 2))

    y = predictions["label"].to_numpy()
    pm, pb = predictions["p_model"].to_numpy(), predictions["p_baseline"].to_numpy()
    codes = predictions["uscc"].cast(pl.Categorical).to_physical().to_numpy()
    members = [np.flatnonzero(codes == c) for c in range(int(codes.max()) + 1)]
    rng = np.random.default_rng(0)

    def gaps(idx: np.ndarray) -> tuple[float, float]:
        yy = y[idx]
        auc = (
            float(roc_auc_score(yy, pm[idx]) - roc_auc_score(yy, pb[idx]))
            if 0 < yy.sum() < len(yy)
            else np.nan
        )
        return auc, float(brier_score_loss(yy, pm[idx]) - brier_score_loss(yy, pb[idx]))

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


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Mean predicted vs observed rate in (up to) `bins` quantile bins of the prediction."""
    order = np.argsort(p, kind="stable")
    out = []
    for part in np.array_split(order, min(bins, len(order))):
        if len(part):
            out.append(
                {
                    "predicted": round(float(p[part].mean()), 4),
                    "observed": round(float(y[part].mean()), 4),
                    "n": int(len(part)),
                }
            )
    return out


def _top_share(y: np.ndarray, p: np.ndarray) -> float | None:
    """Share of all events found in the tenth of company-periods ranked riskiest."""
    if y.sum() == 0:
        return None
    k = max(1, int(round(len(p) * 0.1)))
    top = np.argsort(-p, kind="stable")[:k]
    return round(float(y[top].sum() / y.sum()), 4)


def rank(
    con: duckdb.DuckDBPyConnection, period: str | None = None, kind: str = "logistic"
) -> dict[str, Any]:
    """Companies rated in `period` (default: the latest), riskiest first, for the next period."""
    _estimator(kind)
    table, periods = _labelled(con)
    at = Period.parse(period) if period else periods[-1]
    if at not in periods:
        raise UsageError(f"no run for period {at}", code="WARNING_NO_RUN_FOR_PERIOD")
    labelled = table.filter(pl.col("label").is_not_null())
    train = labelled.filter(pl.col("label_period") <= str(at))
    if train["label_period"].n_unique() < 1 or train.is_empty():
        raise UsageError(
            f"no outcomes known up to {at}: rate at least two consecutive periods",
            code="WARNING_NOT_ENOUGH_HISTORY",
        )
    scored = table.filter(pl.col("period") == str(at))
    fitted = Fitted(train, kind)
    ranked = scored.select("uscc", "name", "district", "grade", "score").with_columns(
        probability=pl.Series(fitted.predict(scored)).round(4),
        baseline=pl.Series(fitted.baseline(scored)).round(4),
        drivers=pl.Series(fitted.drivers(scored), dtype=pl.List(pl.Utf8)),
    )
    ranked = ranked.sort(["probability", "uscc"], descending=[True, False]).with_row_index(
        "rank", offset=1
    )
    return {
        "period": str(at),
        "for_period": str(at.previous(-1)),
        "model": kind,
        "trained_on": sorted(train["label_period"].unique().to_list()),
        "train_rows": len(train),
        "companies": ranked.to_dicts(),
    }
