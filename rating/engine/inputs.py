"""The manifest's input fingerprints: per input, its rows in scope and an order-free hash.

`input_fingerprints` gives, for the companies, the projects and every source the rule set
reads, the count of the rows a run reads (visible at its watermark; for a source, dated within
its scope and not held out) and the sum modulo 2⁶⁴ of their `row_hash_sql`. A run adds the
sums stored per batch and day when its batches arrived (`rating.schema.fingerprints`) and
hashes row by row only what they do not cover; a replay (`stored=False`) hashes every row
again, so that a row edited in place since its batch arrived shows as a changed input. Both
give the same figure over the same rows (`tests/test_run_costs.py`).
"""

from __future__ import annotations

from typing import Any

import duckdb

from rating.engine import scope
from rating.engine.context import RunContext
from rating.engine.shapes import InputFingerprint
from rating.schema import CONTRACTS, Contract
from rating.schema.fingerprints import TABLE, current_batches_sql, row_hash_sql, signature
from rating.schema.holds import held_complaints_sql
from rating.sql import rows, value
from rating.warehouse import visible_rows

MODULUS = 1 << 64


def input_fingerprints(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, *, stored: bool = True
) -> dict[str, InputFingerprint]:
    """Rows each input contributes to the run, and an order-free hash of their content.

    A source's rows in scope are selected with the predicate `scope.build_scope` selects them
    with (visible at the watermark, dated within the scope): the same rows as `scope_<kind>`,
    without joining back to it (a row is identified by its key and batch, unique after ingest).
    `stored`: add the per-batch sums kept at ingest where they cover the rows (a run); False
    hashes every row (a replay checking that the inputs are still what the run read).
    """
    out: dict[str, InputFingerprint] = {}
    for kind in ["companies", "projects", *ctx.ruleset.sources()]:
        params = dict(ctx.params)
        sourced = kind in ctx.ruleset.sources()
        if sourced:
            params["scope_start"] = scope.scope_start(ctx, kind)
        count, total = _fingerprint(con, CONTRACTS[kind], sourced, params, stored)
        out[kind] = {"rows": count, "hash": f"{total % MODULUS:016x}"}
    return out


def _fingerprint(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    sourced: bool,
    params: dict[str, Any],
    stored: bool,
) -> tuple[int, int]:
    """(rows, hash sum before the modulo) of one input."""
    where = scope.scope_predicate(contract.kind) if sourced else ""
    kept = whole_stored_batches(con, contract, params) if stored else []
    if not kept:
        return _hashed(con, contract, where, params)
    count, total = _stored_sums(con, contract, kept, sourced, params)
    rest = visible_batches(con, contract, params) - set(kept)
    if rest:
        n, h = _hashed(con, contract, f"{where} AND s._batch IN ({ints_sql(rest)})", params)
        count, total = count + n, total + h
    held = scope.kept_in_sql(contract.kind) if sourced else None
    if held and _any_held(con, params):
        n, h = _held_out(con, contract, kept, held, params)
        count, total = count - n, total - h
    return count, total


def _hashed(
    con: duckdb.DuckDBPyConnection, contract: Contract, where: str, params: dict[str, Any]
) -> tuple[int, int]:
    count, total = rows(
        con,
        f"""SELECT count(*), coalesce(sum({row_hash_sql(contract)}), 0)
            FROM {visible_rows(contract, extras=True)}{where}""",
        params,
    )[0]
    return int(count), int(total)


def visible_batches(
    con: duckdb.DuckDBPyConnection, contract: Contract, params: dict[str, Any]
) -> set[int]:
    """The batches of the source's rows a run at the watermark (and extra batches) sees."""
    found = rows(
        con,
        f"""SELECT DISTINCT s._batch FROM src_{contract.kind} s
            WHERE s._batch <= $watermark OR list_contains($extra_batches, s._batch)""",
        params,
    )
    return {int(b) for (b,) in found}


def whole_stored_batches(
    con: duckdb.DuckDBPyConnection, contract: Contract, params: dict[str, Any]
) -> list[int]:
    """Visible batches with a current stored sum and no row superseded at the watermark."""
    found = rows(
        con,
        f"""SELECT batch_id FROM ({current_batches_sql(contract)})
            WHERE (batch_id <= $watermark OR list_contains($extra_batches, batch_id))
              AND batch_id NOT IN (SELECT x.old_batch FROM supersessions x
                                   WHERE x.kind = '{contract.kind}' AND (x.new_batch <= $watermark
                                         OR list_contains($extra_batches, x.new_batch)))
            ORDER BY batch_id""",
        params,
    )
    return [int(b) for (b,) in found]


def _stored_sums(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    kept: list[int],
    sourced: bool,
    params: dict[str, Any],
) -> tuple[int, int]:
    dated = " AND day BETWEEN $scope_start AND $period_end" if sourced else ""
    count, total = rows(
        con,
        f"""SELECT coalesce(sum(rows), 0), coalesce(sum(hash_sum), 0) FROM {TABLE}
            WHERE kind = $kind AND signature = $signature AND batch_id IN ({ints_sql(kept)}){dated}""",
        {**params, "kind": contract.kind, "signature": signature(contract)},
    )[0]
    return int(count), int(total)


def _any_held(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> bool:
    return bool(value(con, f"SELECT count(*) > 0 FROM ({held_complaints_sql()})", params))


def _held_out(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    kept: list[int],
    held: str,
    params: dict[str, Any],
) -> tuple[int, int]:
    """The rows of the stored batches dated in scope that the scope leaves out all the same."""
    count, total = rows(
        con,
        f"""SELECT count(*), coalesce(sum({row_hash_sql(contract)}), 0) FROM src_{contract.kind} s
            WHERE s._batch IN ({ints_sql(kept)}) AND s._date BETWEEN $scope_start AND $period_end
              AND ({held}) IS NOT TRUE""",
        params,
    )[0]
    return int(count), int(total)


def ints_sql(values: set[int] | list[int]) -> str:
    """Batch ids as SQL integer literals (so that DuckDB prunes row groups by them)."""
    return ", ".join(str(int(v)) for v in sorted(values))
