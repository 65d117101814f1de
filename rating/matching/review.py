"""The review queue of orders that could not be matched with confidence, and the aliases
its decisions teach.

An order waiting for review is kept whole in `match_review` (typed as it would be loaded,
with its candidates and their scores). An analyst resolves it to a project — or rejects it
as no project of ours — and the decision is remembered as an alias of its spelling
(compound, district, street, company, normalised): the same spelling then matches
automatically (`alias`) in every later file, and every other order still waiting with that
spelling is resolved at once. Aliases are append-only and versioned: the newest decision for a
spelling wins, and each records who decided and when.
"""

from __future__ import annotations

import json
from typing import cast

import duckdb

from rating.errors import ConflictError, NotFoundError, UsageError
from rating.matching.shapes import AliasEntry, PendingOrder, ReviewDecision
from rating.schema import CONTRACTS
from rating.settings import Settings
from rating.sql import dicts, rows, run, value
from rating.warehouse import key_sql, record_batch, transaction, visible_rows, watermark

PENDING = "SELECT r.* FROM match_review r WHERE r.review_id NOT IN (SELECT review_id FROM match_decisions)"


def pending(con: duckdb.DuckDBPyConnection, limit: int = 100) -> list[PendingOrder]:
    """The first `limit` orders waiting for review, in file order (batch, line): ids, received time,
    the spelling (compound, company, district, street), the candidates with their scores (parsed
    JSON) and where the order came from (`batch_id`, `line`); [] when none waits."""
    out = dicts(
        con,
        f"""SELECT review_id, complaint_id, received_at, community_name, company_name, district, street,
                   candidates, _batch AS batch_id, _row AS line FROM ({PENDING})
            ORDER BY _batch, _row LIMIT $limit""",
        {"limit": limit},
    )
    for item in out:
        item["candidates"] = json.loads(item["candidates"] or "[]")
    return cast(list[PendingOrder], out)


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Orders in the review queue: `pending`, `resolved` (to a project) and `rejected` (no project
    of ours)."""
    found = rows(con, f"SELECT count(*) FROM ({PENDING})")
    decided = rows(
        con,
        "SELECT count(*) FILTER (WHERE project_id IS NOT NULL), count(*) FILTER "
        "(WHERE project_id IS NULL) FROM match_decisions",
    )[0]
    return {"pending": int(found[0][0]), "resolved": int(decided[0]), "rejected": int(decided[1])}


def _next_seq(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(value(con, f"SELECT coalesce(max(seq), 0) + 1 FROM {table}"))


def load_orders(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    decided: list[tuple[str, str]],
    label: str,
) -> int:
    """Load resolved orders — (review id, project id) pairs — into the complaints as one new
    batch (`label` names it); returns the batch id. Call inside the caller's transaction."""
    complaints = CONTRACTS["complaints"]
    names = [
        n for n in complaints.columns if n not in ("project_id", "match_method", "match_confidence")
    ]
    cols = ", ".join(f'm."{n}"' for n in names)
    batch = watermark(con) + 1
    pairs = {"ids": [r for r, _ in decided], "projects": [p for _, p in decided]}
    chosen = "(SELECT unnest($ids) AS review_id, unnest($projects) AS project_id)"
    run(
        con,
        f"""INSERT INTO src_complaints ({cols.replace("m.", "")}, project_id, match_method,
                                        match_confidence, _batch, _row, _date)
            SELECT {cols}, d.project_id, 'review', 1.0, $batch,
                   row_number() OVER (ORDER BY m._batch, m._row), m._date
            FROM match_review m JOIN {chosen} d USING (review_id)""",
        {**pairs, "batch": batch},
    )
    run(
        con,
        f"""INSERT INTO supersessions SELECT 'complaints', {key_sql(complaints, "s")}, s._batch, $batch
            FROM {visible_rows(complaints)} AND s._batch < $batch AND s.complaint_id IN
                 (SELECT complaint_id FROM match_review WHERE list_contains($ids, review_id))""",
        {"batch": batch, "watermark": batch - 1, "ids": pairs["ids"]},
    )
    record_batch(
        con,
        batch_id=batch,
        kind="complaints",
        file_name=label,
        sha256=f"review:{batch}:{label}",
        format="review",
        rows_read=len(decided),
        rows_loaded=len(decided),
        rows_quarantined=0,
        rows_superseding=0,
        ignored_columns=[],
        columns="{}",
        origin="review",
        ingested_at=settings.current_time(),
    )
    return batch


def resolve(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    review_id: str,
    project_id: str | None,
    note: str,
    decided_by: str,
) -> ReviewDecision:
    """Decide one waiting order — to `project_id`, or reject it (None: no project of ours);
    every other waiting order with its spelling follows, the resolved ones are loaded as one
    new complaints batch and the spelling is taught as an alias, all in one transaction.

    Raises NotFoundError `REVIEW_NOT_FOUND` (no such order waiting) or `UNKNOWN_PROJECT`,
    ConflictError `REVIEW_DECIDED` (decided before), UsageError `REVIEW_NO_REVIEWER` (empty
    `decided_by`)."""
    found = rows(con, f"SELECT alias_key FROM ({PENDING}) WHERE review_id = $id", {"id": review_id})
    if not found:
        known = value(
            con, "SELECT count(*) FROM match_review WHERE review_id = $id", {"id": review_id}
        )
        if known:
            raise ConflictError(f"{review_id} was already decided", code="REVIEW_DECIDED")
        raise NotFoundError(
            f"no order '{review_id}' is waiting for review", code="REVIEW_NOT_FOUND"
        )
    if not decided_by.strip():
        raise UsageError("say who decides (--by)", code="REVIEW_NO_REVIEWER")
    alias_key = found[0][0]
    if project_id is not None and not value(
        con,
        f"SELECT count(*) FROM {visible_rows(CONTRACTS['projects'])} AND s.project_id = $p",
        {"p": project_id, "watermark": watermark(con)},
    ):
        raise NotFoundError(f"no project '{project_id}'", code="UNKNOWN_PROJECT")
    same = [
        r
        for (r,) in rows(
            con,
            f"SELECT review_id FROM ({PENDING}) WHERE alias_key = $k ORDER BY review_id",
            {"k": alias_key},
        )
    ]
    now = settings.current_time()
    with transaction(con):
        batch = (
            load_orders(
                con, settings, [(r, project_id) for r in same], f"review decisions → {project_id}"
            )
            if project_id
            else None
        )
        seq = _next_seq(con, "match_decisions")
        for i, rid in enumerate(same):
            run(
                con,
                "INSERT INTO match_decisions VALUES ($seq, $id, $p, $note, $by, $at, $batch)",
                {
                    "seq": seq + i,
                    "id": rid,
                    "p": project_id,
                    "note": note,
                    "by": decided_by,
                    "at": now,
                    "batch": batch,
                },
            )
        run(
            con,
            "INSERT INTO match_aliases VALUES ($seq, $k, $p, $origin, $by, $at)",
            {
                "seq": _next_seq(con, "match_aliases"),
                "k": alias_key,
                "p": project_id,
                "origin": f"review {review_id}",
                "by": decided_by,
                "at": now,
            },
        )
    return {
        "review_id": review_id,
        "project_id": project_id,
        "resolved": same,
        "loaded_batch": batch,
        "alias": alias_key,
    }


def aliases(con: duckdb.DuckDBPyConnection, limit: int = 100) -> list[AliasEntry]:
    """The `limit` newest decisions on spellings analysts taught, newest first (history kept:
    `current` marks the decision in force for its spelling)."""
    found = dicts(
        con,
        """SELECT alias_key, project_id, origin, decided_by, recorded_at, seq,
                  row_number() OVER (PARTITION BY alias_key ORDER BY seq DESC) = 1 AS current
           FROM match_aliases ORDER BY seq DESC LIMIT $limit""",
        {"limit": limit},
    )
    return cast(list[AliasEntry], found)
