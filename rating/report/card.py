"""Per-company report cards: grade history, the rules behind the score, the warning signal.

Which companies get a card: those named, then the black list, the downgrades and the top of
the early-warning ranking, up to a limit — the companies a director asks about first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from rating.analysis.features import period_chain
from rating.analysis.warning import CompanyRisk
from rating.engine import explainer
from rating.engine.shapes import ReasonRow
from rating.errors import NotFoundError
from rating.report import figures
from rating.report.data import ReportData
from rating.report.summary import Summary
from rating.report.text import Words
from rating.sql import dicts


@dataclass
class Card:
    company: dict[str, Any]
    why: str  # why this company has a card
    history: list[dict[str, Any]]
    reasons: list[ReasonRow]
    risk: CompanyRisk | None
    chart: bytes


def choose(
    data: ReportData, summary: Summary, named: list[str], limit: int
) -> list[tuple[str, str]]:
    """(uscc, why) of the companies that need a decision, in order: those named, new
    black-list entries, veto items, the biggest score drops — up to `limit` (and every named
    one). `why` is `requested`, `black`, `veto` or `drop`. Raises `NotFoundError`
    COMPANY_NOT_FOUND for a named company the run did not rate."""
    known = {c["uscc"]: c for c in data.companies}
    chosen: dict[str, str] = {}
    for uscc in named:
        if uscc not in known:
            raise NotFoundError(
                f"company {uscc} is not in run {data.run_id}", code="COMPANY_NOT_FOUND"
            )
        chosen[uscc] = "requested"
    pools = [
        ("black", [e.uscc for e in summary.new_black]),
        ("veto", [e.uscc for e in summary.vetoes]),
        ("drop", [e.uscc for e in summary.drops]),
    ]
    for why, pool in pools:
        for uscc in pool:
            if len(chosen) >= max(limit, len(named)):
                break
            chosen.setdefault(uscc, why)
    return list(chosen.items())


def _history(
    con: duckdb.DuckDBPyConnection, data: ReportData, usccs: list[str]
) -> dict[str, list[dict[str, Any]]]:
    runs = [r.run_id for r in period_chain(con) if r.period < data.period][-7:] + [data.run_id]
    found = dicts(
        con,
        """SELECT c.uscc, r.period, CAST(c.score AS DOUBLE) AS score, c.grade
           FROM run_companies c JOIN runs r USING (run_id)
           WHERE c.run_id IN (SELECT unnest($runs)) AND c.uscc IN (SELECT unnest($ids)) AND c.rated
           ORDER BY c.uscc, r.period""",
        {"runs": runs, "ids": usccs},
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for row in found:
        out.setdefault(row.pop("uscc"), []).append(row)
    return out


def build(
    con: duckdb.DuckDBPyConnection,
    data: ReportData,
    summary: Summary,
    named: list[str],
    limit: int,
    words: Words,
) -> list[Card]:
    """The company cards of the quarterly report for the companies `choose` picks (named ones, new
    black-list entries, veto items, the biggest score drops, up to `limit`): each with its row, why
    it has a card, its score and grade over the periods, the rules that moved its score
    (`explainer.reasons`, most harmful first), its early-warning risk when a model ran, and a PNG
    chart. Raises `NotFoundError` (`COMPANY_NOT_FOUND`, `RULESET_NOT_FOUND`)."""
    picks = choose(data, summary, named, limit)
    if not picks:
        return []
    info = data.info
    rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"]).definition
    history = _history(con, data, [u for u, _ in picks])
    risk = {c.uscc: c for c in data.warning.companies} if data.warning else {}
    known = {c["uscc"]: c for c in data.companies}
    cards = []
    for uscc, why in picks:
        reasons = explainer.reasons(con, data.run_id, uscc, rs)
        company = known[uscc]
        chart = figures.card(history.get(uscc, []), reasons, words)
        cards.append(Card(company, why, history.get(uscc, []), reasons, risk.get(uscc), chart))
    return cards
