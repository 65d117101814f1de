"""A run as the decision its measures start from.

The decision date is the day the run was published (its ledger record); a run not yet
published has no decision date and its measures are *proposed*. "Until the next results"
ends on the day the next run of a later period (or a run replacing this one for its period)
is published. All of it is read from the ledger, so the answer for a past day is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from rating.audit.disclosure import History, history
from rating.engine import explainer
from rating.errors import NotFoundError
from rating.periods import Period
from rating.ruleset.consequences import Consequences
from rating.ruleset.loader import LoadedRuleSet


@dataclass(frozen=True)
class Basis:
    """A run, its rule set and consequence table, and when its measures start and end."""

    run_id: str
    period: str
    status: str
    ruleset: LoadedRuleSet
    decided_on: date | None  # publication day; None while not published (proposed)
    next_on: date | None  # the next publication after it; None while there is none

    @property
    def table(self) -> Consequences:
        """The run's consequence table (an empty one when its rule set has none)."""
        return self.ruleset.definition.consequences or Consequences()

    @property
    def proposed(self) -> bool:
        return self.decided_on is None


def publications(disclosure: History) -> list[tuple[date, str, str]]:
    """(day, period, run id) of every publication, in ledger order."""
    return [(at.date(), p, r) for at, p, r, kind in disclosure.zone_events if kind == "published"]


def next_publication(pubs: list[tuple[date, str, str]], run_id: str, period: str) -> date | None:
    """The first publication after `run_id`'s of a run for the same or a later period."""
    seen = False
    for day, p, r in pubs:
        if r == run_id and not seen:
            seen = True
            continue
        if seen and Period.parse(p) >= Period.parse(period):
            return day
    return None


def basis_of(
    con: duckdb.DuckDBPyConnection, run_id: str | None, disclosure: History | None = None
) -> Basis:
    """The run named (or the latest run) as a decision. Raises NotFoundError RUN_NOT_FOUND."""
    info = explainer.run_row(con, run_id)
    disclosure = disclosure or history(con)
    pubs = publications(disclosure)
    day = next((d for d, _p, r in pubs if r == info["run_id"]), None)
    return Basis(
        run_id=info["run_id"],
        period=info["period"],
        status=info["status"],
        ruleset=explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"]),
        decided_on=day,
        next_on=next_publication(pubs, info["run_id"], info["period"]) if day else None,
    )


def published_bases(con: duckdb.DuckDBPyConnection, disclosure: History) -> list[Basis]:
    """Every published run as a decision, in order of publication (a run published, then
    superseded, stays: its measures ran until the publication that replaced it)."""
    out: list[Basis] = []
    for _day, _period, run_id in publications(disclosure):
        if all(b.run_id != run_id for b in out):
            out.append(basis_of(con, run_id, disclosure))
    return out


def require_table(b: Basis) -> Consequences:
    """The run's consequence table; NotFoundError NO_CONSEQUENCES when its rules have none."""
    if b.ruleset.definition.consequences is None:
        raise NotFoundError(
            f"run {b.run_id} was rated under {b.ruleset.ref}, which says nothing of consequences: "
            "rate the period under a version with [consequences] (e.g. yantai-2022@1.1.0)",
            code="NO_CONSEQUENCES",
        )
    return b.table
