"""Finding near-duplicate complaints, bursts and campaigns against one project.

The steps, in order (each a named function; `detect` runs them and times them):

1. `load` — the period's complaints (and `lookback_days` before it, to find what they
   repeat and a baseline rate) visible at the ingest watermark, into a temp table, with the
   facts of `rating.analysis.facts` read from each description (without the project's name,
   shared by every complaint of a project): building, unit, room, phone, facility, problem,
   stated duration, prior filing, recurrence.
2. `vectorise` — TF-IDF of character n-grams (2–3 by default; Chinese needs no segmenter)
   of the canonical text (synonyms as one form, the facts taken out).
3. `candidate_pairs` — blocks of project × time window, joined in DuckDB (never all pairs):
   an earlier complaint and a later, unmarked one of the same project, never naming another
   building, unit or room, at most `duplicate_window_days` apart — longer by the duration
   either states (a leak "一个多月了" may be re-filed weeks later), up to
   `duplicate_max_window_days`, and the whole of that when the later one says it was filed
   before or is near-verbatim (`duplicate_verbatim_similarity`) without saying its problem
   began after the earlier was filed; cosine similarity of each pair from sparse row
   products, in slices, and the features of `rating.analysis.linkage`.
4. `near_duplicates` — the stored duplicate model (`duplicate_model`) weighs each pair's
   evidence; a later complaint whose best earlier match reaches the model's probability
   threshold repeats it (NEAR_DUPLICATE), with that evidence; the earliest stays.
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

from rating.analysis import facts
from rating.analysis.linkage import FEATURES, DuplicateModel, feature_columns_sql, load_model
from rating.periods import Period
from rating.schema import CONTRACTS
from rating.sql import frame, rows, run
from rating.warehouse import visible_rows

PAIR_SLICE = 200_000  # pairs whose similarity is computed at once (bounds memory)
DUPLICATE_MODEL = "duplicates-v1"


@dataclass(frozen=True)
class IntegrityParams:
    """Thresholds of a scan, recorded with it (chosen on generated data: benchmarks/quality).

    `duplicate_probability` None means the stored model's own threshold."""

    duplicate_model: str = DUPLICATE_MODEL
    duplicate_probability: float | None = None
    duplicate_window_days: int = 7
    duplicate_max_window_days: int = 45
    duplicate_verbatim_similarity: float = 0.8
    campaign_similarity: float = 0.35
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
    """Temp table `integ_c`: one row per complaint, numbered in time order (`i`), with its facts."""
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE integ_text AS
        WITH names AS (
            SELECT project_id, any_value(project_name) AS name
            FROM {visible_rows(CONTRACTS["projects"], "p")} GROUP BY project_id),
        c AS (
            SELECT s.complaint_id, s.project_id, s.received_at, s.channel, s.category,
                   coalesce(s.content, '') AS content,
                   coalesce(s.is_repeat, false) OR s.repeat_of IS NOT NULL AS marked
            FROM {visible_rows(CONTRACTS["complaints"], "s")}
              AND s.received_at >= CAST($lo AS TIMESTAMP)
              AND s.received_at < CAST($hi AS TIMESTAMP) + INTERVAL 1 DAY)
        SELECT CAST(row_number() OVER (ORDER BY c.received_at, c.complaint_id) - 1 AS BIGINT) AS i,
               c.complaint_id, c.project_id, c.received_at, c.channel, c.category, c.content,
               c.marked, c.received_at >= CAST($start AS TIMESTAMP) AS in_period,
               CASE WHEN n.name IS NULL OR n.name = '' THEN c.content
                    ELSE replace(c.content, n.name, '') END AS text
        FROM c LEFT JOIN names n USING (project_id)""",
        {
            "watermark": watermark,
            "lo": period.start - timedelta(days=params.lookback_days),
            "hi": period.end,
            "start": period.start,
        },
    )
    read = facts.extract(frame(con, "SELECT i, text, received_at FROM integ_text ORDER BY i"))
    con.register("integ_facts", read.drop("text", "received_at").to_arrow())
    try:
        run(
            con,
            """CREATE OR REPLACE TEMP TABLE integ_c AS
               SELECT t.*, f.* EXCLUDE (i) FROM integ_text t JOIN integ_facts f USING (i)
               ORDER BY t.i""",
        )
    finally:
        con.unregister("integ_facts")
    run(con, "DROP TABLE integ_text")
    return int(rows(con, "SELECT count(*) FROM integ_c")[0][0])


def vectorise(con: duckdb.DuckDBPyConnection, params: IntegrityParams) -> Any:
    """L2-normalised TF-IDF rows of character n-grams, row `i` for complaint `i`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [t for (t,) in rows(con, "SELECT canonical FROM integ_c ORDER BY i")]
    vectorizer = TfidfVectorizer(
        analyzer="char",
        ngram_range=(params.ngram_min, params.ngram_max),
        sublinear_tf=True,
        dtype=np.float32,
    )
    return vectorizer.fit_transform(texts) if texts else None


def _window_sql(params: IntegrityParams) -> str:
    """Days a later complaint `b` may follow `a` and still repeat it: the base window, longer by
    the longer stated duration, and the longest window when `b` says it was filed before."""
    base, longest = int(params.duplicate_window_days), int(params.duplicate_max_window_days)
    return f"""CASE WHEN b.prior_filing THEN {longest}
                    ELSE least({longest}, {base} + greatest(coalesce(a.duration_days, 0),
                                                           coalesce(b.duration_days, 0))) END"""


def candidate_pairs(
    con: duckdb.DuckDBPyConnection, matrix: Any, params: IntegrityParams, start: Any
) -> int:
    """Temp table `integ_pairs(i, j, sim, hours, i_marked, in_window, f_…)` of blocked pairs,
    i earlier: those close enough in time for `b` to repeat `a` (`in_window`: `_window_sql`,
    or near-verbatim and not saying its problem began after `a` was filed, up to
    `duplicate_max_window_days`), and those within `campaign_window_days`. Returns the number
    of pairs compared."""
    longest = max(params.duplicate_max_window_days, params.campaign_window_days)
    near = max(params.duplicate_window_days, params.campaign_window_days)
    found = run(
        con,
        f"""SELECT a.i, b.i FROM integ_c a JOIN integ_c b
              ON a.project_id = b.project_id AND b.i > a.i
             AND b.received_at <= a.received_at + INTERVAL {int(longest)} DAY
            WHERE NOT b.marked AND b.received_at >= CAST($start AS TIMESTAMP) - INTERVAL {int(near)} DAY
              AND (a.building IS NULL OR b.building IS NULL OR a.building = b.building)
              AND (a.unit IS NULL OR b.unit IS NULL OR a.unit = b.unit)
              AND (a.room IS NULL OR b.room IS NULL OR a.room = b.room)
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
        f"""CREATE OR REPLACE TEMP TABLE integ_pairs AS
           WITH p AS (
               SELECT p.i, p.j, CAST(p.sim AS DOUBLE) AS sim, a.marked AS i_marked,
                      date_diff('second', a.received_at, b.received_at) / 3600.0 AS hours,
                      date_diff('second', a.received_at, b.received_at)
                          <= 86400 * {_window_sql(params)}
                      OR (p.sim >= $verbatim AND NOT coalesce(
                          date_diff('second', a.received_at, b.received_at) / 86400.0
                          - b.duration_days > 1, false)) AS in_window
               FROM integ_pairs_arrow p JOIN integ_c a ON a.i = p.i JOIN integ_c b ON b.i = p.j)
           SELECT p.*, {feature_columns_sql()}
           FROM p JOIN integ_c a ON a.i = p.i JOIN integ_c b ON b.i = p.j
           WHERE p.in_window OR p.hours <= 24 * $campaign_days""",
        {
            "verbatim": params.duplicate_verbatim_similarity,
            "campaign_days": params.campaign_window_days,
        },
    )
    con.unregister("integ_pairs_arrow")
    return len(i)


_FACTS = """{'building': c.building, 'unit': c.unit, 'room': c.room,
    'phone': CASE WHEN c.phone_tail IS NOT NULL
                  THEN coalesce(c.phone_head, '***') || '****' || c.phone_tail END,
    'facility': c.facility, 'problem': c.problem, 'stated_days': c.duration_days,
    'filed_before': c.prior_filing, 'broke_again': c.recurrence}"""


def near_duplicates(
    con: duckdb.DuckDBPyConnection, params: IntegrityParams, model: DuplicateModel
) -> pl.DataFrame:
    """Later complaints whose best earlier match the model finds likely enough to be the same
    case: up to 5 matches, the best one's feature values and both complaints' facts."""
    threshold = params.duplicate_probability
    columns = ", ".join(f"'{n}': p.\"f_{n}\"" for n in FEATURES)
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE integ_dups AS
           WITH scored AS (
               SELECT p.*, 1 / (1 + exp(-{model.log_odds_sql("p")})) AS prob
               FROM integ_pairs p WHERE p.in_window)
           SELECT p.j AS i, max(p.prob) AS score, arg_max(p.i, p.prob) AS best,
                  list({{'complaint_id': a.complaint_id, 'probability': round(p.prob, 3),
                        'similarity': round(p.sim, 3), 'hours': round(p.hours, 1),
                        'channel': a.channel}} ORDER BY p.prob DESC, a.i)[1:5] AS matches,
                  arg_max({{{columns}}}, p.prob) AS features
           FROM scored p JOIN integ_c a ON a.i = p.i
           WHERE p.prob >= $th
           GROUP BY p.j""",
        {"th": model.threshold if threshold is None else threshold, **model.params()},
    )
    return frame(
        con,
        f"""SELECT c.complaint_id, 'NEAR_DUPLICATE' AS reason, d.score, d.matches, d.features,
                   {_FACTS} AS facts, (SELECT {_FACTS} FROM integ_c c WHERE c.i = d.best) AS match_facts
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


def _duplicate_flags(
    frame: pl.DataFrame, model: DuplicateModel, params: IntegrityParams
) -> list[Flag]:
    """NEAR_DUPLICATE flags whose detail is the evidence a reviewer needs: the matches, the
    model and its threshold, each feature's weighted contribution (added to the intercept, the
    log-odds of the best match), and the facts read from both texts."""
    threshold = (
        model.threshold if params.duplicate_probability is None else params.duplicate_probability
    )
    return [
        Flag(
            r["complaint_id"],
            r["reason"],
            float(r["score"]),
            {
                "matches": r["matches"],
                "model": model.version,
                "threshold": threshold,
                "intercept": model.intercept,
                "evidence": model.evidence(r["features"]),
                "facts": {
                    "complaint": facts.readable(r["facts"]),
                    "match": facts.readable(r["match_facts"]),
                },
            },
        )
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

    model = load_model(params.duplicate_model)
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
        *_duplicate_flags(
            timed("near_duplicates", near_duplicates, con, params, model), model, params
        ),
        *_flags(
            timed("bursts", bursts, con, params, params.lookback_days + period.days),
            ("p_value", "expected"),
        ),
    ]
    chosen: dict[str, Flag] = {}
    for flag in found:  # in order of precedence
        chosen.setdefault(flag.complaint_id, flag)
    return Flags(sorted(chosen.values(), key=lambda f: f.complaint_id), scanned, pairs, steps)
