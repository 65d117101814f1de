"""What the public may see, and when: the disclosure history, read from the ledger.

Everything here is derived from ledger records, so the answer for any past day is exact and
reproducible: a run is *proposed* from the day its publicity starts (if the rule set shows
proposed results) and *published* from its publication; a black-list entry starts on the
publication of the run that first listed the company and ends at the first of its maximum
duration or an approved credit repair. `rating lists sync` writes a ledger record for each
entry that reached its maximum, so every change of visibility is in the ledger with its reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from rating.audit import ledger
from rating.audit.shapes import BlackEntryRecord, ExpiryRecord, LedgerEvent
from rating.audit.signing import Signer
from rating.calendar import add_months
from rating.engine import explainer
from rating.ruleset.definition import Disclosure
from rating.sql import rows


@dataclass
class Entry:
    entry_id: str  # "<run id>:<uscc>" of the run that listed it
    uscc: str
    run_id: str
    period: str
    start: date
    safety: bool
    min_until: date
    max_until: date
    ended_on: date | None = None
    end_reason: str | None = None  # "repaired" | "expired"

    def end(self) -> date:
        return self.ended_on if self.ended_on and self.ended_on < self.max_until else self.max_until

    def active_on(self, day: date) -> bool:
        return self.start <= day < self.end()

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ends": self.end().isoformat()}


@dataclass
class Shown:
    run_id: str
    status: str  # "published" or "proposed"


@dataclass
class Repair:
    """A credit-repair application against a black-list entry, as the ledger records it."""

    repair_id: str
    entry_id: str
    uscc: str
    applied_on: date
    state: str = "pending"  # "pending" | "approved" | "rejected"
    decided_on: date | None = None

    def state_on(self, day: date) -> str | None:
        """The application's state at the end of `day` (None before it was filed)."""
        if day < self.applied_on:
            return None
        if self.decided_on is not None and self.decided_on <= day:
            return self.state
        return "pending"


@dataclass
class History:
    """Ledger-derived disclosure state, queryable for any moment."""

    zone_events: list[tuple[datetime, str, str, str]]  # (at, period, run id, kind)
    entries: list[Entry]
    repairs: list[Repair] = field(default_factory=list)

    def runs_at(self, at: datetime) -> dict[str, Shown]:
        """Period -> the run the public saw at `at`, and whether it was proposed or published.

        A proposed run shows only while its period has nothing published; a revision hides
        the run it replaces and proposes the new one.
        """
        shown: dict[str, Shown] = {}
        for when, period, run_id, kind in self.zone_events:
            if when > at:
                break
            current = shown.get(period)
            if kind == "published":
                shown[period] = Shown(run_id, "published")
            elif kind == "proposed" and (current is None or current.status == "proposed"):
                shown[period] = Shown(run_id, "proposed")
            elif kind == "hidden" and current is not None and current == Shown(run_id, "proposed"):
                del shown[period]
        return shown

    def entry(self, uscc: str, day: date) -> Entry | None:
        for e in self.entries:
            if e.uscc == uscc and e.active_on(day):
                return e
        return None

    def active(self, day: date) -> list[Entry]:
        return [e for e in self.entries if e.active_on(day)]


def _entry_from(payload: dict[str, Any], run_id: str, period: str) -> Entry:
    return Entry(
        f"{run_id}:{payload['uscc']}",
        payload["uscc"],
        run_id,
        period,
        date.fromisoformat(payload["start"]),
        bool(payload["safety"]),
        date.fromisoformat(payload["min_until"]),
        date.fromisoformat(payload["max_until"]),
    )


def history(con: duckdb.DuckDBPyConnection) -> History:
    """The disclosure state every ledger record has built so far, in ledger order: publicity,
    publication, revision and discard events per period, black-list entries (started by a
    publication, ended by an approved repair or by expiry) and credit-repair applications. Reads the
    ledger only; raises nothing of its own."""
    events: list[tuple[datetime, str, str, str]] = []
    entries: dict[str, Entry] = {}
    repairs: dict[str, Repair] = {}
    for rec in ledger.records(con):
        at = datetime.fromisoformat(rec.at)
        p = rec.payload
        if rec.action == "repair_applied":
            repairs[p["repair_id"]] = Repair(
                p["repair_id"], p["entry_id"], p["uscc"], date.fromisoformat(p["applied_on"])
            )
        elif rec.action in ("repair_approved", "repair_rejected") and p["repair_id"] in repairs:
            repairs[p["repair_id"]].state = rec.action.split("_")[1]
            repairs[p["repair_id"]].decided_on = at.date()
        if rec.action == "publicity" and rec.run_id:
            events.append(
                (at, p["period"], rec.run_id, "proposed" if p.get("show_proposed") else "hidden")
            )
        elif rec.action in ("revised", "discard") and rec.run_id:
            events.append((at, p["period"], rec.run_id, "hidden"))
        elif rec.action == "publish" and rec.run_id:
            events.append((at, p["period"], rec.run_id, "published"))
            for e in p.get("black_entries", []):
                entry = _entry_from(e, rec.run_id, p["period"])
                entries[entry.entry_id] = entry
        elif rec.action in ("repair_approved", "list_expired"):
            ended = entries.get(p["entry_id"])
            if ended and ended.ended_on is None:
                ended.ended_on = date.fromisoformat(p["effective_on"])
                ended.end_reason = "repaired" if rec.action == "repair_approved" else "expired"
    events.sort(key=lambda e: e[0])
    return History(events, list(entries.values()), list(repairs.values()))


def new_black_entries(
    con: duckdb.DuckDBPyConnection, run_id: str, day: date, rules: Disclosure
) -> list[BlackEntryRecord]:
    """Entries a publication on `day` starts: listed companies without an active entry."""
    durations = rules.black_list
    current = history(con)
    safety = {
        u
        for (u,) in rows(
            con,
            """SELECT DISTINCT company_uscc FROM run_rule_points
                WHERE run_id = $r AND records > 0 AND list_contains($rules, rule_id)""",
            {"r": run_id, "rules": list(durations.safety_rules)},
        )
    }
    out: list[BlackEntryRecord] = []
    for (uscc,) in rows(
        con,
        "SELECT uscc FROM run_companies WHERE run_id = $r AND black ORDER BY uscc",
        {"r": run_id},
    ):
        if current.entry(uscc, day) is not None:
            continue
        minimum = durations.min_months_safety if uscc in safety else durations.min_months
        out.append(
            {
                "uscc": uscc,
                "start": day.isoformat(),
                "safety": uscc in safety,
                "min_until": add_months(day, minimum).isoformat(),
                "max_until": add_months(day, durations.max_months).isoformat(),
            }
        )
    return out


def disclosure_rules(con: duckdb.DuckDBPyConnection, run_id: str) -> Disclosure:
    """The `[disclosure]` section of the rule set `run_id` was rated under (publicity and objection
    working days, black-list durations, repair, holidays), read from the rule files stored with the
    run. Raises `NotFoundError` (`RUN_NOT_FOUND`, `RULESET_NOT_FOUND`)."""
    info = explainer.run_row(con, run_id)
    return explainer.stored_ruleset(
        con, info["ruleset"], info["ruleset_files_sha256"]
    ).definition.disclosure


def sync_expiries(
    con: duckdb.DuckDBPyConnection, at: datetime, signer: Signer | None = None
) -> list[ExpiryRecord]:
    """Write a ledger record for every entry that reached its maximum by `at` (inside a
    transaction), signed by `signer` when the bureau keeps a signing key."""
    written: list[ExpiryRecord] = []
    for entry in history(con).entries:
        if entry.ended_on is None and entry.max_until <= at.date():
            payload: ExpiryRecord = {
                "entry_id": entry.entry_id,
                "uscc": entry.uscc,
                "list": "black",
                "effective_on": entry.max_until.isoformat(),
                "reason": "maximum duration reached",
            }
            ledger.append(
                con, "list_expired", run_id=entry.run_id, payload=payload, at=at, signer=signer
            )
            written.append(payload)
    return written


def company_history(con: duckdb.DuckDBPyConnection, uscc: str) -> list[LedgerEvent]:
    """Every ledger record that changed what the public saw of this company, in order."""
    rated = {
        r for (r,) in rows(con, "SELECT run_id FROM run_companies WHERE uscc = $u", {"u": uscc})
    }
    out: list[LedgerEvent] = []
    for rec in ledger.records(con):
        p = rec.payload
        entry = next((e for e in p.get("black_entries", []) if e.get("uscc") == uscc), None)
        lifecycle = (
            rec.action in ("publicity", "publish", "revised", "discard") and rec.run_id in rated
        )
        if lifecycle or entry or p.get("uscc") == uscc:
            body = {k: v for k, v in p.items() if k != "black_entries"}
            if entry:
                body["black_entry"] = entry
            out.append(
                {
                    "seq": rec.seq,
                    "at": rec.at,
                    "action": rec.action,
                    "run_id": rec.run_id,
                    "payload": body,
                }
            )
    return out
