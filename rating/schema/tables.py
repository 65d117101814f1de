"""Every table of the warehouse, declared in one place: the ground floor's layout.

Stages own what they write (ingest the batches and quarantine, the engine the results, audit
the ledger, analysis the integrity holds, matching the review queue), but the DDL lives here
so that the warehouse can create a complete file without importing any stage. Everything is
append-only: source rows carry the batch that loaded them (`_batch`), their record number in
the file (`_row`) and the date they happened on (`_date`).
"""

from __future__ import annotations

from rating import idnumber, uscc
from rating.schema import fingerprints
from rating.schema.contracts import Contract, logical_type
from rating.schema.macros import PARSE_MACROS
from rating.schema.sources import CONTRACTS

SCHEMA_VERSION = 1

SQL_TYPES = {
    "text": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DECIMAL(18,4)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
}


def source_table_ddl(contract: Contract) -> str:
    """`CREATE TABLE IF NOT EXISTS src_<kind>` for a source contract: its columns with their SQL
    types, then `_batch` (ingest batch), `_row` (line in the file) and `_date` (the day the record
    happened on)."""
    cols = [f'"{name}" {SQL_TYPES[logical_type(col)]}' for name, col in contract.columns.items()]
    cols += ["_batch INTEGER NOT NULL", "_row BIGINT NOT NULL", "_date DATE"]
    return f"CREATE TABLE IF NOT EXISTS src_{contract.kind} ({', '.join(cols)})"


def added_columns_ddl(present: set[tuple[str, str]]) -> list[str]:
    """Columns the contracts gained after a warehouse was created, to add empty (appended at
    the end: every insert into a source table names its columns); `present` holds the
    warehouse's (table, column) pairs."""
    return [
        f'ALTER TABLE src_{c.kind} ADD COLUMN "{name}" {SQL_TYPES[logical_type(col)]}'
        for c in CONTRACTS.values()
        for name, col in c.columns.items()
        if (f"src_{c.kind}", name) not in present
    ]


# Layout changes since schema version 1, applied to older warehouses when opened for writing.
MIGRATIONS = [
    "ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS rows_in_review BIGINT DEFAULT 0",
    "ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS rows_skipped BIGINT DEFAULT 0",
    "ALTER TABLE ingest_batches ADD COLUMN IF NOT EXISTS reading JSON",
    "ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS sheet VARCHAR",
]


INGEST_LAYOUT = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS ingest_batches (
        batch_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, file_name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL, format VARCHAR, encoding VARCHAR,
        rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, rows_superseding BIGINT,
        ignored_columns VARCHAR[], columns JSON, origin VARCHAR, ingested_at TIMESTAMPTZ NOT NULL,
        rows_in_review BIGINT DEFAULT 0, rows_skipped BIGINT DEFAULT 0, reading JSON)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        batch_id INTEGER NOT NULL, kind VARCHAR NOT NULL, file_name VARCHAR NOT NULL,
        line BIGINT, column_name VARCHAR, code VARCHAR NOT NULL, message VARCHAR,
        value VARCHAR, raw JSON, sheet VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS supersessions (
        kind VARCHAR NOT NULL, key VARCHAR NOT NULL, old_batch INTEGER NOT NULL,
        new_batch INTEGER NOT NULL)""",
]


BATCH_COLUMNS = (
    "batch_id", "kind", "file_name", "sha256", "format", "encoding", "rows_read", "rows_loaded",
    "rows_quarantined", "rows_superseding", "rows_in_review", "ignored_columns", "columns",
    "origin", "ingested_at", "rows_skipped", "reading",
)  # fmt: skip


# Results belong to the engine (`rating.engine.store`): keyed by run_id, only appended to.
RESULT_LAYOUT = [
    """CREATE TABLE IF NOT EXISTS rulesets (
        name VARCHAR NOT NULL, version VARCHAR NOT NULL, logic_sha256 VARCHAR NOT NULL,
        wording_sha256 VARCHAR NOT NULL, files_sha256 VARCHAR NOT NULL, files JSON NOT NULL,
        stored_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (name, version, files_sha256))""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, period VARCHAR NOT NULL, ruleset VARCHAR NOT NULL,
        ruleset_files_sha256 VARCHAR NOT NULL, logic_sha256 VARCHAR NOT NULL,
        watermark INTEGER NOT NULL, as_of TIMESTAMPTZ NOT NULL, timezone VARCHAR NOT NULL,
        engine_version VARCHAR NOT NULL, shadow BOOLEAN NOT NULL,
        forced BOOLEAN NOT NULL, manifest JSON NOT NULL, summary JSON NOT NULL,
        results_sha256 VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS run_projects (
        run_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL, company_uscc VARCHAR NOT NULL,
        project_name VARCHAR, district VARCHAR, street VARCHAR, households BIGINT,
        floor_area DECIMAL(18,4), days_served INTEGER, weight DECIMAL(24,6),
        points DECIMAL(18,4), score DECIMAL(18,4), grade VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS run_rule_points (
        run_id VARCHAR NOT NULL, company_uscc VARCHAR NOT NULL, project_id VARCHAR,
        rule_id VARCHAR NOT NULL, target VARCHAR NOT NULL, bucket VARCHAR, value DOUBLE,
        records BIGINT NOT NULL, raw_points DECIMAL(18,4) NOT NULL, points DECIMAL(18,4) NOT NULL)""",
    # Runs hashed with `sha256-sorted-v4` store evidence as references to their records
    # (source, batch, line): `record_key` and `record_date` NULL, read back from the source row
    # (`rating.engine.evidence.evidence_rows_sql`, decision 0013); older runs hold them. Runs
    # hashed with `sha256-sorted-v5` store one row per rule, company, project, source, batch
    # and contribution with the records' lines in `lines` and `line` NULL (decision 0015);
    # older runs' rows have `lines` NULL. Every reader goes through
    # `rating.engine.evidence.expanded_evidence_sql`, which gives one row per record.
    """CREATE TABLE IF NOT EXISTS run_evidence (
        run_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL, company_uscc VARCHAR NOT NULL,
        project_id VARCHAR, source VARCHAR NOT NULL, record_key VARCHAR,
        batch_id INTEGER NOT NULL, line BIGINT, record_date DATE, points DECIMAL(18,4),
        lines BIGINT[])""",
    "ALTER TABLE run_evidence ALTER COLUMN record_key DROP NOT NULL",
    "ALTER TABLE run_evidence ADD COLUMN IF NOT EXISTS lines BIGINT[]",
    """CREATE TABLE IF NOT EXISTS run_companies (
        run_id VARCHAR NOT NULL, uscc VARCHAR NOT NULL, name VARCHAR, district VARCHAR,
        rated BOOLEAN NOT NULL, projects INTEGER, households BIGINT,
        project_score DECIMAL(18,4), score DECIMAL(18,4), band_grade VARCHAR, grade VARCHAR,
        grade_reason VARCHAR, veto BOOLEAN, veto_rules VARCHAR[], prev_grade VARCHAR,
        red BOOLEAN, black BOOLEAN, black_reason VARCHAR, downgrade BOOLEAN,
        downgrade_reason VARCHAR, sanctions_suspended BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS run_buckets (
        run_id VARCHAR NOT NULL, company_uscc VARCHAR NOT NULL, bucket VARCHAR NOT NULL,
        records BIGINT NOT NULL, raw_points DECIMAL(18,4) NOT NULL, points DECIMAL(18,4) NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS run_fair_rates (
        run_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL, company_uscc VARCHAR NOT NULL,
        project_id VARCHAR NOT NULL, pool VARCHAR, records BIGINT NOT NULL,
        households DECIMAL(18,6) NOT NULL, raw_rate DECIMAL(18,6), pool_records BIGINT NOT NULL,
        pool_households DECIMAL(18,6) NOT NULL, pool_rate DECIMAL(18,6),
        prior_households INTEGER NOT NULL, fair_rate DECIMAL(18,6), fair_low DECIMAL(18,6),
        fair_high DECIMAL(18,6))""",
    # The manager part of a rule set (`rating.engine.managers`).
    """CREATE TABLE IF NOT EXISTS run_managers (
        run_id VARCHAR NOT NULL, certificate_no VARCHAR NOT NULL, name VARCHAR,
        employer_uscc VARCHAR, projects VARCHAR[], days_in_charge INTEGER,
        points DECIMAL(18,4), score DECIMAL(18,4), grade VARCHAR, veto BOOLEAN,
        veto_rules VARCHAR[])""",
    """CREATE TABLE IF NOT EXISTS run_manager_points (
        run_id VARCHAR NOT NULL, certificate_no VARCHAR NOT NULL, rule_id VARCHAR NOT NULL,
        target VARCHAR NOT NULL, value DOUBLE, records BIGINT NOT NULL,
        raw_points DECIMAL(18,4) NOT NULL, points DECIMAL(18,4) NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS run_manager_evidence (
        run_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL, certificate_no VARCHAR NOT NULL,
        company_uscc VARCHAR, project_id VARCHAR, source VARCHAR NOT NULL,
        record_key VARCHAR NOT NULL, batch_id INTEGER NOT NULL, line BIGINT, record_date DATE,
        points DECIMAL(18,4))""",
    # `[managers.lists]`: one row per manager and list entered (`rating.engine.managerlists`).
    """CREATE TABLE IF NOT EXISTS run_manager_lists (
        run_id VARCHAR NOT NULL, certificate_no VARCHAR NOT NULL, list VARCHAR NOT NULL,
        reason VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS run_unattributed (
        run_id VARCHAR NOT NULL, source VARCHAR NOT NULL, record_key VARCHAR NOT NULL,
        batch_id INTEGER NOT NULL, line BIGINT, project_id VARCHAR, record_date DATE)""",
    # Each evaluation's result (`unit = "evaluation"`) and each result carried in force from
    # an earlier period (`not_evaluated = "latest"`); `carried_from` is the run that made it.
    """CREATE TABLE IF NOT EXISTS run_evaluations (
        run_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL, company_uscc VARCHAR NOT NULL,
        evaluation_id VARCHAR, evaluated_on DATE, points DECIMAL(18,4), score DECIMAL(18,4),
        grade VARCHAR, in_force BOOLEAN NOT NULL, carried_from VARCHAR)""",
    # Company facts over projects (`[[facts]]`) and rankings (`[[ranks]]`) per company.
    """CREATE TABLE IF NOT EXISTS run_facts (
        run_id VARCHAR NOT NULL, company_uscc VARCHAR NOT NULL, fact_id VARCHAR NOT NULL,
        value DECIMAL(38,10))""",
    """CREATE TABLE IF NOT EXISTS run_ranks (
        run_id VARCHAR NOT NULL, company_uscc VARCHAR NOT NULL, rank_id VARCHAR NOT NULL,
        partition VARCHAR, value DOUBLE, position BIGINT NOT NULL, count BIGINT NOT NULL)""",
]


# The publication ledger and what audit records (`rating.audit`).
LEDGER_LAYOUT = [
    """CREATE TABLE IF NOT EXISTS ledger (
        seq BIGINT PRIMARY KEY, recorded_at VARCHAR NOT NULL, action VARCHAR NOT NULL,
        run_id VARCHAR, status VARCHAR, payload JSON NOT NULL,
        prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL)""",
    # A run's status used to be a view stored in the file, which a forger could redefine; it
    # is computed by code now (`rating.audit.ledger.RUN_STATUS`).
    "DROP VIEW IF EXISTS run_status",
    # Detached Ed25519 signatures of ledger records (`rating.audit.signing`).
    """CREATE TABLE IF NOT EXISTS ledger_signatures (
        seq BIGINT NOT NULL, hash VARCHAR NOT NULL, key_id VARCHAR NOT NULL,
        signature VARCHAR NOT NULL)""",
    # Row hashes of published results, so `verify` can name the row that was altered.
    """CREATE TABLE IF NOT EXISTS published_rows (
        run_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, row_key VARCHAR NOT NULL,
        row_sha256 VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS replays (
        replay_id VARCHAR PRIMARY KEY, run_id VARCHAR NOT NULL, status VARCHAR NOT NULL,
        replayed_at TIMESTAMPTZ NOT NULL, report JSON NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS impact_reports (
        report_id VARCHAR PRIMARY KEY, made_at TIMESTAMPTZ NOT NULL, base VARCHAR NOT NULL,
        candidate VARCHAR NOT NULL, summary JSON NOT NULL, report JSON NOT NULL)""",
]


# A run's status, computed from the ledger by code (never a view stored in the file, which a
# forger could redefine): the status set by its latest ledger record that sets one; else
# draft. A subquery to use as a table (`FROM runs r JOIN {RUN_STATUS} s USING (run_id)`).
RUN_STATUS = """(SELECT r.run_id, coalesce(s.status, 'draft') AS status
    FROM runs r LEFT JOIN (
      SELECT run_id, arg_max(status, seq) AS status FROM ledger
      WHERE status IS NOT NULL GROUP BY run_id) s USING (run_id))"""


# Integrity holds (`rating.analysis.integrity`). `complaint_holds` is append-only: a hold, then
# review decisions, each a new row with a larger `seq`; a run pins the largest `seq` it saw.
ANALYSIS_LAYOUT = [
    """CREATE TABLE IF NOT EXISTS complaint_holds (
        seq BIGINT NOT NULL, complaint_id VARCHAR NOT NULL, action VARCHAR NOT NULL,
        reason VARCHAR NOT NULL, detail JSON, actor VARCHAR NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS integrity_scans (
        scan_id VARCHAR PRIMARY KEY, period VARCHAR NOT NULL, watermark INTEGER NOT NULL,
        params JSON NOT NULL, counts JSON NOT NULL, first_seq BIGINT, last_seq BIGINT,
        scanned_at TIMESTAMPTZ NOT NULL)""",
]


# Supervision plans (`rating.consequences.plan`): append-only; a new plan for a period is a new
# plan id, the newest is the plan of the period. Each item: one project at one inspection level.
SUPERVISION_LAYOUT = [
    """CREATE TABLE IF NOT EXISTS supervision_plans (
        plan_id VARCHAR PRIMARY KEY, period VARCHAR NOT NULL, basis_run VARCHAR NOT NULL,
        ruleset VARCHAR NOT NULL, watermark INTEGER NOT NULL, holds_watermark BIGINT NOT NULL,
        made_at TIMESTAMPTZ NOT NULL, parameters JSON NOT NULL, summary JSON NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS supervision_plan_items (
        plan_id VARCHAR NOT NULL, project_id VARCHAR NOT NULL, project_name VARCHAR,
        district VARCHAR, street VARCHAR, company_uscc VARCHAR, company_name VARCHAR,
        company_grade VARCHAR, project_grade VARCHAR, black BOOLEAN, level VARCHAR NOT NULL,
        per_year DECIMAL(9,4), sampling DECIMAL(9,4), last_inspected DATE, next_due DATE,
        routine INTEGER NOT NULL, sampled INTEGER NOT NULL, raised INTEGER NOT NULL,
        planned INTEGER NOT NULL, measures VARCHAR[], reasons VARCHAR)""",
]


def review_layout() -> list[str]:
    """The hotline review queue (`rating.matching.review`): orders typed as they would load."""
    complaints = CONTRACTS["complaints"]

    columns = ", ".join(
        f'"{n}" {SQL_TYPES[logical_type(c)]}' for n, c in complaints.columns.items()
    )
    return [
        """CREATE TABLE IF NOT EXISTS match_aliases (
            seq BIGINT NOT NULL, alias_key VARCHAR NOT NULL, project_id VARCHAR, origin VARCHAR,
            decided_by VARCHAR, recorded_at TIMESTAMPTZ NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS match_review (
            review_id VARCHAR NOT NULL, {columns}, _batch INTEGER NOT NULL, _row BIGINT NOT NULL,
            _date DATE, alias_key VARCHAR, candidates JSON)""",
        """CREATE TABLE IF NOT EXISTS match_decisions (
            seq BIGINT NOT NULL, review_id VARCHAR NOT NULL, project_id VARCHAR, note VARCHAR,
            decided_by VARCHAR, decided_at TIMESTAMPTZ NOT NULL, loaded_batch INTEGER)""",
    ]


def layout_ddl() -> list[str]:
    """Every CREATE statement of a complete warehouse, in the order they must run (tables
    before the views over them); each is idempotent (`IF NOT EXISTS` / `OR REPLACE`)."""
    return [
        *INGEST_LAYOUT,
        uscc.sql_macro(),
        idnumber.sql_macro(),
        idnumber.MASK_MACRO,
        *PARSE_MACROS,
        *(source_table_ddl(c) for c in CONTRACTS.values()),
        *fingerprints.LAYOUT,
    ]


def later_ddl(present: set[tuple[str, str]]) -> list[str]:
    """What runs after `layout_ddl`: added contract columns, migrations, the stages' tables."""
    return [
        *added_columns_ddl(present),
        *MIGRATIONS,
        *fingerprints.backfill_ddl(),
        *RESULT_LAYOUT,
        *LEDGER_LAYOUT,
        *ANALYSIS_LAYOUT,
        *review_layout(),
        *SUPERVISION_LAYOUT,
    ]
