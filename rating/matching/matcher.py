"""Attach hotline orders to projects by compound name, district, street and company name.

Vectorised throughout: names are normalised in DuckDB SQL; distinct order spellings are
compared with the bureau's project register by TF-IDF over character 1–2-grams (scikit-learn,
sparse), blocked by district, keeping each spelling's three best candidates; the company the
caller named is then compared with the company serving each candidate on the order's date,
and the street with the candidate's street (DuckDB's Jaro–Winkler, on those few pairs only).

An order is matched automatically only when the evidence is strong and unambiguous:
* `alias`  — an analyst resolved this spelling before (remembered in `match_aliases`);
* `exact`  — the normalised name is the only project of that name in its district and the
             company, when given, agrees;
* `fuzzy`  — the best candidate scores at least `AUTO_SCORE` and leads the next by `MARGIN`.
A spelling an analyst rejected (an alias to no project) is `rejected`. Everything else goes
to the review queue (`review`) with its candidates and their scores: a wrong match would blame
the wrong company, so it is never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from rating.matching.normalize import company_core, compound_core, place_core
from rating.schema import CONTRACTS
from rating.sql import frame, run
from rating.warehouse import visible_rows

AUTO_SCORE = 0.9
MARGIN = 0.1
EXACT_COMPANY = 0.85
TOP = 10  # ties are common (several 阳光花园 in a district): keep enough for the company to decide
WEIGHTS = {"name": 0.6, "company": 0.25, "street": 0.15}


@dataclass(frozen=True)
class Thresholds:
    auto_score: float = AUTO_SCORE
    margin: float = MARGIN
    exact_company: float = EXACT_COMPANY


def _register(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> None:
    projects = CONTRACTS["projects"]
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_ref AS
        SELECT project_id, arg_max(project_name, service_start) AS project_name,
               {compound_core("arg_max(project_name, service_start)")} AS name_n,
               {place_core("arg_max(district, service_start)")} AS district_n,
               {place_core("arg_max(street, service_start)")} AS street_n
        FROM {visible_rows(projects)} GROUP BY project_id""",
        params,
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_service AS
        SELECT p.project_id, p.service_start, coalesce(p.service_end, DATE '9999-12-31') AS service_end,
               {company_core("c.name")} AS company_n
        FROM (SELECT * FROM {visible_rows(projects)}) p
        LEFT JOIN (SELECT s.uscc, s.name FROM {visible_rows(CONTRACTS["companies"])}) c
          ON c.uscc = p.company_uscc""",
        params,
    )


def _keys(con: duckdb.DuckDBPyConnection, orders: str) -> None:
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_orders AS
        SELECT _line, CAST(_when AS DATE) AS day, {compound_core("community_name")} AS name_n,
               {place_core("district")} AS district_n, {place_core("street")} AS street_n,
               {company_core("company_name")} AS company_n
        FROM {orders}""",
    )
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_keys AS
        SELECT row_number() OVER (ORDER BY name_n, district_n) AS key_id, name_n, district_n
        FROM (SELECT DISTINCT name_n, district_n FROM m_orders WHERE name_n IS NOT NULL)""",
    )


def _candidates(con: duckdb.DuckDBPyConnection) -> None:
    """Top candidates per distinct (name, district) by char n-gram TF-IDF cosine, per district."""
    import polars as pl
    from sklearn.feature_extraction.text import TfidfVectorizer

    ref = frame(
        con,
        "SELECT project_id, name_n, coalesce(district_n, '') AS d FROM m_ref "
        "WHERE name_n IS NOT NULL ORDER BY project_id",
    )
    keys = frame(
        con, "SELECT key_id, name_n, coalesce(district_n, '') AS d FROM m_keys ORDER BY key_id"
    )
    parts = [
        pl.DataFrame(
            {"key_id": [], "project_id": [], "s_name": []},
            schema={"key_id": pl.Int64, "project_id": pl.Utf8, "s_name": pl.Float64},
        )
    ]
    if ref.height and keys.height:
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
        ref_matrix = vectorizer.fit_transform(ref["name_n"].to_list())
        key_matrix = vectorizer.transform(keys["name_n"].to_list())
        ref_district, key_district = ref["d"].to_numpy(), keys["d"].to_numpy()
        for district in np.unique(key_district):
            k_idx = np.flatnonzero(key_district == district)
            r_idx = np.flatnonzero(ref_district == district)
            if not len(r_idx):
                r_idx = np.arange(ref.height)  # an unknown district: compare with every project
            parts.append(
                _top(
                    key_matrix[k_idx],
                    ref_matrix[r_idx],
                    keys["key_id"].to_numpy()[k_idx],
                    ref["project_id"].to_numpy()[r_idx],
                )
            )
    m_candidates = pl.concat(parts)
    con.register("m_candidates_frame", m_candidates)
    try:
        run(con, "CREATE OR REPLACE TEMP TABLE m_candidates AS SELECT * FROM m_candidates_frame")
    finally:
        con.unregister("m_candidates_frame")


def _top(queries: Any, refs: Any, key_ids: np.ndarray, project_ids: np.ndarray) -> Any:
    """The TOP best references per query row (cosine > 0), as a frame; sparse products in chunks."""
    import polars as pl

    frames = []
    k = min(TOP, refs.shape[0])
    for start in range(0, queries.shape[0], 2048):
        scores = (queries[start : start + 2048] @ refs.T).toarray()
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(scores, best, axis=1)
        rows_idx = np.repeat(np.arange(best.shape[0]), k)
        keep = values.ravel() > 0
        frames.append(
            pl.DataFrame(
                {
                    "key_id": key_ids[start + rows_idx[keep]].astype(np.int64),
                    "project_id": project_ids[best.ravel()[keep]],
                    "s_name": np.round(values.ravel()[keep], 6),
                }
            )
        )
    return pl.concat(frames) if frames else None


def _scored(con: duckdb.DuckDBPyConnection) -> None:
    w = WEIGHTS
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_scored AS
        SELECT o._line, c.project_id, c.s_name,
               CASE WHEN o.company_n IS NULL THEN 0.5
                    WHEN s.company_n IS NULL THEN 0.0
                    ELSE jaro_winkler_similarity(o.company_n, s.company_n) END AS s_company,
               CASE WHEN o.street_n IS NULL OR r.street_n IS NULL THEN 0.5
                    WHEN o.street_n = r.street_n THEN 1.0
                    ELSE jaro_winkler_similarity(o.street_n, r.street_n) * 0.5 END AS s_street,
               o.name_n = r.name_n AS same_name, r.project_name
        FROM m_orders o JOIN m_keys k ON k.name_n = o.name_n AND k.district_n IS NOT DISTINCT FROM o.district_n
        JOIN m_candidates c ON c.key_id = k.key_id
        JOIN m_ref r ON r.project_id = c.project_id
        LEFT JOIN m_service s ON s.project_id = c.project_id AND o.day BETWEEN s.service_start AND s.service_end""",
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_scored AS
        SELECT *, round({w["name"]} * s_name + {w["company"]} * s_company + {w["street"]} * s_street, 4) AS score,
               row_number() OVER (PARTITION BY _line ORDER BY
                   {w["name"]} * s_name + {w["company"]} * s_company + {w["street"]} * s_street DESC, project_id) AS rank,
               count(*) FILTER (WHERE same_name) OVER (PARTITION BY _line) AS same_names
        FROM m_scored""",
    )


def _aliases(con: duckdb.DuckDBPyConnection) -> None:
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_alias AS
        SELECT o._line, a.project_id FROM m_orders o
        JOIN (SELECT alias_key, project_id FROM match_aliases
              QUALIFY row_number() OVER (PARTITION BY alias_key ORDER BY seq DESC) = 1) a
          ON a.alias_key = {alias_key_sql("o")}""",
    )


def decide(con: duckdb.DuckDBPyConnection, t: Thresholds) -> None:
    """`m_decided`: per order, the project (or NULL: review), the method, the confidence, the candidates."""
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_decided AS
        WITH best AS (SELECT * FROM m_scored WHERE rank = 1),
             second AS (SELECT _line, score FROM m_scored WHERE rank = 2),
             cands AS (SELECT _line, list({{'project_id': project_id, 'name': project_name, 'score': score}}
                                         ORDER BY rank) AS candidates FROM m_scored GROUP BY _line)
        SELECT o._line,
               CASE WHEN a._line IS NOT NULL THEN a.project_id
                    WHEN b.same_name AND b.same_names = 1 AND b.s_company >= {t.exact_company} THEN b.project_id
                    WHEN b.score >= {t.auto_score} AND b.score - coalesce(s.score, 0) >= {t.margin} THEN b.project_id
               END AS project_id,
               CASE WHEN a._line IS NOT NULL AND a.project_id IS NULL THEN 'rejected'
                    WHEN a.project_id IS NOT NULL THEN 'alias'
                    WHEN b.same_name AND b.same_names = 1 AND b.s_company >= {t.exact_company} THEN 'exact'
                    WHEN b.score >= {t.auto_score} AND b.score - coalesce(s.score, 0) >= {t.margin} THEN 'fuzzy'
                    ELSE 'review' END AS method,
               CASE WHEN a.project_id IS NOT NULL THEN 1.0 ELSE coalesce(b.score, 0) END AS confidence,
               coalesce(c.candidates, []) AS candidates
        FROM m_orders o LEFT JOIN m_alias a USING (_line) LEFT JOIN best b USING (_line)
        LEFT JOIN second s USING (_line) LEFT JOIN cands c USING (_line)""",
    )


def match(
    con: duckdb.DuckDBPyConnection,
    orders: str,
    params: dict[str, object],
    thresholds: Thresholds = Thresholds(),
) -> None:
    """Match the temp table `orders` (_line, _when, community_name, company_name, district, street)."""
    _register(con, params)
    _keys(con, orders)
    _candidates(con)
    _scored(con)
    _aliases(con)
    decide(con, thresholds)


def alias_key_sql(alias: str = "o") -> str:
    return (
        f"concat_ws('|', {alias}.name_n, {alias}.district_n, {alias}.street_n, {alias}.company_n)"
    )
