"""The way back up: the smallest changes in what the rule set counts that would move a company
up one grade, or off the black list, at the next run (`remedy`), and the same for every
company below the standard grade or on the black list (`below_standard`).

The search is `rating.consequences.remedy_search` (levers, checked by recomputing the grade
with `rating.consequences.whatif`); its words `rating.consequences.remedy_words` (Chinese by
default, English with language "en"); its shapes `rating.consequences.remedy_shapes`.
A black-list entry also has a minimum listing time: the company cannot leave before it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from rating.audit.disclosure import History, history
from rating.consequences import remedy_search as search
from rating.consequences import remedy_words as words
from rating.consequences.remedy_shapes import Change, Goal, Option, Remedy
from rating.consequences.remedy_words import PathWords, goal_lines
from rating.consequences.whatif import Company, load_company, require_rated
from rating.engine import explainer
from rating.engine.shapes import RunRow
from rating.periods import Period

__all__ = ["Change", "Goal", "Option", "Remedy", "goal_lines", "remedy"]


def _listing(
    company: Company, today: date, w: PathWords, disclosure: History
) -> dict[str, Any] | None:
    """The black-list entry's dates and the way off it (None when not black-listed): listed by
    this run, or by an earlier publication whose entry is still in force on `today` (a
    company graded B now stays listed until its minimum listing time and credit repair)."""
    entry = disclosure.entry(company.uscc, today)
    if not company.row["black"] and entry is None:
        return None
    durations = company.ruleset.definition.disclosure.black_list
    text = words.listing_text(w, durations, entry)
    if entry is None:
        return {"published": False, "text": text}
    return {
        "published": True,
        "entry_id": entry.entry_id,
        "start": entry.start,
        "min_until": entry.min_until,
        "max_until": entry.max_until,
        "by_this_run": bool(company.row["black"]),
        "text": text,
    }


def as_of_run(disclosure: History, period: Period) -> History:
    """The ledger as a run of `period` knows it: black-list entries made by runs of periods
    after it are left out (a path for run 2025Q4-01 never shows a listing that started with
    a 2026 run), those of its own and earlier periods kept."""
    from dataclasses import replace

    kept = [e for e in disclosure.entries if Period.parse(e.period).end <= period.end]
    return replace(disclosure, entries=kept)


def remedy(
    con: duckdb.DuckDBPyConnection,
    uscc: str,
    run_id: str | None = None,
    today: date | None = None,
    max_options: int = 3,
    language: str = "zh",
) -> Remedy:
    """The way back up for `uscc` in `run_id` (default: the latest run), its words in
    `language` (zh or en). Raises NotFoundError RUN_NOT_FOUND / COMPANY_NOT_FOUND /
    COMPANY_NOT_RATED."""
    info = explainer.run_row(con, run_id)
    company = load_company(con, info["run_id"], uscc)
    require_rated(company)
    return remedy_of(con, company, info, today, max_options, language)


def remedy_of(
    con: duckdb.DuckDBPyConnection,
    company: Company,
    info: RunRow,
    today: date | None,
    max_options: int,
    language: str,
    disclosure: History | None = None,
) -> Remedy:
    """`remedy` for a company already loaded from run `info` (`disclosure`: the ledger's
    history, read when not given)."""
    w = PathWords(language)
    period = Period.parse(info["period"])
    s = search.Search(con, company, period, w)
    levers, notes = search.levers(company, w)
    out = Remedy(
        company.uscc,
        company.row.get("name"),
        info["run_id"],
        info["period"],
        info["ruleset"],
        company.row["grade"],
        company.row["score"],
        bool(company.row["black"]),
        notes=notes,
        language=w.language,
    )
    if company.ruleset.definition.grade_order.index(company.row["grade"]) > 0:
        out.goals.append(search.goal(s, "up", levers, max_options))
    if company.row["black"]:
        out.goals.append(search.goal(s, "off_black", levers, max_options))
    known = as_of_run(disclosure or history(con), period)
    out.listing = _listing(company, today or period.end, w, known)
    if out.listing is not None and not company.row["black"]:
        # Listed by an earlier publication, not by this run: no record of this run keeps it
        # there, so there is nothing to lift — only the listing time and credit repair.
        out.black = True
        out.notes.append(words.listed_earlier_note(w, out.listing["entry_id"].split(":")[0]))
    out.notes.append(words.basis_note(w))
    return out
