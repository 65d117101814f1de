"""`rating verify`: recompute the ledger chain and everything it commits to.

Checks, in order: the file's catalog (no macro or view a forger could use to make the checks
below lie, every audited table a table); every ledger record's hash and link; the anchored
head (`expect_head`, the hash the bureau published outside the warehouse), which is the only
way to catch a ledger truncated or rewritten whole; the records' Ed25519 signatures (with
`verifier`, the bureau's public key), which catch a forged record with a correct hash; for
every published run, its manifest hash, its whole run row (as-of, summary, …), each result
table's digest (and, for a table that differs, which rows — by key — were altered, added or
removed), the stored rule-set files and the rule files on disk for that version (a missing
folder too); finally that every run with published row hashes has its publication record
(an emptied ledger). Every finding is a problem with a code; `ok` is true when there are
none. Runs published before a safeguard existed are reported as warnings, not problems.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from rating.audit import ledger
from rating.audit.catalog import check_catalog
from rating.audit.publication import (
    manifest_sha256,
    row_key_sql,
    run_row_sha256,
    stored_manifest_text,
)
from rating.audit.signing import Verifier
from rating.engine.store import (
    LEGACY_DIGEST,
    RESULT_TABLES,
    recorded_digest,
    row_text_sql,
    table_digest,
)
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
    signed_records: int = 0
    anchored: bool | None = None  # None: no anchored head given
    key_id: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def add(self, code: str, message: str, **where: Any) -> None:
        self.ok = False
        self.problems.append({"code": code, "message": message, **where})

    def warn(self, code: str, message: str, **where: Any) -> None:
        self.warnings.append({"code": code, "message": message, **where})

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


def _check_anchor(report: VerifyReport, records: list[ledger.Record], expected: str) -> None:
    """The newest record must be the head the bureau anchored outside the warehouse."""
    expected = expected.strip().lower()
    report.anchored = bool(records) and records[-1].hash == expected
    if report.anchored:
        return
    at = next((r.seq for r in records if r.hash == expected), None)
    if at is None:
        report.add(
            "LEDGER_ANCHOR_MISSING",
            f"the anchored head {expected[:16]}… is not in the ledger: the chain was rewritten or "
            f"truncated (it holds {len(records)} records, head {report.head_hash[:16]}…)",
            expected=expected,
        )
        return
    later = [f"{r.seq} {r.action} {r.run_id or ''}".strip() for r in records if r.seq > at]
    report.add(
        "LEDGER_AFTER_ANCHOR",
        f"{len(later)} record(s) were appended after the anchored head (record {at}): "
        + "; ".join(later[:10])
        + " — anchor the new head if they are the bureau's, else they are forged",
        seq=at,
        expected=expected,
    )


def _signatures(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str, str]]:
    present = value(
        con,
        "SELECT count(*) FROM system.main.duckdb_tables() WHERE table_name = 'ledger_signatures'",
    )
    if not present:
        return []
    found = rows(con, "SELECT seq, hash, key_id, signature FROM ledger_signatures ORDER BY seq")
    return [(int(s), str(h), str(k), str(g)) for s, h, k, g in found]


def _check_signatures(
    con: duckdb.DuckDBPyConnection,
    report: VerifyReport,
    records: list[ledger.Record],
    verifier: Verifier | None,
) -> None:
    """Signatures of records that are gone betray a truncated ledger; with the bureau's
    public key, every record must carry a signature of its hash that holds."""
    signatures = _signatures(con)
    by_seq: dict[int, list[tuple[str, str, str]]] = {}
    for seq, digest, key, sig in signatures:
        by_seq.setdefault(seq, []).append((digest, key, sig))
    head = records[-1].seq if records else 0
    gone = sorted(s for s in by_seq if s > head)
    if gone:
        report.add(
            "LEDGER_TRUNCATED",
            f"signatures exist for ledger records {gone[0]}–{gone[-1]}, which are gone",
            seqs=gone,
        )
    report.signed_records = sum(1 for r in records if r.seq in by_seq)
    if verifier is None:
        return
    report.key_id = verifier.key_id
    for rec in records:
        mine = [(d, s) for d, k, s in by_seq.get(rec.seq, []) if k == verifier.key_id]
        if not mine:
            report.add(
                "LEDGER_UNSIGNED",
                f"ledger record {rec.seq} ({rec.action} {rec.run_id or ''}) carries no signature "
                f"by key {verifier.key_id}",
                seq=rec.seq,
            )
        elif not any(d == rec.hash and verifier.holds(rec.hash, s) for d, s in mine):
            report.add(
                "LEDGER_SIGNATURE_INVALID",
                f"the signature of ledger record {rec.seq} does not hold for its hash: forged or altered",
                seq=rec.seq,
            )


def _altered_rows(
    con: duckdb.DuckDBPyConnection, run_id: str, table: str, scheme: str
) -> list[dict[str, Any]]:
    found = rows(
        con,
        f"""WITH now AS (SELECT {row_key_sql(table, scheme)} AS row_key, sha256({row_text_sql(table, scheme)}) AS sha
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


def _check_run_row(
    con: duckdb.DuckDBPyConnection, report: VerifyReport, run_id: str, payload: dict[str, Any]
) -> None:
    if manifest_sha256(stored_manifest_text(con, run_id)) != payload["manifest_sha256"]:
        report.add(
            "MANIFEST_ALTERED", f"the manifest of published run {run_id} was altered", run_id=run_id
        )
    committed = payload.get("run_row")
    if committed is None:
        report.warn(
            "RUN_ROW_UNHASHED",
            f"run {run_id} was published before whole run rows were hashed: only its manifest "
            "and results are checked",
            run_id=run_id,
        )
        stored = value(con, "SELECT results_sha256 FROM runs WHERE run_id = $r", {"r": run_id})
        altered = stored != payload["results_sha256"]
    else:
        altered = run_row_sha256(con, run_id, committed["columns"]) != committed["sha256"]
    if altered:
        report.add(
            "RUN_RECORD_ALTERED",
            f"the run record of published run {run_id} (as-of, summary, digest, …) was altered",
            run_id=run_id,
        )


def _check_results(
    con: duckdb.DuckDBPyConnection, report: VerifyReport, run_id: str, payload: dict[str, Any]
) -> None:
    scheme = payload.get("results_digest", LEGACY_DIGEST)
    if scheme == LEGACY_DIGEST:
        report.warn(
            "DIGEST_WEAK",
            f"run {run_id} was published with the legacy additive digest, which a deliberate "
            "forger can match: re-rate and publish a revision to put it under the current one",
            run_id=run_id,
        )
    for table in RESULT_TABLES:
        recorded = recorded_digest(payload["tables"], table, scheme)
        if table_digest(con, table, run_id, scheme=scheme) != recorded:
            altered = _altered_rows(con, run_id, table, scheme)
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


PUBLISH_KEYS = ("manifest_sha256", "results_sha256", "tables", "ruleset", "ruleset_files_sha256")


def _check_run(
    con: duckdb.DuckDBPyConnection, report: VerifyReport, rec: ledger.Record, rules_dir: Path
) -> None:
    run_id = str(rec.run_id)
    missing = [k for k in PUBLISH_KEYS if k not in rec.payload]
    if missing:
        report.add(
            "LEDGER_RECORD_MALFORMED",
            f"publication record {rec.seq} of run {run_id} lacks {', '.join(missing)}: "
            "not written by this engine",
            seq=rec.seq,
            run_id=run_id,
        )
        return
    if value(con, "SELECT count(*) FROM runs WHERE run_id = $r", {"r": run_id}) == 0:
        report.add(
            "RUN_MISSING", f"published run {run_id} is gone from the warehouse", run_id=run_id
        )
        return
    _check_run_row(con, report, run_id, rec.payload)
    _check_results(con, report, run_id, rec.payload)
    _check_rules(con, report, run_id, rec.payload, rules_dir)


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
    if not folder.is_dir():
        report.add(
            "RULE_FOLDER_MISSING",
            f"the rule folder of published version {ref} is missing: {name}/{version} under the "
            "rules folder (restore it from the copy stored in the warehouse)",
            run_id=run_id,
            ruleset=ref,
        )
        return
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


def _check_coverage(
    con: duckdb.DuckDBPyConnection, report: VerifyReport, published: set[str]
) -> None:
    """Runs whose rows were hashed at publication must have their publication record."""
    hashed = {str(r) for (r,) in rows(con, "SELECT DISTINCT run_id FROM published_rows")}
    for run_id in sorted(hashed - published):
        report.add(
            "LEDGER_INCOMPLETE",
            f"run {run_id} was published (its rows were hashed) but the ledger holds no intact "
            "publication record for it: the ledger was emptied, truncated or altered",
            run_id=run_id,
        )


def verify(
    con: duckdb.DuckDBPyConnection,
    rules_dir: Path,
    *,
    expect_head: str | None = None,
    verifier: Verifier | None = None,
) -> VerifyReport:
    """Check the warehouse; `expect_head` is the anchored head hash, `verifier` the bureau's
    public key. Never raises for what it finds: every finding is a problem in the report."""
    report = VerifyReport()
    findings = check_catalog(con)
    for f in findings:
        report.add(f.code, f.message, name=f.name)
    if any(f.code == "TABLE_MISSING" for f in findings):
        return report  # the checks below would read what is not there
    records = ledger.records(con)
    report.records = len(records)
    intact = _check_chain(report, records)
    if expect_head is not None:
        _check_anchor(report, records, expect_head)
    _check_signatures(con, report, records, verifier)
    published: set[str] = set()
    for rec in records:
        # an altered record's payload cannot be trusted to check anything else against
        if rec.action == "publish" and rec.run_id and rec.seq in intact:
            report.published_runs += 1
            published.add(rec.run_id)
            _check_run(con, report, rec, rules_dir)
    _check_coverage(con, report, published)
    report.problems = _once_per_version(report.problems)
    return report


def _once_per_version(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same rule folder problem reported once per version, not once per run."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for p in problems:
        key = (p["code"], p.get("ruleset", p["message"]))
        if p["code"] in ("RULE_FILE_ALTERED", "RULE_FOLDER_MISSING") and key in seen:
            continue
        seen.add(key)
        unique.append(p)
    return unique
