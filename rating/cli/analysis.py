"""Analysis commands: report, integrity scan|list|show|review, warning backtest|rank."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rating.analysis import backtest as backtest_mod
from rating.analysis import integrity as integrity_mod
from rating.analysis import warning as warning_mod
from rating.analysis.detection import IntegrityParams
from rating.analysis.features import describe
from rating.cli.common import DbOption, Invocation, JsonOption, emit, stdout, table
from rating.engine import standing
from rating.errors import UsageError
from rating.periods import Period

integrity_app = typer.Typer(
    help="Suspicious complaints (near-duplicates, bursts, campaigns): scan, list, review.",
    no_args_is_help=True,
)
warning_app = typer.Typer(
    help="Early warning: risk of a downgrade or black-list entry next period.",
    no_args_is_help=True,
)
ModelOption = Annotated[str, typer.Option(help="logistic or boosting.")]


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.add_typer(integrity_app, name="integrity")
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
    """Quarterly report of a run: self-contained HTML and an Excel workbook, with charts."""
    from rating.report import build

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
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
            language=getattr(inv.settings, "language", "zh"),
        )
    payload = {**result.as_dict(), "read": read.as_dict()}

    def render() -> None:
        stdout.print(f"[dim]read {read.line()}[/]")
        stdout.print(f"[bold]{result.run_id}[/] {result.period}: report written")
        stdout.print(f"  {result.html}\n  {result.workbook}")
        stdout.print(
            f"  charts {', '.join(result.charts)}; {len(result.cards)} report cards; font {result.font}"
        )
        if result.psi is not None:
            color = {"warning": "red", "watch": "yellow"}.get(result.psi_level or "", "green")
            stdout.print(f"  grade stability PSI {result.psi} [{color}]{result.psi_level}[/]")
        for name, why in result.unavailable.items():
            stdout.print(f"  [yellow]{name} not shown[/]: {why}")

    emit(inv, payload, render)


@integrity_app.command("scan")
def integrity_scan(
    period: Annotated[str, typer.Option(help="Period whose complaints are scanned, e.g. 2026Q3.")],
    min_probability: Annotated[
        float | None,
        typer.Option(
            help="Probability (0–1) of the same case from which a later complaint is held as a "
            "duplicate (default: the model's own threshold).",
            min=0.01,
            max=1.0,
        ),
    ] = None,
    window_days: Annotated[
        int,
        typer.Option(
            help="Days within which a refiled complaint counts as a duplicate; longer by the "
            "duration a complaint states, up to --max-window-days.",
            min=1,
            max=60,
        ),
    ] = IntegrityParams.duplicate_window_days,
    max_window_days: Annotated[
        int,
        typer.Option(
            help="Longest window: a problem said to last weeks, or said to be filed before.",
            min=1,
            max=120,
        ),
    ] = IntegrityParams.duplicate_max_window_days,
    model: Annotated[
        str, typer.Option(help="Stored duplicate model (rating/analysis/models/<version>.json).")
    ] = IntegrityParams.duplicate_model,
    campaign_min: Annotated[
        int,
        typer.Option(
            help="Smallest group of alike complaints that is a campaign.", min=3, max=1000
        ),
    ] = IntegrityParams.campaign_min_size,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Find near-duplicate complaints, bursts and campaigns; hold them out of scoring until reviewed."""
    inv = Invocation(db, json)
    params = IntegrityParams(
        duplicate_model=model,
        duplicate_probability=min_probability,
        duplicate_window_days=window_days,
        duplicate_max_window_days=max(window_days, max_window_days),
        campaign_min_size=campaign_min,
    )
    with inv.warehouse() as con:
        result = integrity_mod.scan(con, inv.settings, Period.parse(period), params)
    data = result.as_dict()
    emit(
        inv,
        data,
        lambda: stdout.print(
            f"[bold]{result.scan_id}[/]: {result.scanned:,} complaints, {result.pairs:,} pairs compared; "
            f"flagged {', '.join(f'{k} {v:,}' for k, v in sorted(result.flagged.items())) or 'none'}; "
            f"{result.new_holds:,} newly held ({result.already_recorded:,} already recorded); "
            f"holds watermark {result.holds_watermark}.\n"
            f"Next: rating integrity list · rating integrity review <ID> --release|--confirm --note … --by …"
        ),
    )


def _evidence_text(row: dict[str, Any]) -> str:
    e = row["evidence"]
    if row["reason"] == "NEAR_DUPLICATE" and e.get("matches"):
        m = e["matches"][0]
        return (
            f"repeats {m['complaint_id']} (p {m.get('probability', '–')}, similarity "
            f"{m['similarity']}, {m['hours']} h earlier, {m['channel']})"
        )
    if row["reason"] == "CAMPAIGN":
        return (
            f"campaign {e.get('campaign')}: {e.get('size')} complaints in {e.get('span_hours')} h"
        )
    if row["reason"] == "BURST":
        return f"{int(e.get('score', 0))} complaints in the window, {e.get('expected', 0):.2f} expected (p={e.get('p_value', 0):.1e})"
    return ""


@integrity_app.command("list")
def integrity_list(
    status: Annotated[str | None, typer.Option(help="held, released or confirmed.")] = None,
    reason: Annotated[str | None, typer.Option(help="NEAR_DUPLICATE, CAMPAIGN or BURST.")] = None,
    period: Annotated[
        str | None, typer.Option(help="Only complaints received in this period.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Held complaints with the reason and evidence, and any review decision."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        found, truncated = integrity_mod.list_holds(
            con, status, reason, Period.parse(period) if period else None, limit, offset
        )
    rows = [
        [
            r["complaint_id"],
            r["received_at"],
            r["project_id"],
            r["reason"],
            r["status"],
            _evidence_text(r),
            r["actor"] if r["status"] != "held" else "",
            r["note"] or "",
            (r["content"] or "")[:40],
        ]
        for r in found
    ]
    emit(
        inv,
        {"rows": found, "truncated": truncated},
        lambda: stdout.print(
            table(
                f"Held complaints ({len(found)}{'+' if truncated else ''})",
                [
                    "complaint",
                    "received",
                    "project",
                    "reason",
                    "status",
                    "evidence",
                    "reviewer",
                    "note",
                    "text",
                ],
                rows,
            )
        ),
    )


@integrity_app.command("show")
def integrity_show(
    complaint_id: Annotated[str, typer.Argument(help="Complaint (work order) id.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A held complaint beside those it matched, and its review trail (who, when, decision, note)."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        found = integrity_mod.show(con, complaint_id)

    def render() -> None:
        stdout.print(f"[bold]{complaint_id}[/] {found['reason']} — {found['status']}")
        stdout.print(
            table(
                "Complaints",
                ["complaint", "received", "channel", "project", "finding", "text"],
                [
                    [
                        c["complaint_id"],
                        c["received_at"],
                        c["channel"],
                        c["project_id"],
                        c["fact_finding"],
                        c["content"],
                    ]
                    for c in found["complaints"]
                ],
            )
        )
        _render_evidence(found["evidence"])
        stdout.print(
            table(
                "Trail",
                ["seq", "action", "by", "at", "note / evidence"],
                [
                    [
                        t["seq"],
                        t["action"],
                        t["actor"],
                        t["recorded_at"],
                        t["detail"].get("note") or t["detail"].get("scan"),
                    ]
                    for t in found["trail"]
                ],
            )
        )

    emit(inv, found, render)


_FACT_ROWS = (
    ("building", "楼栋 building"),
    ("unit", "单元 unit"),
    ("room", "室 room"),
    ("phone", "电话 phone"),
    ("facility", "设施 facility"),
    ("problem", "问题 problem"),
    ("stated_days", "已持续 stated days"),
    ("filed_before", "之前反映过 filed before"),
    ("broke_again", "又坏了 broke again"),
)


def _render_evidence(evidence: dict[str, Any]) -> None:
    """A near-duplicate's weighed evidence and the facts read from both texts, when recorded."""
    if not evidence.get("evidence"):
        return
    best = evidence["matches"][0]
    stdout.print(
        table(
            f"Why it repeats {best['complaint_id']}: model {evidence.get('model')}, probability "
            f"{best.get('probability')} (held from {evidence.get('threshold')}); each term adds "
            f"its log-odds to the intercept {float(evidence.get('intercept') or 0):.2f}",
            ["feature", "meaning", "value", "weight", "log-odds"],
            [
                [e["feature"], e["meaning"], e["value"], e["weight"], e["log_odds"]]
                for e in evidence["evidence"]
            ],
        )
    )
    read = evidence.get("facts", {})
    mine, theirs = read.get("complaint", {}), read.get("match", {})
    stdout.print(
        table(
            "Facts read from the texts",
            ["fact", "this complaint", best["complaint_id"]],
            [[label, _fact(mine.get(k)), _fact(theirs.get(k))] for k, label in _FACT_ROWS],
        )
    )


def _fact(v: Any) -> str:
    if v is None or v == []:
        return "–"
    if isinstance(v, list):
        return "、".join(str(x) for x in v)
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


@integrity_app.command("review")
def integrity_review(
    complaint_id: Annotated[str, typer.Argument(help="Complaint (work order) id.")],
    release: Annotated[bool, typer.Option("--release", help="Genuine: count it again.")] = False,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Duplicate or campaign: keep it out.")
    ] = False,
    note: Annotated[str, typer.Option(help="Why (recorded with the decision).")] = "",
    by: Annotated[str, typer.Option("--by", help="Reviewer's name (recorded).")] = "",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Record a reviewer's decision on a held complaint; the next run honours it."""
    if release == confirm:
        raise UsageError(
            "give exactly one of --release or --confirm", code="INTEGRITY_BAD_DECISION"
        )
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = integrity_mod.review(
            con, inv.settings, complaint_id, "release" if release else "confirm", note, by
        )
    emit(
        inv,
        done,
        lambda: stdout.print(
            f"{complaint_id}: {done['status']} by {done['actor']} at {done['recorded_at']:%Y-%m-%d %H:%M} "
            f"(seq {done['seq']}); rerun the period for it to take effect."
        ),
    )


TargetOption = Annotated[
    str,
    typer.Option(
        help="What is predicted: event (a new downgrade or black-list entry) or black "
        "(on the black list next period, new or staying)."
    ),
]


@warning_app.command("backtest")
def warning_backtest(
    model: ModelOption = "logistic",
    target: TargetOption = "event",
    min_train_periods: Annotated[
        int, typer.Option(help="Outcome periods needed before scoring one.", min=1, max=40)
    ] = warning_mod.MIN_TRAIN_PERIODS,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Time-based backtest of the early-warning model: ranking, calibration, against the current-grade baseline."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        result = backtest_mod.backtest(con, model, min_train_periods, target)
    data = result.as_dict() | {
        "beats_baseline": result.beats_baseline,
        "verdict": backtest_mod.verdict(result),
    }

    def render() -> None:
        stdout.print(
            f"{result.predicts} — {result.rows:,} company-periods, {result.events:,} events"
        )
        stdout.print(
            table(
                f"Backtest ({model}, calibration: {result.calibration_method})",
                ["", "ROC AUC", "Brier", "log loss", "ECE", "slope", "top-decile share"],
                result.metric_rows(),
            )
        )
        stdout.print(
            table(
                "Reliability (equal-width bins of the calibrated probability)",
                ["bin", "n", "predicted", "observed", "95% interval"],
                [
                    [
                        f"{b['low']:.1f}-{b['high']:.1f}",
                        b["n"],
                        b["predicted"],
                        b["observed"],
                        ""
                        if not b["n"]
                        else f"{b['observed_ci95'][0]:.2f}-{b['observed_ci95'][1]:.2f}",
                    ]
                    for b in result.calibration["model"]
                ],
            )
        )
        stdout.print(
            table(
                "Folds (each trained and calibrated only on earlier outcomes)",
                [
                    "scored",
                    "trained on",
                    "calibrated with",
                    "test rows",
                    "events",
                    "mean p",
                    "observed",
                ],
                [
                    [
                        f["scored"],
                        ", ".join(f["trained_on"]),
                        f["calibrated_with"],
                        f["test_rows"],
                        f["events"],
                        q["predicted"],
                        q["observed"],
                    ]
                    for f, q in zip(result.folds, result.per_period, strict=True)
                ],
            )
        )
        stdout.print(backtest_mod.verdict(result))

    emit(inv, data, render)


@warning_app.command("rank")
def warning_rank(
    period: Annotated[
        str | None, typer.Option(help="Period scored (default: the latest rated).")
    ] = None,
    model: ModelOption = "logistic",
    target: TargetOption = "event",
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 20,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Companies ordered by risk next period — who to inspect first; probabilities only where the backtest shows them calibrated."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        ranking = warning_mod.rank(con, period, model, target)
    data = ranking.as_dict()
    data["truncated"] = len(ranking.companies) > limit
    data["companies"] = data["companies"][:limit]
    shown = ranking.companies[:limit]
    emit(
        inv,
        data,
        lambda: stdout.print(
            table(
                f"{ranking.predicts}: {ranking.for_period} (scored {ranking.period}, trained on "
                f"{', '.join(ranking.trained_on)}; calibration {ranking.calibration['method']})",
                ["#", "uscc", "name", "district", "grade", "score", "risk", "baseline", "drivers"],
                [
                    [
                        c.rank,
                        c.uscc,
                        c.name,
                        c.district,
                        c.grade,
                        c.score,
                        c.text(),
                        c.baseline,
                        "、".join(describe(d) for d in c.drivers),
                    ]
                    for c in shown
                ],
            )
        ),
    )
