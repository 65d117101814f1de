"""The public snapshot: what the public may see, built once from the warehouse, held in memory.

Only published results enter it (the ledger says which runs were published and when), and
only public fields: grades, scores, list status, reasons in plain words with their source
clauses, projects' grades. Never complaint text, complainants, addresses of people, or
evidence record ids. `card(uscc, as_of)` answers with exactly what was published on a date:
for each period, the run published latest on or before the end of that day.

The snapshot is plain Python data (dicts and tuples, JSON-ready), so a lookup costs a dict
access — the API serves it without a query per request.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from rating import __version__
from rating.engine import explainer
from rating.sql import rows

REASONS_SHOWN = 8


@dataclass(frozen=True)
class Publication:
    at: datetime
    period: str
    run_id: str


@dataclass
class Snapshot:
    zone: ZoneInfo
    built_at: datetime
    clock: Callable[[], datetime]
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # run id -> provenance
    publications: list[Publication] = field(default_factory=list)  # by time
    cards: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # run -> uscc -> card
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # uscc -> (name, district)
    bigrams: dict[str, set[str]] = field(default_factory=dict)  # bigram -> usccs
    grade_orders: dict[str, list[str]] = field(default_factory=dict)  # run -> grades, best first

    # ---------------------------------------------------------------- visibility
    def visible(self, on: date | None = None) -> dict[str, str]:
        """Period -> run id the public could see at the end of `on` (default: now)."""
        moment = self._end_of(on) if on else self.clock()
        cut = bisect.bisect_right([p.at for p in self.publications], moment)
        shown: dict[str, str] = {}
        for p in self.publications[:cut]:
            shown[p.period] = p.run_id
        return shown

    def _end_of(self, day: date) -> datetime:
        return datetime.combine(day + timedelta(days=1), time.min, self.zone) - timedelta(
            microseconds=1
        )

    # ---------------------------------------------------------------- lookups
    def card(self, uscc: str, on: date | None = None) -> dict[str, Any] | None:
        shown = self.visible(on)
        periods = sorted(shown)
        history = []
        for period in periods:
            c = self.cards[shown[period]].get(uscc)
            if c is not None:
                history.append(
                    {
                        "period": period,
                        "grade": c["grade"],
                        "score": c["score"],
                        "red": c["red"],
                        "black": c["black"],
                    }
                )
        if not history:
            return None
        latest_period = history[-1]["period"]
        run_id = shown[latest_period]
        current = self.cards[run_id][uscc]
        return {
            "uscc": uscc,
            "name": current["name"],
            "district": current["district"],
            "as_of": (on or self.clock().date()).isoformat(),
            "current": {
                k: current[k] for k in ("period", "grade", "score", "red", "black", "list_reason")
            },
            "reasons": current["reasons"],
            "projects": current["projects"],
            "history": history,
            "provenance": self.runs[run_id],
        }

    def search(
        self, q: str = "", district: str | None = None, limit: int = 20, offset: int = 0
    ) -> tuple[list[dict[str, Any]], bool]:
        shown = self.visible()
        latest = {u: c for period in sorted(shown) for u, c in self.cards[shown[period]].items()}
        ranked = self._rank(q.strip().upper() if _looks_like_uscc(q) else q.strip(), latest)
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
        self, kind: str, period: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[str | None, list[dict[str, Any]], bool]:
        shown = self.visible()
        period = period or (max(shown) if shown else None)
        if period is None or period not in shown:
            return period, [], False
        run_id = shown[period]
        members = sorted(
            (c for c in self.cards[run_id].values() if c[kind]),
            key=lambda c: (c["name"], c["uscc"]),
        )
        page = members[offset : offset + limit + 1]
        items = [
            {
                "uscc": c["uscc"],
                "name": c["name"],
                "district": c["district"],
                "grade": c["grade"],
                "score": c["score"],
                "reason": c["list_reason"] if kind == "black" else None,
            }
            for c in page[:limit]
        ]
        return period, items, len(page) > limit


def _looks_like_uscc(q: str) -> bool:
    q = q.strip()
    return 2 <= len(q) <= 18 and q.isascii() and q.isalnum()


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


def core_name(text: str) -> str:
    t = text.strip().replace("（", "(").replace("）", ")")
    for word in GENERIC:
        t = t.replace(word, "")
    return t or text.strip()


def _bigrams(text: str) -> set[str]:
    t = core_name(text)
    return {t[i : i + 2] for i in range(len(t) - 1)} or {t}


# -------------------------------------------------------------------- building


def _publications(con: duckdb.DuckDBPyConnection) -> list[Publication]:
    found = rows(
        con,
        """SELECT recorded_at, json_extract_string(payload, '$.period'), run_id
                         FROM ledger WHERE action = 'publish' ORDER BY seq""",
    )
    return sorted(
        (Publication(datetime.fromisoformat(at), p, r) for at, p, r in found), key=lambda x: x.at
    )


def _cards_sql() -> str:
    """One JSON card per (published run, company), assembled in DuckDB."""
    return """
    WITH pub AS (SELECT DISTINCT run_id FROM ledger WHERE action = 'publish'),
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
    con: duckdb.DuckDBPyConnection, run_id: str, published_at: datetime
) -> dict[str, Any]:
    info = explainer.run_row(con, run_id)
    prov = explainer.provenance(info)
    return {**prov, "published_at": published_at.isoformat(), "served_by": __version__}


def build(
    con: duckdb.DuckDBPyConnection, zone: ZoneInfo, clock: Callable[[], datetime]
) -> Snapshot:
    snap = Snapshot(zone=zone, built_at=clock(), clock=clock, publications=_publications(con))
    wording: dict[str, dict[str, tuple[str, str]]] = {}
    for p in snap.publications:
        snap.runs[p.run_id] = _provenance(con, p.run_id, p.at)
        info = explainer.run_row(con, p.run_id)
        rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"]).definition
        wording[p.run_id] = {r.id: (r.title, r.clause) for r in rs.rules}
        snap.grade_orders[p.run_id] = list(rs.grade_order)
        snap.cards.setdefault(p.run_id, {})
    period_of = {p.run_id: p.period for p in snap.publications}
    for run_id, uscc, card_json in rows(con, _cards_sql()):
        card = json.loads(card_json)
        card["period"] = period_of[run_id]
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
    return snap
