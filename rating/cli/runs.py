"""Run commands: run, show, explain, runs list|show, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rating.cli.common import (
    DbOption,
    Invocation,
    JsonOption,
    OutOption,
    emit,
    exported,
    progress_bar,
    stdout,
    table,
    to_jsonable,
)
from rating.cli.consequences import render_measures, render_path
from rating.consequences.lookup import company_measures
from rating.consequences.remedy import remedy
from rating.engine import explainer
from rating.engine.planner import RateResult, RunRequest, rate
from rating.errors import UsageError
from rating.exports import Sheet, output_format, write_tables
from rating.periods import Period
from rating.settings import Settings

runs_app = typer.Typer(help="Stored runs: list them, show one's manifest.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("show")(show)
    app.command("explain")(explain)
    app.add_typer(runs_app, name="runs")


def _render_run(report: dict[str, Any]) -> None:
    grades = ", ".join(f"{g} {n}" for g, n in report["grades"].items())
    stdout.print(
        f"[bold]{report['run_id']}[/] {report['period']} under {report['rules']}"
        + (" [yellow](shadow period: no sanctions)[/]" if report.get("shadow") else "")
    )
    stdout.print(f"  companies rated {report['companies']:,}  grades: {grades}")
    stdout.print(
        f"  red list {report['red']:,}  black list {report['black']:,}  downgrades {report['downgrades']:,}"
        f"  vetoes {report['vetoes']:,}  unattributed records {report['unattributed_records']:,}"
    )


def do_run(
    inv: Invocation,
    request: RunRequest,
    settings: Settings | None = None,
) -> RateResult:
    settings = settings or inv.settings
    with inv.warehouse() as con, progress_bar(inv, f"rating {request.period}") as progress:
        return rate(con, settings, request, progress=progress)


def _render_rated(result: RateResult) -> None:
    for made in result.history_made:
        stdout.print(f"[dim]history run made first:[/] {made.run_id} ({made.period})")
    _render_run(result.report.as_dict())
    check = result.history
    found = ", ".join(f"{p} {r.run_id} ({r.status})" for p, r in sorted(check.runs.items()))
    stdout.print(
        f"  history read: {found or 'none needed'}"
        + (f" — the data starts in {check.first_data_period}" if check.first_data_period else "")
    )
    for o in result.overrides:
        stdout.print(f"  [yellow]override recorded[/]: [{o.code}] {o.message}")


def run(
    period: Annotated[str, typer.Option(help="Period to rate, e.g. 2025Q3.")],
    rules: Annotated[
        str | None, typer.Option(help="NAME@VERSION; default: the version in force.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Use a rule version outside its validity (recorded).")
    ] = False,
    with_history: Annotated[
        bool,
        typer.Option(
            "--with-history",
            help="First rate, oldest first, the earlier periods the rules read that have no run.",
        ),
    ] = False,
    force_period: Annotated[
        bool,
        typer.Option(
            "--force-period",
            help="Rate a period that has not ended or holds no data (recorded in the manifest).",
        ),
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Rate every project and company for a period; store grades, lists, downgrades, evidence.

    Refused when the period has not ended, holds no data, or an earlier period the rules read
    (streaks, downgrades) has no run — the message lists the commands that fix it.
    """
    inv = Invocation(db, json)
    request = RunRequest(Period.parse(period), rules, force, with_history, force_period)
    result = do_run(inv, request)
    emit(inv, result.as_dict(), lambda: _render_rated(result))


def _company_rows(found: list[dict[str, Any]], extra: str) -> list[list[Any]]:
    return [
        [
            r["uscc"],
            r["name"],
            r["district"],
            r["score"],
            r["grade"],
            r["prev_grade"],
            r.get(extra) or "",
        ]
        for r in found
    ]


def show(
    run_id: Annotated[str | None, typer.Argument(help="Run id (default: the latest run).")] = None,
    list_: Annotated[
        str | None,
        typer.Option("--list", help="grades, red, black, downgrades, vetoes or unrated."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows per list.", min=1, max=100_000)] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many rows.", min=0)] = 0,
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A run's grades, red and black lists and downgrades, with provenance.

    --out FILE writes whole lists: the one named with --list, else every list and the projects'
    scores (one sheet each; a CSV holds one list, so name it).
    """
    inv = Invocation(db, json)
    if list_ is not None and list_ not in explainer.LISTS:
        raise UsageError(f"--list must be one of {', '.join(explainer.LISTS)}", code="BAD_REQUEST")
    if out is not None:
        _export_lists(inv, run_id, list_, out)
        return
    wanted = [list_] if list_ else ["red", "black", "downgrades"]
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
        lists = {w: explainer.list_companies(con, info["run_id"], w, limit, offset) for w in wanted}
    payload = {
        "run_id": info["run_id"],
        "period": info["period"],
        "rules": info["ruleset"],
        "status": info["status"],
        "read": info["read"],
        **info["summary"],
        "provenance": explainer.provenance(info),
        "lists": {w: {"rows": r, "truncated": t} for w, (r, t) in lists.items()},
    }

    def render() -> None:
        _render_read(info["read"])
        _render_run(
            {
                **info["summary"],
                "run_id": info["run_id"],
                "period": info["period"],
                "rules": info["ruleset"],
            }
        )
        extra = {"black": "black_reason", "downgrades": "downgrade_reason", "vetoes": "veto_rules"}
        for w, (found, truncated) in lists.items():
            stdout.print(
                table(
                    f"{w} ({len(found)}{'+' if truncated else ''})",
                    ["uscc", "name", "district", "score", "grade", "previous", "reason"],
                    _company_rows(found, extra.get(w, "grade_reason")),
                )
            )
        stdout.print(
            f"[dim]status {info['status']} · results sha256 {info['results_sha256'][:16]}… · "
            f"engine {info['engine_version']} · watermark batch {info['watermark']}[/]"
        )

    emit(inv, payload, render)


def _export_lists(inv: Invocation, run_id: str | None, which: str | None, out: Path) -> None:
    output_format(out)
    wanted = [which] if which else ["grades", "red", "black", "downgrades", "vetoes", "unrated"]
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
        sheets = [Sheet(w, explainer.list_frame(con, info["run_id"], w)) for w in wanted]
        if which is None:
            sheets.append(Sheet("projects", explainer.projects_frame(con, info["run_id"])))
    about = {
        "what": f"run {info['run_id']} ({info['period']}, {info['status']}): {', '.join(wanted)}",
        "read": info["read"]["why"],
        "rules": info["ruleset"],
        **explainer.provenance(info),
        "warehouse": str(inv.settings.db_path),
        "exported_at": inv.settings.current_time().isoformat(),
    }
    write_tables(out, sheets, about)
    exported(inv, out, {s.name: s.frame.height for s in sheets}, about)


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
    inv = Invocation(db, json)
    today = inv.settings.current_time().date()
    with inv.warehouse(read_only=True) as con:
        card = explainer.explain(con, run_id, uscc.strip().upper(), limit=evidence)
        found = company_measures(con, card["company"]["uscc"], card["run_id"], today)
        card["measures"] = found.as_dict()
        way = None
        if way_up and card["company"]["rated"]:
            way = remedy(con, card["company"]["uscc"], card["run_id"], today=today)
            card["path"] = way.as_dict()

    def render() -> None:
        _render_explain(card)
        render_measures(found)
        if way is not None:
            render_path(way)

    emit(inv, card, render)


def _render_read(read: dict[str, str]) -> None:
    stdout.print(
        f"[dim]read run {read['run_id']} ({read['period']}, {read['status']}): {read['why']}[/]"
    )


def _render_explain(card: dict[str, Any]) -> None:
    c = card["company"]
    _render_read(card["read"])
    stdout.print(
        f"[bold]{c['name']}[/] {c['uscc']} — grade [bold]{c['grade'] or 'not rated'}[/] "
        f"(score {c['score']}, previous {c['prev_grade'] or '–'}) in {card['run_id']} under {card['rules']}"
    )
    stdout.print(f"  why this grade: {card['grade_reason']}")
    if c["black"] or c["black_reason"]:
        stdout.print(f"  [red]black list[/]: {c['black_reason']}")
    if c["red"]:
        stdout.print("  [green]red list[/]")
    if c["downgrade_reason"]:
        stdout.print(f"  downgrade: {c['downgrade_reason']}")
    if card["streak"]:
        stdout.print(f"  streak: {card['streak']['text']}")
    stdout.print(
        f"  basic (projects) {c['project_score']}; "
        + "; ".join(
            f"{b['bucket']} {b['points']} ({b['records']} records)" for b in card["buckets"]
        )
    )
    stdout.print(
        table(
            "Reasons, most harmful first",
            ["#", "rule", "title", "effect", "records", "value", "clause"],
            [
                [
                    r["rank"],
                    r["rule_id"],
                    r["title"],
                    r["effect"],
                    r["records"],
                    r["value"],
                    r["clause"][:60] + (" (design choice)" if r["design_choice"] else ""),
                ]
                for r in card["reasons"]
            ],
        )
    )
    stdout.print(
        table(
            "Projects",
            ["project", "name", "street", "households", "days", "points", "score", "grade"],
            [
                [
                    p["project_id"],
                    p["project_name"],
                    p["street"],
                    p["households"],
                    p["days_served"],
                    p["points"],
                    p["score"],
                    p["grade"],
                ]
                for p in card["projects"]
            ],
        )
    )
    if card["fair_rates"]:
        stdout.print(
            table(
                "Fair rates (rates shrunk towards their pool; the bands read the fair rate)",
                ["rule", "project", "why"],
                [[f["rule_id"], f["project_id"], f["text"]] for f in card["fair_rates"]],
            )
        )
    if card["evidence"]:
        stdout.print(
            table(
                "Evidence (first records per rule)",
                ["rule", "source", "record", "file", "line", "date", "contribution"],
                [
                    [
                        e["rule_id"],
                        e["source"],
                        e["record_key"],
                        e["file_name"],
                        e["line"],
                        e["record_date"],
                        e["contribution"],
                    ]
                    for e in card["evidence"]
                ],
            )
        )


@runs_app.command("list")
def runs_list(
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Stored runs, newest first."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        found = explainer.runs_list(con, limit)
    emit(
        inv,
        found,
        lambda: stdout.print(
            table(
                "Runs",
                [
                    "run",
                    "period",
                    "rules",
                    "status",
                    "companies",
                    "red",
                    "black",
                    "downgrades",
                    "as of",
                ],
                [
                    [
                        r["run_id"],
                        r["period"],
                        r["ruleset"],
                        r["status"] + (" (shadow)" if r["shadow"] else ""),
                        r["summary"]["companies"],
                        r["summary"]["red"],
                        r["summary"]["black"],
                        r["summary"]["downgrades"],
                        r["as_of"],
                    ]
                    for r in found
                ],
            )
        ),
    )


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A run's manifest: engine, rule set fingerprints, inputs in scope, as-of, parameters."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
    payload = {k: v for k, v in info.items() if k not in ("summary",)} | {
        "summary": info["summary"]
    }
    emit(inv, payload, lambda: stdout.print_json(data=to_jsonable(info["manifest"])))
