"""The way back up on the public card, where the bureau enables it (`[consequences]
public_path = true`): for each disclosed run of such a rule set, every company below
standard or black-listed gets its goals and options in the snapshot's language — without
record ids (the public sees what must change, not whose complaint) — its minimum listing
time and the earliest day it can come back (`rating.consequences.paths`).
"""

from __future__ import annotations

from datetime import date

import duckdb

from rating.audit.disclosure import History
from rating.consequences import remedy_words as words
from rating.consequences.paths import below_grades, below_usccs, earliest_day
from rating.consequences.remedy import remedy_of
from rating.consequences.remedy_words import PathWords
from rating.consequences.whatif import load_company
from rating.engine import explainer
from rating.public.shapes import PathGoal, PublicPath
from rating.ruleset.definition import RuleSet


def public_paths(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    rs: RuleSet,
    shown_on: date,
    disclosure: History,
    language: str,
) -> dict[str, PublicPath]:
    """uscc → the way back up for run `run_id` (disclosed on `shown_on`); empty unless the
    rule set's `[consequences] public_path` is true."""
    if rs.consequences is None or not rs.consequences.public_path:
        return {}
    info = explainer.run_row(con, run_id)
    w = PathWords(language)
    out = {}
    for uscc in below_usccs(con, run_id, below_grades(rs)):
        company = load_company(con, run_id, uscc)
        found = remedy_of(con, company, info, shown_on, 3, language, disclosure)
        _day, earliest = earliest_day(found, w)
        out[uscc] = PublicPath(
            period=found.period,
            run_id=run_id,
            ruleset=found.rules,
            goals=[
                PathGoal(
                    aim=g.aim,
                    reachable=g.reachable,
                    options=[words.option_text(w, o, keys=False) for o in g.options],
                    notes=[g.text] if not g.reachable else [],
                )
                for g in found.goals
            ],
            listing=found.listing["text"] if found.listing else None,
            earliest=earliest,
            basis=found.notes[-1],
        )
    return out
