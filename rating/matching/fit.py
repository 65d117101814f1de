"""Fit the Fellegi–Sunter model on labelled orders: m and u per level, the prior, the threshold.

From labelled pairs (every candidate pair of orders whose true project is known, or known to be
unregistered): m(ℓ) is the share of true pairs at level ℓ, u(ℓ) the share of false pairs,
both with add-½ smoothing so that no level has weight ±∞; the prior π0 is the share of orders
none of whose candidates is right (unregistered compounds, and the few blocking misses). The automatic threshold is the smallest probability at which the training
orders' automatic matches are at least `TARGET` right and no unregistered compound is matched.

Run over the matcher's own tables: `match()` builds `m_pairs` (levels do not depend on the
weights), `label_pairs` adds the truth, `fit` returns the weights file's content.
`benchmarks/quality/fit_matching.py` does all three on a generated city and writes
`rating/matching/weights.json`.
"""

from __future__ import annotations

from typing import Any

import duckdb

from rating.matching.evidence import LEVELS
from rating.matching.model import Model, scored_sql
from rating.matching.shapes import ThresholdRow, WeightsFile
from rating.sql import rows, run, value

TARGET = 0.999
GRID = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99,
        0.993, 0.995, 0.997, 0.998, 0.999, 0.9995)  # fmt: skip


def label_pairs(con: duckdb.DuckDBPyConnection, truth: str) -> None:
    """`m_labelled`: m_pairs with `is_match`; `truth(_line, true_project)` (NULL: unregistered)."""
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_labelled AS
        SELECT p.*, p.project_id IS NOT DISTINCT FROM t.true_project AS is_match
        FROM m_pairs p JOIN {truth} t USING (_line)""",
    )


def _mu(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for comparison, levels in LEVELS.items():
        counts = {
            (str(level), bool(is_match)): int(n)
            for level, is_match, n in rows(
                con, f"SELECT l_{comparison}, is_match, count(*) FROM m_labelled GROUP BY ALL"
            )
        }
        total = {
            flag: sum(n for (_, f), n in counts.items() if f == flag) for flag in (True, False)
        }
        out[comparison] = {
            level: {
                key: round(
                    (counts.get((level, flag), 0) + 0.5) / (total[flag] + 0.5 * len(levels)), 6
                )
                for key, flag in (("m", True), ("u", False))
            }
            | {"n_match": counts.get((level, True), 0), "n_other": counts.get((level, False), 0)}
            for level in levels
        }
    return out


def threshold_table(con: duckdb.DuckDBPyConnection, model: Model, truth: str) -> list[ThresholdRow]:
    """Per grid threshold (`GRID`) of `model` on the orders of table `truth`: automatic matches,
    right ones, unregistered ones matched."""
    run(con, f"CREATE OR REPLACE TEMP TABLE m_fit_scored AS {scored_sql(model)}")
    out: list[ThresholdRow] = []
    for t in GRID:
        auto, right, unregistered = rows(
            con,
            f"""SELECT count(*), count(*) FILTER (WHERE b.project_id = t.true_project),
                       count(*) FILTER (WHERE t.true_project IS NULL)
                FROM m_fit_scored b JOIN {truth} t USING (_line)
                WHERE b.rank = 1 AND b.probability >= {t!r} AND len(b.vetoes) = 0""",
        )[0]
        out.append({"threshold": t, "auto": auto, "right": right, "unregistered": unregistered})
    return out


def fit(
    con: duckdb.DuckDBPyConnection, truth: str, version: str, fitted_on: dict[str, Any]
) -> WeightsFile:
    """The weights file's content, fitted on `m_pairs` labelled by `truth` (a table of
    `_line, true_project`); `fitted_on` is recorded as given, with the pair counts added."""
    label_pairs(con, truth)
    comparisons = _mu(con)
    matches = int(value(con, "SELECT count(*) FILTER (WHERE is_match) FROM m_labelled"))
    pairs = int(value(con, "SELECT count(*) FROM m_labelled"))
    orders = int(value(con, f"SELECT count(*) FROM {truth}"))
    prior = round(1 - matches / orders, 6)  # orders whose true project is no candidate
    model = Model(
        version,
        prior,
        0.5,
        {(c, lv): v["m"] for c, levels in comparisons.items() for lv, v in levels.items()},
        {(c, lv): v["u"] for c, levels in comparisons.items() for lv, v in levels.items()},
    )
    table = threshold_table(con, model, truth)
    good = [
        r["threshold"]
        for r in table
        if r["auto"] and r["right"] / r["auto"] >= TARGET and r["unregistered"] == 0
    ]
    threshold = min(good) if good else GRID[-1]
    return {
        "version": version,
        "method": "Fellegi-Sunter m/u from labelled candidate pairs, add-1/2 smoothing; "
        "prior = share of orders with no right candidate",
        "fitted_on": fitted_on | {"pairs": pairs, "matching_pairs": matches},
        "prior": prior,
        "threshold": threshold,
        "threshold_target": {"precision": TARGET, "unregistered_matched": 0},
        "thresholds_on_training": table,
        "comparisons": comparisons,
    }
