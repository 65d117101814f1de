"""Where a run's results live, and their digest.

Result tables are keyed by `run_id` and only ever appended to. `results_digest` hashes a
run's results in a canonical order without the run id, so two runs over the same inputs
with the same rules have the same digest: that is what "byte-identical" is checked on.
"""

from __future__ import annotations

import hashlib

import duckdb

from rating.sql import rows

# Table -> columns in the canonical order used for the digest and for exports.
RESULT_TABLES: dict[str, tuple[str, ...]] = {
    "run_companies": (
        "uscc",
        "name",
        "district",
        "rated",
        "projects",
        "households",
        "project_score",
        "score",
        "band_grade",
        "grade",
        "grade_reason",
        "veto",
        "veto_rules",
        "prev_grade",
        "red",
        "black",
        "black_reason",
        "downgrade",
        "downgrade_reason",
        "sanctions_suspended",
    ),
    "run_projects": (
        "project_id",
        "company_uscc",
        "project_name",
        "district",
        "street",
        "households",
        "floor_area",
        "days_served",
        "weight",
        "points",
        "score",
        "grade",
    ),
    "run_buckets": ("company_uscc", "bucket", "records", "raw_points", "points"),
    "run_rule_points": (
        "company_uscc",
        "project_id",
        "rule_id",
        "target",
        "bucket",
        "value",
        "records",
        "raw_points",
        "points",
    ),
    "run_evidence": (
        "rule_id",
        "company_uscc",
        "project_id",
        "source",
        "record_key",
        "batch_id",
        "line",
        "record_date",
        "points",
    ),
    "run_unattributed": ("source", "record_key", "batch_id", "line", "project_id", "record_date"),
    "run_fair_rates": (
        "rule_id",
        "company_uscc",
        "project_id",
        "pool",
        "records",
        "households",
        "raw_rate",
        "pool_records",
        "pool_households",
        "pool_rate",
        "prior_households",
        "fair_rate",
        "fair_low",
        "fair_high",
    ),
    "run_evaluations": (
        "project_id",
        "company_uscc",
        "evaluation_id",
        "evaluated_on",
        "points",
        "score",
        "grade",
        "in_force",
        "carried_from",
    ),
    "run_facts": ("company_uscc", "fact_id", "value"),
    "run_ranks": ("company_uscc", "rank_id", "partition", "value", "position", "count"),
}

# Tables only some rule sets fill (`shrink` rules, evaluations, `[[facts]]`, `[[ranks]]`): a
# run with no rows in them leaves them out of its digest, so the results of runs made before
# the tables existed keep their digests.
OPTIONAL_TABLES = frozenset({"run_fair_rates", "run_evaluations", "run_facts", "run_ranks"})


# Key columns of each result table: what identifies a row when two runs are compared.
RESULT_KEYS: dict[str, tuple[str, ...]] = {
    "run_companies": ("uscc",),
    "run_projects": ("project_id", "company_uscc"),
    "run_buckets": ("company_uscc", "bucket"),
    "run_rule_points": ("company_uscc", "project_id", "rule_id"),
    "run_evidence": ("rule_id", "company_uscc", "project_id", "source", "record_key", "batch_id"),
    "run_unattributed": ("source", "record_key", "batch_id"),
    "run_fair_rates": ("company_uscc", "project_id", "rule_id"),
    "run_evaluations": ("project_id", "company_uscc", "evaluation_id", "in_force"),
    "run_facts": ("company_uscc", "fact_id"),
    "run_ranks": ("company_uscc", "rank_id"),
}


def source_table(table: str, prefix: str = "") -> str:
    """The stored table, or its `prefix`ed temp copy (replays compute into those)."""
    if table not in RESULT_TABLES or prefix not in ("", "replay_", "candidate_", "base_"):
        raise ValueError(f"not a result table: {prefix}{table}")
    return f"{prefix}{table}"


def row_text_sql(table: str) -> str:
    """A row's canonical text: its columns in order, unit-separated, NULL as \\N."""
    return " || chr(31) || ".join(
        f"coalesce(CAST(\"{c}\" AS VARCHAR), '\\N')" for c in RESULT_TABLES[table]
    )


def table_digest(con: duckdb.DuckDBPyConnection, table: str, run_id: str, prefix: str = "") -> str:
    """A digest of a result table's rows for one run, without the run id, in linear time.

    Each row's canonical text is hashed with MD5 by DuckDB and the 128-bit values are summed
    (as two 64-bit halves, exactly, in HUGEINT); the digest is sha256 of the table name, the
    row count and the two sums. A sum does not depend on row order, so nothing is sorted; rows
    are unique within a table (their key), and a changed, added or removed row changes a sum
    unless someone finds a second MD5 preimage. `published_rows` keeps a sha256 per row of
    published runs on top of this, to name the row `rating verify` finds altered.
    """
    found = rows(
        con,
        f"""SELECT count(*), coalesce(sum((h >> 64)::HUGEINT), 0),
                   coalesce(sum((h & 18446744073709551615::UHUGEINT)::HUGEINT), 0)
            FROM (SELECT md5_number({row_text_sql(table)}) AS h
                  FROM {source_table(table, prefix)} WHERE run_id = $run)""",
        {"run": run_id},
    )[0]
    count, high, low = (int(v) for v in found)
    return _digest(table, count, high, low)


def _digest(table: str, count: int, high: int, low: int) -> str:
    return hashlib.sha256(f"{table}|{count}|{high}|{low}".encode()).hexdigest()


def empty_digest(table: str) -> str:
    """The digest of a table with no rows for the run."""
    return _digest(table, 0, 0, 0)


def results_digest(
    con: duckdb.DuckDBPyConnection, run_id: str, prefix: str = ""
) -> tuple[str, dict[str, str]]:
    """(digest of the run's results, digest per table); an empty optional table is left out."""
    per_table = {t: table_digest(con, t, run_id, prefix) for t in RESULT_TABLES}
    per_table = {
        t: d for t, d in per_table.items() if t not in OPTIONAL_TABLES or d != empty_digest(t)
    }
    return combine_digests(per_table), per_table


def recorded_digest(per_table: dict[str, str], table: str) -> str:
    """A table's digest as recorded in `per_table` (an optional table left out was empty)."""
    if table not in per_table and table in OPTIONAL_TABLES:
        return empty_digest(table)
    return per_table[table]


def combine_digests(per_table: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{t}={d}\n" for t, d in per_table.items()).encode()).hexdigest()
