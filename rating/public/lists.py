"""The red and black lists as the public sees them, and the rule behind every badge: in force
(现行) is what a publication made so — the black list: the entries publications started and
nothing ended; the red list: the latest published period's — and what a period in publicity
(公示) proposes is shown apart, 公示中（拟列入）, with its last day and the last day to object
(docs/decisions/0012-public-in-force.md). `PublicView` (`rating.public.snapshot`) is one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date
from zoneinfo import ZoneInfo

from rating.audit.disclosure import Entry, Shown
from rating.consequences.basis import next_publication
from rating.public.data import PublicData, RunCard
from rating.public.shapes import (
    ListEntry,
    Listing,
    ListPage,
    Proposal,
    ProposedList,
    Publicity,
    RedListing,
)
from rating.public.text import PublicWords


def condition(title: str) -> str:
    """A list's condition as its rule-set title words it: `红名单: 信用优秀(AAA)且无不良信用信息`
    → `信用优秀(AAA)且无不良信用信息` (the whole title when it names no list before a colon)."""
    for colon in (":", "："):
        name, found, rest = title.partition(colon)
        if found and rest.strip() and len(name) <= 12:
            return rest.strip()
    return title


class Lists(ABC):
    """Listings, proposals and list pages over the disclosed runs' pieces."""

    data: PublicData
    words: PublicWords

    @abstractmethod
    def day(self, on: date | None) -> date: ...

    @abstractmethod
    def shown(self, day: date) -> dict[str, Shown]: ...

    @abstractmethod
    def run_card(self, run_id: str, uscc: str) -> RunCard | None:
        """One company's piece of one run."""

    @abstractmethod
    def listed(self, run_id: str) -> list[RunCard]:
        """The pieces of a run's red- and black-listed companies."""

    def _listing(self, piece: RunCard, run_id: str, day: date, entry: Entry | None) -> Listing:
        """The black listing `piece` (of run `run_id`) states: its ground(s) in plain words;
        with `entry` (the black-list entry of a publication) its dates and credit repair,
        without it a proposal."""
        doc = self.data.runs[run_id]
        grounds: list[str] = []
        reasons = []
        if piece.veto_items:
            grounds.append("veto")
            reasons.append(self.words.veto_reason(piece.veto_items))
        needed = doc.streak_needed
        if needed and len(piece.streak) >= needed and piece.grade == doc.lowest:
            grounds.append("streak")
            reasons.append(self.words.streak_reason(doc.lowest, piece.streak[-needed:]))
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
            veto_items=piece.veto_items,
            streak=piece.streak[-needed:] if "streak" in grounds and needed else [],
            reason="；".join(reasons) or (legend.black or ""),
            clause=legend.black_clause or "",
            period=piece.period,
            grade=piece.grade,
            since=entry.start.isoformat() if entry else None,
            earliest_removal=entry.min_until.isoformat() if entry else None,
            latest_expiry=entry.end().isoformat() if entry else None,
            safety=entry.safety if entry else False,
            repair=repair[1] if repair else None,  # type: ignore[arg-type]
            repair_applied_on=repair[0].isoformat() if repair else None,
        )

    def red_listing(self, piece: RunCard, run_id: str, day: date) -> RedListing:
        """The red listing `piece` (of run `run_id`) states at the end of `day`: the list's
        condition in the rule set's public words (its title without the list's name) and
        basis; published, from the run's publication day until the next publication of its
        period or a later one (the red list in force is the latest published period's,
        decision 0012), or, while there is none, until there is; proposed, no dates."""
        legend = self.data.legends.get(self.data.runs[run_id].ruleset)
        title = (legend.red if legend else None) or ""
        zone = ZoneInfo(self.data.zone)
        pubs = [
            (at.astimezone(zone).date(), p, r)
            for at, p, r, kind in self.data.disclosure.zone_events
            if kind == "published" and at.astimezone(zone).date() <= day
        ]
        since = next((d for d, _p, r in pubs if r == run_id), None)
        until = next_publication(pubs, run_id, piece.period) if since else None
        published = sorted({p for _d, p, _r in pubs})
        return RedListing(
            period=piece.period,
            grade=piece.grade,
            reason=condition(title),
            clause=(legend.red_clause if legend else None) or "",
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
            until_text=self.words.day(until)
            if until
            else self.words("until the next period's results are published"),
            in_force=since is not None and until is None and published[-1] == piece.period,
        )

    def in_force_listing(self, uscc: str, day: date) -> Listing | None:
        """The black listing in force at the end of `day`: an entry started by a publication
        and not ended (maximum reached, credit repair approved); its ground is the listing run's."""
        entry = self.data.disclosure.entry(uscc, day)
        piece = self.run_card(entry.run_id, uscc) if entry else None
        return self._listing(piece, entry.run_id, day, entry) if piece and entry else None

    def proposals(self, piece: RunCard, shown: Shown, day: date) -> list[Proposal]:
        """The lists a run in publicity proposes `piece` for (公示中（拟列入）); a company already
        on the black list in force is not proposed for it again."""
        doc = self.data.runs[shown.run_id]
        if shown.status != "proposed":
            return []
        publicity = (doc.publicity or Publicity(period=doc.period)).on(day)
        legend = self.data.legends[doc.ruleset]
        out = []
        if piece.red:
            out.append(Proposal(kind="red", publicity=publicity, clause=legend.red_clause or ""))
        if piece.black and self.data.disclosure.entry(piece.uscc, day) is None:
            reason = self._listing(piece, shown.run_id, day, None).reason
            out.append(
                Proposal(
                    kind="black",
                    publicity=publicity,
                    reason=reason,
                    clause=legend.black_clause or "",
                )
            )
        return out

    def list_page(
        self,
        kind: str,
        period: str | None = None,
        on: date | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> ListPage:
        """A red or black list as visible at the end of `on`. Without a period, the list in
        force — the black list: every entry of a publication not ended; the red list: the
        latest published period's — with, apart (`proposed`), who a period in publicity
        proposes for it. With a period, that period's list (proposed while in publicity)."""
        day = self.day(on)
        shown = self.shown(day)
        published = [p for p in sorted(shown) if shown[p].status == "published"]
        in_publicity = [p for p in sorted(shown) if shown[p].status == "proposed"]
        proposed: ProposedList | None = None
        current = period is None
        if period is None:
            if kind == "black":
                members = [
                    m
                    for e in self.data.disclosure.active(day)
                    if (m := self._in_force_entry(e.uscc, e.run_id, day)) is not None
                ]
            else:
                period = published[-1] if published else None
                members = self._members(kind, period, shown, day) if period else []
            if in_publicity:
                proposed = self._proposed(kind, shown[in_publicity[-1]], day)
            rulesets = [self.data.runs[shown[p].run_id].ruleset for p in published]
            ruleset = max(rulesets, default=None)
        else:
            members = self._members(kind, period, shown, day) if period in shown else []
            ruleset = self.data.runs[shown[period].run_id].ruleset if period in shown else None
        members.sort(key=lambda m: (m.name, m.uscc))
        legend = self.data.legends.get(ruleset or "")
        title = (legend.red if kind == "red" else legend.black) if legend else None
        clause = (legend.red_clause if kind == "red" else legend.black_clause) if legend else None
        status = shown[period] if period in shown else None
        return ListPage(
            list=kind,  # type: ignore[arg-type]
            period=period,
            as_of=day.isoformat(),
            current=current,
            in_force=status is None or status.status == "published",
            publicity=self._publicity(status, day),
            proposed=proposed,
            title=title or "",
            clause=clause or "",
            items=members[offset : offset + limit],
            total=len(members),
            page=offset // max(limit, 1) + 1,
            page_size=limit,
            truncated=offset + limit < len(members),
        )

    def _publicity(self, shown: Shown | None, day: date) -> Publicity | None:
        """The publicity of a run in it, as seen at the end of `day` (`ended` once over)."""
        if shown is None or shown.status != "proposed":
            return None
        doc = self.data.runs[shown.run_id]
        return (doc.publicity or Publicity(period=doc.period)).on(day)

    def _members(
        self, kind: str, period: str, shown: dict[str, Shown], day: date
    ) -> list[ListEntry]:
        """A period's list: published, who it listed (the black list: while the entry lasts);
        in publicity, who it proposes."""
        run = shown[period]
        out = []
        for piece in self.listed(run.run_id):
            if kind == "red" and piece.red:
                out.append(self._red_entry(piece, run, day))
            elif kind == "black" and piece.black:
                if (entry := self.data.disclosure.entry(piece.uscc, day)) is not None:
                    # A company listed earlier and still on the list: the grade, period and
                    # score at listing are the listing run's, never this period's.
                    found = self._in_force_entry(piece.uscc, entry.run_id, day)
                    out += [found] if found is not None else []
                elif run.status == "proposed":
                    listing = self._listing(piece, run.run_id, day, None)
                    out.append(self._entry(piece, run, kind, listing))
        return out

    def _proposed(self, kind: str, run: Shown, day: date) -> ProposedList:
        """Who a run in publicity proposes for the list, beside the list in force (a company on
        the black list in force already is not proposed again)."""
        items = []
        for piece in self.listed(run.run_id):
            for p in self.proposals(piece, run, day):
                if p.kind == "red" == kind:
                    items.append(self._red_entry(piece, run, day))
                elif p.kind == kind:
                    listing = self._listing(piece, run.run_id, day, None)
                    items.append(self._entry(piece, run, kind, listing))
        items.sort(key=lambda m: (m.name, m.uscc))
        found = self._publicity(run, day) or Publicity(period="")
        return ProposedList(publicity=found, items=items)

    def _in_force_entry(self, uscc: str, run_id: str, day: date) -> ListEntry | None:
        piece = self.run_card(run_id, uscc)
        listing = self.in_force_listing(uscc, day)
        if piece is None or listing is None:
            return None
        return self._entry(piece, Shown(run_id, "published"), "black", listing)

    def _red_entry(self, piece: RunCard, shown: Shown, day: date) -> ListEntry:
        red = self.red_listing(piece, shown.run_id, day)
        entry = self._entry(piece, shown, "red", None)
        return entry.model_copy(update={"reason": red.reason, "red_listing": red})

    def _entry(self, piece: RunCard, shown: Shown, kind: str, listing: Listing | None) -> ListEntry:
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
