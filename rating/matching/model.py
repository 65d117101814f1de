"""The Fellegi–Sunter model: a weight per comparison level, a prior, and the automatic threshold.

For a pair (order, candidate) each comparison's level ℓ has m = P(ℓ | same compound) and
u = P(ℓ | different compound); its weight is log2(m/u) (Fellegi & Sunter 1969, "A theory for
record linkage", JASA 64:1183), and the pair's Bayes factor is BF = 2^(sum of its weights).
An order has K candidates and at most one is right — or none, when its compound is not in the
register or blocking missed it (prior π0, the `prior` of the weights file, measured on the
training draw). With a uniform prior over the candidates, candidate j's probability is

    P(j) = (1−π0)/K · BF_j / (π0 + (1−π0)/K · Σ_k BF_k)

so two equally good candidates share the probability, and an order matches automatically only
when one candidate reaches the `threshold` (chosen on the labelled training draw so that its
automatic matches are ≥ 99.9 % right and no unregistered compound is matched) and carries no
veto (`rating.matching.evidence`).

The fitted parameters are data, versioned in `rating/matching/weights.json` and written by
`rating.matching.fit`; `load_model` reads and checks them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rating.errors import UsageError
from rating.matching.evidence import LEVELS

WEIGHTS_FILE = Path(__file__).with_name("weights.json")


@dataclass(frozen=True)
class Model:
    """m/u per (comparison, level); `prior` π0 (no candidate is right) and `threshold` in (0, 1)."""

    version: str
    prior: float
    threshold: float
    m: dict[tuple[str, str], float]
    u: dict[tuple[str, str], float]

    def weight(self, comparison: str, level: str) -> float:
        """log2(m/u) of one level."""
        from math import log2

        return log2(self.m[comparison, level] / self.u[comparison, level])


def load_model(path: Path = WEIGHTS_FILE) -> Model:
    """Read and check a weights file; raises UsageError when a level is missing or m/u ∉ (0, 1]."""
    data = json.loads(path.read_text(encoding="utf-8"))
    m: dict[tuple[str, str], float] = {}
    u: dict[tuple[str, str], float] = {}
    for comparison, levels in LEVELS.items():
        for level in levels:
            found = data["comparisons"].get(comparison, {}).get(level)
            if not found or not (0 < found["m"] <= 1 and 0 < found["u"] <= 1):
                raise UsageError(
                    f"{path.name}: no valid m/u for {comparison}={level}", code="MATCH_MODEL"
                )
            m[comparison, level], u[comparison, level] = float(found["m"]), float(found["u"])
    prior, threshold = float(data["prior"]), float(data["threshold"])
    if not (0 < prior < 1 and 0 < threshold < 1):
        raise UsageError(f"{path.name}: prior and threshold must be in (0, 1)", code="MATCH_MODEL")
    return Model(str(data["version"]), prior, threshold, m, u)


def neutral_model() -> Model:
    """Every weight 0 (m = u): for building the pairs a fit starts from."""
    levels = [(c, lv) for c, lvs in LEVELS.items() for lv in lvs]
    return Model("neutral", 0.5, 0.5, dict.fromkeys(levels, 0.5), dict.fromkeys(levels, 0.5))


def weight_sql(model: Model) -> str:
    """The sum of a pair's level weights over `m_pairs` columns l_*, as one SQL expression.

    The weights are the model's validated floats, written as literals (a lookup per level, no
    join); level names come from `LEVELS`, never from input."""
    terms = []
    for comparison, levels in LEVELS.items():
        whens = " ".join(f"WHEN '{lv}' THEN {model.weight(comparison, lv)!r}" for lv in levels)
        terms.append(f"CASE l_{comparison} {whens} END")
    return " + ".join(terms)


def scored_sql(model: Model) -> str:
    """Over `m_pairs` (levels l_*): each pair's weight, Bayes factor, probability among its
    order's candidates and none, and rank — one pass, no wide intermediate copy."""
    prior = model.prior
    each = f"{(1 - prior)!r} / count(*) OVER o"
    return f"""SELECT * EXCLUDE (w), round(w, 4) AS weight, pow(2, w) AS bf,
                  {each} * pow(2, w) / ({prior!r} + {each} * sum(pow(2, w)) OVER o) AS probability,
                  row_number() OVER (PARTITION BY _line ORDER BY w DESC, project_id) AS rank
           FROM (SELECT *, {weight_sql(model)} AS w FROM m_pairs) WINDOW o AS (PARTITION BY _line)"""
