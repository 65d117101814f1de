"""`rating explain`: why a company got its grade, rule by rule, with the records behind it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, say
from rating.cli.display import Col, count, print_table, text, when, word
from rating.cli.i18n import _
from rating.cli.shown import Shown, grade_reason, read_text, reason_text, shown_for, streak_text

if TYPE_CHECKING:
    from rating.engine.shapes import EvidenceRow, Explanation


def register(app: typer.Typer) -> None:
    """Add `rating explain` to the `rating` command line app (`rating.cli.app`)."""
    app.command("explain")(explain)


def explain(
    uscc: Annotated[str, typer.Argument(help="The company's unified social credit code.")],
    run_id: Annotated[
        str | None, typer.Option("--run", help="Run id (default: the latest run).")
    ] = None,
    evidence: Annotated[
        int, typer.Option(help="Evidence records to show per rule.", min=0, max=100_000)
    ] = 5,
    way_up: Annotated[
        bool,
        typer.Option("--path", help="Add the way back up (as `rating path`): company's eyes only."),
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Why a company got its grade: each rule, its points and clause, and the records behind it;
    the measures it faces (in force today, or proposed by an unpublished run) with their
    clauses and until when; with --path, the way back up."""
    from rating.cli.consequences import render_measures
    from rating.cli.i18n import language
    from rating.cli.way_up import render_path
    from rating.consequences.lookup import company_measures
    from rating.consequences.remedy import remedy
    from rating.engine import explainer
    from rating.uscc import require as require_uscc

    inv = Invocation(db, json)
    today = inv.settings.current_time().date()
    with inv.warehouse(read_only=True) as con:
        card = explainer.explain(con, run_id, require_uscc(uscc), limit=evidence)
        shown = shown_for(con, explainer.run_row(con, card["run_id"]))
        found = company_measures(con, card["company"]["uscc"], card["run_id"], today, language())
        card["measures"] = found.as_dict()
        way = None
        if way_up and card["company"]["rated"]:
            way = remedy(
                con, card["company"]["uscc"], card["run_id"], today=today, language=language()
            )
            card["path"] = way.as_dict()

    def render() -> None:
        _render_explain(card, shown)
        render_measures(found)
        if way is not None:
            render_path(way)

    emit(inv, card, render)


def _render_explain_head(card: Explanation, shown: Shown) -> None:
    c = card["company"]
    say(read_text(card["read"]))
    say(
        _(
            "{name} {uscc}: grade {grade} (score {score}, previous {previous}) in {run_id} under {rules}"
        ).format(
            name=c["name"],
            uscc=c["uscc"],
            grade=c["grade"] or _("not rated"),
            score=shown.score(c["score"]),
            previous=c["prev_grade"] or "–",
            run_id=card["run_id"],
            rules=card["rules"],
        )
    )
    say("  " + _("why this grade: {reason}").format(reason=grade_reason(c, shown)))
    if c["black"] or c["black_reason"]:
        say("  " + _black_line(reason_text(c["black_reason"])))
    if c["red"]:
        say("  " + _("red list"))
    if c["downgrade_reason"]:
        say("  " + _("downgrade: {reason}").format(reason=reason_text(c["downgrade_reason"])))
    if streak := card.get("streak"):
        say("  " + _("streak: {text}").format(text=streak_text(streak)))
    titles = {b.id: b.title for b in shown.definition.buckets} if shown.definition else {}
    parts = [_("basic score (projects) {points}").format(points=shown.score(c["project_score"]))]
    parts += [
        _("{bucket} {points} ({records:,} records)").format(
            bucket=titles.get(b["bucket"], b["bucket"]),
            points=shown.score(b["points"]),
            records=b["records"],
        )
        for b in card["buckets"]
    ]
    say("  " + _("; ").join(parts))


def _render_explain(card: Explanation, shown: Shown) -> None:
    _render_explain_head(card, shown)
    print_table(
        _("Reasons, most harmful first"),
        [
            "#",
            Col(_("rule"), keep=True),
            Col(_("title"), wrap=True),
            _("effect"),
            _("records"),
            Col(_("clause"), wrap=True),
        ],
        [
            [
                r["rank"],
                r["rule_id"],
                r["title"],
                shown.score(r["effect"]),
                count(r["records"]),
                r["clause"] + ((" " + _("(design choice)")) if r["design_choice"] else ""),
            ]
            for r in card["reasons"]
        ],
    )
    print_table(
        _("Projects"),
        [
            Col(_("project"), keep=True),
            Col(_("name"), wrap=True),
            Col(_("street"), wrap=True),
            _("households"),
            _("days served"),
            _("points"),
            _("score"),
            _("grade"),
        ],
        [
            [
                p["project_id"],
                p["project_name"],
                p["street"],
                count(p["households"]),
                count(p["days_served"]),
                shown.score(p["points"]),
                shown.score(p["score"]),
                p["grade"] or "–",
            ]
            for p in card["projects"]
        ],
    )
    _render_standing(card, shown)
    if card["fair_rates"]:
        print_table(
            _("Fair rates (rates shrunk towards their pool; the rule reads the fair rate)"),
            [Col(_("rule"), keep=True), Col(_("project"), keep=True), Col(_("why"), wrap=True)],
            [[f["rule_id"], f["project_id"], fair_rate_text(f)] for f in card["fair_rates"]],
        )
    if card["evidence"]:
        _render_evidence(card, shown)


def _render_evidence(card: Explanation, shown: Shown) -> None:
    """The first records per rule: what each counts as under its rule (never a bare number
    that reads as points), and a record's own validity end where its rule reads one."""
    rules = {r.id: r for r in shown.definition.rules} if shown.definition else {}
    shown_rules = {e["rule_id"] for e in card["evidence"]}
    dated = {i for i, r in rules.items() if r.window.until_column and i in shown_rules}
    columns: list[Col | str] = [
        Col(_("rule"), keep=True),
        _("source"),
        Col(_("record"), keep=True, wrap=False),
        _("date"),
        Col(_("counts as"), wrap=True),
    ]
    columns += [Col(_("valid until"), wrap=True)] if dated else []
    columns += [Col(_("file"), wrap=True), _("line")]
    table = []
    for e in card["evidence"]:
        row = [e["rule_id"], word("kind", e["source"]), e["record_key"], when(e["record_date"])]
        rule = rules.get(e["rule_id"])
        row.append(counts_as(e, rule.per_1000_households if rule else False, shown))
        if dated:
            row.append(valid_cell(e) if e["rule_id"] in dated else "")
        table.append([*row, e["file_name"] or "–", text(e["line"])])
    print_table(_("Evidence (first records per rule)"), columns, table)


def counts_as(e: EvidenceRow, rate: bool, shown: Shown) -> str:
    """What one record adds under its rule (`run_evidence.points` by the rule's measure):
    an `each` rule's points with their sign; 1 towards a count or a rate (the rule's effect
    comes from the count, shown under Reasons); a sum's or average's value; whether a record
    meets a share's condition."""
    measure, x = e.get("measure"), e["contribution"]
    if x is None:
        return "–"
    if measure == "each":
        return _("{points} points").format(points=shown.score(x))
    if measure == "count":
        return _("1 towards the rate") if rate else _("1 towards the count")
    if measure == "share":
        return _("meets the condition") if x else _("does not meet the condition")
    if measure in ("sum", "avg"):
        return _("value {value}").format(value=text(x))
    return text(x)


def valid_cell(e: EvidenceRow) -> str:
    """A record's own validity end, or that it has none (the rule's default validity applies)."""
    if e.get("valid_until") is None:
        return _("none given (default validity)")
    return when(e["valid_until"])


def _render_standing(card: Explanation, shown: Shown) -> None:
    """Rankings, facts over projects and evaluations, when the rules have them."""
    if card.get("ranks"):
        print_table(
            _("Rankings"),
            [
                Col(_("ranking"), keep=True),
                Col(_("title"), wrap=True),
                Col(_("position"), wrap=True),
            ],
            [[r["rank_id"], r["title"], r["text"]] for r in card["ranks"]],
        )
    if card.get("facts"):
        print_table(
            _("Facts over its projects"),
            [Col(_("fact"), keep=True), Col(_("title"), wrap=True), Col(_("value"), wrap=True)],
            [[f["fact_id"], f["title"], f["text"]] for f in card["facts"]],
        )
    if card.get("evaluations"):
        print_table(
            _("Evaluations (the latest stays in force until the next)"),
            [
                Col(_("project"), keep=True),
                Col(_("evaluation"), keep=True),
                _("date"),
                _("score"),
                _("grade"),
                _("in force"),
                _("carried from"),
            ],
            [
                [
                    e["project_id"],
                    e["evaluation_id"],
                    when(e["evaluated_on"]),
                    shown.score(e["score"]),
                    e["grade"] or "–",
                    _("yes") if e["in_force"] else "",
                    e["carried_from"] or "",
                ]
                for e in card["evaluations"]
            ],
        )


def fair_rate_text(row: Mapping[str, Any]) -> str:
    """The fair rate behind a shrunk rule, in numbers an auditor can redo."""
    if row.get("fair_rate") is None:
        return _("{records:,} records, no households served in the rate window: no rate").format(
            records=row["records"]
        )
    pool = _("district {name}").format(name=row["pool"]) if row["pool"] is not None else _("city")
    return _(
        "{records:,} records over {households} households: own rate {raw}‰; {pool} {pool_rate}‰; "
        "fair rate {fair}‰ (weighing in {prior} households at the {pool} rate), "
        "interval {low}–{high}‰"
    ).format(
        records=row["records"],
        households=text(row["households"], 1),
        raw=text(row["raw_rate"], 2),
        pool=pool,
        pool_rate=text(row["pool_rate"] or 0, 2),
        fair=text(row["fair_rate"], 2),
        prior=row["prior_households"],
        low=text(row["fair_low"], 2),
        high=text(row["fair_high"], 2),
    )


def _black_line(reason: str) -> str:
    """The black-list line: the rule set's title as written, or labelled by us when the title
    does not name the list itself ("黑名单: 信用等级连续三次…" must not read 黑名单：黑名单: …)."""
    if re.match(r"^[^:：]{1,10}[:：]", reason):
        return reason
    return _("black list: {reason}").format(reason=reason)
