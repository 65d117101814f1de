"""Answering the public: cards, compounds, lists, search — for any day, from the snapshot.

Visibility comes from the ledger (`rating.audit.disclosure`): a run is shown *proposed* from the
start of its publicity (when its rule set says so) and *published* from its publication; a
black-list entry shows from the publication that started it until its maximum duration or an
approved credit repair. A day `D` means the end of that day in the bureau's time zone; no day
means today. `PublicView` holds the logic; `WarehouseView` assembles cards from the runs held in
memory, `rating.public.static.StaticView` reads them from the snapshot directory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from rating.audit.disclosure import Shown
from rating.consequences.words import KIND_NAMES
from rating.public import search as finder
from rating.public.data import CompoundDoc, PublicData, RunCard
from rating.public.shapes import (
    CompanyCard,
    CompanyPage,
    CompanySummary,
    CompoundCard,
    CompoundGrade,
    Current,
    HistoryEntry,
    ListEntry,
    Listing,
    ListPage,
    Period,
    PublicMeasure,
    SearchHit,
    SearchPage,
)
from rating.public.text import PublicWords


class PublicView(ABC):
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
        )

    def public_listing(self, card: RunCard, shown: Shown, day: date) -> Listing | None:
        """Whether `card` shows on the black list at the end of `day`, and on which ground."""
        doc = self.data.runs[shown.run_id]
        entry = self.data.disclosure.entry(card.uscc, day) if shown.status == "published" else None
        if (shown.status == "published" and entry is None) or not card.black:
            return None
        grounds: list[str] = []
        reasons = []
        if card.veto_items:
            grounds.append("veto")
            reasons.append(self.words.veto_reason(card.veto_items))
        needed = doc.streak_needed
        if needed and len(card.streak) >= needed and card.grade == doc.lowest:
            grounds.append("streak")
            reasons.append(self.words.streak_reason(doc.lowest, card.streak[-needed:]))
        legend = self.data.legends[doc.ruleset]
        repair = None
        if entry is not None:
            states = [
                (r.applied_on, r.state_on(day))
                for r in self.data.disclosure.repairs
                if r.entry_id == entry.entry_id and r.state_on(day) in ("pending", "rejected")
            ]
            repair = max(states) if states else None
        return Listing(
            grounds=grounds,  # type: ignore[arg-type]
            veto_items=card.veto_items,
            streak=card.streak[-needed:] if "streak" in grounds and needed else [],
            reason="；".join(reasons) or (legend.black or ""),
            clause=legend.black_clause or "",
            since=entry.start.isoformat() if entry else None,
            earliest_removal=entry.min_until.isoformat() if entry else None,
            latest_expiry=entry.end().isoformat() if entry else None,
            safety=entry.safety if entry else False,
            repair=repair[1] if repair else None,  # type: ignore[arg-type]
            repair_applied_on=repair[0].isoformat() if repair else None,
        )

    def assemble(self, uscc: str, day: date) -> CompanyCard | None:
        """A card from the runs' pieces (`run_card`), as visible at the end of `day`."""
        shown = self.shown(day)
        visible = []
        for period in sorted(shown):
            piece = self.run_card(shown[period].run_id, uscc)
            if piece is not None:
                visible.append(
                    (piece, shown[period], self.public_listing(piece, shown[period], day))
                )
        if not visible:
            return None
        latest, status, listing = visible[-1]
        doc = self.data.runs[status.run_id]
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
                score=latest.score,
                red=latest.red,
                black=listing is not None,
                list_reason=listing.reason if listing else None,
                listing=listing,
                streak=latest.grade_streak,
            ),
            reasons=latest.reasons,
            projects=latest.projects,
            history=[
                HistoryEntry(
                    period=c.period,
                    status=s.status,  # type: ignore[arg-type]
                    grade=c.grade,
                    score=c.score,
                    red=c.red,
                    black=listing_ is not None,
                )
                for c, s, listing_ in visible
            ],
            measures=self.measures(uscc, day),
            path=latest.path,
            provenance=doc.provenance,  # type: ignore[arg-type]
        )

    def measures(self, uscc: str, day: date) -> list[PublicMeasure]:
        """The public measures in force for `uscc` at the end of `day`, from published runs:
        what, for which project, until when, on which clause (`rating.consequences`)."""
        book = self.data.book
        if book is None:
            return []
        return [
            PublicMeasure(
                kind=x.kind,
                kind_name=KIND_NAMES[x.kind],
                text=x.text,
                project_id=x.project_id,
                project_name=x.project_name,
                until=x.span.text,
                ends=x.span.ends.isoformat() if x.span.ends else None,
                clauses=sorted({m["clause"] for m in x.measures}),
                points=float(x.values["points"]) if "points" in x.values else None,
                excluded=x.values.get("excluded"),
            )
            for x in book.in_force(uscc, day, public_only=True)
        ]

    @abstractmethod
    def run_card(self, run_id: str, uscc: str) -> RunCard | None:
        """One company's piece of one run."""

    @abstractmethod
    def listed(self, run_id: str) -> list[RunCard]:
        """The pieces of a run's red- and black-listed companies."""

    @abstractmethod
    def compound_doc(self, project_id: str) -> CompoundDoc | None: ...

    # ------------------------------------------------------------- lists
    def list_page(
        self,
        kind: str,
        period: str | None = None,
        on: date | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> ListPage:
        """A period's red or black list as visible on `on`; no period: the latest period's,
        except for the black list, which without a period is every entry in force."""
        day = self.day(on)
        shown = self.shown(day)
        members: list[ListEntry] = []
        if kind == "black" and period is None:
            for entry in self.data.disclosure.active(day):
                piece = self.run_card(entry.run_id, entry.uscc)
                if piece is not None:
                    members.append(self._entry(piece, Shown(entry.run_id, "published"), day, kind))
            ruleset = max((self.data.runs[s.run_id].ruleset for s in shown.values()), default=None)
        else:
            period = period or (max(shown) if shown else None)
            if period is not None and period in shown:
                for piece in self.listed(shown[period].run_id):
                    row = self._entry(piece, shown[period], day, kind)
                    if (kind == "red" and piece.red) or (kind == "black" and row.listing):
                        members.append(row)
            ruleset = self.data.runs[shown[period].run_id].ruleset if period in shown else None
        members.sort(key=lambda m: (m.name, m.uscc))
        legend = self.data.legends.get(ruleset or "")
        title = (legend.red if kind == "red" else legend.black) if legend else None
        clause = (legend.red_clause if kind == "red" else legend.black_clause) if legend else None
        return ListPage(
            list=kind,  # type: ignore[arg-type]
            period=period,
            as_of=day.isoformat(),
            title=title or "",
            clause=clause or "",
            items=members[offset : offset + limit],
            total=len(members),
            page=offset // max(limit, 1) + 1,
            page_size=limit,
            truncated=offset + limit < len(members),
        )

    def _entry(self, piece: RunCard, shown: Shown, day: date, kind: str) -> ListEntry:
        listing = self.public_listing(piece, shown, day)
        return ListEntry(
            uscc=piece.uscc,
            name=piece.name,
            district=piece.district,
            grade=piece.grade,
            score=piece.score,
            period=piece.period,
            status=shown.status,  # type: ignore[arg-type]
            reason=listing.reason if listing and kind == "black" else None,
            listing=listing if kind == "black" else None,
        )

    # ------------------------------------------------------------- compounds
    def compound(self, project_id: str, on: date | None = None) -> CompoundCard | None:
        doc = self.compound_doc(project_id)
        if doc is None:
            return None
        day = self.day(on)
        services = [s for s in doc.services if date.fromisoformat(s.start) <= day]
        if not services:
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
        )

    # ------------------------------------------------------------- search
    def _query(self, q: str) -> finder.Query:
        index = self.data.index
        return finder.normalise_query(q.strip(), index.places, tuple(index.place_names))

    def _hits(self, q: str, district: str | None, kinds: tuple[str, ...]) -> list[finder.Hit]:
        index, today = self.data.index, self.today()
        hits: list[finder.Hit] = []
        query = self._query(q) if q.strip() else None
        if "compound" in kinds and query is not None:
            for k in index.compounds:
                if district and k.district != district:
                    continue
                relevance, matched = finder.score_compound(query, k)
                if relevance > 0:
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
        """Compounds and companies matching `q`, by relevance (see `rating.public.search`)."""
        hits = self._hits(q, district, ("compound", "company")) if q.strip() or district else []
        page = hits[offset : offset + limit]
        return SearchPage(
            items=[self._hit(h) for h in page],
            total=len(hits),
            page=offset // max(limit, 1) + 1,
            page_size=limit,
            truncated=offset + limit < len(hits),
        )

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
        """Companies only: by name, USCC, or a compound they serve now (relevance × 0.9)."""
        best: dict[str, float] = {}
        names: dict[str, str] = {}
        for h in self._hits(q, district, ("company", "compound")):
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
        return CompanyPage(
            items=items,
            total=len(ranked),
            page=offset // max(limit, 1) + 1,
            page_size=limit,
            truncated=offset + limit < len(ranked),
        )

    def districts(self) -> list[str]:
        return sorted({k.district for k in self.data.index.compounds if k.district})


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
        return sorted(days)
