"""Input fingerprints kept per batch and day when a batch arrives (issue 21).

A run's manifest records, per input, the rows in scope and an order-free hash of their content:
the sum, modulo 2⁶⁴, of DuckDB's `hash` of every column and the batch of each row
(`row_hash_sql`). Summing that over a 3.2-million-row scope cost a 10M city's `rating run`
0.7 s of CPU, reading every column of every row. Sums commute, so the same figure is the sum
of per-(batch, day) partial sums taken once, when the batch's rows are written
(`record_batch_fingerprints`, called by `rating.warehouse.record_batch` for every way a batch
arrives): a run adds the stored sums of the batches it sees whole (no correction supersedes
their rows) and days in its scope, subtracts the rows of those a run leaves out (held
complaints), and hashes row by row only batches without a current stored sum and corrected
ones (`rating.engine.runner.input_fingerprints`). The figure is exactly the row-by-row one.

A stored sum is current when its `signature` is this DuckDB version's and the source's
columns' (`signature`): another DuckDB may hash differently, a contract may gain a column; an
outdated sum is recomputed when the warehouse is opened (`backfill_ddl`, run with the layout's
migrations) and never read meanwhile. `rating replay` does not trust the stored sums: it
hashes every row in scope again, so a row edited in place after its batch arrived shows as a
changed input (decision 0014).
"""

from __future__ import annotations

import hashlib

import duckdb

from rating.schema.contracts import Contract
from rating.schema.sources import CONTRACTS

TABLE = "batch_fingerprints"

LAYOUT = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        kind VARCHAR NOT NULL, batch_id INTEGER NOT NULL, day DATE, rows BIGINT NOT NULL,
        hash_sum HUGEINT NOT NULL, signature VARCHAR NOT NULL)""",
]


def row_hash_sql(contract: Contract, alias: str = "s") -> str:
    """One row's hash as a HUGEINT (to sum without overflow): DuckDB's `hash` of every contract
    column in order and the row's batch."""
    cols = ", ".join(f'{alias}."{c}"' for c in contract.columns)
    return f"hash({cols}, {alias}._batch)::HUGEINT"


def signature(contract: Contract) -> str:
    """What a stored sum was computed with: the DuckDB version and the source's columns."""
    text = "\n".join([duckdb.__version__, contract.kind, *contract.columns])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _insert_sql(contract: Contract, batches: str) -> str:
    sig = signature(contract)
    return f"""INSERT INTO {TABLE}
        SELECT '{contract.kind}', s._batch, s._date, count(*), sum({row_hash_sql(contract)}), '{sig}'
        FROM src_{contract.kind} s WHERE {batches} GROUP BY s._batch, s._date"""


def record_batch_fingerprints(con: duckdb.DuckDBPyConnection, kind: str, batch_id: int) -> None:
    """Store the per-day sums of batch `batch_id`'s rows of source `kind` (none for a kind
    without a source table, e.g. a batch of a table that is not a contract). Call after the
    batch's rows are written, in the same transaction."""
    contract = CONTRACTS.get(kind)
    if contract is None:
        return
    con.execute(
        f"DELETE FROM {TABLE} WHERE kind = $kind AND batch_id = $batch",
        {"kind": kind, "batch": batch_id},
    )
    con.execute(_insert_sql(contract, "s._batch = $batch"), {"batch": batch_id})


def backfill_ddl() -> list[str]:
    """Statements run with the layout's migrations: drop outdated sums, store the missing
    ones (a warehouse made before the table existed: one pass over each source)."""
    out = []
    for contract in CONTRACTS.values():
        kind, sig = contract.kind, signature(contract)
        out.append(f"DELETE FROM {TABLE} WHERE kind = '{kind}' AND signature <> '{sig}'")
        missing = f"s._batch NOT IN (SELECT batch_id FROM {TABLE} WHERE kind = '{kind}')"
        out.append(_insert_sql(contract, missing))
    return out


def current_batches_sql(contract: Contract) -> str:
    """SELECT of the batches of `contract`'s source with a current stored sum."""
    return f"""SELECT DISTINCT batch_id FROM {TABLE}
               WHERE kind = '{contract.kind}' AND signature = '{signature(contract)}'"""
