"""The public snapshot: what the public may see, built once from the warehouse, held in memory.

Visibility comes from the ledger (`rating.audit.disclosure`): a run is shown *proposed* from
the start of its publicity (when its rule set says so) and *published* from its publication;
a black-list entry shows from the publication that started it until its maximum duration or
an approved credit repair. `card(uscc, on)` answers with exactly what was visible at the end
of day `on`. Only public fields enter the snapshot: grades, scores, list status, reasons in
plain words with their clauses, projects' grades — never complaint text, complainants, or
evidence record ids.

The snapshot is plain Python data (dicts, JSON-ready), so a lookup costs dict accesses: the
API serves it without a query per request.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from rating import __version__
from rating.audit.disclosure import History, Shown, history
from rating.consequences.basis import published_bases
from rating.consequences.inforce import Book
from rating.consequences.words import KIND_NAMES
from rating.engine import explainer
from rating.engine.history import Streak, streaks
from rating.sql import rows

REASONS_SHOWN = 8
# Words every company name shares: close matching looks at what is left.
GENERIC = (
    "有限责任公司",
    "股份有限公司",
    "有限公司",
    "分公司",
    "公司",
    "物业服务",
    "物业管理",
    "物业",
    "服务",
    "管理",
    "集团",
    "责任",
)


@dataclass
class Snapshot:
    zone: ZoneInfo
    built_at: datetime
    clock: Callable[[], datetime]
    disclosure: History
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # run id -> provenance
    cards: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # run -> uscc -> card
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # uscc -> (name, district)
    bigrams: dict[str, set[str]] = field(default_factory=dict)  # bigram -> usccs
    grade_orders: dict[str, list[str]] = field(default_factory=dict)  # run -> grades, best first
    book: Book | None = None  # the measures of every published run (`rating.consequences`)

    # ---------------------------------------------------------------- visibility
    def _moment(self, on: date | None) -> datetime:
        if on is None:
            return self.clock()
        return datetime.combine(on + timedelta(days=1), time.min, self.zone) - timedelta(
            microseconds=1
        )

    def visible(self, on: date | None = None) -> dict[str, Shown]:
        """Period -> the run the public could see at the end of `on` (default: now)."""
        return self.disclosure.runs_at(self._moment(on))

    def _public_card(self, shown: Shown, uscc: str, day: date) -> dict[str, Any] | None:
        card = self.cards.get(shown.run_id, {}).get(uscc)
        if card is None:
            return None
        if shown.status == "published":
            entry = self.disclosure.entry(uscc, day)
            black, reason = entry is not None, card["list_reason"] if entry is not None else None
        else:
            black, reason = card["black"], card["list_reason"]
        return {**card, "black": black, "list_reason": reason, "status": shown.status}

    # ---------------------------------------------------------------- lookups
    def card(self, uscc: str, on: date | None = None) -> dict[str, Any] | None:
        moment = self._moment(on)
        shown = self.disclosure.runs_at(moment)
        found = [(p, self._public_card(shown[p], uscc, moment.date())) for p in sorted(shown)]
        visible = [(p, c) for p, c in found if c is not None]
        if not visible:
            return None
        latest_period, current = visible[-1]
        return {
            "uscc": uscc,
            "name": current["name"],
            "district": current["district"],
            "as_of": moment.date().isoformat(),
            "current": {
                k: current[k]
                for k in (
                    "period",
                    "status",
                    "grade",
                    "score",
                    "red",
                    "black",
                    "list_reason",
                    "streak",
                )
            },
            "reasons": current["reasons"],
            "projects": current["projects"],
            "history": [
                {k: c[k] for k in ("period", "status", "grade", "score", "red", "black")}
                for _, c in visible
            ],
            "measures": self.measures(uscc, moment.date()),
            "provenance": self.runs[shown[latest_period].run_id],
        }

    def measures(self, uscc: str, day: date) -> list[dict[str, Any]]:
        """The public measures in force for `uscc` at the end of `day` (published runs only):
        what, for which project, until when, on which clause."""
        if self.book is None:
            return []
        return [
            {
                "kind": x.kind,
                "kind_name": KIND_NAMES[x.kind],
                "text": x.text,
                "project_id": x.project_id,
                "project_name": x.project_name,
                "until": x.span.text,
                "ends": x.span.ends.isoformat() if x.span.ends else None,
                "clauses": sorted({m["clause"] for m in x.measures}),
            }
            for x in self.book.in_force(uscc, day, public_only=True)
        ]

    def _latest_cards(self) -> dict[str, dict[str, Any]]:
        moment = self.clock()
        shown = self.disclosure.runs_at(moment)
        latest: dict[str, dict[str, Any]] = {}
        for period in sorted(shown):
            for uscc in self.cards.get(shown[period].run_id, {}):
                card = self._public_card(shown[period], uscc, moment.date())
                if card is not None:
                    latest[uscc] = card
        return latest

    def search(
        self, q: str = "", district: str | None = None, limit: int = 20, offset: int = 0
    ) -> tuple[list[dict[str, Any]], bool]:
        latest = self._latest_cards()
        query = q.strip().upper() if _looks_like_uscc(q) else q.strip()
        ranked = self._rank(query, latest)
        if district:
            ranked = [u for u in ranked if self.names.get(u, ("", ""))[1] == district]
        page = ranked[offset : offset + limit + 1]
        items = [
            {
                "uscc": u,
                "name": self.names[u][0],
                "district": self.names[u][1],
                "grade": latest[u]["grade"],
                "period": latest[u]["period"],
                "status": latest[u]["status"],
                "red": latest[u]["red"],
                "black": latest[u]["black"],
            }
            for u in page[:limit]
        ]
        return items, len(page) > limit

    def _rank(self, q: str, latest: dict[str, dict[str, Any]]) -> list[str]:
        if not q:
            return sorted(latest, key=lambda u: (self.names[u][0], u))
        if _looks_like_uscc(q):
            return sorted(u for u in latest if u.startswith(q))
        exact = sorted(
            (u for u in latest if q in self.names[u][0]), key=lambda u: (len(self.names[u][0]), u)
        )
        grams = _bigrams(q)
        scores: dict[str, int] = defaultdict(int)
        for g in grams:
            for u in self.bigrams.get(g, ()):
                scores[u] += 1
        seen = set(exact)
        close = []
        for u, shared in scores.items():
            dice = 2 * shared / (len(grams) + len(_bigrams(self.names[u][0])))
            if u not in seen and u in latest and dice >= 0.5:
                close.append((-dice, self.names[u][0], u))
        return exact + [u for _, _, u in sorted(close)]

    def list_members(
        self,
        kind: str,
        period: str | None = None,
        limit: int = 50,
        offset: int = 0,
        on: date | None = None,
    ) -> tuple[str | None, list[dict[str, Any]], bool]:
        """A period's red or black list as visible on `on`; no period: the latest period,
        except for the black list, which without a period is every entry in force."""
        moment = self._moment(on)
        shown = self.disclosure.runs_at(moment)
        if kind == "black" and period is None:
            members = self._in_force(moment)
        else:
            period = period or (max(shown) if shown else None)
            if period is None or period not in shown:
                return period, [], False
            cards = (
                self._public_card(shown[period], u, moment.date())
                for u in self.cards.get(shown[period].run_id, {})
            )
            members = [c for c in cards if c is not None and c[kind]]
        members.sort(key=lambda c: (c["name"], c["uscc"]))
        page = members[offset : offset + limit + 1]
        items = [
            {
                "uscc": c["uscc"],
                "name": c["name"],
                "district": c["district"],
                "grade": c["grade"],
                "score": c["score"],
                "period": c["period"],
                "status": c["status"],
                "reason": c["list_reason"] if kind == "black" else None,
            }
            for c in page[:limit]
        ]
        return period, items, len(page) > limit

    def _in_force(self, moment: datetime) -> list[dict[str, Any]]:
        """Every black-list entry in force: each with the card of the run that listed it."""
        out = []
        for entry in self.disclosure.active(moment.date()):
            card = self.cards.get(entry.run_id, {}).get(entry.uscc)
            if card is not None:
                out.append({**card, "status": "published", "black": True})
        return out


def _looks_like_uscc(q: str) -> bool:
    q = q.strip()
    return 2 <= len(q) <= 18 and q.isascii() and q.isalnum()


def core_name(text: str) -> str:
    t = text.strip().replace("（", "(").replace("）", ")")
    for word in GENERIC:
        t = t.replace(word, "")
    return t or text.strip()


def _bigrams(text: str) -> set[str]:
    t = core_name(text)
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}


# -------------------------------------------------------------------- building


def _cards_sql() -> str:
    """One JSON card per (shown run, company), assembled in DuckDB."""
    return """
    WITH pub AS (SELECT DISTINCT unnest($runs::VARCHAR[]) AS run_id),
    w AS (SELECT run_id, company_uscc, project_id, weight,
                 sum(weight) OVER (PARTITION BY run_id, company_uscc) AS total
          FROM run_projects WHERE run_id IN (SELECT run_id FROM pub)),
    eff AS (SELECT rp.run_id, rp.company_uscc, rp.rule_id,
                   CAST(sum(CASE WHEN rp.target = 'project' THEN rp.points * w.weight / nullif(w.total, 0)
                            ELSE rp.points END) AS DECIMAL(18,2)) AS points
            FROM run_rule_points rp LEFT JOIN w USING (run_id, company_uscc, project_id)
            WHERE rp.run_id IN (SELECT run_id FROM pub) GROUP BY ALL HAVING sum(rp.points) <> 0),
    reasons AS (SELECT run_id, company_uscc, list({'rule_id': rule_id, 'points': points}
                       ORDER BY points, rule_id) AS reasons FROM eff GROUP BY ALL),
    projects AS (SELECT run_id, company_uscc, list({'project_id': project_id, 'name': project_name,
                        'district': district, 'street': street, 'households': households,
                        'score': CAST(score AS DECIMAL(18,2)), 'grade': grade} ORDER BY project_id) AS projects
                 FROM run_projects WHERE run_id IN (SELECT run_id FROM pub) GROUP BY ALL)
    SELECT c.run_id, c.uscc, to_json({'uscc': c.uscc, 'name': c.name, 'district': c.district,
             'grade': c.grade, 'score': CAST(c.score AS DECIMAL(18,2)), 'red': c.red, 'black': c.black,
             'list_reason': c.black_reason, 'reasons': coalesce(r.reasons, []),
             'projects': coalesce(p.projects, [])})
    FROM run_companies c JOIN pub USING (run_id)
    LEFT JOIN reasons r ON r.run_id = c.run_id AND r.company_uscc = c.uscc
    LEFT JOIN projects p ON p.run_id = c.run_id AND p.company_uscc = c.uscc
    WHERE c.rated"""


def _provenance(
    con: duckdb.DuckDBPyConnection, run_id: str, disclosed_at: datetime
) -> dict[str, Any]:
    prov = explainer.provenance(explainer.run_row(con, run_id))
    return {**prov, "disclosed_at": disclosed_at.isoformat(), "served_by": __version__}


def build(
    con: duckdb.DuckDBPyConnection, zone: ZoneInfo, clock: Callable[[], datetime]
) -> Snapshot:
    snap = Snapshot(zone=zone, built_at=clock(), clock=clock, disclosure=history(con))
    first_shown: dict[str, tuple[datetime, str]] = {}  # run -> when it was disclosed, its period
    for at, period, run_id, kind in snap.disclosure.zone_events:
        if kind == "published" or (kind == "proposed" and run_id not in first_shown):
            first_shown[run_id] = (at, period)
    wording: dict[str, dict[str, tuple[str, str]]] = {}
    by_run: dict[str, dict[str, Streak]] = {}
    for run_id, (at, _period) in first_shown.items():
        snap.runs[run_id] = _provenance(con, run_id, at)
        info = explainer.run_row(con, run_id)
        loaded = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
        by_run[run_id] = streaks(con, run_id, info["manifest"], loaded.streak_grades)
        rs = loaded.definition
        wording[run_id] = {r.id: (r.title, r.clause) for r in rs.rules}
        snap.grade_orders[run_id] = list(rs.grade_order)
        snap.cards.setdefault(run_id, {})
    for run_id, uscc, card_json in rows(con, _cards_sql(), {"runs": list(first_shown)}):
        card = json.loads(card_json)
        card["period"] = first_shown[run_id][1]
        streak = by_run[run_id].get(uscc)
        worth_saying = streak and (streak.periods > 1 or streak.from_data_start)
        card["streak"] = streak.as_dict() if streak and worth_saying else None
        card["reasons"] = [
            {
                **r,
                "title": wording[run_id].get(r["rule_id"], ("", ""))[0],
                "clause": wording[run_id].get(r["rule_id"], ("", ""))[1],
            }
            for r in card["reasons"][:REASONS_SHOWN]
        ]
        snap.cards[run_id][uscc] = card
    for uscc, name, district in rows(
        con,
        "SELECT DISTINCT ON (uscc) uscc, name, district FROM src_companies ORDER BY uscc, _batch DESC",
    ):
        snap.names[uscc] = (name, district or "")
        for g in _bigrams(name):
            snap.bigrams.setdefault(g, set()).add(uscc)
    bases = [
        b
        for b in published_bases(con, snap.disclosure)
        if b.ruleset.definition.consequences is not None
    ]
    snap.book = Book.build(con, bases, snap.disclosure) if bases else None
    return snap
