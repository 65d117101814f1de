"""Finding near-duplicate complaints, bursts and campaigns against one project.

The steps, in order (each a named function; `detect` runs them and times them):

1. `load` — the period's complaints (and `lookback_days` before it, to find what they
   repeat and a baseline rate) visible at the ingest watermark, into a temp table. The text
   is the description without the project's name (shared by every complaint of a project);
   the building number (`12号楼`, `3栋`) is extracted: two texts naming different buildings
   are never the same case.
2. `vectorise` — TF-IDF of character n-grams (2–3 by default; Chinese needs no segmenter).
3. `candidate_pairs` — blocks of project × time window, joined in DuckDB (never all pairs):
   an earlier complaint and a later, unmarked one of the same project at most
   `duplicate_window_days` apart, with compatible buildings; cosine similarity of each pair
   from sparse row products, in slices.
4. `near_duplicates` — a later complaint whose best earlier match reaches
   `duplicate_similarity` repeats it (NEAR_DUPLICATE); the earliest stays.
5. `campaigns` — connected components of pairs at least `campaign_similarity` alike and at
   most `campaign_window_days` apart with `campaign_min_size` members or more (CAMPAIGN).
6. `bursts` — a project receiving, within `burst_window_days`, at least `burst_min_size`
   complaints and more than a Poisson tail of `burst_p_value` allows given its own rate (BURST).

Complaints already marked as repeats (是否重复 / 重复工单号) are never flagged: the rule set
excludes them already. One reason per complaint: CAMPAIGN, then NEAR_DUPLICATE, then BURST.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import duckdb
import numpy as np
import polars as pl

from rating.periods import Period
from rating.schema import CONTRACTS
from rating.sql import frame, rows, run
from rating.warehouse import visible_rows

PAIR_SLICE = 200_000  # pairs whose similarity is computed at once (bounds memory)
BUILDING = r"(\d+)\s*(?:号楼|栋|幢)"


@dataclass(frozen=True)
class IntegrityParams:
    """Thresholds of a scan, recorded with it (chosen on generated data: benchmarks/quality)."""

    duplicate_similarity: float = 0.5
    duplicate_window_days: int = 7
    campaign_similarity: float = 0.4
    campaign_window_days: int = 3
    campaign_min_size: int = 5
    burst_window_days: int = 2
    burst_min_size: int = 8
    burst_p_value: float = 1e-6
    lookback_days: int = 90
    ngram_min: int = 2
    ngram_max: int = 3

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Flag:
    complaint_id: str
    reason: str  # CAMPAIGN, NEAR_DUPLICATE or BURST
    score: float  # best similarity, campaign size or burst count
    detail: dict[str, Any]


@dataclass
class Flags:
    """What a scan found: one flag per complaint, and the steps' timings."""

    flags: list[Flag]
    scanned: int
    pairs: int
    steps: dict[str, float] = field(default_factory=dict)


def load(
    con: duckdb.DuckDBPyConnection, period: Period, watermark: int, params: IntegrityParams
) -> int:
    """Temp table `integ_c`: one row per complaint, numbered in time order (`i`)."""
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE integ_c AS
        WITH names AS (
            SELECT project_id, any_value(project_name) AS name
            FROM {visible_rows(CONTRACTS["projects"], "p")} GROUP BY project_id),
        c AS (
            SELECT s.complaint_id, s.project_id, s.received_at, s.channel,
                   coalesce(s.content, '') AS content,
                   coalesce(s.is_repeat, false) OR s.repeat_of IS NOT NULL AS marked
            FROM {visible_rows(CONTRACTS["complaints"], "s")}
              AND s.received_at >= CAST($lo AS TIMESTAMP)
              AND s.received_at < CAST($hi AS TIMESTAMP) + INTERVAL 1 DAY)
        SELECT CAST(row_number() OVER (ORDER BY c.received_at, c.complaint_id) - 1 AS BIGINT) AS i,
               c.complaint_id, c.project_id, c.received_at, c.channel, c.content, c.marked,
               c.received_at >= CAST($start AS TIMESTAMP) AS in_period,
               CASE WHEN n.name IS NULL OR n.name = '' THEN c.content
                    ELSE replace(c.content, n.name, '') END AS text,
               nullif(regexp_extract(c.content, '{BUILDING}', 1), '') AS building
        FROM c LEFT JOIN names n USING (project_id)""",
        {
            "watermark": watermark,
            "lo": period.start - timedelta(days=params.lookback_days),
            "hi": period.end,
            "start": period.start,
        },
    )
    return int(rows(con, "SELECT count(*) FROM integ_c")[0][0])


def vectorise(con: duckdb.DuckDBPyConnection, params: IntegrityParams) -> Any:
    """L2-normalised TF-IDF rows of character n-grams, row `i` for complaint `i`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [t for (t,) in rows(con, "SELECT text FROM integ_c ORDER BY i")]
    vectorizer = TfidfVectorizer(
        analyzer="char",
        ngram_range=(params.ngram_min, params.ngram_max),
        sublinear_tf=True,
        dtype=np.float32,
    )
    return vectorizer.fit_transform(texts) if texts else None


def candidate_pairs(
    con: duckdb.DuckDBPyConnection, matrix: Any, params: IntegrityParams, start: Any
) -> int:
    """Temp table `integ_pairs(i, j, hours, sim)` of blocked pairs, i earlier than j."""
    window = max(params.duplicate_window_days, params.campaign_window_days)
    found = run(
        con,
        f"""SELECT a.i, b.i FROM integ_c a JOIN integ_c b
              ON a.project_id = b.project_id AND b.i > a.i
             AND b.received_at <= a.received_at + INTERVAL {int(window)} DAY
            WHERE NOT b.marked AND b.received_at >= CAST($start AS TIMESTAMP) - INTERVAL {int(window)} DAY
              AND (a.building IS NULL OR b.building IS NULL OR a.building = b.building)
            ORDER BY a.i, b.i""",
        {"start": start},
    ).fetchnumpy()
    i, j = (np.asarray(found[k], dtype=np.int64) for k in list(found)[:2])
    sim = np.zeros(len(i), dtype=np.float32)
    for lo in range(0, len(i), PAIR_SLICE):
        a, b = i[lo : lo + PAIR_SLICE], j[lo : lo + PAIR_SLICE]
        sim[lo : lo + PAIR_SLICE] = np.asarray(matrix[a].multiply(matrix[b]).sum(axis=1)).ravel()
    con.register("integ_pairs_arrow", pl.DataFrame({"i": i, "j": j, "sim": sim}).to_arrow())
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE integ_pairs AS
           SELECT p.i, p.j, CAST(p.sim AS DOUBLE) AS sim, a.marked AS i_marked,
                  date_diff('second', a.received_at, b.received_at) / 3600.0 AS hours
           FROM integ_pairs_arrow p JOIN integ_c a ON a.i = p.i JOIN integ_c b ON b.i = p.j""",
    )
    con.unregister("integ_pairs_arrow")
    return len(i)


def near_duplicates(con: duckdb.DuckDBPyConnection, params: IntegrityParams) -> pl.DataFrame:
    """Later complaints whose best earlier match is alike enough, with up to 5 matches."""
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE integ_dups AS
           SELECT p.j AS i, max(p.sim) AS score,
                  list({'complaint_id': a.complaint_id, 'similarity': round(p.sim, 3),
                        'hours': round(p.hours, 1), 'channel': a.channel}
                       ORDER BY p.sim DESC, a.i)[1:5] AS matches
           FROM integ_pairs p JOIN integ_c a ON a.i = p.i
           WHERE p.sim >= $th AND p.hours <= $window * 24
           GROUP BY p.j""",
        {"th": params.duplicate_similarity, "window": params.duplicate_window_days},
    )
    return frame(
        con,
        """SELECT c.complaint_id, 'NEAR_DUPLICATE' AS reason, d.score, d.matches
           FROM integ_dups d JOIN integ_c c USING (i) WHERE c.in_period""",
    )


def campaigns(con: duckdb.DuckDBPyConnection, params: IntegrityParams) -> pl.DataFrame:
    """Members of large groups of alike complaints against one project in a few days."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = int(rows(con, "SELECT count(*) FROM integ_c")[0][0])
    edges = run(
        con,
        """SELECT i, j FROM integ_pairs
           WHERE NOT i_marked AND sim >= $th AND hours <= $window * 24""",
        {"th": params.campaign_similarity, "window": params.campaign_window_days},
    ).fetchnumpy()
    i, j = (np.asarray(edges[k], dtype=np.int64) for k in list(edges)[:2])
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    con.register("integ_groups", pl.DataFrame({"i": np.arange(n), "g": label}).to_arrow())
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE integ_campaigns AS
           WITH m AS (SELECT c.*, g.g, count(*) OVER (PARTITION BY g.g) AS size,
                             first(c.complaint_id ORDER BY c.i) OVER (PARTITION BY g.g) AS campaign,
                             date_diff('second', min(c.received_at) OVER (PARTITION BY g.g),
                                       max(c.received_at) OVER (PARTITION BY g.g)) / 3600.0 AS span
                      FROM integ_c c JOIN integ_groups g USING (i) WHERE NOT c.marked)
           SELECT i, complaint_id, in_period, CAST(size AS DOUBLE) AS score, campaign, size,
                  round(span, 1) AS span_hours, project_id,
                  list(complaint_id ORDER BY i) OVER (PARTITION BY g) AS members
           FROM m WHERE size >= $min""",
        {"min": params.campaign_min_size},
    )
    con.unregister("integ_groups")
    found = frame(
        con,
        """SELECT complaint_id, 'CAMPAIGN' AS reason, score, campaign, size, span_hours,
                  project_id, members
           FROM integ_campaigns WHERE in_period""",
    )
    return found.with_columns(pl.col("members").list.head(30))


def bursts(con: duckdb.DuckDBPyConnection, params: IntegrityParams, days: int) -> pl.DataFrame:
    """Complaints inside a window whose count a project's own rate makes implausible.

    Complaints already explained (campaign members, near-duplicates) are left out of both the
    window counts and the project's rate: a burst is what remains unexplained.
    """
    from scipy.stats import poisson

    w = int(params.burst_window_days)
    ends = frame(
        con,
        f"""WITH u AS (SELECT * FROM integ_c WHERE NOT marked
                        AND i NOT IN (SELECT i FROM integ_campaigns)
                        AND i NOT IN (SELECT i FROM integ_dups)),
             rate AS (SELECT project_id, count(*) / $days AS per_day FROM u GROUP BY project_id)
           SELECT u.i, u.project_id, u.received_at,
                  count(*) OVER (PARTITION BY u.project_id ORDER BY u.received_at
                                 RANGE BETWEEN INTERVAL {w} DAY PRECEDING AND CURRENT ROW) AS k,
                  greatest(r.per_day * {w}, 0.05) AS expected
           FROM u JOIN rate r USING (project_id)""",
        {"days": max(days, 1)},
    )
    ends = ends.filter(pl.col("k") >= params.burst_min_size)
    p_value = poisson.sf(ends["k"].to_numpy() - 1, ends["expected"].to_numpy())
    ends = ends.with_columns(p_value=pl.Series(p_value)).filter(
        pl.col("p_value") < params.burst_p_value
    )
    con.register("integ_burst_ends", ends.to_arrow())
    found = frame(
        con,
        f"""SELECT c.complaint_id, 'BURST' AS reason, max(e.k) AS score, min(e.p_value) AS p_value,
                   max(e.expected) AS expected, c.project_id
            FROM integ_burst_ends e JOIN integ_c c
              ON c.project_id = e.project_id AND NOT c.marked AND c.in_period
             AND c.i NOT IN (SELECT i FROM integ_campaigns) AND c.i NOT IN (SELECT i FROM integ_dups)
             AND c.received_at BETWEEN e.received_at - INTERVAL {w} DAY AND e.received_at
            GROUP BY c.complaint_id, c.project_id""",
    )
    con.unregister("integ_burst_ends")
    return found


def _flags(frame: pl.DataFrame, keys: tuple[str, ...]) -> list[Flag]:
    return [
        Flag(r["complaint_id"], r["reason"], float(r["score"]), {k: r[k] for k in keys})
        for r in frame.to_dicts()
    ]


def detect(
    con: duckdb.DuckDBPyConnection, period: Period, watermark: int, params: IntegrityParams
) -> Flags:
    """Run the steps; one flag per complaint, the strongest reason first."""
    steps: dict[str, float] = {}

    def timed(name: str, fn: Any, *args: Any) -> Any:
        started = time.perf_counter()
        out = fn(*args)
        steps[name] = round(time.perf_counter() - started, 3)
        return out

    scanned = timed("load", load, con, period, watermark, params)
    matrix = timed("vectorise", vectorise, con, params)
    if matrix is None:
        return Flags([], 0, 0, steps)
    pairs = timed("candidate_pairs", candidate_pairs, con, matrix, params, period.start)
    found = [
        *_flags(
            timed("campaigns", campaigns, con, params),
            ("campaign", "size", "span_hours", "members"),
        ),
        *_flags(timed("near_duplicates", near_duplicates, con, params), ("matches",)),
        *_flags(
            timed("bursts", bursts, con, params, params.lookback_days + period.days),
            ("p_value", "expected"),
        ),
    ]
    chosen: dict[str, Flag] = {}
    for flag in found:  # in order of precedence
        chosen.setdefault(flag.complaint_id, flag)
    return Flags(sorted(chosen.values(), key=lambda f: f.complaint_id), scanned, pairs, steps)
