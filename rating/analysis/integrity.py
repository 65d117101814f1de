"""Complaint integrity: scans that hold suspicious complaints, reviews that decide them.

The contract with the engine: `held_complaints_sql()` selects the complaint ids a run must
leave out — those whose latest action with `seq <= $holds_watermark` is `hold` (waiting for
review) or `confirm` (reviewed: a duplicate or part of a campaign). A `release` (reviewed:
genuine) makes the complaint count again. A run pins `holds_watermark(con)` in its manifest.

Every action is a new row of `complaint_holds` (who, when, decision, the reason and its
evidence); nothing is updated in place, so the review trail is the table itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import duckdb
import polars as pl

from rating.analysis.detection import Flags, IntegrityParams, detect
from rating.analysis.shapes import (
    ComplaintText,
    HeldComplaint,
    HoldAction,
    HoldCase,
    HoldCount,
    ReviewRecord,
)
from rating.errors import ConflictError, NotFoundError, UsageError
from rating.periods import Period
from rating.schema import CONTRACTS
from rating.schema.holds import LATEST_ACTIONS as _LATEST
from rating.schema.holds import held_complaints_sql as held_complaints_sql  # re-exported
from rating.schema.holds import holds_watermark
from rating.settings import Settings
from rating.sql import dicts, has_table, run, value
from rating.warehouse import transaction, visible_rows, watermark

SYSTEM_ACTOR = "integrity-scan"
STATUS = {"hold": "held", "release": "released", "confirm": "confirmed"}
DECISIONS = ("release", "confirm")


@dataclass
class ScanReport:
    scan_id: str
    period: str
    watermark: int
    scanned: int
    pairs: int
    flagged: dict[str, int] = field(default_factory=dict)
    new_holds: int = 0
    already_recorded: int = 0
    holds_watermark: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _insert(con: duckdb.DuckDBPyConnection, actions: list[dict[str, Any]], at: Any) -> list[int]:
    """Append actions (complaint_id, action, reason, detail, actor) with consecutive seqs."""
    first = int(value(con, "SELECT coalesce(max(seq), 0) + 1 FROM complaint_holds"))
    table = pl.DataFrame(
        {
            "seq": list(range(first, first + len(actions))),
            "complaint_id": [a["complaint_id"] for a in actions],
            "action": [a["action"] for a in actions],
            "reason": [a["reason"] for a in actions],
            "detail": [json.dumps(a["detail"], ensure_ascii=False, default=str) for a in actions],
            "actor": [a["actor"] for a in actions],
        },
        schema={
            "seq": pl.Int64,
            **dict.fromkeys(("complaint_id", "action", "reason", "detail", "actor"), pl.Utf8),
        },
    )
    con.register("holds_new", table.to_arrow())
    try:
        run(
            con,
            """INSERT INTO complaint_holds SELECT seq, complaint_id, action, reason,
                      CAST(detail AS JSON), actor, $at FROM holds_new ORDER BY seq""",
            {"at": at},
        )
    finally:
        con.unregister("holds_new")
    return list(table["seq"])


def scan(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: Period,
    params: IntegrityParams | None = None,
) -> ScanReport:
    """Detect, then hold every flagged complaint that has no action yet (idempotent)."""
    params = params or IntegrityParams()
    mark = watermark(con)
    found: Flags = detect(con, period, mark, params)
    now = settings.current_time()
    n = int(
        value(con, "SELECT count(*) FROM integrity_scans WHERE period = $p", {"p": str(period)})
    )
    scan_id = f"scan-{period}-{n + 1:02d}"
    report = ScanReport(scan_id, str(period), mark, found.scanned, found.pairs)
    report.params, report.steps = params.as_dict(), found.steps
    seen = {r[0] for r in run(con, "SELECT DISTINCT complaint_id FROM complaint_holds").fetchall()}
    actions = []
    for flag in found.flags:
        report.flagged[flag.reason] = report.flagged.get(flag.reason, 0) + 1
        if flag.complaint_id in seen:
            report.already_recorded += 1
            continue
        detail = {"scan": scan_id, "score": round(flag.score, 4), **flag.detail}
        actions.append(
            {
                "complaint_id": flag.complaint_id,
                "action": "hold",
                "reason": flag.reason,
                "detail": detail,
                "actor": SYSTEM_ACTOR,
            }
        )
    with transaction(con):
        seqs = _insert(con, actions, now) if actions else []
        report.new_holds = len(seqs)
        run(
            con,
            "INSERT INTO integrity_scans VALUES ($id, $period, $mark, $params, $counts, $lo, $hi, $at)",
            {
                "id": scan_id,
                "period": str(period),
                "mark": mark,
                "params": json.dumps(report.params),
                "counts": json.dumps({k: v for k, v in asdict(report).items() if k != "params"}),
                "lo": min(seqs) if seqs else None,
                "hi": max(seqs) if seqs else None,
                "at": now,
            },
        )
    report.holds_watermark = holds_watermark(con)
    return report


def history(con: duckdb.DuckDBPyConnection, complaint_id: str) -> list[HoldAction]:
    """The hold and review history of one complaint, oldest first: seq, action, reason, detail
    (parsed JSON, {} when empty), actor, recorded_at and the `status` the action leads to; [] when
    the warehouse has no `complaint_holds` table yet."""
    if not has_table(con, "complaint_holds"):
        return []
    found = dicts(
        con,
        """SELECT seq, action, reason, detail, actor, recorded_at FROM complaint_holds
           WHERE complaint_id = $id ORDER BY seq""",
        {"id": complaint_id},
    )
    for r in found:
        r["detail"] = json.loads(r["detail"]) if r["detail"] else {}
        r["status"] = STATUS[r["action"]]
    return cast(list[HoldAction], found)


def review(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    complaint_id: str,
    decision: str,
    note: str,
    actor: str,
) -> ReviewRecord:
    """Record a reviewer's decision on a held complaint: `decision` release (genuine) or confirm
    (a duplicate or part of a campaign), with `note` and `actor` (both required), as a new
    `complaint_holds` row.

    Raises UsageError `INTEGRITY_BAD_DECISION` or `INTEGRITY_REVIEW_INCOMPLETE`, NotFoundError
    `INTEGRITY_NOT_HELD` (never held), ConflictError `INTEGRITY_ALREADY_DECIDED`."""
    if decision not in DECISIONS:
        raise UsageError("decide --release or --confirm", code="INTEGRITY_BAD_DECISION")
    if not actor.strip() or not note.strip():
        raise UsageError(
            "a review needs the reviewer (--by) and a note (--note)",
            code="INTEGRITY_REVIEW_INCOMPLETE",
        )
    past = history(con, complaint_id)
    if not past:
        raise NotFoundError(
            f"complaint {complaint_id} has never been held", code="INTEGRITY_NOT_HELD"
        )
    if past[-1]["action"] == decision:
        raise ConflictError(
            f"complaint {complaint_id} is already {STATUS[decision]} (seq {past[-1]['seq']})",
            code="INTEGRITY_ALREADY_DECIDED",
        )
    hold = next(r for r in reversed(past) if r["action"] == "hold")
    now = settings.current_time()
    detail = {"note": note.strip(), "hold_seq": hold["seq"], "previous": past[-1]["action"]}
    action = {
        "complaint_id": complaint_id,
        "action": decision,
        "reason": hold["reason"],
        "detail": detail,
        "actor": actor.strip(),
    }
    with transaction(con):
        (seq,) = _insert(con, [action], now)
    return {
        "complaint_id": complaint_id,
        "seq": seq,
        "decision": decision,
        "status": STATUS[decision],
        "reason": hold["reason"],
        "actor": actor.strip(),
        "note": note.strip(),
        "recorded_at": now,
        "holds_watermark": seq,
    }


def list_holds(
    con: duckdb.DuckDBPyConnection,
    status: str | None = None,
    reason: str | None = None,
    period: Period | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[HeldComplaint], bool]:
    """(rows, truncated): each held complaint's latest state, its reason and its evidence, by
    received time; filtered by `status` (held, released, confirmed), `reason` and the `period`
    it was received in; `limit` rows from `offset`, `truncated` when more follow. Raises
    UsageError `BAD_REQUEST` for another status."""
    if status is not None and status not in STATUS.values():
        raise UsageError(
            f"--status must be one of {', '.join(STATUS.values())}", code="BAD_REQUEST"
        )
    if not has_table(con, "complaint_holds"):
        return [], False
    action = {v: k for k, v in STATUS.items()}.get(status or "")
    found = dicts(
        con,
        f"""WITH latest AS {_LATEST}, first_hold AS (
                SELECT complaint_id, min(seq) AS hold_seq, any_value(detail ORDER BY seq) AS evidence
                FROM complaint_holds WHERE action = 'hold' GROUP BY complaint_id),
             c AS (SELECT complaint_id, any_value(received_at) AS received_at,
                          any_value(project_id) AS project_id, any_value(channel) AS channel,
                          any_value(content) AS content
                   FROM src_complaints GROUP BY complaint_id)
            SELECT l.complaint_id, l.reason, l.action, l.actor, l.recorded_at, l.detail,
                   f.evidence, c.received_at, c.project_id, c.channel, c.content
            FROM latest l JOIN first_hold f USING (complaint_id) LEFT JOIN c USING (complaint_id)
            WHERE l.n_ = 1 AND ($action IS NULL OR l.action = $action)
              AND ($reason IS NULL OR l.reason = $reason)
              AND ($lo IS NULL OR c.received_at >= CAST($lo AS TIMESTAMP))
              AND ($hi IS NULL OR c.received_at < CAST($hi AS TIMESTAMP) + INTERVAL 1 DAY)
            ORDER BY c.received_at, l.complaint_id LIMIT $limit OFFSET $offset""",
        {
            "holds_watermark": 2**62,
            "action": action,
            "reason": reason,
            "lo": period.start if period else None,
            "hi": period.end if period else None,
            "limit": limit + 1,
            "offset": offset,
        },
    )
    for r in found:
        r["status"] = STATUS[r.pop("action")]
        r["evidence"] = json.loads(r["evidence"]) if r["evidence"] else {}
        detail = r.pop("detail")
        decided = json.loads(detail) if detail and r["status"] != "held" else {}
        r["note"] = decided.get("note")
    return cast(list[HeldComplaint], found[:limit]), len(found) > limit


def show(con: duckdb.DuckDBPyConnection, complaint_id: str) -> HoldCase:
    """A held complaint beside the complaints it was matched with, and its review trail. Raises
    NotFoundError `INTEGRITY_NOT_HELD` when it was never held."""
    trail = history(con, complaint_id)
    if not trail:
        raise NotFoundError(
            f"complaint {complaint_id} has never been held", code="INTEGRITY_NOT_HELD"
        )
    evidence = trail[0]["detail"]
    related = [m["complaint_id"] for m in evidence.get("matches", [])] + list(
        evidence.get("members", [])
    )
    texts = dicts(
        con,
        f"""SELECT s.complaint_id, s.received_at, s.channel, s.project_id, s.category, s.content,
                   s.fact_finding, coalesce(s.is_repeat, false) AS is_repeat, s.repeat_of
            FROM {visible_rows(CONTRACTS["complaints"], "s")}
              AND s.complaint_id IN (SELECT unnest($ids))
            ORDER BY s.received_at, s.complaint_id""",
        {"watermark": watermark(con), "ids": [complaint_id, *related]},
    )
    return {
        "complaint_id": complaint_id,
        "status": trail[-1]["status"],
        "reason": trail[0]["reason"],
        "evidence": evidence,
        "trail": trail,
        "complaints": cast(list[ComplaintText], texts),
    }


def summary(
    con: duckdb.DuckDBPyConnection, period: Period | None = None, mark: int | None = None
) -> list[HoldCount]:
    """Counts of held complaints by reason and status (sorted), as of holds watermark `mark` (or
    now), of complaints received in `period` (or all); [] before any scan."""
    if not has_table(con, "complaint_holds"):
        return []
    found = dicts(
        con,
        f"""WITH latest AS {_LATEST}
            SELECT l.reason, CASE l.action WHEN 'hold' THEN 'held' WHEN 'release' THEN 'released'
                                   ELSE 'confirmed' END AS status, count(*) AS complaints
            FROM latest l
            WHERE l.n_ = 1 AND ($lo IS NULL OR l.complaint_id IN (
                SELECT complaint_id FROM src_complaints
                WHERE received_at >= CAST($lo AS TIMESTAMP)
                  AND received_at < CAST($hi AS TIMESTAMP) + INTERVAL 1 DAY))
            GROUP BY ALL ORDER BY 1, 2""",
        {
            "holds_watermark": 2**62 if mark is None else mark,
            "lo": period.start if period else None,
            "hi": period.end if period else None,
        },
    )
    return cast(list[HoldCount], found)
