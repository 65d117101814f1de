"""What the public snapshot holds, typed: the documents built from the warehouse (and, for the
static snapshot directory, written to and read from JSON files).

* `RunDoc` — a disclosed run: period, rule version, provenance, grade order and meanings.
* `RunCard` — one company's public result in one run (the pieces a card is assembled from).
* `CompoundDoc` — a compound of the register: name, places, households, service periods, and
  its project grade per disclosed run.
* `DisclosureDoc` — the ledger-derived visibility history (`rating.audit.disclosure.History`)
  in a form that serialises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from rating.audit.disclosure import Entry, History, Repair
from rating.consequences.inforce import Book
from rating.public.search import SearchIndex
from rating.public.shapes import (
    GradeStreak,
    Legend,
    ProjectGrade,
    Publicity,
    PublicPath,
    Reason,
    ScoreBreakdown,
    Service,
)


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class LedgerHead(Doc):
    seq: int
    hash: str


class RunDoc(Doc):
    run_id: str
    period: str
    ruleset: str
    provenance: dict[str, str]
    grade_order: list[str]
    meanings: dict[str, str]
    streak_needed: int | None
    lowest: str
    publicity: Publicity | None = None  # its 公示: first day, last day, last day to object
    published_at: str | None = None  # when it was published (公布), if it was
    publicity_at: str | None = None  # when it was put up for publicity (公示), if it was


class RunCard(Doc):
    uscc: str
    name: str
    district: str | None
    period: str
    grade: str | None
    score: float | None
    red: bool
    black: bool
    band_grade: str | None = None  # the grade of the score's band, as the run recorded it
    grade_reason: str | None = None  # why the grade, in words (`rating.public.text.grade_reason`)
    veto_items: list[str] = []
    streak: list[str] = []
    grade_streak: GradeStreak | None = None
    former_names: list[str] = []
    reasons: list[Reason] = []
    breakdown: ScoreBreakdown | None = (
        None  # how the shown score is made (`rating.public.breakdown`)
    )
    projects: list[ProjectGrade] = []
    path: PublicPath | None = None  # the way back up, where the rule set publishes it


class CompoundDoc(Doc):
    project_id: str
    name: str
    district: str | None = None
    street: str | None = None
    address: str | None = None
    households: int | None = None
    services: list[Service] = []  # newest first
    grades: dict[
        str, list[tuple[str, str | None, float | None]]
    ] = {}  # run -> [(uscc, grade, score)]


class EventDoc(Doc):
    at: datetime
    period: str
    run_id: str
    kind: str


class DisclosureDoc(Doc):
    events: list[EventDoc]
    entries: list[dict[str, Any]]
    repairs: list[dict[str, Any]]

    @classmethod
    def of(cls, h: History) -> DisclosureDoc:
        return cls(
            events=[EventDoc(at=a, period=p, run_id=r, kind=k) for a, p, r, k in h.zone_events],
            entries=[
                {
                    **{k: v for k, v in e.__dict__.items()},
                    "start": e.start.isoformat(),
                    "min_until": e.min_until.isoformat(),
                    "max_until": e.max_until.isoformat(),
                    "ended_on": e.ended_on.isoformat() if e.ended_on else None,
                }
                for e in h.entries
            ],
            repairs=[
                {
                    **r.__dict__,
                    "applied_on": r.applied_on.isoformat(),
                    "decided_on": r.decided_on.isoformat() if r.decided_on else None,
                }
                for r in h.repairs
            ],
        )

    def history(self) -> History:
        def day(v: str | None) -> date | None:
            return date.fromisoformat(v) if v else None

        entries = [
            Entry(
                e["entry_id"],
                e["uscc"],
                e["run_id"],
                e["period"],
                date.fromisoformat(e["start"]),
                bool(e["safety"]),
                date.fromisoformat(e["min_until"]),
                date.fromisoformat(e["max_until"]),
                day(e["ended_on"]),
                e["end_reason"],
            )
            for e in self.entries
        ]
        repairs = [
            Repair(
                r["repair_id"],
                r["entry_id"],
                r["uscc"],
                date.fromisoformat(r["applied_on"]),
                r["state"],
                day(r["decided_on"]),
            )
            for r in self.repairs
        ]
        return History([(e.at, e.period, e.run_id, e.kind) for e in self.events], entries, repairs)


@dataclass
class PublicData:
    """Everything the public lookup answers from, built once (rebuilt on each disclosure)."""

    zone: str
    built_at: datetime
    clock: Callable[[], datetime]
    ledger: LedgerHead
    disclosure: History
    runs: dict[str, RunDoc]
    legends: dict[str, Legend]
    compounds: dict[str, CompoundDoc]
    index: SearchIndex
    cards: dict[str, dict[str, RunCard]] = field(default_factory=dict)  # run -> uscc -> card
    book: Book | None = None  # the measures of every published run (`rating.consequences`)
