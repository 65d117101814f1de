"""`rating verify`: recompute the ledger chain and everything it commits to.

Checks, in order: every ledger record's hash and link; for every published run, its
manifest hash, each result table's digest (and, for a table that differs, which rows —
by key — were altered, added or removed), the stored rule-set files, and the rule files on
disk for that version. Every finding is a problem with a code; `ok` is true when there are
none.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from rating.audit import ledger
from rating.audit.publication import manifest_sha256, row_key_sql, stored_manifest_text
from rating.engine.store import RESULT_TABLES, recorded_digest, row_text_sql, table_digest
from rating.ruleset import registry
from rating.ruleset.fingerprint import files_digest, read_files
from rating.sql import rows, value


@dataclass
class VerifyReport:
    ok: bool = True
    head_seq: int = 0
    head_hash: str = ledger.GENESIS
    records: int = 0
    published_runs: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def add(self, code: str, message: str, **where: Any) -> None:
        self.ok = False
        self.problems.append({"code": code, "message": message, **where})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_chain(report: VerifyReport, records: list[ledger.Record]) -> set[int]:
    """Check hashes and links; returns the seqs of records whose own hash holds."""
    intact: set[int] = set()
    prev = ledger.GENESIS
    for expected_seq, rec in enumerate(records, 1):
        if rec.seq != expected_seq:
            report.add("LEDGER_GAP", f"ledger record {expected_seq} is missing", seq=expected_seq)
        if rec.prev_hash != prev:
            report.add(
                "LEDGER_BROKEN_LINK",
                f"ledger record {rec.seq} does not link to the record before it",
                seq=rec.seq,
            )
        recomputed = ledger.record_hash(
            rec.prev_hash, rec.seq, rec.at, rec.action, rec.run_id, rec.status, rec.payload
        )
        if recomputed != rec.hash:
            report.add(
                "LEDGER_RECORD_ALTERED",
                f"ledger record {rec.seq} ({rec.action} {rec.run_id}) was altered",
                seq=rec.seq,
                run_id=rec.run_id,
            )
        else:
            intact.add(rec.seq)
        prev = rec.hash
    if records:
        report.head_seq, report.head_hash = records[-1].seq, records[-1].hash
    return intact


def _altered_rows(con: duckdb.DuckDBPyConnection, run_id: str, table: str) -> list[dict[str, Any]]:
    found = rows(
        con,
        f"""WITH now AS (SELECT {row_key_sql(table)} AS row_key, sha256({row_text_sql(table)}) AS sha
                         FROM {table} WHERE run_id = $r),
                 was AS (SELECT row_key, row_sha256 AS sha FROM published_rows
                         WHERE run_id = $r AND table_name = '{table}')
            SELECT coalesce(now.row_key, was.row_key),
                   CASE WHEN now.row_key IS NULL THEN 'removed' WHEN was.row_key IS NULL THEN 'added'
                        ELSE 'altered' END
            FROM now FULL OUTER JOIN was ON now.row_key = was.row_key
            WHERE now.sha IS DISTINCT FROM was.sha ORDER BY 1 LIMIT 50""",
        {"r": run_id},
    )
    return [{"row": key.replace(chr(31), " | "), "change": change} for key, change in found]


def _check_run(
    con: duckdb.DuckDBPyConnection, report: VerifyReport, rec: ledger.Record, rules_dir: Path
) -> None:
    run_id = str(rec.run_id)
    payload = rec.payload
    if value(con, "SELECT count(*) FROM runs WHERE run_id = $r", {"r": run_id}) == 0:
        report.add(
            "RUN_MISSING", f"published run {run_id} is gone from the warehouse", run_id=run_id
        )
        return
    if manifest_sha256(stored_manifest_text(con, run_id)) != payload["manifest_sha256"]:
        report.add(
            "MANIFEST_ALTERED", f"the manifest of published run {run_id} was altered", run_id=run_id
        )
    if (
        value(con, "SELECT results_sha256 FROM runs WHERE run_id = $r", {"r": run_id})
        != payload["results_sha256"]
    ):
        report.add(
            "RUN_RECORD_ALTERED",
            f"the recorded results hash of run {run_id} was altered",
            run_id=run_id,
        )
    for table in RESULT_TABLES:
        if table_digest(con, table, run_id) != recorded_digest(payload["tables"], table):
            altered = _altered_rows(con, run_id, table)
            detail = (
                "; ".join(f"{a['change']} {a['row']}" for a in altered[:5])
                or "row hashes altered too"
            )
            report.add(
                "RESULT_ALTERED",
                f"published {table} of run {run_id} was altered: {detail}",
                run_id=run_id,
                table=table,
                rows=altered,
            )
    _check_rules(con, report, run_id, payload, rules_dir)


def _check_rules(
    con: duckdb.DuckDBPyConnection,
    report: VerifyReport,
    run_id: str,
    payload: dict[str, Any],
    rules_dir: Path,
) -> None:
    ref, files_sha = payload["ruleset"], payload["ruleset_files_sha256"]
    name, _, version = ref.partition("@")
    files = registry.stored_files(con, ref, files_sha)
    if files is None:
        report.add(
            "RULESET_MISSING", f"the rule set {ref} used by run {run_id} is gone", run_id=run_id
        )
        return
    if files_digest(files) != files_sha:
        report.add(
            "RULESET_STORE_ALTERED",
            f"the stored files of {ref} (run {run_id}) were altered",
            run_id=run_id,
        )
    folder = Path(rules_dir) / name / version
    if folder.is_dir():
        on_disk = read_files(folder)
        if files_digest(on_disk) != files_sha:
            changed = sorted(n for n in set(on_disk) | set(files) if on_disk.get(n) != files.get(n))
            report.add(
                "RULE_FILE_ALTERED",
                f"rule files of published version {ref} changed on disk: {', '.join(changed)}",
                run_id=run_id,
                ruleset=ref,
                files=changed,
            )


def verify(con: duckdb.DuckDBPyConnection, rules_dir: Path) -> VerifyReport:
    report = VerifyReport()
    records = ledger.records(con)
    report.records = len(records)
    intact = _check_chain(report, records)
    for rec in records:
        # an altered record's payload cannot be trusted to check anything else against
        if rec.action == "publish" and rec.run_id and rec.seq in intact:
            report.published_runs += 1
            _check_run(con, report, rec, rules_dir)
    # The same rule file problem reported once per version, not once per run.
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in report.problems:
        key = (p["code"], p.get("ruleset", p["message"]))
        if p["code"] == "RULE_FILE_ALTERED" and key in seen:
            continue
        seen.add(key)
        unique.append(p)
    report.problems = unique
    return report
