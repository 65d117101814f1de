"""A company's measures in force on a day, proposed by a run, or asked for by a tender.

Each published run is a decision; its matched measures run from `starts_months` after the
publication day until the next results are published (`next_rating`), for some months, for
as long as the black-list entry lasts (`listing`), or for good (`open`). On a day, every
measure of every published run whose span holds the day is in force; measures setting the
same thing combine to the strictest (`rating.ruleset.consequence_logic.combine`). A run not
yet published *proposes* its measures, starting on its publication.

`Book` holds what this needs for every published run at once (one matching statement per
run), so the public snapshot answers cards and tender lookups without a query per request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from rating.audit.disclosure import Entry, History, history
from rating.calendar import add_months
from rating.consequences.basis import Basis, basis_of, published_bases
from rating.consequences.matching import Match, match
from rating.consequences.measure_words import Words, combined_text, kind_name, span_words
from rating.ruleset.consequence_logic import combine
from rating.ruleset.consequences import Measure
from rating.sql import rows


@dataclass(frozen=True)
class Span:
    """When a measure applies: from `starts` up to the day before `ends` (None: open)."""

    starts: date | None  # None: proposed (starts on publication)
    ends: date | None
    lasts: str  # next_rating, listing, open or months
    text: str  # in words, e.g. 至下次评价结果公布 / 2027年3月31日止

    def holds(self, on: date) -> bool:
        return (
            self.starts is not None and self.starts <= on and (self.ends is None or on < self.ends)
        )


def _proposed_span(m: Measure, b: Basis, w: Words) -> Span:
    t = span_words(w)
    start = (
        t["from_publication"]
        if not m.starts_months
        else t["months_after"].format(months=m.starts_months)
    )
    durations = b.ruleset.definition.disclosure.black_list
    texts = {
        "next_rating": t["next_rating"].format(start=start),
        "open": t["open"].format(start=start),
        "listing": t["listing_proposed"].format(
            start=start, min=durations.min_months, max=durations.max_months
        ),
    }
    lasts = m.lasts if isinstance(m.lasts, str) else "months"
    fallback = t["months"].format(start=start, months=m.lasts)
    return Span(None, None, lasts, texts.get(lasts, fallback))


def span(m: Measure, b: Basis, entry: Entry | None, w: Words | None = None) -> Span:
    """The span of measure `m` decided by run `b` (the black-list `entry` for `listing`),
    its words in `w`'s language (Chinese by default)."""
    w = w or Words()
    if b.decided_on is None:
        return _proposed_span(m, b, w)
    t, day = span_words(w), w.day
    starts = add_months(b.decided_on, m.starts_months)
    if isinstance(m.lasts, int):
        ends = add_months(starts, m.lasts)
        return Span(starts, ends, "months", t["between"].format(starts=day(starts), ends=day(ends)))
    if m.lasts == "open":
        return Span(starts, None, "open", t["open_from"].format(starts=day(starts)))
    if m.lasts == "listing" and entry is not None:
        starts = add_months(entry.start, m.starts_months)
        if entry.ended_on is not None and entry.ended_on < entry.max_until:
            text = t["until_off"].format(ends=day(entry.ended_on))
            return Span(starts, entry.ended_on, "listing", text)
        text = t["listing"].format(min_until=day(entry.min_until), max_until=day(entry.max_until))
        return Span(starts, entry.max_until, "listing", text)
    if b.next_on is not None:
        text = t["between"].format(starts=day(starts), ends=day(b.next_on))
        return Span(starts, b.next_on, "next_rating", text)
    return Span(starts, None, "next_rating", t["next_from"].format(starts=day(starts)))


def served(s: Span, until: date | None, w: Words) -> Span:
    """Span `s` of a project's measure cut at the last day the company serves the project
    (`until`, from `rating.consequences.matching`): the measure ends with the service, and
    never starts when the project was handed over before it would."""
    if until is None or s.starts is None:
        return s
    ends = until + timedelta(days=1)
    if s.ends is not None and s.ends <= ends:
        return s
    text = span_words(w)["between"].format(starts=w.day(s.starts), ends=w.day(ends))
    return Span(s.starts, ends, s.lasts, text)


@dataclass
class Line:
    """One measure (or several setting the same thing, the strictest shown) for a company
    or one of its projects, with where it comes from and its span."""

    key: str
    kind: str
    text: str
    scope: str  # company | project
    project_id: str | None
    project_name: str | None
    public: bool
    span: Span
    proposed: bool
    measures: list[dict[str, Any]] = field(default_factory=list)  # id, title, clause, run …
    values: dict[str, Any] = field(default_factory=dict)
    kind_name: str = ""  # the kind in the reader's language (评优评先 / honours and awards)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "kind_name": self.kind_name or self.kind,
            "text": self.text,
            "scope": self.scope,
            "project_id": self.project_id,
            "project_name": self.project_name,
            "public": self.public,
            "proposed": self.proposed,
            "starts": self.span.starts,
            "ends": self.span.ends,
            "lasts": self.span.lasts,
            "until": self.span.text,
            **self.values,
            "measures": self.measures,
        }


@dataclass(frozen=True)
class Hit:
    """A matched measure of one run with its span."""

    measure: Measure
    basis: Basis
    project_id: str | None
    span: Span


def _values(m: Measure, per_year: Decimal | None, sampling: Decimal | None) -> dict[str, Any]:
    found = {
        "level": m.level,
        "per_year": per_year,
        "sampling": sampling,
        "tier": m.tier,
        "points": m.points,
        "excluded": m.excluded or None,
        "honours": m.honours,
    }
    return {k: v for k, v in found.items() if v is not None}


def lines_of(hits: list[Hit], names: dict[str, str], w: Words | None = None) -> list[Line]:
    """Hits combined per scope (the company, each project) and key: the strictest wins; the
    texts in `w`'s language (Chinese by default), the sources in the rule set's words."""
    w = w or Words()
    groups: dict[str | None, list[Hit]] = defaultdict(list)
    for h in hits:
        groups[h.project_id].append(h)
    out = []
    for project_id in sorted(groups, key=lambda p: (p is not None, p or "")):
        group = groups[project_id]
        table = group[0].basis.table
        for c in combine((h.measure for h in group), table):
            deciding = [h for h in group if h.measure in c.deciding]
            last = max(deciding, key=lambda h: (h.span.ends is None, h.span.ends or date.min))
            out.append(
                Line(
                    key=c.key,
                    kind=c.first.kind,
                    text=combined_text(w, c),
                    scope="company" if project_id is None else "project",
                    project_id=project_id,
                    project_name=names.get(project_id or ""),
                    public=any(h.measure.public for h in deciding),
                    span=last.span,
                    proposed=last.basis.proposed,
                    measures=[_source(h) for h in deciding],
                    values=_values(c.first, c.per_year, c.sampling),
                    kind_name=kind_name(w, c.first.kind),
                )
            )
    # A project's line that says what its company's says adds nothing: shown once.
    company = {(line.key, line.text) for line in out if line.scope == "company"}
    return [x for x in out if x.scope == "company" or (x.key, x.text) not in company]


def _source(h: Hit) -> dict[str, Any]:
    m = h.measure
    return {
        "id": m.id,
        "title": m.title,
        "clause": m.clause,
        "design_choice": m.design_choice,
        "run_id": h.basis.run_id,
        "period": h.basis.period,
        "rules": h.basis.ruleset.ref,
    }


@dataclass
class Book:
    """Matched measures of a set of runs, ready to answer per company and day."""

    disclosure: History
    bases: list[Basis]
    matches: dict[str, dict[str, list[Match]]] = field(default_factory=dict)  # run → uscc → …
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # run → project → name
    grades: dict[str, dict[str, str]] = field(default_factory=dict)  # run → rated uscc → grade
    words: Words = field(default_factory=Words)  # the texts' language (Chinese by default)
    # (run, uscc) → its hits: a snapshot asks the same company on every day its card changes
    _hits: dict[tuple[str, str], list[Hit]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        con: duckdb.DuckDBPyConnection,
        bases: list[Basis],
        disclosure: History,
        uscc: str | None = None,
        language: str = "zh",
    ) -> Book:
        """Match every run of `bases` at once (only `uscc` when given); texts in `language`."""
        book = cls(disclosure, bases, words=Words(language))
        for b in bases:
            on = b.decided_on
            listed = {e.uscc for e in disclosure.active(on)} if on is not None else set()
            per: dict[str, list[Match]] = defaultdict(list)
            for found in match(con, b, uscc=uscc, listed=listed):
                per[found.uscc].append(found)
            book.matches[b.run_id] = dict(per)
            book.grades[b.run_id] = dict(
                rows(
                    con,
                    """SELECT uscc, grade FROM run_companies
                       WHERE run_id = $run AND rated AND ($u IS NULL OR uscc = $u)""",
                    {"run": b.run_id, "u": uscc},
                )
            )
            book.names[b.run_id] = dict(
                rows(
                    con,
                    """SELECT project_id, any_value(project_name) FROM run_projects
                       WHERE run_id = $run AND ($u IS NULL OR company_uscc = $u) GROUP BY ALL""",
                    {"run": b.run_id, "u": uscc},
                )
            )
        return book

    def hits(self, b: Basis, uscc: str) -> list[Hit]:
        """The measures run `b` sets for `uscc` (computed once per run and company)."""
        key = (b.run_id, uscc)
        if key not in self._hits:
            self._hits[key] = self._hits_of(b, uscc)
        return self._hits[key]

    def _hits_of(self, b: Basis, uscc: str) -> list[Hit]:
        by_id = {m.id: m for m in b.table.measures}
        on = b.decided_on
        entry = self.disclosure.entry(uscc, on) if on is not None else None
        return [
            Hit(
                by_id[f.measure_id],
                b,
                f.project_id,
                served(span(by_id[f.measure_id], b, entry, self.words), f.served_until, self.words),
            )
            for f in self.matches.get(b.run_id, {}).get(uscc, [])
        ]

    def in_force(self, uscc: str, on: date, public_only: bool = False) -> list[Line]:
        """The measures in force for `uscc` at the end of day `on`, from published runs."""
        hits = [
            h
            for b in self.bases
            if b.decided_on is not None and b.decided_on <= on
            for h in self.hits(b, uscc)
            if h.span.holds(on) and (h.measure.public or not public_only)
        ]
        # only the hits' projects, the newest run's name winning: merging every run's names on
        # each call cost 23 ms a card on a 25,000-compound city (the snapshot asks ~50,000 cards)
        names: dict[str, str] = {}
        for b in self.bases:
            known = self.names.get(b.run_id, {})
            names.update((h.project_id, known[h.project_id]) for h in hits if h.project_id in known)
        return lines_of(hits, names, self.words)

    def days(self, uscc: str, public_only: bool = False) -> set[date]:
        """The days a measure of `uscc` starts or ends (what is in force changes only then)."""
        return {
            d
            for b in self.bases
            for h in self.hits(b, uscc)
            if h.measure.public or not public_only
            for d in (h.span.starts, h.span.ends)
            if d is not None
        }

    def of_run(self, b: Basis, uscc: str, public_only: bool = False) -> list[Line]:
        """What run `b` decides (or proposes) for `uscc`, whatever the day."""
        hits = [h for h in self.hits(b, uscc) if h.measure.public or not public_only]
        return lines_of(hits, self.names.get(b.run_id, {}), self.words)


def company_book(
    con: duckdb.DuckDBPyConnection, uscc: str, run_id: str | None = None, language: str = "zh"
) -> Book:
    """A book of every published run (and the run named, if unpublished) for one company,
    its texts in `language`."""
    disclosure = history(con)
    bases = published_bases(con, disclosure)
    if run_id is not None and all(b.run_id != run_id for b in bases):
        bases.append(basis_of(con, run_id, disclosure))
    return Book.build(con, bases, disclosure, uscc=uscc, language=language)
