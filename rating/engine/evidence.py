"""The records behind a company's points (`rating explain`, the audit API): what each record
counts as under its rule, and, for a record with its own validity end (a rule whose window
reads `until_column`, e.g. an event's 有效期止), that end.

`run_evidence.points` is a record's *contribution* (rating.engine.evaluator._contribution):
the points for an `each` rule, 1 for a `count` rule (rate rules too: the record counts 1
towards the rate; the rule's effect comes from the count), the record's value for `sum`/`avg`
and 1/0 (meets the condition or not) for `share`. It is therefore shown with the rule's
`measure`, never as points on its own.
"""

from __future__ import annotations

from typing import Any, cast

import duckdb

from rating.engine.shapes import EvidenceRow
from rating.ruleset.definition import RuleSet
from rating.schema import CONTRACTS
from rating.sql import dicts, rows
from rating.warehouse import key_sql


def evidence(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    uscc: str,
    definition: RuleSet,
    rule_id: str | None = None,
    limit: int = 20,
) -> list[EvidenceRow]:
    """The first `limit` records per rule behind `uscc`'s points in `run_id`: rule, source,
    record key, batch, file and line, date, `contribution` (see the module doc), the rule's
    `measure` (each/count/sum/avg/share; None for a rule the rule set no longer has) and the
    record's own `valid_until` (None when the rule reads no validity end or the record has
    none: the rule's default window applies)."""
    found = dicts(
        con,
        """SELECT e.rule_id, e.project_id, e.source, e.record_key, e.batch_id, b.file_name, e.line,
                  e.record_date, e.points AS contribution
           FROM (SELECT *, row_number() OVER (PARTITION BY rule_id ORDER BY record_date, record_key) AS n
                 FROM run_evidence WHERE run_id = $run AND company_uscc = $u
                   AND ($rule IS NULL OR rule_id = $rule)) e
           LEFT JOIN ingest_batches b ON b.batch_id = e.batch_id
           WHERE e.n <= $limit ORDER BY e.rule_id, e.record_date, e.record_key""",
        {"run": run_id, "u": uscc, "rule": rule_id, "limit": limit},
    )
    by_id = {r.id: r for r in definition.rules}
    ends = _own_ends(con, definition, found)
    for row in found:
        rule = by_id.get(row["rule_id"])
        row["measure"] = rule.measure if rule else None
        row["valid_until"] = ends.get((row["rule_id"], row["batch_id"], row["record_key"]))
    return cast(list[EvidenceRow], found)


def _own_ends(
    con: duckdb.DuckDBPyConnection, definition: RuleSet, found: list[dict[str, Any]]
) -> dict[tuple[Any, Any, Any], Any]:
    """(rule, batch, key) → the record's own validity end, read from its source row (the
    batch and key evidence names) for rules whose window has `until_column`. One query per
    such rule shown, over the few records shown."""
    out: dict[tuple[Any, Any, Any], Any] = {}
    for rule in definition.rules:
        column = rule.window.until_column
        contract = CONTRACTS.get(rule.source)
        if column is None or contract is None or column not in contract.columns:
            continue  # identifiers only from the contract's allow-list
        keys = [r["record_key"] for r in found if r["rule_id"] == rule.id]
        if not keys:
            continue
        for batch, key, end in rows(
            con,
            f"""SELECT s._batch, {key_sql(contract, "s")} AS k, s."{column}"
                FROM src_{contract.kind} s WHERE list_contains($keys, {key_sql(contract, "s")})""",
            {"keys": keys},
        ):
            out[(rule.id, batch, key)] = end
    return out
