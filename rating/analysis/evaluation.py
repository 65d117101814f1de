"""How well the integrity scan finds what is known to be there (generated data with truth).

`integrity_quality` compares the holds a scan recorded (their first `hold` row: what the
detector said, before any review) with a truth table such as the generator's
`integrity_truth.parquet` (complaint_id, kind = duplicate | campaign, duplicate_of,
campaign_id). Only complaints loaded into the warehouse and received in the scanned periods
count; complaints already marked as repeats are outside the task (the rule set excludes them).

`duplicate_sweep` gives precision and recall of near-duplicates over a range of probability
thresholds of the duplicate model: detection runs once per period at the lowest threshold, and
a complaint counts as flagged at τ when its best match reaches τ (campaign members are never
near-duplicates, as in a scan). It shows what `--min-probability` would trade.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import polars as pl

from rating.analysis.detection import IntegrityParams, detect
from rating.analysis.shapes import (
    CampaignQuality,
    DuplicateQuality,
    IntegrityQuality,
    PrecisionRecall,
    SweepPoint,
)
from rating.periods import Period
from rating.sql import dicts, run
from rating.warehouse import watermark


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _pr(tp: int, predicted: int, actual: int) -> PrecisionRecall:
    p, r = _ratio(tp, predicted), _ratio(tp, actual)
    f1 = round(2 * p * r / (p + r), 4) if p and r else None
    return PrecisionRecall(tp=tp, predicted=predicted, actual=actual, precision=p, recall=r, f1=f1)


_SETUP = """
CREATE OR REPLACE TEMP TABLE eval_universe AS
    SELECT complaint_id, any_value(repeat_of) AS repeat_of FROM src_complaints
    WHERE received_at >= CAST($lo AS TIMESTAMP) AND received_at < CAST($hi AS TIMESTAMP) + INTERVAL 1 DAY
      AND NOT (coalesce(is_repeat, false) OR repeat_of IS NOT NULL)
    GROUP BY complaint_id;
CREATE OR REPLACE TEMP TABLE eval_flags AS
    SELECT complaint_id, any_value(reason ORDER BY seq) AS reason,
           any_value(detail ORDER BY seq) AS detail
    FROM complaint_holds WHERE action = 'hold'
      AND complaint_id IN (SELECT complaint_id FROM eval_universe)
    GROUP BY complaint_id;
CREATE OR REPLACE TEMP TABLE eval_joined AS
    SELECT u.complaint_id, f.reason, f.detail, t.kind, t.duplicate_of, t.campaign_id
    FROM eval_universe u LEFT JOIN eval_flags f USING (complaint_id)
    LEFT JOIN eval_truth t USING (complaint_id);
"""


def integrity_quality(
    con: duckdb.DuckDBPyConnection, truth: pl.DataFrame, periods: list[Period]
) -> IntegrityQuality:
    """Precision and recall overall, per class, and per campaign (see module doc) of the holds
    recorded for complaints received in `periods`, against `truth` (complaint_id, kind,
    duplicate_of, campaign_id). Reads the warehouse only; registers `eval_truth` for the call."""
    con.register("eval_truth", truth.to_arrow())
    try:
        bounds = {"lo": min(p.start for p in periods), "hi": max(p.end for p in periods)}
        for statement in _SETUP.strip().split(";\n"):
            run(con, statement, bounds)
        counts = dicts(
            con,
            """SELECT
                 count(*) AS complaints,
                 count(*) FILTER (WHERE reason IS NOT NULL AND kind IS NOT NULL) AS any_tp,
                 count(*) FILTER (WHERE reason IS NOT NULL) AS any_pred,
                 count(*) FILTER (WHERE kind IS NOT NULL) AS any_true,
                 count(*) FILTER (WHERE reason = 'NEAR_DUPLICATE' AND kind = 'duplicate') AS dup_tp,
                 count(*) FILTER (WHERE reason = 'NEAR_DUPLICATE') AS dup_pred,
                 count(*) FILTER (WHERE kind = 'duplicate') AS dup_true,
                 count(*) FILTER (WHERE reason IS NOT NULL AND kind = 'duplicate') AS dup_any,
                 count(*) FILTER (WHERE reason = 'CAMPAIGN' AND kind = 'campaign') AS camp_tp,
                 count(*) FILTER (WHERE reason = 'CAMPAIGN') AS camp_pred,
                 count(*) FILTER (WHERE kind = 'campaign') AS camp_true,
                 count(*) FILTER (WHERE reason IS NOT NULL AND kind = 'campaign') AS camp_any,
                 count(*) FILTER (WHERE reason = 'BURST') AS burst_pred,
                 count(*) FILTER (WHERE reason = 'BURST' AND kind IS NOT NULL) AS burst_tp
               FROM eval_joined""",
        )[0]
        matched = dicts(
            con,
            """SELECT count(*) AS judged,
                      count(*) FILTER (WHERE m = j.duplicate_of OR u.repeat_of = j.duplicate_of) AS right
               FROM (SELECT *, json_extract_string(detail, '$.matches[0].complaint_id') AS m
                     FROM eval_joined WHERE reason = 'NEAR_DUPLICATE' AND kind = 'duplicate') j
               LEFT JOIN eval_universe u ON u.complaint_id = j.m""",
        )[0]
        groups = dicts(
            con,
            """SELECT count(*) AS campaigns,
                      count(*) FILTER (WHERE caught >= 0.5 * size) AS detected
               FROM (SELECT campaign_id, count(*) AS size,
                            count(*) FILTER (WHERE reason = 'CAMPAIGN') AS caught
                     FROM eval_joined WHERE kind = 'campaign' GROUP BY campaign_id)""",
        )[0]
    finally:
        con.unregister("eval_truth")
    c = counts
    return IntegrityQuality(
        complaints=c["complaints"],
        any_flag=_pr(c["any_tp"], c["any_pred"], c["any_true"]),
        near_duplicate=DuplicateQuality(
            **_pr(c["dup_tp"], c["dup_pred"], c["dup_true"]),
            recall_any_reason=_ratio(c["dup_any"], c["dup_true"]),
            matched_original=_ratio(matched["right"], matched["judged"]),
        ),
        campaign=CampaignQuality(
            **_pr(c["camp_tp"], c["camp_pred"], c["camp_true"]),
            recall_any_reason=_ratio(c["camp_any"], c["camp_true"]),
            campaigns=groups["campaigns"],
            campaigns_detected=groups["detected"],
        ),
        burst={"predicted": c["burst_pred"], "true_flags": c["burst_tp"]},
    )


def _actual_duplicates(
    con: duckdb.DuckDBPyConnection, truth: pl.DataFrame, periods: list[Period]
) -> set[str]:
    loaded = dicts(
        con,
        """SELECT DISTINCT complaint_id FROM src_complaints
           WHERE received_at >= CAST($lo AS TIMESTAMP)
             AND received_at < CAST($hi AS TIMESTAMP) + INTERVAL 1 DAY
             AND NOT (coalesce(is_repeat, false) OR repeat_of IS NOT NULL)""",
        {"lo": min(p.start for p in periods), "hi": max(p.end for p in periods)},
    )
    ids = {r["complaint_id"] for r in loaded}
    dups = truth.filter(pl.col("kind") == "duplicate")["complaint_id"].to_list()
    return ids & set(dups)


def duplicate_sweep(
    con: duckdb.DuckDBPyConnection,
    truth: pl.DataFrame,
    periods: list[Period],
    thresholds: list[float],
    params: IntegrityParams | None = None,
) -> list[SweepPoint]:
    """Precision, recall and F1 of near-duplicate detection (`NEAR_DUPLICATE` flags) against the
    generator's `truth` over `periods`, one row per threshold (ascending): threshold, predicted,
    true positives (`tp`), precision, recall and f1 rounded to 4 places, None where a denominator is
    zero. Flags are scored once at the lowest threshold."""
    low = replace(params or IntegrityParams(), duplicate_probability=min(thresholds))
    mark = watermark(con)
    scores = {
        f.complaint_id: f.score
        for p in periods
        for f in detect(con, p, mark, low).flags
        if f.reason == "NEAR_DUPLICATE"
    }
    actual = _actual_duplicates(con, truth, periods)
    out: list[SweepPoint] = []
    for t in sorted(thresholds):
        predicted = {c for c, s in scores.items() if s >= t}
        tp = len(predicted & actual)
        p = tp / len(predicted) if predicted else None
        r = tp / len(actual) if actual else None
        out.append(
            SweepPoint(
                threshold=t,
                predicted=len(predicted),
                tp=tp,
                precision=None if p is None else round(p, 4),
                recall=None if r is None else round(r, 4),
                f1=round(2 * p * r / (p + r), 4) if p and r else None,
            )
        )
    return out
