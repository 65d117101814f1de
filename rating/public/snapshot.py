"""Answering the public: cards, compounds, lists, search — for any day, from the snapshot.

Visibility comes from the ledger (`rating.audit.disclosure`): a run is shown *proposed* from the
start of its publicity (when its rule set says so) and *published* from its publication; a
black-list entry shows from the publication that started it until its maximum duration or an
approved credit repair. A day `D` means the end of that day in the bureau's time zone; no day
means today. `PublicView` holds the logic (the lists and the in-force rule in
`rating.public.lists`); `WarehouseView` assembles cards from the runs held in
memory, `rating.public.static.StaticView` reads them from the snapshot directory.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from rating.audit.disclosure import Shown
from rating.public import notices
from rating.public import search as finder
from rating.public.data import CompoundDoc, PublicData, RunCard
from rating.public.lists import Lists
from rating.public.shapes import (
    CompanyCard,
    CompanyPage,
    CompanySummary,
    CompoundCard,
    CompoundGrade,
    Current,
    HistoryEntry,
    Period,
    ProjectGrade,
    Provenance,
    PublicMeasure,
    SearchHit,
    SearchNotice,
    SearchPage,
)
from rating.public.text import PublicWords


def _unnamed(projects: list[ProjectGrade]) -> list[ProjectGrade]:
    """Compounds without their managers: a period in publicity names no person (objections to
    a person's grade are decided before it is put up)."""
    return [p.model_copy(update={"manager": None}) for p in projects]


class PublicView(Lists):
    def __init__(self, data: PublicData, language: str = "zh") -> None:
        self.data = data
        self.zone = ZoneInfo(data.zone)
        self.words = PublicWords(language)
        self._shown = lru_cache(maxsize=64)(self._shown_at)

    # ------------------------------------------------------------- what a day shows
    def today(self) -> date:
        return self.data.clock().astimezone(self.zone).date()

    def day(self, on: date | None) -> date:
        return on if on is not None else self.today()

    def _shown_at(self, day: date) -> dict[str, Shown]:
        end = datetime.combine(day + timedelta(days=1), time.min, self.zone) - timedelta(
            microseconds=1
        )
        return self.data.disclosure.runs_at(end)

    def shown(self, day: date) -> dict[str, Shown]:
        """Period -> the run the public saw at the end of `day`."""
        return self._shown(day)

    def first_shown_on(self) -> date | None:
        """The first day the public saw any result (proposed or published), by today; None
        when nothing was shown yet."""
        days = [
            at.astimezone(self.zone).date()
            for at, _p, _r, kind in self.data.disclosure.zone_events
            if kind in ("proposed", "published")
        ]
        first = min(days, default=None)
        return first if first is not None and first <= self.today() else None

    def periods(self, on: date | None = None) -> list[Period]:
        shown = self.shown(self.day(on))
        return [
            Period(period=p, status=s.status, ruleset=self.data.runs[s.run_id].ruleset)  # type: ignore[arg-type]
            for p, s in sorted(shown.items(), reverse=True)
        ]

    # ------------------------------------------------------------- a company's card
    @abstractmethod
    def card(self, uscc: str, on: date | None = None) -> CompanyCard | None:
        """The card as visible at the end of `on` (today by default); None when none was."""

    @abstractmethod
    def card_days(self, uscc: str) -> list[date]:
        """The days from which a company's card changes (publicity, publication, listing …)."""

    def withdrawn(self, uscc: str, on: date | None = None) -> date | None:
        """The day a card visible earlier stopped being visible (410), or None."""
        day = self.day(on)
        if self.card(uscc, day) is not None:
            return None
        earlier = [d for d in self.card_days(uscc) if d <= day]
        seen = False
        for d in earlier:
            visible = self.card(uscc, d) is not None
            if seen and not visible:
                return d
            seen = seen or visible
        return None

    def first_visible(self, uscc: str, after: date) -> CompanyCard | None:
        """The first card of `uscc` visible after `after` and by today (a day asked before the
        company had any result shown: its card of that later day), or None."""
        today = self.today()
        for d in self.card_days(uscc):
            if after < d <= today and (card := self.card(uscc, d)) is not None:
                return card
        return None

    def summary(self, uscc: str, on: date | None = None) -> CompanySummary | None:
        card = self.card(uscc, on)
        if card is None:
            return None
        c = card.current
        return CompanySummary(
            uscc=card.uscc,
            name=card.name,
            district=card.district or "",
            grade=c.grade,
            period=c.period,
            status=c.status,
            red=c.red,
            black=c.black,
            proposed=[p.kind for p in c.proposed],
            publicity_ended=any(
                p.ended for p in (c.publicity, *(x.publicity for x in c.proposed)) if p
            ),
        )

    def assemble(self, uscc: str, day: date) -> CompanyCard | None:
        """A card from the runs' pieces (`run_card`), as visible at the end of `day`: the latest
        period's grade (proposed while in publicity); the lists in force (the latest published
        period's red list, the black-list entries of publications); proposals apart."""
        shown = self.shown(day)
        visible = [
            (piece, shown[period])
            for period in sorted(shown)
            if (piece := self.run_card(shown[period].run_id, uscc)) is not None
        ]
        if not visible:
            return None
        latest, status = visible[-1]
        doc = self.data.runs[status.run_id]
        published = [p for p in sorted(shown) if shown[p].status == "published"]
        red_piece = next(
            (p for p, s in visible if published and p.red and p.period == published[-1]), None
        )
        red = red_piece is not None
        listing = self.in_force_listing(uscc, day)
        black_now = self.data.disclosure.entry(uscc, day) is not None
        return CompanyCard(
            uscc=uscc,
            name=latest.name,
            former_names=latest.former_names,
            district=latest.district,
            as_of=day.isoformat(),
            current=Current(
                period=latest.period,
                status=status.status,  # type: ignore[arg-type]
                grade=latest.grade,
                grade_meaning=doc.meanings.get(latest.grade or ""),
                grade_reason=latest.grade_reason,
                band_grade=latest.band_grade,
                score=latest.score,
                red=red,
                black=listing is not None,
                list_reason=listing.reason if listing else None,
                listing=listing,
                red_listing=self.red_listing(red_piece, shown[red_piece.period].run_id, day)
                if red_piece
                else None,
                streak=latest.grade_streak,
                publicity=doc.publicity.on(day)
                if doc.publicity and status.status == "proposed"
                else None,
                proposed=self.proposals(latest, status, day),
            ),
            reasons=latest.reasons,
            breakdown=latest.breakdown,
            projects=self.served(
                uscc,
                day,
                latest.projects if status.status == "published" else _unnamed(latest.projects),
            ),
            history=[
                HistoryEntry(
                    period=c.period,
                    status=s.status,  # type: ignore[arg-type]
                    grade=c.grade,
                    score=c.score,
                    red=c.red,
                    black=c.black and (black_now or s.status == "proposed"),
                )
                for c, s in visible
            ],
            measures=self.measures(uscc, day),
            path=latest.path,
            provenance=Provenance(
                **doc.provenance,
                # nothing is published while the results are in publicity on `day`
                disclosed_at=doc.published_at if status.status == "published" else None,
                publicity_from=doc.publicity_at,
            ),
        )

    def served(self, uscc: str, day: date, projects: list[ProjectGrade]) -> list[ProjectGrade]:
        """`projects` with the last day `uscc` served each it no longer serves on `day`
        (from the register's service periods; a hand-over ends a company's service)."""
        out = []
        for p in projects:
            doc = self.compound_doc(p.project_id)
            mine = [s for s in doc.services if s.uscc == uscc] if doc else []
            if not mine or any(s.end is None or date.fromisoformat(s.end) >= day for s in mine):
                out.append(p)
            else:
                out.append(p.model_copy(update={"served_until": max(s.end or "" for s in mine)}))
        return out

    def measures(self, uscc: str, day: date) -> list[PublicMeasure]:
        """The public measures in force for `uscc` at the end of `day`, from published runs:
        what, for which project, until when, on which clause (`rating.consequences`)."""
        book = self.data.book
        if book is None:
            return []
        return [
            PublicMeasure(
                kind=x.kind,
                kind_name=x.kind_name,
                text=x.text,
                project_id=x.project_id,
                project_name=x.project_name,
                until=x.span.text,
                ends=x.span.ends.isoformat() if x.span.ends else None,
                clauses=sorted({self._measure_basis(m["rules"]) for m in x.measures}),
                points=float(x.values["points"]) if "points" in x.values else None,
                excluded=x.values.get("excluded"),
            )
            for x in book.in_force(uscc, day, public_only=True)
        ]

    def _measure_basis(self, ruleset: str) -> str:
        """What the public reads as a measure's basis: its rule set's document (the measure's
        own clause, for auditors, may cite other cities or drafts)."""
        found = self.data.legends.get(ruleset)
        return found.citation if found and found.citation else ruleset

    @abstractmethod
    def compound_doc(self, project_id: str) -> CompoundDoc | None: ...

    # ------------------------------------------------------------- compounds
    def compound(self, project_id: str, on: date | None = None) -> CompoundCard | None:
        doc = self.compound_doc(project_id)
        if doc is None:
            return None
        day = self.day(on)
        services = [s for s in doc.services if date.fromisoformat(s.start) <= day]
        upcoming = sorted(
            (s for s in doc.services if date.fromisoformat(s.start) > day), key=lambda s: s.start
        )
        if not services and not upcoming:
            return None
        now = next((s for s in services if s.end is None or date.fromisoformat(s.end) >= day), None)
        shown = self.shown(day)
        grade = None
        for period in sorted(shown, reverse=True):
            rated = doc.grades.get(shown[period].run_id)
            if rated:
                uscc, g, score = next((r for r in rated if now and r[0] == now.uscc), rated[0])
                grade = CompoundGrade(
                    period=period,
                    status=shown[period].status,  # type: ignore[arg-type]
                    uscc=uscc,
                    grade=g,
                    score=score,
                )
                break
        return CompoundCard(
            project_id=doc.project_id,
            name=doc.name,
            district=doc.district,
            street=doc.street,
            address=doc.address,
            households=doc.households,
            as_of=day.isoformat(),
            serving=self.summary(now.uscc, day) if now else None,
            serving_company=now.company if now else None,
            grade=grade,
            services=services,
            upcoming=upcoming,
        )

    # ------------------------------------------------------------- search
    def _query(self, q: str, places: bool = True) -> finder.Query:
        """`q` normalised; with `places` False, no registered place is taken out of it."""
        index = self.data.index
        named = tuple(index.place_names) if places else ()
        return finder.normalise_query(q.strip(), index.places, named)

    def _hits(self, q: str, district: str | None, kinds: tuple[str, ...]) -> list[finder.Hit]:
        index, today = self.data.index, self.today()
        hits: list[finder.Hit] = []
        query = self._query(q) if q.strip() else None
        if "compound" in kinds and query is not None:
            places = [k for k in index.compounds if not district or k.district == district]
            literal = self._query(q, places=False) if query.places else None
            for k, relevance, matched in finder.rank_compounds(query, literal, places):
                hits.append(finder.Hit("compound", k.project_id, relevance, matched, k.name))
        if "company" in kinds:
            for c in index.companies:
                if district and c.district != district:
                    continue
                relevance, matched = (
                    finder.score_company(query, q, c) if query is not None else (1.0, "name")
                )
                if relevance > 0 and self.has_card(c.uscc, today):
                    hits.append(finder.Hit("company", c.uscc, relevance, matched, c.name))
        hits.sort(key=lambda h: (-h.relevance, h.kind, h.sort_name, h.key))
        return hits

    @abstractmethod
    def has_card(self, uscc: str, day: date) -> bool: ...

    def search(
        self, q: str, district: str | None = None, limit: int = 20, offset: int = 0
    ) -> SearchPage:
        """Compounds and companies matching `q`, by relevance (see `rating.public.search`),
        with why nothing (or this) was found (`rating.public.notices`)."""
        asked = notices.understood(q, self.words)
        wanted = asked.search and (asked.query.strip() or district)
        hits = self._hits(asked.query, district, ("compound", "company")) if wanted else []
        items = [self._hit(h) for h in hits[offset : offset + limit]]
        return SearchPage(
            items=items,
            total=len(hits),
            page=offset // max(limit, 1) + 1,
            page_size=limit,
            truncated=offset + limit < len(hits),
            notices=self._why(asked, q, district, hits, items),
        )

    def _why(
        self,
        asked: notices.Asked,
        q: str,
        district: str | None,
        hits: list[finder.Hit],
        items: list[SearchHit],
    ) -> list[SearchNotice]:
        said = list(asked.notices)
        if district and district not in self.districts():
            said.append(notices.unknown_district(district, self.districts(), self.words))
            return said
        if not asked.search or not asked.query.strip():
            return said
        if not any(h.kind == "company" for h in hits):
            query = self._query(asked.query)
            said += notices.unrated(query, asked.query, self.data.index, self.words)
        for item in items:
            doc = self.compound_doc(item.project_id or "") if item.kind == "compound" else None
            if doc is not None and item.company is None and item.company_name is None:
                said.append(notices.not_served(item, doc, self.today(), self.words))
        if said or hits:
            return said
        if not self.periods():
            return [notices.nothing_published(self.words)]
        return [notices.nothing(asked, q, self.words)]

    def _hit(self, h: finder.Hit) -> SearchHit:
        if h.kind == "company":
            return SearchHit(
                kind="company",
                relevance=h.relevance,
                matched=h.matched,
                company=self.summary(h.key),
                company_name=h.sort_name,
            )
        card = self.compound(h.key)
        doc = self.compound_doc(h.key)
        assert doc is not None
        return SearchHit(
            kind="compound",
            relevance=h.relevance,
            matched=h.matched,
            project_id=doc.project_id,
            compound=doc.name,
            district=doc.district,
            street=doc.street,
            address=doc.address,
            company=card.serving if card else None,
            company_name=card.serving_company if card else None,
        )

    def companies(
        self, q: str, district: str | None = None, limit: int = 20, offset: int = 0
    ) -> CompanyPage:
        """Companies only: by name, USCC, or a compound they serve now (relevance × 0.9), with
        the search's notices (a USCC typed loosely cleaned, an unknown district, …)."""
        asked = notices.understood(q, self.words)
        best: dict[str, float] = {}
        names: dict[str, str] = {}
        # no words: every company (of `district`), as before notices
        hits = self._hits(asked.query, district, ("company", "compound")) if asked.search else []
        for h in hits:
            if h.kind == "company":
                best[h.key] = max(best.get(h.key, 0), h.relevance)
                names[h.key] = h.sort_name
            else:
                card = self.compound(h.key)
                serving = card.serving if card else None
                if serving is not None and (not district or serving.district == district):
                    best[serving.uscc] = max(best.get(serving.uscc, 0), round(h.relevance * 0.9, 4))
                    names[serving.uscc] = serving.name
        ranked = sorted(best, key=lambda u: (-best[u], names[u], u))
        items = [s for s in (self.summary(u) for u in ranked[offset : offset + limit]) if s]
        found = [finder.Hit("company", u, best[u], "name", names[u]) for u in ranked]
        return CompanyPage(
            items=items,
            total=len(ranked),
            page=offset // max(limit, 1) + 1,
            page_size=limit,
            truncated=offset + limit < len(ranked),
            notices=self._why(asked, q, district, found, []),
        )

    def districts(self) -> list[str]:
        """The districts a search may be narrowed to: those of the register's compounds and
        of the companies with a card."""
        index = self.data.index
        found = {k.district for k in index.compounds} | {c.district for c in index.companies}
        return sorted(d for d in found if d)


class WarehouseView(PublicView):
    """Cards assembled from the runs held in memory (built from the warehouse)."""

    def run_card(self, run_id: str, uscc: str) -> RunCard | None:
        return self.data.cards.get(run_id, {}).get(uscc)

    def listed(self, run_id: str) -> list[RunCard]:
        return [c for c in self.data.cards.get(run_id, {}).values() if c.red or c.black]

    def compound_doc(self, project_id: str) -> CompoundDoc | None:
        return self.data.compounds.get(project_id)

    def card(self, uscc: str, on: date | None = None) -> CompanyCard | None:
        return self.assemble(uscc, self.day(on))

    def has_card(self, uscc: str, day: date) -> bool:
        shown = self.shown(day)
        return any(uscc in self.data.cards.get(s.run_id, {}) for s in shown.values())

    def card_days(self, uscc: str) -> list[date]:
        history = self.data.disclosure
        days = {at.astimezone(self.zone).date() for at, _p, _r, _k in history.zone_events}
        for e in history.entries:
            if e.uscc == uscc:
                days |= {e.start, e.end()}
        for r in history.repairs:
            if r.uscc == uscc:
                days |= {r.applied_on} | ({r.decided_on} if r.decided_on else set())
        if self.data.book is not None:  # a public measure starting or ending changes the card
            days |= self.data.book.days(uscc, public_only=True)
        for doc in self.data.runs.values():  # the day after a publicity: `publicity.ended`
            if doc.publicity and doc.publicity.ends_on:
                days.add(date.fromisoformat(doc.publicity.ends_on) + timedelta(days=1))
        return sorted(days | self.hand_over_days(uscc))

    def hand_over_days(self, uscc: str) -> set[date]:
        """The day after each service of `uscc` ends: the card marks the compound 服务至…"""
        served = {p.project_id for run in self.data.cards.values() if uscc in run
                  for p in run[uscc].projects}  # fmt: skip
        return {
            date.fromisoformat(s.end) + timedelta(days=1)
            for pid in served
            if (doc := self.compound_doc(pid)) is not None
            for s in doc.services
            if s.uscc == uscc and s.end is not None
        }
