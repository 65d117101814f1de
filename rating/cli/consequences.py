"""What a grade sets in motion: `rating measures`, `rating tender`, `rating path` and
`rating supervision plan|show|review` (thin clients of `rating.consequences`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.markup import escape

from rating.cli.common import (
    DbOption,
    Invocation,
    JsonOption,
    OutOption,
    emit,
    exported,
    stdout,
    table,
    to_jsonable,
)
from rating.consequences.lookup import CompanyMeasures, company_measures, tender
from rating.consequences.plan import PLAN_COLUMNS, latest_plan, make_plan, plan_items
from rating.consequences.remedy import Remedy, goal_lines, remedy
from rating.consequences.review import review
from rating.engine import explainer
from rating.errors import NotFoundError
from rating.exports import Sheet, output_format, write_tables

supervision_app = typer.Typer(
    help="分级分类监管: the next period's inspection plan per project, and plan against actual.",
    no_args_is_help=True,
)
OnOption = Annotated[
    str | None,
    typer.Option("--on", help="The day, YYYY-MM-DD (default: today on the bureau's clock)."),
]
RunOption = Annotated[str | None, typer.Option("--run", help="Run id (default: the latest run).")]


def register(app: typer.Typer) -> None:
    app.command("measures")(measures)
    app.command("tender")(tender_credit)
    app.command("path")(path)
    app.add_typer(supervision_app, name="supervision")


def _day(inv: Invocation, text: str | None) -> date:
    if text is None:
        return inv.settings.current_time().date()
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a day (YYYY-MM-DD)") from exc


# ------------------------------------------------------------------------ per company


def render_measures(found: CompanyMeasures) -> None:
    """The measures in force (and proposed) as tables."""
    if not found.has_consequences:
        stdout.print(f"[dim]{found.run_id}'s rule set has no [consequences]: no measures[/]")
    for title, lines in (
        (f"Measures in force on {found.on}", found.in_force),
        (
            f"Proposed by {found.run_id} ({found.run_status}): start on its publication",
            found.proposed,
        ),
    ):
        if not lines and title.startswith("Proposed"):
            continue
        stdout.print(
            table(
                title,
                ["kind", "measure", "project", "until", "public", "basis"],
                [
                    [
                        x.kind,
                        x.text,
                        x.project_name or x.project_id or "",
                        x.span.text,
                        "yes" if x.public else "",
                        "; ".join(f"{m['id']} ({m['period']})" for m in x.measures),
                    ]
                    for x in lines
                ],
            )
        )


def measures(
    uscc: Annotated[str, typer.Argument(help="The company's unified social credit code.")],
    on: OnOption = None,
    run_id: RunOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The measures a company faces: in force on a day (from published results), each with its
    clause, basis run and until when; and those an unpublished run proposes."""
    inv = Invocation(db, json)
    day = _day(inv, on)
    with inv.warehouse(read_only=True) as con:
        read = explainer.run_row(con, run_id)
        found = company_measures(con, uscc.strip().upper(), read["run_id"], day)
    emit(inv, found.as_dict(), lambda: render_measures(found))


def tender_credit(
    uscc: Annotated[str, typer.Argument(help="The company's unified social credit code.")],
    on: OnOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A company's credit points for a tender opened on a day (or its exclusion), from the
    results published by then — what the tendering office asks."""
    inv = Invocation(db, json)
    day = _day(inv, on)
    with inv.warehouse(read_only=True) as con:
        found = tender(con, uscc.strip().upper(), day)

    def render() -> None:
        head = "[red]excluded[/]" if found.excluded else f"[bold]{found.points:+}[/] points"
        stdout.print(f"[bold]{escape(found.name or found.uscc)}[/] {found.uscc} on {day}: {head}")
        stdout.print(
            f"  {escape(found.text)}" + (f" ({escape(found.until)})" if found.until else "")
        )
        if found.rated:
            stdout.print(
                f"  from the published result of {found.period} ({found.run_id}): {found.grade}"
            )

    emit(inv, found.as_dict(), render)


def render_path(found: Remedy) -> None:
    """The way back up in lines."""
    stdout.print(
        f"[bold]The way back up[/] for {escape(found.name or found.uscc)} "
        f"({found.grade}, score {found.score}{', black list' if found.black else ''}) "
        f"in {found.run_id} under {found.rules}"
    )
    if not found.goals:
        stdout.print("  already at the best grade and off the black list")
    for goal in found.goals:
        for line in goal_lines(goal):
            stdout.print("  " + escape(line))
    if found.listing:
        stdout.print("  " + escape(found.listing["text"]))
    for note in found.notes:
        stdout.print(f"  [dim]{escape(note)}[/]")


def path(
    uscc: Annotated[str, typer.Argument(help="The company's unified social credit code.")],
    run_id: RunOption = None,
    options: Annotated[int, typer.Option(help="Options per goal.", min=1, max=10)] = 3,
    on: OnOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The way back up (信用修复 path): the fewest records, not counted, that would move the
    company up one grade or off the black list — each option checked by recomputing the grade
    under the run's rule set — and the minimum listing time (same as `explain --path`)."""
    inv = Invocation(db, json)
    day = _day(inv, on)
    with inv.warehouse(read_only=True) as con:
        found = remedy(con, uscc.strip().upper(), run_id, today=day, max_options=options)
    emit(inv, found.as_dict(), lambda: render_path(found))


# ------------------------------------------------------------------------ supervision


def _plan_payload(con: Any, plan: Any, street: str | None, limit: int | None) -> dict[str, Any]:
    items = plan_items(con, plan.plan_id, street)
    return {**plan.as_dict(), "items": items[:limit] if limit else items, "items_total": len(items)}


def _render_plan(payload: dict[str, Any]) -> None:
    s = payload["summary"]
    stdout.print(
        f"[bold]{payload['plan_id']}[/] for {payload['period']} from {payload['basis_run']} "
        f"under {payload['ruleset']}: {s['inspections']:,} inspections at {s['projects']:,} projects"
    )
    stdout.print(
        "  "
        + ", ".join(
            f"{r['level']} {int(r['inspections']):,} (routine {r['routine']}, 双随机 {r['sampled']}, "
            f"raised {r['raised']})"
            for r in s["by_level"]
        )
    )
    stdout.print(
        table(
            f"Items ({len(payload['items'])} of {payload['items_total']:,})",
            ["project", "name", "street", "company", "grade", "level", "planned", "due", "why"],
            [
                [
                    i["project_id"],
                    i["project_name"],
                    i["street"],
                    i["company_name"],
                    f"{i['company_grade'] or '–'}/{i['project_grade'] or '–'}",
                    i["level"],
                    i["planned"],
                    i["next_due"],
                    i["reasons"],
                ]
                for i in payload["items"]
            ],
        )
    )


def _cell(v: Any) -> Any:
    return "; ".join(v) if isinstance(v, list) else to_jsonable(v)


def _export_plan(inv: Invocation, con: Any, plan: Any, out: Path) -> None:
    items = plan_items(con, plan.plan_id)
    frame = pl.DataFrame(
        [{k: _cell(v) for k, v in i.items()} for i in items],
        schema={c: pl.String for c in PLAN_COLUMNS[1:]},
        strict=False,
    )
    about = {"plan": plan.plan_id, "period": plan.period, "basis_run": plan.basis_run,
             "rules": plan.ruleset, "made_at": plan.made_at}  # fmt: skip
    write_tables(out, [Sheet("plan", frame)], about)
    exported(inv, out, {"plan": frame.height}, about)


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


@supervision_app.command("review")
def supervision_review(
    period: Annotated[str, typer.Option(help="The planned period.")],
    limit: Annotated[int, typer.Option(help="Items to show.", min=1)] = 20,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Plan against actual: which planned inspections the ingested inspections show made,
    which were missed, and inspections made outside the plan, per level."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        found = review(con, period)

    def render() -> None:
        stdout.print(found.line())
        stdout.print(
            table(
                "By level",
                ["level", "planned", "done", "missed", "unplanned"],
                [
                    [r["level"], r["planned"], r["done"], r["missed"], r["unplanned"]]
                    for r in found.by_level
                ],
            )
        )
        if found.items:
            cols = list(found.items[0])
            stdout.print(
                table(
                    f"Items (first {limit})",
                    cols,
                    [[i[c] for c in cols] for i in found.items[:limit]],
                )
            )

    emit(inv, found.as_dict(), render)
