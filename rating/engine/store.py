"""Where a run's results live, and their digest.

Result tables are keyed by `run_id` and only ever appended to. `results_digest` hashes a
run's results in a canonical order without the run id, so two runs over the same inputs
with the same rules have the same digest: that is what "byte-identical" is checked on. The
digest is SHA-256 over each row's typed JSON in a canonical order (`table_digest`):
collision-resistant, so a forger with write access cannot craft other rows with the same
digest. Since `sha256-sorted-v4` an evidence row is stored and hashed as a reference to its
record (source, batch, line; decision 0013); since `sha256-sorted-v5` the references of one
rule, company, project, source, batch and contribution are stored and hashed as one row with
their lines as a list (decision 0015). Runs keep the scheme they were made with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import duckdb
import pyarrow as pa

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
        "lines",
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

RESULT_TABLES |= {
    "run_managers": (
        "certificate_no",
        "name",
        "employer_uscc",
        "projects",
        "days_in_charge",
        "points",
        "score",
        "grade",
        "veto",
        "veto_rules",
    ),
    "run_manager_points": (
        "certificate_no",
        "rule_id",
        "target",
        "value",
        "records",
        "raw_points",
        "points",
    ),
    "run_manager_evidence": (
        "rule_id",
        "certificate_no",
        "company_uscc",
        "project_id",
        "source",
        "record_key",
        "batch_id",
        "line",
        "record_date",
        "points",
    ),
    "run_manager_lists": ("certificate_no", "list", "reason"),
}

# Tables only some rule sets fill (`shrink` rules, evaluations, `[[facts]]`, `[[ranks]]`, a
# `[managers]` part): a run with no rows in them leaves them out of its digest, so the results
# of runs made before the tables existed keep their digests.
OPTIONAL_TABLES = frozenset(
    {
        "run_fair_rates",
        "run_evaluations",
        "run_facts",
        "run_ranks",
        "run_managers",
        "run_manager_points",
        "run_manager_evidence",
        "run_manager_lists",
    }
)


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
    "run_managers": ("certificate_no",),
    "run_manager_points": ("certificate_no", "rule_id"),
    "run_manager_evidence": ("rule_id", "certificate_no", "source", "record_key", "batch_id"),
    "run_manager_lists": ("certificate_no", "list"),
}


def source_table(table: str, prefix: str = "") -> str:
    """The stored table, or its `prefix`ed temp copy (replays compute into those)."""
    if table not in RESULT_TABLES or prefix not in ("", "replay_", "candidate_", "base_"):
        raise ValueError(f"not a result table: {prefix}{table}")
    return f"{prefix}{table}"


# Results digest schemes. A run's manifest names the scheme it was hashed with
# (`results_digest`); runs made before the key existed used the legacy one. Runs keep the
# scheme they were made with: replay, publication and verify hash them with it.
DIGEST = "sha256-sorted-v5"
SORTED_V4 = "sha256-sorted-v4"
SORTED_V3 = "sha256-sorted-v3"
SORTED_V2 = "sha256-sorted-v2"
LEGACY_DIGEST = "md5-sum-v1"
SCHEMES = (DIGEST, SORTED_V4, SORTED_V3, SORTED_V2, LEGACY_DIGEST)

# Columns a run hashed under `sha256-sorted-v4` stores as references (decision 0013): an
# evidence row names its record by source, batch and line, and the record's key and date are
# read back from that source row (`rating.engine.evidence.evidence_rows_sql`); the stored
# columns are NULL and left out of the row's text. Runs of earlier schemes stored and hashed
# them, and keep doing so when replayed.
REFERENCED: dict[str, tuple[str, ...]] = {"run_evidence": ("record_key", "record_date")}

# Tables whose rows a run hashed under `sha256-sorted-v5` stores grouped (decision 0015): one
# row per run, rule, company, project, source, batch and contribution, with the lines of its
# records in this list column (ascending, a line as often as it was hit) and `line`,
# `record_key`, `record_date` NULL. `rating.engine.evidence.expanded_evidence_sql` gives the
# rows back one per (rule point, record). Runs of earlier schemes store one row per record
# with the list NULL, and the column is not part of their rows' text.
GROUPED: dict[str, str] = {"run_evidence": "lines"}
# The columns naming a grouped row (`result_keys` under `sha256-sorted-v5`).
GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "run_evidence": ("rule_id", "company_uscc", "project_id", "source", "batch_id", "points")
}
BATCH_ROWS = 1 << 17

# The canonical order of `sha256-sorted-v3`: these integer columns first (NULLs last), then
# the row's text. A record's batch and line nearly identify an evidence row, so the sort
# compares two integers and reaches the text only for a record hit by several rules; that
# took half the time of v2's order (each row's MD5, then its text) on the 1M city.
DIGEST_ORDER: dict[str, tuple[str, ...]] = {
    "run_evidence": ("batch_id", "line"),
    "run_manager_evidence": ("batch_id", "line"),
    "run_unattributed": ("batch_id", "line"),
}


def digest_scheme(manifest: Mapping[str, object]) -> str:
    """The results digest scheme a run was hashed with, from its manifest."""
    scheme = str(manifest.get("results_digest") or LEGACY_DIGEST)
    if scheme not in SCHEMES:
        raise ValueError(f"unknown results digest scheme {scheme!r}")
    return scheme


def stores_references(scheme: str) -> bool:
    """Whether runs hashed with `scheme` store evidence as references (`REFERENCED`)."""
    return scheme in (DIGEST, SORTED_V4)


def stores_groups(scheme: str) -> bool:
    """Whether runs hashed with `scheme` store evidence grouped, lines in a list (`GROUPED`)."""
    return scheme == DIGEST


def digest_columns(table: str, scheme: str = DIGEST) -> tuple[str, ...]:
    """The columns of `table` in a row's canonical text under `scheme`, in order: under v5
    every stored column (a grouped row's NULL `line`, key and date too); under v4 every
    column less the ones stored as references (`REFERENCED`) and the list of lines; under
    the earlier schemes every column less the list of lines (which they never stored)."""
    if stores_groups(scheme):
        return RESULT_TABLES[table]
    left_out = (*REFERENCED.get(table, ()),) if stores_references(scheme) else ()
    left_out += (GROUPED[table],) if table in GROUPED else ()
    return tuple(c for c in RESULT_TABLES[table] if c not in left_out)


def result_keys(table: str, scheme: str = DIGEST) -> tuple[str, ...]:
    """The columns identifying a row of `table` under `scheme` (`RESULT_KEYS`; an evidence row
    stored as a reference is named by its batch and line instead of its record key, a grouped
    row by its group: `GROUP_KEYS`)."""
    if table in GROUP_KEYS and stores_groups(scheme):
        return GROUP_KEYS[table]
    keys = RESULT_KEYS[table]
    if table in REFERENCED and stores_references(scheme):
        return (*(k for k in keys if k not in REFERENCED[table]), "line")
    return keys


def canonical_order(table: str, scheme: str = DIGEST) -> str:
    """ORDER BY terms of a scheme's canonical row order over `j`, the row's text; a total
    order that depends on the set of rows alone (rows tied on every term are equal text).
    A grouped table sorts by batch, then text (its `line` is NULL: `GROUPED`)."""
    if scheme == SORTED_V2:
        return "md5_number(j), j"
    order = DIGEST_ORDER.get(table, ())
    if table in GROUPED and stores_groups(scheme):
        order = tuple(c for c in order if c != "line")
    return "".join(f'"{c}" NULLS LAST, ' for c in order) + "j"


def row_text_sql(table: str, scheme: str = DIGEST) -> str:
    """A row's canonical text: its columns in order as a typed JSON array (RFC 8259 values:
    NULL is `null`, text a quoted and escaped string, numbers and booleans bare), so a NULL,
    the text `\\N` and text holding a separator all encode differently. The legacy scheme
    joined the columns' text with U+001F and wrote NULL as `\\N`."""
    columns = digest_columns(table, scheme)
    if scheme == LEGACY_DIGEST:
        return " || chr(31) || ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '\\N')" for c in columns)
    return "json_array(" + ", ".join(f'"{c}"' for c in columns) + ")"


def table_digest(
    con: duckdb.DuckDBPyConnection,
    table: str,
    run_id: str,
    prefix: str = "",
    scheme: str = DIGEST,
    relation: str | None = None,
) -> str:
    """A digest of a result table's rows for one run, without the run id, that a forger
    cannot match with other rows short of breaking SHA-256.

    SHA-256 over the line `{scheme}|{table}|{row count}` and the SHA-256 of every row's
    typed JSON (`row_text_sql`: under `sha256-sorted-v4` the columns stored, evidence as
    references — decision 0013; under `-v5` every column, evidence grouped with its lines as
    a JSON array — decision 0015) concatenated in a canonical order (`canonical_order`:
    `sha256-sorted-v5`, `-v4` and `-v3` sort by the table's `DIGEST_ORDER` integer columns, NULLs
    last, then by the text's bytes; `sha256-sorted-v2` by the text's MD5, then the text), so the order
    is a function of the set of rows alone. JSON values are self-delimiting, so the
    concatenation is unambiguous: equal digests mean equal multisets of rows unless SHA-256
    collides. DuckDB encodes and sorts (spilling to disk when it must); the sorted text
    streams to `hashlib` in Arrow batches. (The legacy scheme summed MD5s: a sum can be
    matched by crafted rows — a generalised birthday attack — so it is kept only to check
    runs made with it.) `relation`: a SELECT giving the table's columns (by name and type,
    `$run` bound to `run_id`) to hash instead of the stored rows, e.g. results not stored.
    """
    source = f"({relation})" if relation else source_table(table, prefix)
    if scheme == LEGACY_DIGEST:
        return _legacy_digest(con, table, run_id, source)
    hasher = hashlib.sha256()
    body = hashlib.sha256()
    count = 0
    ordered = con.sql(
        f"""SELECT j FROM (SELECT {row_text_sql(table, scheme)} AS j, *
                           FROM {source} WHERE run_id = $run)
            ORDER BY {canonical_order(table, scheme)}""",
        params={"run": run_id},
    )
    for batch in ordered.to_arrow_reader(BATCH_ROWS):
        column = batch.column(0)
        body.update(_concatenated(column))
        count += len(column)
    hasher.update(f"{scheme}|{table}|{count}\n".encode())
    hasher.update(body.digest())
    return hasher.hexdigest()


def _concatenated(column: pa.Array) -> memoryview:
    """The values of an Arrow string column, concatenated (its data buffer, as sliced)."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.large_string())
    width = 8 if pa.types.is_large_string(column.type) else 4
    offsets = memoryview(column.buffers()[1]).cast("q" if width == 8 else "i")
    first, last = offsets[column.offset], offsets[column.offset + len(column)]
    data = column.buffers()[2]
    return memoryview(data)[first:last] if data is not None else memoryview(b"")


def _legacy_digest(con: duckdb.DuckDBPyConnection, table: str, run_id: str, source: str) -> str:
    found = rows(
        con,
        f"""SELECT count(*), coalesce(sum((h >> 64)::HUGEINT), 0),
                   coalesce(sum((h & 18446744073709551615::UHUGEINT)::HUGEINT), 0)
            FROM (SELECT md5_number({row_text_sql(table, LEGACY_DIGEST)}) AS h
                  FROM {source} WHERE run_id = $run)""",
        {"run": run_id},
    )[0]
    count, high, low = (int(v) for v in found)
    return hashlib.sha256(f"{table}|{count}|{high}|{low}".encode()).hexdigest()


def empty_digest(table: str, scheme: str = DIGEST) -> str:
    """The digest of a table with no rows for the run."""
    if scheme == LEGACY_DIGEST:
        return hashlib.sha256(f"{table}|0|0|0".encode()).hexdigest()
    hasher = hashlib.sha256(f"{scheme}|{table}|0\n".encode())
    hasher.update(hashlib.sha256().digest())
    return hasher.hexdigest()


def results_digest(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    prefix: str = "",
    scheme: str = DIGEST,
    relations: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, str]]:
    """(digest of the run's results, digest per table); an empty optional table is left out.
    `relations`: per table, the SELECT to hash instead of its stored rows (`table_digest`)."""
    per_table = {
        t: table_digest(con, t, run_id, prefix, scheme, (relations or {}).get(t))
        for t in RESULT_TABLES
    }
    per_table = {
        t: d
        for t, d in per_table.items()
        if t not in OPTIONAL_TABLES or d != empty_digest(t, scheme)
    }
    return combine_digests(per_table), per_table


def recorded_digest(per_table: dict[str, str], table: str, scheme: str = DIGEST) -> str:
    """A table's digest as recorded in `per_table` (an optional table left out was empty)."""
    if table not in per_table and table in OPTIONAL_TABLES:
        return empty_digest(table, scheme)
    return per_table[table]


def combine_digests(per_table: dict[str, str]) -> str:
    """One hex SHA-256 over per-table digests: each `table=digest` line in the order given (the
    order of `RESULT_TABLES`), newline-terminated."""
    return hashlib.sha256("".join(f"{t}={d}\n" for t, d in per_table.items()).encode()).hexdigest()
