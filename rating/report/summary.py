"""What the director decides on: the quarter against the last, what changed and why, what
needs a decision, and the data that could change a result — as typed facts, no wording.

`summarise` reads only `ReportData` (already collected) plus a few warehouse queries for the
state of due process (publicity deadline, open objections) and the review queue. Each fact
names the appendix section that lists it in full (`link`), so the HTML summary can link every
number to its rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from rating.audit import objections
from rating.audit.shapes import ObjectionRecord
from rating.report.data import ReportData
from rating.sql import dicts, value

STAND_OUT = 3  # districts shown at each end
DROPS = 10  # biggest score drops listed


@dataclass(frozen=True)
class Figure:
    """One number of the quarter against the last; `link` names its full list."""

    key: str
    value: int
    previous: int | None
    link: str

    @property
    def delta(self) -> int | None:
        return None if self.previous is None else self.value - self.previous


@dataclass(frozen=True)
class Entry:
    """A company in a list of the summary, with the ground of its decision."""

    uscc: str
    name: str
    district: str | None
    grade: str | None
    previous_grade: str | None
    score: float | None
    ground: str  # "veto" | "streak" | "drop" | "entry"
    detail: list[str] = field(default_factory=list)  # veto rule titles; grades of the streak
    score_change: float | None = None


@dataclass(frozen=True)
class DistrictFlag:
    district: str
    companies: int
    mean_score: float
    lowest_share: float  # share of its companies at the lowest grade
    black: int
    direction: str  # "low" | "high"


@dataclass
class Summary:
    figures: list[Figure]
    new_black: list[Entry]
    vetoes: list[Entry]
    drops: list[Entry]
    ups: int
    downs: int
    districts: list[DistrictFlag]
    streak_two: list[Entry]  # at the lowest grade twice running, not yet listed
    streak_needed: int | None  # consecutive lowest grades that list a company
    publicity_until: str | None
    objections_open: list[ObjectionRecord]
    review_waiting: int
    quarantined: int
    held: int


def _rank(order: tuple[str, ...], grade: str | None) -> int | None:
    return order.index(grade) if grade in order else None


def _veto_titles(data: ReportData, ids: list[str] | None) -> list[str]:
    titles = {r.id: r.title for r in data.ruleset.rules}
    return [titles.get(i, i) for i in ids or []]


def _entry(data: ReportData, c: dict[str, Any], ground: str, **extra: Any) -> Entry:
    return Entry(
        uscc=c["uscc"],
        name=c["name"],
        district=c["district"],
        grade=c["grade"],
        previous_grade=c["prev_grade"],
        score=c["score"],
        ground=ground,
        **extra,
    )


def _streak_needed(data: ReportData) -> int | None:
    """How many consecutive lowest grades put a company on the black list, when the rule
    set's black-list condition counts a streak of the lowest grade (`streak('C') >= 3`)."""
    text = data.ruleset.lists.black.when if data.ruleset.lists.black else ""
    grade = re.escape(data.ruleset.lowest_grade)
    m = re.search(rf"streak\(\s*'{grade}'\s*\)\s*>=\s*(\d+)", text or "")
    return int(m.group(1)) if m else None


def _figures(data: ReportData, s: Summary) -> list[Figure]:
    now = data.info["summary"]
    before: Mapping[str, Any] | None = data.previous_info["summary"] if data.previous_info else None

    def prev(key: str) -> int | None:
        return None if before is None else int(before.get(key) or 0)

    return [
        Figure("companies", int(now.get("companies") or 0), prev("companies"), "grades"),
        Figure("red", int(now.get("red") or 0), prev("red"), "red"),
        Figure("black", int(now.get("black") or 0), prev("black"), "black"),
        Figure("new_black", len(s.new_black), None, "black"),
        Figure("downgrades", int(now.get("downgrades") or 0), prev("downgrades"), "downgrades"),
        Figure("vetoes", len(s.vetoes), None, "vetoes"),
        Figure("held", s.held, None, "quality"),
        Figure("quarantined", s.quarantined, None, "quality"),
        Figure("review_waiting", s.review_waiting, None, "quality"),
    ]


def _districts(data: ReportData) -> list[DistrictFlag]:
    lowest = data.ruleset.lowest_grade
    rows = [
        DistrictFlag(
            district=d["district"],
            companies=d["companies"],
            mean_score=d["mean_score"],
            lowest_share=round(d.get(lowest, 0) / d["companies"], 4) if d["companies"] else 0.0,
            black=d["black"],
            direction="",
        )
        for d in data.districts
        if d["companies"] >= 5
    ]
    if len(rows) <= 2 * STAND_OUT:
        return []
    ranked = sorted(rows, key=lambda r: (r.mean_score, r.district))
    low = [DistrictFlag(**{**r.__dict__, "direction": "low"}) for r in ranked[:STAND_OUT]]
    high = [DistrictFlag(**{**r.__dict__, "direction": "high"}) for r in ranked[-STAND_OUT:][::-1]]
    return low + high


def summarise(con: duckdb.DuckDBPyConnection, data: ReportData) -> Summary:
    """The summary facts of `data`'s run (see the module docstring)."""
    order = data.grade_order
    before = {c["uscc"]: c for c in data.before}
    rated = [c for c in data.companies if c["rated"]]
    new_black = []
    for c in rated:
        if c["black"] and not (before.get(c["uscc"]) or {}).get("black"):
            if c["veto"]:
                new_black.append(
                    _entry(data, c, "veto", detail=_veto_titles(data, c["veto_rules"]))
                )
            else:
                new_black.append(_entry(data, c, "streak"))
    vetoes = [
        _entry(data, c, "veto", detail=_veto_titles(data, c["veto_rules"]))
        for c in rated
        if c["veto"]
    ]
    changes = []
    ups = downs = 0
    for c in rated:
        old = before.get(c["uscc"])
        if not old or not old["rated"]:
            continue
        a, b = _rank(order, old["grade"]), _rank(order, c["grade"])
        if a is not None and b is not None:
            ups += b < a
            downs += b > a
        if old["score"] is not None and c["score"] is not None:
            changes.append((c["score"] - old["score"], c))
    drops = [
        _entry(data, c, "drop", score_change=round(d, 2))
        for d, c in sorted(changes, key=lambda x: (x[0], x[1]["uscc"]))[:DROPS]
        if d < 0
    ]
    lowest = data.ruleset.lowest_grade
    streak_two = [
        _entry(data, c, "streak", detail=[before[c["uscc"]]["grade"], c["grade"]])
        for c in rated
        if c["grade"] == lowest
        and not c["black"]
        and (before.get(c["uscc"]) or {}).get("grade") == lowest
    ]
    s = Summary(
        figures=[],
        new_black=new_black,
        vetoes=vetoes,
        drops=drops,
        ups=ups,
        downs=downs,
        districts=_districts(data),
        streak_two=streak_two,
        streak_needed=_streak_needed(data),
        publicity_until=_publicity_until(con, data.run_id),
        objections_open=[
            o
            for o in objections.objections_of(con)
            if o["state"] == "pending" and o["period"] == str(data.period)
        ],
        review_waiting=int(
            value(
                con,
                """SELECT count(*) FROM match_review
                   WHERE review_id NOT IN (SELECT review_id FROM match_decisions)""",
            )
        ),
        quarantined=sum(int(q["rows"]) for q in data.quarantine),
        held=sum(h["complaints"] for h in data.holds if h["status"] == "held"),
    )
    s.figures = _figures(data, s)
    return s


def _publicity_until(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    found = dicts(
        con,
        """SELECT json_extract_string(payload, '$.objections_until') AS until FROM ledger
           WHERE run_id = $run AND action = 'publicity' ORDER BY seq DESC LIMIT 1""",
        {"run": run_id},
    )
    return found[0]["until"] if found else None
