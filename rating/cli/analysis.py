"""Analysis commands: report, warning backtest|rank."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, require_extra, say, working
from rating.cli.display import Col, count, listing, print_table, text
from rating.cli.i18n import _, error_text

warning_app = typer.Typer(
    help="Early warning: risk of a downgrade or black-list entry next period.",
    no_args_is_help=True,
)
ModelOption = Annotated[str, typer.Option(help="logistic or boosting.")]


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.add_typer(warning_app, name="warning")


def report(
    run_id: Annotated[str | None, typer.Argument(help="Run id (default: the latest run).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the HTML and Excel files.")] = Path(
        "reports"
    ),
    company: Annotated[
        list[str] | None, typer.Option("--company", help="USCC to add a report card for (repeat).")
    ] = None,
    cards: Annotated[
        int, typer.Option(help="Report cards (black list, downgrades, risk).", min=0, max=500)
    ] = 10,
    top: Annotated[
        int, typer.Option(help="Rows of the early-warning ranking shown.", min=1, max=10_000)
    ] = 20,
    model: ModelOption = "logistic",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Quarterly report of a run: self-contained HTML and an Excel workbook, with charts."""
    require_extra("matplotlib", "report", "report")
    from rating.report import build

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con, working(inv, _("writing the report")):
        result = build(
            con, inv.settings, run_id, out, companies=company, cards=cards, top=top, model=model
        )
    payload = result.as_dict()

    def render() -> None:
        say(
            _("{run_id} {period}: report written").format(
                run_id=result.run_id, period=result.period
            )
        )
        say(f"  {result.html}\n  {result.workbook}")
        say(
            "  "
            + _("charts: {charts}; {cards} report cards; font {font}").format(
                charts=listing(result.charts), cards=len(result.cards), font=result.font
            )
        )
        if result.psi is not None:
            level = {"warning": _("warning"), "watch": _("watch")}.get(
                result.psi_level or "", _("stable")
            )
            say(
                "  "
                + _("grade stability PSI {psi}: {level}").format(psi=text(result.psi), level=level)
            )
        for name, why in result.unavailable.items():
            code, _sep, message = why.removeprefix("[").partition("] ")
            shown = f"[{code}] {error_text(code, message)}" if message else why
            say("  " + _("{name} not shown: {why}").format(name=name, why=shown))

    emit(inv, payload, render)


@warning_app.command("backtest")
def warning_backtest(
    model: ModelOption = "logistic",
    min_train_periods: Annotated[
        int | None,
        typer.Option(help="Outcome periods needed before scoring one (default 2).", min=1, max=40),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Time-based backtest of the early-warning model against the current-grade baseline."""
    from rating.analysis import warning as warning_mod

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con, working(inv, _("backtesting")):
        result = warning_mod.backtest(
            con, model, min_train_periods or warning_mod.MIN_TRAIN_PERIODS
        )
    verdict = warning_mod.verdict(result)
    data = result.as_dict() | {"beats_baseline": result.beats_baseline, "verdict": verdict}
    names = {"model": _("model"), "baseline": _("baseline (current grade)")}

    def render() -> None:
        print_table(
            _("Backtest ({model}): {rows:,} company-periods, {events:,} events").format(
                model=model, rows=result.rows, events=result.events
            ),
            ["", _("ROC AUC"), _("Brier"), _("log loss"), _("share of events in the top tenth")],
            [[names.get(r[0], r[0]), *[text(v) for v in r[1:]]] for r in result.metric_rows()],
        )
        print_table(
            _("Folds (each trained only on earlier outcomes)"),
            [
                _("scored"),
                Col(_("trained on"), wrap=True),
                _("train rows"),
                _("test rows"),
                _("events"),
            ],
            [
                [
                    f["scored"],
                    listing(f["trained_on"]),
                    count(f["train_rows"]),
                    count(f["test_rows"]),
                    count(f["events"]),
                ]
                for f in result.folds
            ],
        )
        say(error_text("text", verdict))

    emit(inv, data, render)


@warning_app.command("rank")
def warning_rank(
    period: Annotated[
        str | None, typer.Option(help="Period scored (default: the latest rated).")
    ] = None,
    model: ModelOption = "logistic",
    limit: Annotated[int, typer.Option(help="Companies to show.", min=1, max=100_000)] = 20,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Companies ordered by risk of a downgrade or black-list entry next period: who to inspect first."""
    from rating.analysis import warning as warning_mod
    from rating.analysis.features import describe

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con, working(inv, _("ranking")):
        ranked = warning_mod.rank(con, period, model)
    ranked["truncated"] = len(ranked["companies"]) > limit
    ranked["companies"] = ranked["companies"][:limit]
    emit(
        inv,
        ranked,
        lambda: print_table(
            _("Risk for {next} (scored {period}, trained on {trained})").format(
                next=ranked["for_period"],
                period=ranked["period"],
                trained=listing(ranked["trained_on"]),
            ),
            [
                "#",
                Col(_("USCC"), keep=True),
                Col(_("name"), wrap=True),
                Col(_("district"), wrap=True),
                _("grade"),
                _("score"),
                _("risk"),
                _("baseline"),
                Col(_("drivers"), wrap=True),
            ],
            [
                [
                    c["rank"],
                    c["uscc"],
                    c["name"],
                    c["district"],
                    c["grade"],
                    text(c["score"]),
                    text(c["probability"]),
                    text(c["baseline"]),
                    "、".join(describe(d) for d in c["drivers"]),
                ]
                for c in ranked["companies"]
            ],
        ),
    )
