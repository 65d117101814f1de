"""What a grade sets in motion: `rating measures`, `rating tender`, `rating supervision
plan|show|review` (thin clients of `rating.consequences`); `rating path` is `way_up`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rating.cli import way_up
from rating.cli.common import (
    DbOption,
    Invocation,
    JsonOption,
    OutOption,
    emit,
    say,
)
from rating.cli.display import Col, count, print_table, when, word
from rating.cli.i18n import NP_, _, language, pgettext
from rating.cli.supervision_status import review_line
from rating.cli.way_up import OnOption, RunOption

if TYPE_CHECKING:
    import duckdb
    import polars as pl

    from rating.consequences.inforce import Span
    from rating.consequences.lookup import CompanyMeasures
    from rating.consequences.plan import Plan
    from rating.consequences.review import Review
    from rating.engine.shapes import RunRow

supervision_app = typer.Typer(
    help="分级分类监管: the next period's inspection plan per project, and plan against actual.",
    no_args_is_help=True,
)
_day = way_up.day_of


def register(app: typer.Typer) -> None:
    """Add `rating measures`, `rating tender`, `rating path` and `rating supervision …` to the
    `rating` command line app (`rating.cli.app`)."""
    app.command("measures")(measures)
    app.command("tender")(tender_credit)
    app.command("path")(way_up.path)
    app.add_typer(supervision_app, name="supervision")


# ------------------------------------------------------------------------ per company


# A measure's kind (rating.consequences.words.KIND_NAMES) as a word of the user's language.
KIND_WORDS = {
    "inspection": NP_("measure kind", "inspection frequency"),
    "fee_ceiling": NP_("measure kind", "fee ceiling"),
    "reward": NP_("measure kind", "reward for meeting the standard"),
    "tender": NP_("measure kind", "tender credit"),
    "honours": NP_("measure kind", "honours and awards"),
    "new_projects": NP_("measure kind", "new projects"),
    "market_exit": NP_("measure kind", "market exit"),
    "notice": NP_("measure kind", "other measures"),
}
# What ends a measure without a known day (Span.lasts).
OPEN_ENDS = {
    "listing": NP_("measure ends", "while black-listed"),
    "next_rating": NP_("measure ends", "next results published"),
    "open": NP_("measure ends", "no end"),
}


def level_word(level: str | None) -> str:
    """市 → 市 (zh) / city (en): an inspection level in the user's language."""
    from rating.consequences import measure_words

    return measure_words.level_word(measure_words.Words(language()), level)


def kind_word(kind: str) -> str:
    """'honours' → '评优评先' (zh) / 'honours and awards' (en); an unknown kind as it is."""
    return pgettext("measure kind", KIND_WORDS[kind]) if kind in KIND_WORDS else kind


def ends_cell(span: Span) -> str:
    """The day a measure stops applying (it applies up to the day before), or what ends it
    when no day is known; the span in words goes to the 说明 column."""
    if span.ends is not None:
        return when(span.ends)
    return pgettext("measure ends", OPEN_ENDS[span.lasts]) if span.lasts in OPEN_ENDS else "–"


def render_measures(found: CompanyMeasures) -> None:
    """The measures in force (and proposed) as tables: kind, measure, project id and name (two
    compounds may share a name), the day it ends, public (是/否), basis (one rule id and run per line, never cut) and the span in words."""
    if not found.has_consequences:
        say(_("{run_id}'s rule set has no [consequences]: no measures").format(run_id=found.run_id))
    tables = [(_("Measures in force on {day}").format(day=when(found.on)), found.in_force)]
    if found.proposed:
        title = _("Proposed by {run_id} ({status}): they start on its publication")
        status = word("status", found.run_status)
        tables.append((title.format(run_id=found.run_id, status=status), found.proposed))
    for title, lines in tables:
        print_table(
            title,
            [
                _("kind"),
                Col(pgettext("consequence", "measure"), wrap=True),
                Col(_("project"), keep=True),
                Col(_("name"), wrap=True),
                Col(_("until"), wrap=True),
                _("public"),
                Col(_("basis"), keep=True, wrap=True),
                Col(_("note"), wrap=True),
            ],
            [
                [
                    kind_word(x.kind),
                    x.text,
                    x.project_id or "",
                    x.project_name or "",
                    ends_cell(x.span),
                    _("yes") if x.public else _("no"),
                    "\n".join(f"{m['id']} ({m['period']})" for m in x.measures),
                    x.span.text,
                ]
                for x in lines
            ],
        )


def measures(
    uscc: Annotated[str, typer.Argument(help="The company's unified social credit code.")],
    on: OnOption = None,
    run_id: RunOption = None,
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The measures a company faces: in force on a day (from published results), each with its
    clause, basis run and until when; and those an unpublished run proposes. --out
    measures.xlsx writes every measure, in force and proposed, one row each."""
    from rating.consequences.lookup import company_measures
    from rating.engine import explainer
    from rating.exports import output_format
    from rating.uscc import require as require_uscc

    inv = Invocation(db, json)
    if out is not None:
        output_format(out)
    day = _day(inv, on)
    with inv.warehouse(read_only=True) as con:
        read = explainer.run_row(con, run_id)
        found = company_measures(con, require_uscc(uscc), read["run_id"], day, language())
        if out is not None:
            _export_measures(inv, con, read, found, out)
            return
    emit(inv, found.as_dict(), lambda: render_measures(found))


def _measures_frame(found: CompanyMeasures) -> pl.DataFrame:
    """Every measure of `found`, in force then proposed, as the table on screen holds it (kind
    and until in words, each basis rule on its line) plus when it starts, the rules' titles
    and clauses, and whether the unpublished run only proposes it (是/否 in the file)."""
    import polars as pl

    schema = {"measure_kind": pl.String, "measure": pl.String, "project_id": pl.String,
              "project_name": pl.String, "starts": pl.Date, "until": pl.String,
              "public": pl.Boolean, "proposed": pl.Boolean, "basis": pl.String,
              "clauses": pl.String, "note": pl.String}  # fmt: skip
    lines = [*found.in_force, *found.proposed]
    return pl.DataFrame(
        [
            (kind_word(x.kind), x.text, x.project_id, x.project_name, x.span.starts,
             ends_cell(x.span), x.public, x.proposed,
             "\n".join(f"{m['id']} ({m['period']})" for m in x.measures),
             "\n".join(" — ".join(filter(None, (m["title"], m["clause"]))) for m in x.measures),
             x.span.text)
            for x in lines
        ],
        schema=schema,
        orient="row",
    )  # fmt: skip


def _export_measures(
    inv: Invocation,
    con: duckdb.DuckDBPyConnection,
    read: RunRow,
    found: CompanyMeasures,
    out: Path,
) -> None:
    """`rating measures --out`: every measure, like every `--out`: in the user's language,
    with the run read and its provenance on the about sheet."""
    from rating.cli.outfile import write_out
    from rating.cli.shown import read_text, shown_for
    from rating.consequences.lookup import company_name
    from rating.engine import explainer
    from rating.exports import Sheet

    about = {
        "what": _("measures of {uscc} on {day}").format(uscc=found.uscc, day=when(found.on)),
        "uscc": found.uscc,
        "name": company_name(con, found.uscc),
        "read": read_text(read["read"]),
        **explainer.provenance(read),
        "status": word("status", found.run_status),
        "warehouse": str(inv.settings.db_path),
        "exported_at": inv.settings.current_time().isoformat(),
    }
    definition = shown_for(con, read).definition
    write_out(inv, out, [Sheet("measures", _measures_frame(found))], about, definition=definition)


def tender_credit(
    uscc: Annotated[str, typer.Argument(help="The company's unified social credit code.")],
    on: OnOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A company's credit points for a tender opened on a day (or its exclusion), from the
    results published by then — what the tendering office asks."""
    from rating.consequences.lookup import tender
    from rating.uscc import require as require_uscc

    inv = Invocation(db, json)
    day = _day(inv, on)
    with inv.warehouse(read_only=True) as con:
        found = tender(con, require_uscc(uscc), day, language())

    def render() -> None:
        head = (
            _("excluded")
            if found.excluded
            else _("{points} points").format(points=f"{found.points:+}")
        )
        say(
            _("{name} {uscc} on {day}: {head}").format(
                name=found.name or found.uscc, uscc=found.uscc, day=when(day), head=head
            )
        )
        say("  " + found.text + (f" ({found.until})" if found.until else ""))
        if found.rated:
            say(
                "  "
                + _("from the published result of {period} ({run_id}): {grade}").format(
                    period=found.period, run_id=found.run_id, grade=found.grade
                )
            )

    emit(inv, found.as_dict(), render)


# ------------------------------------------------------------------------ supervision


def _plan_payload(
    con: duckdb.DuckDBPyConnection, plan: Plan, street: str | None, limit: int | None
) -> dict[str, Any]:
    from rating.consequences.plan import plan_items

    items = plan_items(con, plan.plan_id, street)
    return {**plan.as_dict(), "items": items[:limit] if limit else items, "items_total": len(items)}


def _render_plan(payload: dict[str, Any]) -> None:
    s = payload["summary"]
    say(
        _(
            "{plan_id} for {period} from {run_id} under {rules}: "
            "{inspections:,} inspections at {projects:,} projects"
        ).format(
            plan_id=payload["plan_id"],
            period=payload["period"],
            run_id=payload["basis_run"],
            rules=payload["ruleset"],
            inspections=int(s["inspections"]),
            projects=int(s["projects"]),
        )
    )
    by_level = _(
        "{level} {inspections:,} (routine {routine}, spot checks {sampled}, raised {raised})"
    )
    say(
        "  "
        + _(", ").join(
            by_level.format(
                level=level_word(r["level"]),
                inspections=int(r["inspections"]),
                routine=r["routine"],
                sampled=r["sampled"],
                raised=r["raised"],
            )
            for r in s["by_level"]
        )
    )
    warning = payload["parameters"].get("early_warning") or {}
    if warning.get("used") is False and warning.get("band"):
        say("  " + _("early warning: {why}").format(why=_warning_why(warning)))
    print_table(
        _("Items ({shown} of {total:,})").format(
            shown=len(payload["items"]), total=payload["items_total"]
        ),
        [
            Col(_("project"), keep=True),
            Col(_("name"), wrap=True),
            Col(_("street"), wrap=True),
            Col(_("company"), wrap=True),
            _("grade"),
            _("level"),
            _("planned"),
            _("due"),
            Col(_("reasons"), wrap=True),
        ],
        [
            [
                i["project_id"],
                i["project_name"],
                i["street"],
                i["company_name"],
                f"{i['company_grade'] or '–'}/{i['project_grade'] or '–'}",
                level_word(i["level"]),
                count(i["planned"]),
                when(i["next_due"])
                if i["next_due"]
                else _("in {period}").format(period=payload["period"]),
                _("; ").join(i["reasons"]) if isinstance(i["reasons"], list) else i["reasons"],
            ]
            for i in payload["items"]
        ],
    )


def _warning_why(warning: dict[str, Any]) -> str:
    """Why the early warning raised nothing, in the user's language (a plan stored before
    `band_companies` was kept says it as stored)."""
    from rating.consequences import measure_words

    if "band_companies" not in warning:
        return str(warning["why"])
    w = measure_words.Words(language())
    return measure_words.warning_unused(w, warning["band"], int(warning["band_companies"]))


def _plan_frame(items: list[Any], period: str) -> pl.DataFrame:
    """The plan's items as the workbook holds them: counts and ratios as numbers, 黑名单 as
    true/false (是/否 in the file), the level in the user's language, and the due day as the
    screen says it (a draw-only or raised item: 「2026Q4内」)."""
    import polars as pl

    from rating.consequences.plan import PLAN_COLUMNS

    numbers = {"per_year": pl.Float64, "sampling": pl.Float64, "routine": pl.Int64,
               "sampled": pl.Int64, "raised": pl.Int64, "planned": pl.Int64}  # fmt: skip
    types = {"black": pl.Boolean, "last_inspected": pl.Date, **numbers}
    schema = {c: types.get(c, pl.String) for c in PLAN_COLUMNS[1:]}
    inside = _("in {period}").format(period=period)

    def shown(i: Any) -> dict[str, Any]:
        row = {c: i[c] for c in schema}
        row["measures"] = _("; ").join(i["measures"] or [])
        row["level"] = level_word(i["level"])
        row["next_due"] = when(i["next_due"]) if i["next_due"] else inside
        for k in ("per_year", "sampling"):
            row[k] = None if row[k] is None else float(row[k])
        return row

    return pl.DataFrame([shown(i) for i in items], schema=schema, orient="row")


def _export_plan(inv: Invocation, con: duckdb.DuckDBPyConnection, plan: Plan, out: Path) -> None:
    from rating.cli.outfile import write_out
    from rating.consequences.plan import plan_items
    from rating.exports import Sheet

    frame = _plan_frame(list(plan_items(con, plan.plan_id)), plan.period)
    about = {"plan": plan.plan_id, "period": plan.period, "basis_run": plan.basis_run,
             "rules": plan.ruleset, "made_at": plan.made_at}  # fmt: skip
    write_out(inv, out, [Sheet("plan", frame)], about)


@supervision_app.command("plan")
def supervision_plan(
    period: Annotated[str, typer.Option(help="The period to plan, or 'next'.")] = "next",
    run_id: Annotated[
        str | None, typer.Option("--run", help="The run the classes come from.")
    ] = None,
    no_warning: Annotated[
        bool, typer.Option("--no-warning", help="Do not raise projects by the early warning.")
    ] = False,
    limit: Annotated[int, typer.Option(help="Items to show.", min=1)] = 20,
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Make and store the next period's inspection plan: per project and level (市/区/街道), by
    the company's and project's grade, raised for early-warning band 高 and held complaints,
    with the reason for each. --out plan.xlsx writes every item for the street offices."""
    from rating.consequences.plan import make_plan
    from rating.exports import output_format

    inv = Invocation(db, json)
    if out is not None:
        output_format(out)
    with inv.warehouse() as con:
        plan = make_plan(con, inv.settings, period, run_id, use_warning=not no_warning)
        if out is not None:
            _export_plan(inv, con, plan, out)
            return
        payload = _plan_payload(con, plan, None, limit)
    emit(inv, payload, lambda: _render_plan(payload))


@supervision_app.command("show")
def supervision_show(
    period: Annotated[str, typer.Option(help="The planned period.")],
    street: Annotated[str | None, typer.Option(help="Only this street's projects.")] = None,
    limit: Annotated[int, typer.Option(help="Items to show.", min=1)] = 20,
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The newest stored plan of a period (--out plan.xlsx: every item)."""
    from rating.consequences.plan import latest_plan
    from rating.errors import NotFoundError
    from rating.exports import output_format

    inv = Invocation(db, json)
    if out is not None:
        output_format(out)
    with inv.warehouse(read_only=True) as con:
        plan = latest_plan(con, period)
        if plan is None:
            raise NotFoundError(
                f"no supervision plan for {period}: `rating supervision plan --period {period}`",
                code="PLAN_NOT_FOUND",
            )
        if out is not None:
            _export_plan(inv, con, plan, out)
            return
        payload = _plan_payload(con, plan, street, limit)
    emit(inv, payload, lambda: _render_plan(payload))


# The state of a planned item against actual (rating.consequences.review).
REVIEW_STATUS = (
    NP_("review status", "done"),
    NP_("review status", "partly"),
    NP_("review status", "missed"),
    NP_("review status", "not_due"),
)


def _review_items(items: list[dict[str, Any]], limit: int) -> None:
    """The first `limit` items of a review, headed and worded in the user's language."""
    print_table(
        _("Items (first {n})").format(n=limit),
        [Col(_("project"), keep=True), Col(_("name"), wrap=True), Col(_("street"), wrap=True),
         Col(_("company"), wrap=True), _("level"), _("planned"), _("made"), _("missed"),
         _("not yet due"), _("status"), _("due"), _("last inspected"),
         Col(_("reasons"), wrap=True)],
        [
            [i["project_id"], i["project_name"], i["street"], i["company_name"],
             level_word(i["level"]), count(i["planned"]), count(i["actual"]),
             count(i["missed"]), count(i["not_due"]), word("review status", i["status"]),
             when(i["next_due"]), when(i["last_on"]), i["reasons"]]
            for i in items
        ],
    )  # fmt: skip


def _review_frame(found: Review) -> pl.DataFrame:
    """Every item of a review as the screen's table holds it (level and status in words),
    counts as numbers and days as days."""
    import polars as pl

    counts = ("planned", "actual", "done", "missed", "not_due")
    schema = {"project_id": pl.String, "project_name": pl.String, "district": pl.String,
              "street": pl.String, "company_name": pl.String, "level": pl.String,
              **dict.fromkeys(counts, pl.Int64), "status": pl.String, "next_due": pl.Date,
              "last_on": pl.Date, "reasons": pl.String}  # fmt: skip

    def shown(i: dict[str, Any]) -> dict[str, Any]:
        row = {c: i[c] for c in schema}
        row["level"] = level_word(i["level"])
        row["status"] = word("review status", i["status"])
        return row

    return pl.DataFrame([shown(i) for i in found.items], schema=schema, orient="row")


def _export_review(inv: Invocation, found: Review, out: Path) -> None:
    """`rating supervision review --out`: every item, like every `--out`; the totals by
    level and the plan it reads on the about sheet."""
    from rating.cli.outfile import write_out
    from rating.exports import Sheet

    about = {"what": review_line(found), "plan": found.plan_id, "period": found.period,
             "reviewed_on": when(found.on), "watermark": found.watermark,
             **{level_word(r["level"]): _by_level_text(r) for r in found.by_level},
             "warehouse": str(inv.settings.db_path),
             "exported_at": inv.settings.current_time().isoformat()}  # fmt: skip
    write_out(inv, out, [Sheet("review_items", _review_frame(found))], about)


def _by_level_text(r: dict[str, Any]) -> str:
    return _(
        "planned {planned}, done {done}, missed {missed}, not yet due {not_due}, "
        "unplanned {unplanned}"
    ).format(**{k: count(r[k]) for k in ("planned", "done", "missed", "not_due", "unplanned")})


@supervision_app.command("review")
def supervision_review(
    period: Annotated[str, typer.Option(help="The planned period.")],
    limit: Annotated[int, typer.Option(help="Items to show.", min=1)] = 20,
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Plan against actual: which planned inspections the ingested inspections show made,
    which were missed, and inspections made outside the plan, per level. --out review.xlsx
    writes every item (--limit pages the screen only)."""
    from rating.consequences.review import review
    from rating.exports import output_format

    inv = Invocation(db, json)
    if out is not None:
        output_format(out)
    with inv.warehouse(read_only=True) as con:
        found = review(con, period, inv.settings.current_time().date())
    if out is not None:
        _export_review(inv, found, out)
        return

    def render() -> None:
        say(review_line(found))
        print_table(
            _("By level"),
            [_("level"), _("planned"), _("done"), _("missed"), _("not yet due"), _("unplanned")],
            [
                [level_word(r["level"]), count(r["planned"]), count(r["done"]),
                 count(r["missed"]), count(r["not_due"]), count(r["unplanned"])]
                for r in found.by_level
            ],
        )  # fmt: skip
        if found.items:
            _review_items(found.items[:limit], limit)

    emit(inv, found.as_dict(), render)
