"""Candidate projects for each distinct spelling: who could this order be about?

Blocking, in Fellegi–Sunter terms: the pairs worth comparing. A spelling is compared with the
projects of the districts the order points at — the district it names, and the district of the
street it names (a caller's district can be wrong, a street office belongs to one district) —
or with the whole city when it points nowhere. Candidates are the union of

* the `TOP` nearest names by TF-IDF over character 1–2-grams (scikit-learn, sparse), which
  finds misspellings and reordered names, and
* every project with the same stem (阳光 of 阳光花园二期) in those districts, so that a common
  name (several 阳光花园 in one district) never loses its true project to the TOP cut.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import polars as pl

from rating.sql import frame, run

TOP = 10


def candidates(con: duckdb.DuckDBPyConnection) -> None:
    """`m_candidates(key_id, project_id, s_name)` from `m_keys` and `m_ref`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    ref = frame(
        con,
        "SELECT project_id, core, district_n FROM m_ref WHERE core IS NOT NULL ORDER BY project_id",
    )
    keys = frame(con, "SELECT key_id, core, search FROM m_keys ORDER BY key_id")
    parts = [
        pl.DataFrame(
            schema={"key_id": pl.Int64, "project_id": pl.Utf8, "s_name": pl.Float64},
        )
    ]
    if ref.height and keys.height:
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
        ref_matrix = vectorizer.fit_transform(ref["core"].to_list())
        key_matrix = vectorizer.transform(keys["core"].to_list())
        ref_district = ref["district_n"].fill_null("").to_numpy()
        key_search = keys["search"].to_numpy()
        for search in np.unique(key_search):  # one block per district set, not per order
            k_idx = np.flatnonzero(key_search == search)
            r_idx = np.flatnonzero(np.isin(ref_district, search.split("|")))
            if not search or not len(r_idx):
                r_idx = np.arange(ref.height)
            parts.append(
                _top(
                    key_matrix[k_idx],
                    ref_matrix[r_idx],
                    keys["key_id"].to_numpy()[k_idx],
                    ref["project_id"].to_numpy()[r_idx],
                )
            )
    con.register("m_candidates_frame", pl.concat(parts))
    try:
        run(
            con,
            """CREATE OR REPLACE TEMP TABLE m_candidates AS
            SELECT key_id, project_id, max(s_name) AS s_name FROM (
                SELECT * FROM m_candidates_frame
                UNION ALL
                SELECT k.key_id, r.project_id, 0.0 FROM m_keys k JOIN m_ref r ON r.stem = k.stem
                WHERE k.search = '' OR list_contains(string_split(k.search, '|'), r.district_n)
            ) GROUP BY ALL""",
        )
    finally:
        con.unregister("m_candidates_frame")


def _top(queries: Any, refs: Any, key_ids: np.ndarray, project_ids: np.ndarray) -> pl.DataFrame:
    """The TOP best references per query row (cosine > 0), as a frame; sparse products in chunks."""
    frames = [
        pl.DataFrame(schema={"key_id": pl.Int64, "project_id": pl.Utf8, "s_name": pl.Float64})
    ]
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
                    "project_id": project_ids[best.ravel()[keep]].astype(str),
                    "s_name": np.round(values.ravel()[keep], 6),
                }
            )
        )
    return pl.concat(frames)
