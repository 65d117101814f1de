"""Building the public snapshot from the warehouse: one pass of whole-table SQL.

What enters: every run the ledger ever disclosed (proposed or published) with its companies'
public fields (grade, score, lists, veto items, the streak behind a black listing, reasons with
their rule wording, projects' grades), each rule version's legend, the compound register as of
the newest disclosed run's batch watermark (names, places, addresses, service periods) and the
search index. Nothing else: no complaint, complainant or evidence record id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import duckdb

from rating import __version__
from rating.audit import ledger
from rating.audit.disclosure import History, history
from rating.consequences.basis import published_bases
from rating.consequences.inforce import Book
from rating.engine import explainer
from rating.engine.history import streaks
from rating.engine.shapes import RunRow
from rating.matching.gazetteer import places as place_names
from rating.public import search
from rating.public.breakdown import breakdown, shown_one_by_one
from rating.public.data import CompoundDoc, LedgerHead, PublicData, RunCard, RunDoc
from rating.public.managers import card_managers
from rating.public.paths import public_paths
from rating.public.shapes import (
    GradeBand,
    GradeStreak,
    Legend,
    ProjectGrade,
    ProjectManager,
    Publicity,
    Reason,
    Service,
)
from rating.public.text import (
    PublicWords,
    band_rules,
    grade_reason,
    override_rules,
    zh_punctuation,
)
from rating.public.veto import VetoCodes, veto_codes, veto_items
from rating.public.wording import PublicWording, citation, cited_documents
from rating.ruleset.definition import RuleSet
from rating.schema import CONTRACTS
from rating.scores import shown_float, shown_score
from rating.sql import rows
from rating.warehouse import visible_rows

REASONS_SHOWN = 8  # one by one on a card; the rest in one line (`shown_one_by_one`)


def _cards_sql() -> str:
    """One JSON card per (disclosed run, company), assembled in DuckDB."""
    return """
    WITH pub AS (SELECT DISTINCT unnest($runs::VARCHAR[]) AS run_id),
    w AS (SELECT run_id, company_uscc, project_id, weight,
                 sum(weight) OVER (PARTITION BY run_id, company_uscc) AS total
          FROM run_projects WHERE run_id IN (SELECT run_id FROM pub)),
    eff AS (SELECT rp.run_id, rp.company_uscc, rp.rule_id,
                   CAST(sum(CASE WHEN rp.target = 'project' THEN rp.points * w.weight / nullif(w.total, 0)
                            ELSE rp.points END) AS DECIMAL(18,6)) AS points
            FROM run_rule_points rp LEFT JOIN w USING (run_id, company_uscc, project_id)
            WHERE rp.run_id IN (SELECT run_id FROM pub) GROUP BY ALL HAVING sum(rp.points) <> 0),
    -- the largest effect first, whatever its sign; the rule id breaks a tie
    reasons AS (SELECT run_id, company_uscc, list({'rule_id': rule_id, 'points': points}
                       ORDER BY abs(points) DESC, rule_id) AS reasons FROM eff GROUP BY ALL),
    projects AS (SELECT run_id, company_uscc, list({'project_id': project_id, 'name': project_name,
                        'district': district, 'street': street, 'households': households,
                        'score': CAST(score AS DECIMAL(18,6)), 'grade': grade} ORDER BY project_id) AS projects
                 FROM run_projects WHERE run_id IN (SELECT run_id FROM pub) GROUP BY ALL)
    SELECT c.run_id, c.uscc, to_json({'name': c.name, 'district': c.district,
             'grade': c.grade, 'score': CAST(c.score AS DECIMAL(18,6)), 'red': c.red, 'black': c.black,
             'grade_reason': c.grade_reason, 'band_grade': c.band_grade,
             'veto': coalesce(c.veto, false), 'veto_rules': coalesce(c.veto_rules, []),
             'reasons': coalesce(r.reasons, []), 'projects': coalesce(p.projects, [])})
    FROM run_companies c JOIN pub USING (run_id)
    LEFT JOIN reasons r ON r.run_id = c.run_id AND r.company_uscc = c.uscc
    LEFT JOIN projects p ON p.run_id = c.run_id AND p.company_uscc = c.uscc
    WHERE c.rated"""


def streak_needed(rs: RuleSet) -> int | None:
    """Consecutive lowest grades that list a company, when the black-list condition counts
    them (`streak('C') >= 3`)."""
    text = rs.lists.black.when if rs.lists.black else ""
    m = re.search(rf"streak\(\s*'{re.escape(rs.lowest_grade)}'\s*\)\s*>=\s*(\d+)", text)
    return int(m.group(1)) if m else None


def _streaks(
    con: duckdb.DuckDBPyConnection, info: RunRow, lowest: str, black: list[str]
) -> dict[str, list[str]]:
    """uscc -> the periods of its run of lowest grades ending with this run, oldest first
    (from the history runs pinned in the run's manifest)."""
    pinned = sorted(info["manifest"].get("history_runs", []), key=lambda h: h["periods_back"])
    grades: dict[str, dict[int, tuple[str, str | None]]] = {u: {} for u in black}
    for h in pinned:
        for uscc, period, grade in rows(
            con,
            """SELECT c.uscc, r.period, c.grade FROM run_companies c JOIN runs r USING (run_id)
               WHERE c.run_id = $r AND list_contains($u, c.uscc)""",
            {"r": h["run_id"], "u": black},
        ):
            grades[uscc][h["periods_back"]] = (period, grade)
    out = {}
    for uscc in black:
        streak = [info["period"]]
        k = 1
        while grades[uscc].get(k, ("", None))[1] == lowest:
            streak.insert(0, grades[uscc][k][0])
            k += 1
        out[uscc] = streak
    return out


def legend(rs: RuleSet, words: PublicWords, wording: PublicWording | None = None) -> Legend:
    """The legend the public pages print beside a run's grades, from its rule set: the rule set
    (ref, title, document, effective date), what each company and project grade means and the band
    or override that gives it, the red and black lists with their public basis and the black
    list's durations (minimum, safety minimum, maximum, in months) — in the words of `words`;
    meanings and bases as `wording` (default: the version's own, `rating.public.wording`) gives
    them, never empty."""
    wording = wording or PublicWording(rs)
    d, black = rs.disclosure.black_list, rs.lists.black
    return Legend(
        ruleset=rs.ref,
        title=rs.ruleset.title,
        document=zh_punctuation(rs.ruleset.document),
        citation=citation(rs),
        documents=cited_documents(rs),
        effective_from=rs.ruleset.effective_from.isoformat(),
        grades=[
            GradeBand(grade=g, meaning=wording.meaning(g, m or r), rule=r)
            for g, m, r in band_rules(rs.grades.bands, words) + override_rules(rs, words)
        ],
        project_grades=[
            GradeBand(grade=b.grade, meaning=wording.project_meaning(b, m or r), rule=r)
            for b, (_g, m, r) in zip(
                rs.project_grades, band_rules(rs.project_grades, words, project=True), strict=True
            )
        ],
        red=wording.list_title("red"),
        red_clause=wording.list_basis("red") if rs.lists.red else None,
        black=wording.list_title("black"),
        black_clause=wording.list_basis("black") if black else None,
        black_minimum_months=d.min_months,
        black_minimum_months_safety=d.min_months_safety,
        black_maximum_months=d.max_months,
        repair=rs.disclosure.repair,
    )


def publicity_of(records: list[ledger.Record], run_id: str, period: str) -> Publicity | None:
    """The run's publicity (公示) as its last `publicity` ledger record states it, or None."""
    found = [r.payload for r in records if r.action == "publicity" and r.run_id == run_id]
    if not found:
        return None
    p = found[-1]
    return Publicity(
        period=period,
        starts_on=p.get("starts_on"),
        ends_on=p.get("ends_on"),
        objections_until=p.get("objections_until") or p.get("ends_on"),
    )


def _run_doc(con: duckdb.DuckDBPyConnection, run_id: str, period: str) -> tuple[RunDoc, RuleSet]:
    info = explainer.run_row(con, run_id)
    rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"]).definition
    prov = {**explainer.provenance(info), "served_by": __version__}  # + when, per day shown
    return RunDoc(
        run_id=run_id,
        period=period,
        ruleset=rs.ref,
        provenance=prov,
        grade_order=list(rs.grade_order),
        meanings={},  # from the legend (`build`): every grade, never empty
        streak_needed=streak_needed(rs),
        lowest=rs.lowest_grade,
    ), rs


def _cards(
    con: duckdb.DuckDBPyConnection,
    docs: dict[str, RunDoc],
    wordings: dict[str, PublicWording],
    words: PublicWords,
) -> dict[str, dict[str, RunCard]]:
    cards: dict[str, dict[str, RunCard]] = {r: {} for r in docs}
    vetoes = {r.id for w in wordings.values() for r in w.definition.rules if r.veto}
    codes = veto_codes(con, list(docs), sorted(vetoes))
    for run_id, uscc, card_json in rows(con, _cards_sql(), {"runs": list(docs)}):
        raw = json.loads(card_json)
        wording = wordings[run_id]
        cards[run_id][uscc] = _card(raw, uscc, (run_id, docs[run_id].period, codes), wording, words)
    for run_id, doc in docs.items():
        black = sorted(u for u, c in cards[run_id].items() if c.black)
        info = explainer.run_row(con, run_id)
        _add_managers(cards[run_id], card_managers(con, info, wordings[run_id].definition))
        for uscc, streak in _streaks(con, info, doc.lowest, black).items():
            cards[run_id][uscc].streak = streak
        _grade_streaks(con, run_id, info, cards[run_id])
    return cards


def _card(
    raw: dict[str, Any],
    uscc: str,
    run: tuple[str, str, VetoCodes],
    wording: PublicWording,
    words: PublicWords,
) -> RunCard:
    """One company's card of a run from its JSON row (`_cards_sql`). A grade outside the
    score's bands (C(缺失): not in credit information management) shows no score and no
    reasons: the company has no credit score, and one shown would contradict its grade."""
    rs = wording.definition
    run_id, period, codes = run
    titles = {r.id: r.title for r in rs.rules}
    unscored = wording.not_scored(raw["grade"])
    shown = shown_one_by_one(len(raw["reasons"]), REASONS_SHOWN)
    reasons = [
        Reason(
            rule_id=r["rule_id"],
            title=titles.get(r["rule_id"], r["rule_id"]),
            points=float(shown_score(r["points"], rs.score_places)),
            clause=wording.rule_basis(r["rule_id"]),
        )
        for r in ([] if unscored else raw["reasons"][:shown])
    ]
    card = RunCard(
        uscc=uscc,
        name=raw["name"] or uscc,
        district=raw["district"],
        period=period,
        grade=raw["grade"],
        score=None if unscored else shown_float(raw["score"], rs.score_places),
        red=bool(raw["red"]),
        black=bool(raw["black"]),
        veto_items=veto_items(run_id, uscc, raw["veto_rules"], titles, codes)
        if raw["veto"]
        else [],
        reasons=reasons,
        projects=[
            ProjectGrade.model_validate({**p, "score": shown_float(p["score"], rs.score_places)})
            for p in raw["projects"]
        ],
        band_grade=None if unscored else raw["band_grade"],
    )
    if card.score is not None:
        card.breakdown = breakdown(
            raw["score"],
            rs.project.base,
            [r["points"] for r in raw["reasons"]],
            len(reasons),
            rs.score_places,
            words,
            [r.title for r in reasons],
        )
    card.grade_reason = grade_reason(
        raw["grade_reason"], card.band_grade, card.grade, card.score, rs, card.veto_items, words
    )
    return card


def _add_managers(cards: dict[str, RunCard], found: dict[tuple[str, str], ProjectManager]) -> None:
    """Each card's compounds with the manager in charge (`rating.public.managers.card_managers`)."""
    for uscc, card in cards.items():
        card.projects = [
            p.model_copy(update={"manager": found.get((uscc, p.project_id))}) for p in card.projects
        ]


def _grade_streaks(
    con: duckdb.DuckDBPyConnection, run_id: str, info: RunRow, cards: dict[str, RunCard]
) -> None:
    """Each card's run of a grade the rule set counts (`rating.engine.history.streaks`), kept
    when worth saying: more than one period, or the count starts at the first period with data
    (so a resident reads "since the first period with data", not a streak that looks short)."""
    counted = explainer.stored_ruleset(
        con, info["ruleset"], info["ruleset_files_sha256"]
    ).streak_grades  # (cached: loaded once per rule set)
    for uscc, streak in streaks(con, run_id, info["manifest"], counted).items():
        if uscc in cards and (streak.periods > 1 or streak.from_data_start):
            cards[uscc].grade_streak = GradeStreak.model_validate(streak.as_dict())


def _register(
    con: duckdb.DuckDBPyConnection, watermark: int
) -> tuple[dict[str, CompoundDoc], dict[str, tuple[str, list[str], str]]]:
    """Compounds with their service periods, and companies' names (current, former), as of
    the batch `watermark`."""
    params = {"watermark": watermark}
    names: dict[str, tuple[str, list[str], str]] = {}
    current = {
        u: (n, d or "")
        for u, n, d in rows(
            con,
            f"SELECT s.uscc, s.name, s.district FROM {visible_rows(CONTRACTS['companies'])}",
            params,
        )
    }
    former: dict[str, list[str]] = {}
    for uscc, name in rows(
        con,
        """SELECT uscc, name FROM src_companies WHERE _batch <= $watermark
           GROUP BY uscc, name ORDER BY uscc, min(_batch)""",
        params,
    ):
        if uscc in current and name != current[uscc][0] and name not in former.get(uscc, []):
            former.setdefault(uscc, []).append(name)
    for uscc, (name, district) in current.items():
        names[uscc] = (name, former.get(uscc, []), district)
    compounds: dict[str, CompoundDoc] = {}
    for pid, name, district, street, address, households, uscc, start, end in rows(
        con,
        f"""SELECT s.project_id, s.project_name, s.district, s.street, s.address, s.households,
                   s.company_uscc, s.service_start, s.service_end
            FROM {visible_rows(CONTRACTS["projects"])} ORDER BY s.project_id, s.service_start""",
        params,
    ):
        doc = compounds.get(pid) or CompoundDoc(project_id=pid, name=name)
        doc.name, doc.district, doc.street, doc.address, doc.households = (
            name,
            district,
            street,
            address,
            households,
        )
        doc.services.insert(
            0,
            Service(
                uscc=uscc,
                company=names.get(uscc, (uscc, [], ""))[0],
                start=start.isoformat(),
                end=end.isoformat() if end else None,
            ),
        )
        compounds[pid] = doc
    return compounds, names


def _book(con: duckdb.DuckDBPyConnection, disclosure: History, language: str = "zh") -> Book | None:
    """The measures of every published run whose rule set has consequences, or None; their
    texts in the pages' language."""
    bases = [
        b for b in published_bases(con, disclosure) if b.ruleset.definition.consequences is not None
    ]
    return Book.build(con, bases, disclosure, language=language) if bases else None


def build(
    con: duckdb.DuckDBPyConnection,
    zone: Any,
    clock: Callable[[], datetime],
    language: str = "zh",
) -> PublicData:
    """The public snapshot of the warehouse (see the module docstring)."""
    disclosure = history(con)
    first_shown: dict[str, tuple[datetime, str]] = {}  # run -> when it was disclosed, its period
    for at, period, run_id, kind in disclosure.zone_events:
        if kind == "published" or (kind == "proposed" and run_id not in first_shown):
            first_shown[run_id] = (at, period)
    words = PublicWords(language)
    docs: dict[str, RunDoc] = {}
    rulesets: dict[str, RuleSet] = {}
    legends: dict[str, Legend] = {}
    records = ledger.records(con)
    for run_id, (_at, period) in first_shown.items():
        docs[run_id], rulesets[run_id] = _run_doc(con, run_id, period)
        docs[run_id].publicity = publicity_of(records, run_id, period)
    for at, _period, run_id, kind in disclosure.zone_events:  # the first of each kind
        doc = docs.get(run_id)
        if doc is not None and kind == "published" and doc.published_at is None:
            doc.published_at = at.isoformat()
        if doc is not None and kind == "proposed" and doc.publicity_at is None:
            doc.publicity_at = at.isoformat()
    held = {rs.ref: rs for rs in rulesets.values()}
    wordings = {run_id: PublicWording.of(rs, held.values()) for run_id, rs in rulesets.items()}
    for run_id, doc in docs.items():
        shown = legends.setdefault(doc.ruleset, legend(rulesets[run_id], words, wordings[run_id]))
        for band in shown.grades:  # a band's meaning first, then an override's (C(缺失))
            doc.meanings.setdefault(band.grade, band.meaning or band.rule)
    cards = _cards(con, docs, wordings, words)
    for run_id, (at, _period) in first_shown.items():
        found = public_paths(con, run_id, rulesets[run_id], at.date(), disclosure, language)
        for uscc, way in found.items():
            cards[run_id][uscc].path = way
    watermark = max(
        (int(explainer.run_row(con, r)["watermark"]) for r in docs),
        default=-1,
    )
    compounds, names = _register(con, watermark)
    for run_id, by_company in cards.items():
        for uscc, card in by_company.items():
            card.former_names = names.get(uscc, ("", [], ""))[1]
            for p in card.projects:
                if p.project_id in compounds:
                    compounds[p.project_id].grades.setdefault(run_id, []).append(
                        (uscc, p.grade, p.score)
                    )
    places = place_names(con, {"watermark": watermark}) if watermark >= 0 else ""
    rated = {u for by_company in cards.values() for u in by_company}
    index = search.build_index(
        places,
        list(compounds.values()),
        {u: v for u, v in names.items() if u in rated},
        _unrated(con, docs, {u: v for u, v in names.items() if u not in rated}),
    )
    head = records[-1] if records else None
    return PublicData(
        zone=str(zone),
        built_at=clock(),
        clock=clock,
        ledger=LedgerHead(seq=head.seq, hash=head.hash) if head else LedgerHead(seq=0, hash=""),
        disclosure=disclosure,
        runs=docs,
        cards=cards,
        legends=legends,
        compounds=compounds,
        index=index,
        book=_book(con, disclosure, language),
    )


def _unrated(
    con: duckdb.DuckDBPyConnection,
    docs: dict[str, RunDoc],
    names: dict[str, tuple[str, list[str], str]],
) -> dict[str, tuple[str, list[str], str, str, str]]:
    """Registered companies with no published result, with why, by the newest disclosed run:
    `not_rated` (the run holds it unrated: no rated compound) or `not_in_run`."""
    if not docs or not names:
        return {}
    newest = max(docs.values(), key=lambda d: (d.period, d.run_id))
    held = {
        u
        for (u,) in rows(
            con,
            "SELECT uscc FROM run_companies WHERE run_id = $run AND NOT rated",
            {"run": newest.run_id},
        )
    }
    return {
        u: (n, former, d, "not_rated" if u in held else "not_in_run", newest.period)
        for u, (n, former, d) in names.items()
    }
