"""Analysis commands: report, warning backtest|rank."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rating.cli.common import (
    DbOption,
    Invocation,
    JsonOption,
    OutOption,
    emit,
    require_extra,
    say,
    working,
)
from rating.cli.display import Col, count, listing, print_table, text
from rating.cli.i18n import _, error_text, language
from rating.cli.shown import read_text

if TYPE_CHECKING:
    from rating.analysis.warning import Ranking

warning_app = typer.Typer(
    help="Early warning: risk of a downgrade or black-list entry next period.",
    no_args_is_help=True,
)
ModelOption = Annotated[str, typer.Option(help="logistic or boosting.")]
TargetOption = Annotated[
    str,
    typer.Option(
        help="What is predicted: event (a new downgrade or black-list entry) or black "
        "(on the black list next period, new or staying)."
    ),
]
METHODS = {"none": "none", "temperature": "temperature", "platt": "Platt", "isotonic": "isotonic"}


def register(app: typer.Typer) -> None:
    """Add `rating report` and `rating warning …` to the `rating` command line app
    (`rating.cli.app`)."""
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
        int,
        typer.Option(
            help="Report cards, one printed page each, for the companies that need a decision "
            "(new black-list entries, vetoes, biggest drops).",
            min=0,
            max=500,
        ),
    ] = 10,
    top: Annotated[
        int,
        typer.Option(help="Rows of the early-warning ranking in the summary.", min=1, max=50),
    ] = 10,
    model: ModelOption = "logistic",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Quarterly report of a run: self-contained HTML and an Excel workbook, with charts (extra 'report')."""
    for module in ("matplotlib", "jinja2"):
        require_extra(module, "report", "report")
    from rating.report import build

    inv = Invocation(db, json)
    from rating.engine import standing

    with inv.warehouse(read_only=True) as con, working(inv, _("writing the report")):
        read = standing.read_run(con, run_id)
        result = build(
            con,
            inv.settings,
            read.run_id,
            out,
            companies=company,
            cards=cards,
            top=top,
            model=model,
            language=language(),
        )
    payload = {**result.as_dict(), "read": read.as_dict()}

    def render() -> None:
        say(read_text(read.as_dict()))
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


def _range(low: float, high: float) -> str:
    return f"{low:.2f}–{high:.2f}"


@warning_app.command("backtest")
def warning_backtest(
    model: ModelOption = "logistic",
    target: TargetOption = "event",
    min_train_periods: Annotated[
        int | None,
        typer.Option(help="Outcome periods needed before scoring one (default 2).", min=1, max=40),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Time-based backtest of the early-warning model: ranking, calibration, against the current-grade baseline."""
    from rating.analysis import backtest as backtest_mod
    from rating.analysis import warning as warning_mod

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con, working(inv, _("backtesting")):
        result = backtest_mod.backtest(
            con, model, min_train_periods or warning_mod.MIN_TRAIN_PERIODS, target
        )
    verdict = backtest_mod.verdict(result)
    data = result.as_dict() | {"beats_baseline": result.beats_baseline, "verdict": verdict}
    names = {
        "model": _("model (calibrated)"),
        "uncalibrated": _("model (uncalibrated)"),
        "baseline": _("baseline (current grade)"),
    }

    def render() -> None:
        say(
            _("{predicts}: {rows:,} company-periods, {events:,} events").format(
                predicts=result.predicts, rows=result.rows, events=result.events
            )
        )
        print_table(
            _("Backtest ({model}, calibration: {method})").format(
                model=model,
                method=METHODS.get(result.calibration_method, result.calibration_method),
            ),
            [
                "",
                _("ROC AUC"),
                _("Brier"),
                _("log loss"),
                _("ECE"),
                _("slope"),
                _("share of events in the top tenth"),
            ],
            [[names.get(r[0], r[0]), *[text(v) for v in r[1:]]] for r in result.metric_rows()],
        )
        print_table(
            _("Reliability (equal-width bins of the calibrated probability)"),
            [_("bin"), _("companies"), _("predicted"), _("observed"), _("95% interval")],
            [
                [
                    _range(b["low"], b["high"]),
                    count(b["n"]),
                    text(b["predicted"]),
                    text(b["observed"]),
                    _range(*b["observed_ci95"]) if b["n"] else "",
                ]
                for b in result.calibration["model"]
            ],
        )
        print_table(
            _("Folds (each trained and calibrated only on earlier outcomes)"),
            [
                _("scored"),
                Col(_("trained on"), wrap=True),
                Col(_("calibrated with"), wrap=True),
                _("test rows"),
                _("events"),
                _("mean predicted"),
                _("observed"),
            ],
            [
                [
                    f["scored"],
                    listing(f["trained_on"]),
                    text(f["calibrated_with"]),
                    count(f["test_rows"]),
                    count(f["events"]),
                    text(q["predicted"]),
                    text(q["observed"]),
                ]
                for f, q in zip(result.folds, result.per_period, strict=True)
            ],
        )
        say(error_text("text", verdict))

    emit(inv, data, render)


def _ranking_title(ranking: Ranking) -> str:
    method = str(ranking.calibration.get("method", "none"))
    return _(
        "{predicts}: {next} (scored {period}, trained on {trained}; calibration {method})"
    ).format(
        predicts=ranking.predicts,
        next=ranking.for_period,
        period=ranking.period,
        trained=listing(ranking.trained_on),
        method=METHODS.get(method, method),
    )


def _export_ranking(inv: Invocation, ranking: Ranking, out: Path) -> None:
    """`rating warning rank --out`: every company ranked, as the screen's table says it (the
    risk in words, the drivers described), like every `--out`."""
    import polars as pl

    from rating.analysis.features import describe
    from rating.cli.outfile import write_out
    from rating.exports import Sheet

    schema = {"rank": pl.Int64, "uscc": pl.String, "name": pl.String, "district": pl.String,
              "grade": pl.String, "score": pl.Float64, "risk": pl.String,
              "probability": pl.Float64, "baseline": pl.Float64, "drivers": pl.String}  # fmt: skip
    frame = pl.DataFrame(
        [
            (c.rank, c.uscc, c.name, c.district, c.grade, c.score, c.text(), c.probability,
             c.baseline, _("、").join(describe(d) for d in c.drivers))
            for c in ranking.companies
        ],
        schema=schema,
        orient="row",
    )  # fmt: skip
    about = {"what": _ranking_title(ranking), "period": ranking.period,
             "warehouse": str(inv.settings.db_path),
             "exported_at": inv.settings.current_time().isoformat()}  # fmt: skip
    write_out(inv, out, [Sheet("ranking", frame)], about)


@warning_app.command("rank")
def warning_rank(
    period: Annotated[
        str | None, typer.Option(help="Period scored (default: the latest rated).")
    ] = None,
    model: ModelOption = "logistic",
    target: TargetOption = "event",
    limit: Annotated[int, typer.Option(help="Companies to show.", min=1, max=100_000)] = 20,
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Companies ordered by risk next period, who to inspect first; probabilities only where the backtest shows them calibrated. --out rank.xlsx writes every company ranked."""
    from rating.analysis import warning as warning_mod
    from rating.analysis.features import describe
    from rating.exports import output_format

    inv = Invocation(db, json)
    if out is not None:
        output_format(out)
    with inv.warehouse(read_only=True) as con, working(inv, _("ranking")):
        ranking = warning_mod.rank(con, period, model, target)
    if out is not None:
        _export_ranking(inv, ranking, out)
        return
    data = ranking.as_dict()
    data["truncated"] = len(ranking.companies) > limit
    data["companies"] = data["companies"][:limit]
    shown = ranking.companies[:limit]
    emit(
        inv,
        data,
        lambda: print_table(
            _ranking_title(ranking),
            [
                "#",
                Col(_("USCC"), keep=True),
                Col(_("name"), wrap=True),
                Col(_("district"), wrap=True),
                _("grade"),
                _("score"),
                Col(_("risk"), keep=True, wrap=True),
                _("baseline"),
                Col(_("drivers"), wrap=True),
            ],
            [
                [
                    c.rank,
                    c.uscc,
                    c.name,
                    c.district,
                    c.grade or "–",
                    text(c.score),
                    c.text(),
                    text(c.baseline),
                    "、".join(describe(d) for d in c.drivers),
                ]
                for c in shown
            ],
        ),
    )
