"""Why a search found nothing (or what it did with the query), in the pages' language, with a
stable code for machines (`SearchNotice`):

* an 18-character code: typed with spaces, dashes, lower case or full width, it is cleaned
  as the ingest cleans identifiers and searched as a USCC (`QUERY_NORMALISED`, saying what
  was changed); one that fails GB 32100-2015 is not searched (`USCC_INVALID`, saying which
  check character was expected);
* a company in the register without a published result (`COMPANY_NOT_RATED`: not rated in
  the newest period — no rated compound — or not in its rating), found by its USCC or a name
  as close as a company hit needs (0.8);
* a compound found that no company serves now (`COMPOUND_NOT_SERVED`: who served it until
  when, or when its registered service starts);
* a district that is not one of the register's (`DISTRICT_UNKNOWN`, naming those there are:
  filtering by it can find nothing, which is not "no match" for the words typed);
* a valid USCC nobody has (`COMPANY_NOT_FOUND`), else nothing at all (`NO_MATCH`) — or,
  while no result has been published at all, that (`NOTHING_PUBLISHED`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from rating.public import search as finder
from rating.public.data import CompoundDoc
from rating.public.problems import not_rated_message, uscc_problem
from rating.public.shapes import SearchHit, SearchNotice
from rating.public.text import PublicWords
from rating.uscc import as_typed, problem

NAME_MATCH = 0.8  # a company hit's bar for a name inside the query (`score_company`)


@dataclass(frozen=True)
class Asked:
    """A query as searched: `query` (a typed USCC cleaned), `search` False when a mistyped
    USCC must not be searched, and the notices saying so."""

    query: str
    search: bool = True
    notices: list[SearchNotice] = field(default_factory=list)


def understood(q: str, words: PublicWords) -> Asked:
    """`q` as searched: an 18-character code cleaned (`rating.uscc.as_typed`) and checked."""
    code, changes = as_typed(q)
    if len(code) != 18 or not code.isascii() or not code.isalnum():
        return Asked(q)
    wrong = problem(code)
    if wrong is not None and wrong.kind != "length":
        said = SearchNotice(
            code="USCC_INVALID",
            message=uscc_problem(wrong, words),
            found=wrong.found,
            expected=wrong.expected or None,
            reason=wrong.kind,
            changes=list(changes),
        )
        return Asked(code, search=False, notices=[said])
    if not changes:
        return Asked(code)
    how = words.join([_change(c, words) for c in changes])
    said = SearchNotice(
        code="QUERY_NORMALISED",
        message=words("Searched for the USCC {uscc} ({changes}).", uscc=code, changes=how),
        uscc=code,
        changes=list(changes),
    )
    return Asked(code, notices=[said])


def _change(kind: str, words: PublicWords) -> str:
    return {
        "fullwidth": words("full-width characters made half-width"),
        "space": words("spaces taken out"),
        "dash": words("dashes taken out"),
        "lower_case": words("lower-case letters made capitals"),
    }[kind]


def unrated(
    query: finder.Query, raw: str, index: finder.SearchIndex, words: PublicWords
) -> list[SearchNotice]:
    """Registered companies without a published result that `raw` names (USCC or name)."""
    found = []
    for k in index.unrated:
        relevance, _matched = finder.score_company(query, raw, k)
        exact = raw.strip().upper() == k.uscc
        if exact or (relevance >= NAME_MATCH and not finder.looks_like_uscc(raw)):
            found.append((-relevance, k.name, k))
    return [_not_rated(k, words) for _r, _n, k in sorted(found)[:3]]


def _not_rated(k: finder.UnratedCompany, words: PublicWords) -> SearchNotice:
    return SearchNotice(
        code="COMPANY_NOT_RATED",
        message=not_rated_message(k.name, k.uscc, k.reason, k.period, words),
        uscc=k.uscc,
        name=k.name,
        period=k.period,
        reason=k.reason,
    )


def not_served(hit: SearchHit, doc: CompoundDoc, day: date, words: PublicWords) -> SearchNotice:
    """Why no company is shown for a compound found: its last service ended, or the first
    has not started."""
    ended = [s for s in doc.services if s.end is not None and date.fromisoformat(s.end) < day]
    later = [s for s in doc.services if date.fromisoformat(s.start) > day]
    if ended:
        last = max(ended, key=lambda s: s.end or "")
        message = words(
            "No property company is registered as serving {name} now; {company} served it "
            "until {day}.",
            name=doc.name,
            company=last.company,
            day=words.day(last.end),
        )
    elif later:
        first = min(later, key=lambda s: s.start)
        message = words(
            "The registered service of {name} by {company} starts on {day}.",
            name=doc.name,
            company=first.company,
            day=words.day(first.start),
        )
    else:
        message = words("No property company is registered for {name}.", name=doc.name)
    return SearchNotice(
        code="COMPOUND_NOT_SERVED", message=message, project_id=hit.project_id, name=doc.name
    )


def unknown_district(district: str, known: list[str], words: PublicWords) -> SearchNotice:
    """`district` is none of `known` (the districts of the register's compounds and companies):
    `没有名为“火星区”的区（县、市）。可选：福山区、莱山区、芝罘区。`"""
    message = words(
        "There is no district called “{name}”. The districts are: {districts}.",
        name=district,
        districts=words.join(known),
    )
    if not known:
        message = words("There is no district called “{name}”.", name=district)
    return SearchNotice(
        code="DISTRICT_UNKNOWN", message=message, name=district, expected="、".join(known) or None
    )


def nothing_published(words: PublicWords) -> SearchNotice:
    """Nothing found because no rating has been published yet (an empty warehouse or
    snapshot): not the words typed."""
    return SearchNotice(
        code="NOTHING_PUBLISHED",
        message=words("No rating results have been published yet."),
    )


def nothing(asked: Asked, q: str, words: PublicWords) -> SearchNotice:
    """Nothing found and nothing else to say: a valid USCC nobody has, or no match at all."""
    if finder.looks_like_uscc(asked.query) and len(asked.query) == 18:
        return SearchNotice(
            code="COMPANY_NOT_FOUND",
            message=words(
                "No company with the USCC {uscc} is in the published results or the company "
                "register.",
                uscc=asked.query,
            ),
            uscc=asked.query,
        )
    return SearchNotice(
        code="NO_MATCH",
        message=words(
            "Nothing matches “{q}”. Try part of the name, the road of the address, or the "
            "company's name.",
            q=q.strip(),
        ),
    )
