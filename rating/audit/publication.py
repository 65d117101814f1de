"""Publishing a run: checked, hashed, chained into the ledger; never an update in place."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from rating.audit import ledger
from rating.audit.disclosure import disclosure_rules, new_black_entries, sync_expiries
from rating.audit.objections import objections_of
from rating.audit.shapes import PublicationPayload, PublicityPayload, Publicized
from rating.audit.signing import signer_for
from rating.calendar import WorkingCalendar
from rating.engine import explainer
from rating.engine.shapes import RunRow
from rating.engine.store import (
    DIGEST,
    RESULT_TABLES,
    digest_scheme,
    result_keys,
    results_digest,
    row_text_sql,
)
from rating.errors import ConflictError
from rating.schema.tables import RUN_STATUS
from rating.settings import Settings
from rating.sql import rows, run, value
from rating.warehouse import transaction


def manifest_sha256(manifest_text: str) -> str:
    """Hex SHA-256 of a run's manifest text exactly as stored (UTF-8)."""
    return hashlib.sha256(manifest_text.encode("utf-8")).hexdigest()


def stored_manifest_text(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    """A run's manifest as the warehouse holds it, as text (the bytes a publication hashes)."""
    return str(
        value(con, "SELECT CAST(manifest AS VARCHAR) FROM runs WHERE run_id = $r", {"r": run_id})
    )


def row_key_sql(table: str, scheme: str = DIGEST) -> str:
    """SQL text of a result row's key: its key columns under the digest `scheme`
    (`store.result_keys`) as text joined with U+001F, NULL written `\\N`. `table` must be a
    result table (KeyError otherwise)."""
    return (
        "concat_ws(chr(31), "
        + ", ".join(
            f"coalesce(CAST(\"{c}\" AS VARCHAR), '\\N')" for c in result_keys(table, scheme)
        )
        + ")"
    )


def record_row_hashes(con: duckdb.DuckDBPyConnection, run_id: str, scheme: str = DIGEST) -> None:
    """Record the SHA-256 of every result row of `run_id` in `published_rows` (key, hash per table,
    hashed with the digest `scheme`), so `rating verify` can name a row altered after publication.
    """
    for table in RESULT_TABLES:
        run(
            con,
            f"""INSERT INTO published_rows
                SELECT run_id, '{table}', {row_key_sql(table, scheme)}, sha256({row_text_sql(table, scheme)})
                FROM {table} WHERE run_id = $r""",
            {"r": run_id},
        )


def run_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every column of `runs`, in table order: all of them go under the publication's hash."""
    return [
        str(c)
        for (c,) in rows(
            con,
            """SELECT column_name FROM information_schema.columns
               WHERE table_name = 'runs' AND table_schema = 'main' ORDER BY ordinal_position""",
        )
    ]


def run_row_sha256(con: duckdb.DuckDBPyConnection, run_id: str, columns: list[str]) -> str | None:
    """sha256 of the run's row as a typed JSON array of `columns` (None if a column or the
    run is gone). Instants are encoded as epoch microseconds, JSON as its stored text, so the
    hash does not depend on the session's time zone. Covers what clients show about a run:
    period, rules, as-of, time zone, summary, results digest, manifest, …"""
    present = set(run_columns(con))
    if not set(columns) <= present:
        return None
    types = dict(
        rows(
            con,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'runs' AND table_schema = 'main'",
        )
    )
    parts = []
    for c in columns:
        kind = str(types[c]).upper()
        if kind.startswith("TIMESTAMP"):
            parts.append(f'epoch_us("{c}")')
        elif kind == "JSON":
            parts.append(f'CAST("{c}" AS VARCHAR)')
        else:
            parts.append(f'"{c}"')
    found = value(
        con,
        f"SELECT sha256(json_array({', '.join(parts)})) FROM runs WHERE run_id = $r",
        {"r": run_id},
    )
    return None if found is None else str(found)


@dataclass
class Publication:
    run_id: str
    seq: int
    hash: str
    payload: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": "published",
            "ledger_seq": self.seq,
            "ledger_hash": self.hash,
            **self.payload,
        }


def publication_payload(con: duckdb.DuckDBPyConnection, info: RunRow) -> PublicationPayload:
    """What a publication record commits to, by hash: results (with the digest scheme), the
    whole run row (manifest, summary, as-of, …) and the rule files."""
    scheme = digest_scheme(info["manifest"])
    digest, per_table = results_digest(con, info["run_id"], scheme=scheme)
    if digest != info["results_sha256"]:
        raise ConflictError(
            f"run {info['run_id']}'s stored results no longer match what the run recorded; "
            "replay it (`rating replay`) and publish a fresh run",
            code="RESULTS_ALTERED",
        )
    previous = value(
        con,
        f"""SELECT r.run_id FROM runs r JOIN {RUN_STATUS} s USING (run_id)
           WHERE r.period = $p AND s.status = 'published' AND r.run_id <> $r
           ORDER BY r.created_at DESC LIMIT 1""",
        {"p": info["period"], "r": info["run_id"]},
    )
    columns = run_columns(con)
    return {
        "period": info["period"],
        "results_sha256": digest,
        "results_digest": scheme,
        "tables": per_table,
        "run_row": {"columns": columns, "sha256": run_row_sha256(con, info["run_id"], columns)},
        "manifest_sha256": manifest_sha256(stored_manifest_text(con, info["run_id"])),
        "ruleset": info["ruleset"],
        "ruleset_files_sha256": info["ruleset_files_sha256"],
        "supersedes": previous,
    }


def publicize(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str) -> Publicized:
    """Put a draft run to publicity (公示): proposed results, objections open until the deadline."""
    info = explainer.run_row(con, run_id)
    if info["status"] != "draft":
        raise ConflictError(
            f"run {run_id} is {info['status']}: only a draft can go to publicity",
            code="NOT_A_DRAFT",
        )
    rules = disclosure_rules(con, run_id)
    now = settings.current_time()
    today = now.date()
    calendar = WorkingCalendar.official(rules.holidays, rules.working_days)
    objection_days = (
        rules.publicity_working_days
        if rules.objection_working_days is None
        else rules.objection_working_days
    )
    payload: PublicityPayload = {
        "period": info["period"],
        "starts_on": today.isoformat(),
        "ends_on": calendar.add_working_days(today, rules.publicity_working_days).isoformat(),
        "objections_until": calendar.add_working_days(today, objection_days).isoformat(),
        "publicity_working_days": rules.publicity_working_days,
        "calendar": calendar.describe(),
        "show_proposed": rules.show_proposed,
        "results_sha256": info["results_sha256"],
    }
    with transaction(con):
        record = ledger.append(
            con,
            "publicity",
            run_id=run_id,
            payload=payload,
            at=now,
            status="publicity",
            signer=signer_for(settings),
        )
    return {"run_id": run_id, "status": "publicity", "ledger_seq": record.seq, **payload}


def _publicity_record(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any] | None:
    found = [r for r in ledger.records(con, run_id) if r.action == "publicity"]
    return found[-1].payload if found else None


def _refusal(con: duckdb.DuckDBPyConnection, info: RunRow, today: date) -> str | None:
    """Why a run may not be published today without --force (None when it may)."""
    run_id, status = info["run_id"], info["status"]
    if disclosure_rules(con, run_id).publicity_working_days == 0:
        return None
    if status == "draft":
        return f"run {run_id} has not been through publicity: `rating publicize {run_id}` first"
    publicity = _publicity_record(con, run_id) or {}
    if today <= date.fromisoformat(publicity["ends_on"]):
        return f"the publicity of run {run_id} lasts until {publicity['ends_on']} (inclusive)"
    pending = [
        o for o in objections_of(con) if o["period"] == info["period"] and o["state"] == "pending"
    ]
    if pending:
        return f"{len(pending)} objection(s) against {info['period']} are unresolved: {', '.join(o['objection_id'] for o in pending)}"
    return None


def publish(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run_id: str,
    *,
    force: bool = False,
    extra: dict[str, Any] | None = None,
) -> Publication:
    """Publish a run: write a `publish` ledger record committing to its results, run row, manifest
    and rule files by hash, start the black-list entries it makes, expire entries that reached their
    maximum and record every row's hash. `force` publishes a run not through publicity (公示), still
    in it, or with objections unresolved, and the record says so; `extra` adds fields to the
    payload. Raises `NotFoundError` (`RUN_NOT_FOUND`) and `ConflictError` (`ALREADY_PUBLISHED`,
    `RUN_DISCARDED`, `RUN_SUPERSEDED`, `PUBLICITY_NOT_OVER`, `RESULTS_ALTERED`)."""
    info = explainer.run_row(con, run_id)
    if info["status"] == "published":
        raise ConflictError(f"run {run_id} is already published", code="ALREADY_PUBLISHED")
    if info["status"] == "discarded":
        raise ConflictError(
            f"run {run_id} was discarded: rate the period again and publish that run",
            code="RUN_DISCARDED",
        )
    if info["status"] == "superseded":
        raise ConflictError(
            f"run {run_id} was revised after an objection: publish its revision",
            code="RUN_SUPERSEDED",
        )
    now = settings.current_time()
    refusal = _refusal(con, info, now.date())
    if refusal and not force:
        raise ConflictError(
            f"{refusal}; --force publishes anyway (recorded)", code="PUBLICITY_NOT_OVER"
        )
    payload = {
        **publication_payload(con, info),
        "forced": bool(refusal and force),
        "forced_over": refusal,
        **(extra or {}),
    }
    signer = signer_for(settings)
    with transaction(con):
        sync_expiries(con, now, signer)
        payload["black_entries"] = new_black_entries(
            con, run_id, now.date(), disclosure_rules(con, run_id)
        )
        record_row_hashes(con, run_id, payload["results_digest"])
        record = ledger.append(
            con,
            "publish",
            run_id=run_id,
            payload=payload,
            at=now,
            status="published",
            signer=signer,
        )
    return Publication(run_id, record.seq, record.hash, payload)


def published_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Ids of every published run, in id order."""
    return [
        r
        for (r,) in rows(
            con, f"SELECT run_id FROM {RUN_STATUS} s WHERE status = 'published' ORDER BY run_id"
        )
    ]
