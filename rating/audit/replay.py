"""Exact replay: re-execute a stored run from its manifest and compare byte for byte.

The replay uses only what the warehouse holds: the rule set files stored with the run (not
today's `rules/` folder), the batch watermark (so data ingested later, corrections included,
is invisible), the history runs pinned in the manifest, and the run's period. It reports
MATCH when the recomputed results digest equals the stored one and every input still
fingerprints the same; otherwise MISMATCH with the differences, table by table, row by row.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from rating import __version__
from rating.audit.compare import diff_table
from rating.engine import explainer
from rating.engine.context import RunContext
from rating.engine.runner import compute, computed_relations, input_fingerprints, store
from rating.engine.shapes import RunRow
from rating.engine.store import RESULT_TABLES, digest_scheme, recorded_digest, results_digest
from rating.periods import Period
from rating.ruleset.loader import LoadedRuleSet
from rating.settings import Settings
from rating.sql import run


@dataclass
class ReplayReport:
    run_id: str
    status: str  # MATCH or MISMATCH
    rules: str
    original_sha256: str
    replay_sha256: str
    stored_sha256_now: str
    engine_version: dict[str, str]
    inputs: dict[str, Any]
    tables: dict[str, Any] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def context_from_manifest(info: RunRow, ruleset: LoadedRuleSet) -> RunContext:
    """The `RunContext` a stored run was made with, rebuilt from its manifest: period, watermark,
    correction batches, holds watermark, as-of time, pinned history runs and parameters, under
    `ruleset` (the rule set stored with the run). Raises `KeyError` for a manifest without period,
    watermark, as_of, history_runs or parameters."""
    m = info["manifest"]
    return RunContext(
        period=Period.parse(m["period"]["name"]),
        ruleset=ruleset,
        watermark=int(m["watermark"]),
        as_of=datetime.fromisoformat(m["as_of"]),
        history_runs=tuple((h["periods_back"], h["run_id"]) for h in m["history_runs"]),
        extra_batches=tuple(m.get("extra_batches", [])),
        holds_watermark=int(m.get("holds_watermark", 0)),
        forced=bool(m["parameters"].get("forced")),
        extra={k: v for k, v in m["parameters"].items() if k not in ("forced", "shadow")},
    )


def replay(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str) -> ReplayReport:
    """Recompute stored run `run_id` from its manifest into `replay_` temp tables and compare: MATCH
    when the recomputed results digest (the run's own digest scheme) equals the stored one and every
    input still fingerprints the same, MISMATCH with the differing tables and rows otherwise;
    `seconds` says how long it took. Raises `NotFoundError` (`RUN_NOT_FOUND`, `RULESET_NOT_FOUND`).
    """
    started = time.perf_counter()
    info = explainer.run_row(con, run_id)
    ruleset = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
    ctx = context_from_manifest(info, ruleset)
    compute(con, ctx)
    scheme = digest_scheme(info["manifest"])  # stored and hashed as the run was
    stored_now, stored_tables = results_digest(con, run_id, scheme=scheme)
    # Hashed as computed first; stored into `replay_` temp tables (as the run stored them)
    # only when they differ from what was recorded, for `diff_table` to name the rows.
    relations = computed_relations(con, scheme)
    digest, per_table = results_digest(con, run_id, scheme=scheme, relations=relations)
    if not (digest == stored_now == info["results_sha256"]):
        store(con, run_id, prefix="replay_", scheme=scheme)
        digest, per_table = results_digest(con, run_id, prefix="replay_", scheme=scheme)
    inputs_now = input_fingerprints(con, ctx, stored=False)  # every row hashed again
    report = ReplayReport(
        run_id=run_id,
        status="MATCH",
        rules=ruleset.ref,
        original_sha256=info["results_sha256"],
        replay_sha256=digest,
        stored_sha256_now=stored_now,
        engine_version={"run": info["manifest"]["engine_version"], "replay": __version__},
        inputs={
            k: {"run": v, "now": inputs_now.get(k)} for k, v in info["manifest"]["inputs"].items()
        },
    )
    _explain_differences(con, report, info, (per_table, stored_tables, scheme), inputs_now)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _explain_differences(
    con: duckdb.DuckDBPyConnection,
    report: ReplayReport,
    info: RunRow,
    digests: tuple[dict[str, str], dict[str, str], str],
    inputs_now: dict[str, Any],
) -> None:
    replayed, stored, scheme = digests
    if report.replay_sha256 != report.original_sha256:
        report.differences.append("the recomputed results differ from the results the run recorded")
    if report.stored_sha256_now != report.original_sha256:
        report.differences.append(
            "the stored results no longer hash to what the run recorded (altered since)"
        )
    for kind, was in info["manifest"]["inputs"].items():
        if inputs_now.get(kind) != was:
            report.differences.append(
                f"input '{kind}' in scope changed: {was} then, {inputs_now.get(kind)} now"
            )
    if report.engine_version["run"] != report.engine_version["replay"]:
        report.differences.append(
            f"engine version {report.engine_version['run']} made the run, {__version__} replays it"
        )
    for table in RESULT_TABLES:
        if recorded_digest(replayed, table, scheme) != recorded_digest(stored, table, scheme):
            report.tables[table] = diff_table(
                con, table, ("", report.run_id), ("replay_", report.run_id), scheme=scheme
            )
    if report.differences:
        report.status = "MISMATCH"


def save(con: duckdb.DuckDBPyConnection, report: ReplayReport, at: datetime) -> str:
    """Store a replay report in `replays` under the id `<run id>/replay-<at, to the microsecond>`;
    returns the id."""
    replay_id = f"{report.run_id}/replay-{at.strftime('%Y%m%dT%H%M%S%f')}"
    run(
        con,
        "INSERT INTO replays VALUES ($id, $run, $status, $at, $report)",
        {
            "id": replay_id,
            "run": report.run_id,
            "status": report.status,
            "at": at,
            "report": json.dumps(report.as_dict(), ensure_ascii=False, default=str),
        },
    )
    return replay_id
