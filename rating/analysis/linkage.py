"""Is a later complaint the same case as an earlier one? Weighted evidence, fitted on labelled pairs.

A pair (earlier `a`, later `b`, same project, compatible building, unit and room — see
`detection.candidate_pairs`) is described by the features of `FEATURES`: word similarity,
whether the facts of `rating.analysis.facts` agree (same room, same phone, same facility and
problem, a compatible start) or disagree, what the later text says (filed before, broken
again), and the time between. A logistic regression turns them into the probability that `b`
re-files `a`'s case: each feature adds its weight (log-odds) when present — the evidence a
reviewer sees in `rating integrity show` is exactly these terms.

The fitted model is data, like a rule set: `models/<version>.json` (features, weights,
intercept, the decision threshold, how and on what it was fitted), chosen by
`IntegrityParams.duplicate_model` and recorded with each scan. A version, once used, is never
edited; a refit is a new version (`python -m benchmarks.quality.refiling --fit`).
Feature SQL comes from the allow-list below, never from the file; weights are bound as
parameters.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rating.errors import UsageError

MODELS = Path(__file__).resolve().parent / "models"

# name -> (SQL over the pair `p` (sim, hours) and its complaints `a` (earlier), `b` (later), meaning)
_BOTH_STARTS = "a.duration_days IS NOT NULL AND b.duration_days IS NOT NULL"
_START_GAP = (
    "abs(date_diff('second', a.received_at, b.received_at) / 86400.0"
    " - b.duration_days + a.duration_days)"
)
_START_TOLERANCE = "greatest(2.0, 0.35 * greatest(a.duration_days, b.duration_days))"
_SAME_RESIDENT = (
    "((a.room = b.room AND a.unit = b.unit)"
    " OR (a.phone_tail = b.phone_tail AND coalesce(a.phone_head = b.phone_head, true)))"
)
FEATURES: dict[str, tuple[str, str]] = {
    "similarity": ("p.sim", "word similarity of the two texts (0–1)"),
    "same_room": (
        "a.room = b.room AND a.unit = b.unit",
        "both name the same unit and room",
    ),
    "same_room_unit_unstated": (
        "a.room = b.room AND (a.unit IS NULL OR b.unit IS NULL)",
        "the same room number, the unit named by one at most (another unit's room?)",
    ),
    "same_phone": (
        "a.phone_tail = b.phone_tail AND coalesce(a.phone_head = b.phone_head, true)",
        "both give the same phone number",
    ),
    "other_phone": (
        "a.phone_tail <> b.phone_tail OR a.phone_head <> b.phone_head",
        "both give a phone number, not the same",
    ),
    "same_facility": ("a.facility & b.facility <> 0", "a facility both name (电梯, 门禁 …)"),
    "other_facility": (
        "a.facility <> 0 AND b.facility <> 0 AND a.facility & b.facility = 0",
        "both name facilities, none in common",
    ),
    "same_problem": ("a.problem & b.problem <> 0", "a problem both name (漏水, 故障 …)"),
    "other_problem": (
        "a.problem <> 0 AND b.problem <> 0 AND a.problem & b.problem = 0",
        "both name problems, none in common",
    ),
    "start_agrees": (
        f"{_BOTH_STARTS} AND {_START_GAP} <= {_START_TOLERANCE}",
        "both say since when, and it is the same start",
    ),
    "start_differs": (
        f"{_BOTH_STARTS} AND {_START_GAP} > {_START_TOLERANCE}",
        "both say since when, and the starts differ",
    ),
    "started_after_first": (
        "b.duration_days IS NOT NULL AND date_diff('second', a.received_at, b.received_at)"
        " / 86400.0 - b.duration_days > 1",
        "the later one's problem began after the earlier was filed",
    ),
    "says_filed_before": ("b.prior_filing", "the later one says it was reported before"),
    "says_broke_again": ("b.recurrence", "the later one says it broke again"),
    "days_apart_same_resident": (
        f"p.hours / 24.0 * CAST(coalesce({_SAME_RESIDENT}, false) AS DOUBLE)",
        "days between the filings, when room and unit or phone agree",
    ),
    "days_apart_otherwise": (
        f"p.hours / 24.0 * CAST(NOT coalesce({_SAME_RESIDENT}, false) AS DOUBLE)",
        "days between the filings, when no resident fact agrees",
    ),
    "same_category": ("a.category = b.category", "filed under the same category"),
}


@dataclass(frozen=True)
class DuplicateModel:
    """A fitted logistic model: P(same case) = 1 / (1 + exp(-(intercept + Σ weight·feature)))."""

    version: str
    features: tuple[str, ...]
    weights: tuple[float, ...]
    intercept: float
    threshold: float  # probability from which a later complaint is held as a duplicate
    fitted: dict[str, Any] = field(default_factory=dict)  # data, seeds, sizes, metrics, library

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def params(self) -> dict[str, float]:
        """Query parameters binding the weights (`$w0` …) and the intercept (`$w_0`)."""
        return {f"w{k}": float(w) for k, w in enumerate(self.weights)} | {
            "w_0": float(self.intercept)
        }

    def log_odds_sql(self, pairs: str = "p") -> str:
        """SQL of the log-odds over a pairs table with the `feature_columns_sql()` columns;
        bind `params()`."""
        terms = [f'$w{k} * {pairs}."f_{name}"' for k, name in enumerate(self.features)]
        return "($w_0 + " + " + ".join(terms) + ")"

    def evidence(self, values: dict[str, float]) -> list[dict[str, Any]]:
        """Each feature's value and its weighted contribution (log-odds), strongest first."""
        rows = [
            {
                "feature": name,
                "meaning": FEATURES[name][1],
                "value": round(float(values[name]), 4),
                "weight": round(w, 3),
                "log_odds": round(w * float(values[name]), 3),
            }
            for name, w in zip(self.features, self.weights, strict=True)
            if values.get(name)
        ]
        return sorted(rows, key=lambda r: -abs(r["log_odds"]))


def feature_sql(name: str) -> str:
    """The SQL of an allow-listed feature as a DOUBLE (false and unknown are 0)."""
    if name not in FEATURES:
        raise UsageError(f"unknown duplicate feature {name!r}", code="INTEGRITY_MODEL_INVALID")
    return f"coalesce(CAST(({FEATURES[name][0]}) AS DOUBLE), 0.0)"


def feature_columns_sql() -> str:
    """Every allow-listed feature as a column `f_<name>` (over `p`, `a`, `b`)."""
    return ", ".join(f'{feature_sql(name)} AS "f_{name}"' for name in FEATURES)


def load_model(version: str) -> DuplicateModel:
    """The stored model `version` (`models/<version>.json`); UsageError when unknown or bad."""
    path = MODELS / f"{version}.json"
    if "/" in version or not path.is_file():
        known = ", ".join(sorted(p.stem for p in MODELS.glob("*.json")))
        raise UsageError(
            f"unknown duplicate model {version!r} (known: {known})", code="INTEGRITY_MODEL_UNKNOWN"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    model = DuplicateModel(
        version=data["version"],
        features=tuple(data["features"]),
        weights=tuple(float(w) for w in data["weights"]),
        intercept=float(data["intercept"]),
        threshold=float(data["threshold"]),
        fitted=data.get("fitted", {}),
    )
    for name in model.features:
        feature_sql(name)
    if model.version != version or len(model.weights) != len(model.features):
        raise UsageError(f"{path} is not model {version}", code="INTEGRITY_MODEL_INVALID")
    return model


def fit(
    x: np.ndarray, y: np.ndarray, features: tuple[str, ...], version: str, c: float = 1.0
) -> DuplicateModel:
    """Logistic regression (scikit-learn, L2 with strength 1/`c`) of labels `y` (0/1, n) on
    feature rows `x` (n × len(features)), on the features' own scale so a weight reads as
    log-odds per unit. The threshold is left at 0.5; `choose_threshold` sets it."""
    from sklearn.linear_model import LogisticRegression

    if len(np.unique(y)) < 2:
        raise UsageError("fitting needs both duplicate and distinct pairs", code="BAD_REQUEST")
    model = LogisticRegression(C=c, max_iter=2000).fit(x, y)
    return DuplicateModel(
        version=version,
        features=features,
        weights=tuple(round(float(w), 6) for w in model.coef_[0]),
        intercept=round(float(model.intercept_[0]), 6),
        threshold=0.5,
    )


def predict(model: DuplicateModel, x: np.ndarray) -> np.ndarray:
    """Probabilities for feature rows `x` (n × len(model.features))."""
    z = model.intercept + x @ np.asarray(model.weights)
    return 1.0 / (1.0 + np.exp(-z))


def choose_threshold(score: np.ndarray, label: np.ndarray, min_precision: float) -> float:
    """The lowest probability threshold at which precision (complaint level: `score` is each
    complaint's best pair, `label` whether it is a duplicate) still reaches `min_precision`:
    the highest recall at that precision."""
    order = np.argsort(-score, kind="stable")
    s, y = score[order], label[order].astype(float)
    precision = np.cumsum(y) / np.arange(1, len(y) + 1)
    ok = precision >= min_precision
    last = int(np.nonzero(ok)[0].max()) if ok.any() else 0
    return float(round(s[last], 4))


def save_model(model: DuplicateModel, directory: Path = MODELS) -> Path:
    """Write `<version>.json`; refuses to overwrite an existing version (they are immutable)."""
    path = directory / f"{model.version}.json"
    if path.exists():
        raise UsageError(f"{path} exists: a model version is never rewritten", code="CONFLICT")
    path.write_text(
        json.dumps(model.as_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return path
