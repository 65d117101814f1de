"""Run commands: run, show, explain, runs list|show, demo."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Annotated, Any

import typer

from rating.cli.common import (
    DbOption,
    Invocation,
    JsonOption,
    emit,
    progress_bar,
    stdout,
    table,
    to_jsonable,
)
from rating.engine import explainer
from rating.engine.runner import RunReport, execute_run
from rating.errors import UsageError
from rating.periods import Period
from rating.ruleset import registry
from rating.settings import Settings

runs_app = typer.Typer(help="Stored runs: list them, show one's manifest.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("show")(show)
    app.command("explain")(explain)
    app.command("demo")(demo)
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
    inv: Invocation, period: str, rules: str | None, force: bool, settings: Settings | None = None
) -> RunReport:
    p = Period.parse(period)
    settings = settings or inv.settings
    rs = registry.select(settings.rules_dir, rules, settings.ruleset, p, force)
    with inv.warehouse() as con, progress_bar(inv, f"rating {p}") as progress:
        return execute_run(
            con, settings, rs, p, forced=force and not registry.in_force(rs, p), progress=progress
        )


def run(
    period: Annotated[str, typer.Option(help="Period to rate, e.g. 2025Q3.")],
    rules: Annotated[
        str | None, typer.Option(help="NAME@VERSION; default: the version in force.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Use a rule version outside its validity (recorded).")
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Rate every project and company for a period; store grades, lists, downgrades, evidence."""
    inv = Invocation(db, json)
    report = do_run(inv, period, rules, force)
    emit(inv, report.as_dict(), lambda: _render_run(report.as_dict()))


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
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A run's grades, red and black lists and downgrades, with provenance."""
    inv = Invocation(db, json)
    if list_ is not None and list_ not in explainer.LISTS:
        raise UsageError(f"--list must be one of {', '.join(explainer.LISTS)}", code="BAD_REQUEST")
    wanted = [list_] if list_ else ["red", "black", "downgrades"]
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
        lists = {w: explainer.list_companies(con, info["run_id"], w, limit, offset) for w in wanted}
    payload = {
        "run_id": info["run_id"],
        "period": info["period"],
        "rules": info["ruleset"],
        "status": info["status"],
        **info["summary"],
        "provenance": explainer.provenance(info),
        "lists": {w: {"rows": r, "truncated": t} for w, (r, t) in lists.items()},
    }

    def render() -> None:
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


def explain(
    uscc: Annotated[str, typer.Argument(help="The company's unified social credit code.")],
    run_id: Annotated[
        str | None, typer.Option("--run", help="Run id (default: the latest run).")
    ] = None,
    evidence: Annotated[
        int, typer.Option(help="Evidence records to show per rule.", min=0, max=100_000)
    ] = 5,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Why a company got its grade: each rule, its points and clause, and the records behind it."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        card = explainer.explain(con, run_id, uscc.strip().upper(), limit=evidence)
    emit(inv, card, lambda: _render_explain(card))


def _render_explain(card: dict[str, Any]) -> None:
    c = card["company"]
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


def _bureau_day(inv: Invocation, period: Period, days_after: int) -> datetime | None:
    """10:00 on the day `days_after` the period ends, or None when that lies in the future."""
    settings = inv.settings
    moment = datetime.combine(period.end + timedelta(days=days_after), dt_time(10), settings.zone)
    return moment if moment <= settings.current_time() else None


def _disclose_as_a_bureau_would(inv: Invocation, run_id: str, period: Period) -> None:
    """Publicity five days after the quarter ends, publication twenty days later, on those
    (past) days; a run whose days lie in the future stays in draft or publicity."""
    from rating.audit.publication import publicize, publish

    settings = inv.settings
    publicity, published = _bureau_day(inv, period, 5), _bureau_day(inv, period, 25)
    with inv.warehouse() as con:
        if publicity is not None:
            publicize(con, settings.with_(now=publicity), run_id)
        if published is not None:
            publish(con, settings.with_(now=published), run_id)


def demo(
    complaints: Annotated[
        int, typer.Option(help="Complaint orders in the generated city.", min=1000)
    ] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
    folder: Annotated[
        Path, typer.Option("--dir", help="Where the demo's exports and warehouse go.")
    ] = Path("demo"),
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Generate a city, ingest its exports, rate and publish every quarter, show the latest."""
    from rating.ingest.folder import ingest_folder
    from rating.synth import generate as synth_generate

    inv = Invocation(db or folder / "rating.duckdb", json)
    timings: dict[str, float] = {}
    exports = folder / "exports"
    started = time.perf_counter()
    with progress_bar(inv, "generating") as progress:
        generated = synth_generate(exports, complaints=complaints, seed=seed, progress=progress)
    timings["generate_s"] = time.perf_counter() - started
    db_path = inv.settings.db_path
    for leftover in (db_path, db_path.with_name(db_path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    with inv.warehouse() as con, progress_bar(inv, "ingesting") as progress:
        ingested = ingest_folder(con, inv.settings, exports, progress)
    timings["ingest_s"] = time.perf_counter() - started
    started = time.perf_counter()
    reports = []
    for period in generated.periods:
        rated_on = _bureau_day(inv, Period.parse(period), 3)  # rated three days after the quarter
        reports.append(do_run(inv, period, None, False, inv.settings.with_(now=rated_on)))
        _disclose_as_a_bureau_would(inv, reports[-1].run_id, Period.parse(period))
    timings["rate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    from rating.cli.public import export_snapshot

    snapshot = export_snapshot(inv)
    timings["public_snapshot_s"] = time.perf_counter() - started
    last = reports[-1]
    payload = {
        **last.as_dict(),
        "warehouse": str(db_path),
        "public_snapshot": snapshot["folder"],
        "periods": [r.as_dict() for r in reports],
        "rows_loaded": sum(r.rows_loaded for r in ingested),
        "rows_quarantined": sum(r.rows_quarantined for r in ingested),
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }
    if inv.json:
        emit(inv, payload, lambda: None)
        return
    stdout.print(
        f"Generated {complaints:,} complaints into {exports} in {timings['generate_s']:.1f}s; "
        f"loaded {payload['rows_loaded']:,} rows ({payload['rows_quarantined']:,} quarantined) "
        f"in {timings['ingest_s']:.1f}s; rated {len(reports)} quarters in {timings['rate_s']:.1f}s."
    )
    show(last.run_id, None, 10, 0, db_path, False)
    stdout.print(
        f"\nNext: rating explain <USCC> --db {db_path}   ·   rating show --list grades --db {db_path}"
    )
