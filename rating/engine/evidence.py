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


def expanded_evidence_sql(where: str) -> str:
    """A SELECT of the `run_evidence` rows matching `where`, one row per (rule point, record)
    whatever the layout the run stored them in, with the columns of `run_evidence` less
    `lines` in its order: a row of a run hashed with `sha256-sorted-v5` (decision 0015) holds
    the lines of its group's records in `lines` and gives one row per element, in the list's
    order, `line` set to it; a row of an older run (`lines` NULL) gives itself. `where` is SQL
    text over alias `e` (values bound by the caller) naming only columns a group shares —
    run, rule, company, project, source, batch, points — never `line`. Every reader of
    evidence goes through here (`evidence_rows_sql`, `rating.public.veto`)."""
    return f"""SELECT e.run_id, e.rule_id, e.company_uscc, e.project_id, e.source, e.record_key,
                  e.batch_id, unnest(CASE WHEN e.lines IS NULL THEN [e.line] ELSE e.lines END) AS line,
                  e.record_date, e.points
           FROM run_evidence e WHERE {where}"""


def evidence_rows_sql(where: str) -> str:
    """A SELECT of the `run_evidence` rows matching `where` (SQL text over alias `e`, values
    bound by the caller; see `expanded_evidence_sql`), one per (rule point, record), with the
    columns of `run_evidence` less `lines` in its order and each record's
    `record_key` and `record_date` read back from its source row — the row of `src_<source>`
    with batch `batch_id` and line `line`, which the append-only warehouse keeps (decision
    0001). Runs hashed with `sha256-sorted-v4` or `-v5` store evidence as such references and
    leave both columns NULL (decisions 0013, 0015); older runs stored them, equal to what is
    read back, and keep them as a fallback for a row the join does not find (a line-less row)."""
    records = "\n            UNION ALL ".join(
        f"""SELECT '{kind}' AS source, _batch, _row, {key_sql(contract)} AS _key, _date
            FROM src_{kind}"""
        for kind, contract in CONTRACTS.items()
    )
    return f"""SELECT e.run_id, e.rule_id, e.company_uscc, e.project_id, e.source,
                  coalesce(r._key, e.record_key) AS record_key, e.batch_id, e.line,
                  coalesce(r._date, e.record_date) AS record_date, e.points
           FROM ({expanded_evidence_sql(where)}) e
           LEFT JOIN ({records}) r
             ON r.source = e.source AND r._batch = e.batch_id AND r._row = e.line"""


_OF_COMPANY = "e.run_id = $run AND e.company_uscc = $u AND ($rule IS NULL OR e.rule_id = $rule)"


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
        f"""SELECT e.rule_id, e.project_id, e.source, e.record_key, e.batch_id, b.file_name, e.line,
                  e.record_date, e.points AS contribution
           FROM (SELECT *, row_number() OVER (PARTITION BY rule_id ORDER BY record_date, record_key) AS n
                 FROM ({evidence_rows_sql(_OF_COMPANY)})) e
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
