"""The publication ledger: an append-only hash chain of everything that changes what the
public may see (publicity, publication, objections, repairs, visibility changes).

Each record holds the hash of the previous one; `hash = sha256(prev_hash + canonical JSON
of the record)`. A run's status is never stored on the run: it is read from the ledger
records by the query in `RUN_STATUS` (in code, not a view in the file a forger could
redefine), so publishing changes nothing in place. The chain's head hash is what a bureau
anchors outside the warehouse (e.g. prints in its quarterly notice); with a signing key
each record is also signed (`rating.audit.signing`); `rating verify` recomputes everything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from rating.audit.signing import Signer
from rating.schema.tables import RUN_STATUS
from rating.sql import rows, run, value

GENESIS = "0" * 64


@dataclass(frozen=True)
class Record:
    seq: int
    at: str
    action: str
    run_id: str | None
    status: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str


def canonical(value: Any) -> str:
    """The canonical JSON text of `value` that the ledger hashes: keys sorted, UTF-8 kept
    (`ensure_ascii=False`), no spaces, anything JSON lacks (dates, decimals) as `str`."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def record_hash(
    prev_hash: str,
    seq: int,
    at: str,
    action: str,
    run_id: str | None,
    status: str | None,
    payload: dict[str, Any],
) -> str:
    """A record's hash: hex SHA-256 of the previous record's hash followed by the canonical JSON of
    the record's seq, time, action, run id, status and payload — the hash chain that makes any edit
    of an earlier record visible (`rating verify`)."""
    body = canonical(
        {
            "seq": seq,
            "at": at,
            "action": action,
            "run_id": run_id,
            "status": status,
            "payload": payload,
        }
    )
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def head(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The chain's head: (seq, hash) of the newest record, or (0, `GENESIS`, 64 zeros) for an empty
    ledger."""
    found = rows(con, "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
    return (int(found[0][0]), str(found[0][1])) if found else (0, GENESIS)


def append(
    con: duckdb.DuckDBPyConnection,
    action: str,
    *,
    run_id: str | None,
    payload: Mapping[str, Any],
    at: datetime,
    status: str | None = None,
    signer: Signer | None = None,
) -> Record:
    """Add one record to the chain (call inside the caller's transaction); with a `signer`
    (the bureau's key, `RATING_SIGNING_KEY`), its hash is signed in the same transaction."""
    seq, prev = head(con)
    seq += 1
    stamp = at.isoformat()
    clean = json.loads(canonical(payload))
    digest = record_hash(prev, seq, stamp, action, run_id, status, clean)
    run(
        con,
        "INSERT INTO ledger VALUES ($seq, $at, $action, $run, $status, $payload, $prev, $hash)",
        {
            "seq": seq,
            "at": stamp,
            "action": action,
            "run": run_id,
            "status": status,
            "payload": canonical(clean),
            "prev": prev,
            "hash": digest,
        },
    )
    if signer is not None:
        run(
            con,
            "INSERT INTO ledger_signatures VALUES ($seq, $hash, $key, $sig)",
            {"seq": seq, "hash": digest, "key": signer.key_id, "sig": signer.sign(digest)},
        )
    return Record(seq, stamp, action, run_id, status, clean, prev, digest)


def records(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> list[Record]:
    """Every ledger record in seq order (only the records of `run_id` when given), payloads parsed
    from JSON."""
    found = rows(
        con,
        """SELECT seq, recorded_at, action, run_id, status, payload, prev_hash, hash FROM ledger
           WHERE $run IS NULL OR run_id = $run ORDER BY seq""",
        {"run": run_id},
    )
    return [
        Record(int(seq), at, action, rid, status, json.loads(payload), prev, digest)
        for seq, at, action, rid, status, payload, prev, digest in found
    ]


def status_of(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """A run's status (draft, publicity, published, superseded, discarded) as the ledger makes it
    (`RUN_STATUS`); "draft" for a run the ledger has no record of."""
    return str(
        value(con, f"SELECT status FROM {RUN_STATUS} s WHERE run_id = $r", {"r": run_id}) or "draft"
    )
