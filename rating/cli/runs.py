"""Run commands: run, show, runs list|show."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rating.cli.common import (
    DbOption,
    Invocation,
    JsonOption,
    OutOption,
    emit,
    progress_bar,
    say,
    stdout,
    to_jsonable,
)
from rating.cli.display import Col, count, listing, print_table, when, word
from rating.cli.i18n import _, error_text
from rating.cli.shown import Shown, grade_reason, read_text, reason_text, render_run, shown_for
from rating.errors import UsageError
from rating.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb

    from rating.consequences.classes import SupervisionStatus
    from rating.engine.planner import RateResult, RunRequest
    from rating.engine.shapes import CompanyListRow, RunRow

runs_app = typer.Typer(help="Stored runs: list them, show one's manifest.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `rating run`, `rating show` and `rating runs …` to the `rating` command line app
    (`rating.cli.app`)."""
    app.command("run")(run)
    app.command("show")(show)
    app.add_typer(runs_app, name="runs")


def do_run(
    inv: Invocation,
    request: RunRequest,
    settings: Settings | None = None,
    then: Callable[[duckdb.DuckDBPyConnection, RateResult], None] | None = None,
) -> tuple[RateResult, Shown]:
    """Rate a period (with its missing history first when asked): rating.engine.planner.rate.
    `then` reads what the run stored on the run's own connection (opening the warehouse a
    second time cost `rating run` about 0.1 s at 10M, issue 21)."""
    from rating.engine.planner import rate
    from rating.ruleset import registry

    settings = settings or inv.settings
    rs = registry.select(
        settings.rules_dir, request.rules, settings.ruleset, request.period, request.force
    )
    label = _("rating {period}").format(period=request.period)
    with inv.warehouse() as con:
        with progress_bar(inv, label, each_step=False) as progress:
            result = rate(con, settings, request, progress=progress)
        if then is not None:
            then(con, result)
    shown = Shown(rs.definition.grade_order, rs.definition.score_places, rs.definition)
    for report in (result.report, *result.history_made):
        report.summary["grades"] = shown.grades(report.summary["grades"])
    return result, shown


def _render_rated(result: RateResult, shown: Shown) -> None:
    for made in result.history_made:
        say(
            _("history run made first: {run_id} ({period})").format(
                run_id=made.run_id, period=made.period
            )
        )
    render_run(result.report.as_dict(), shown)
    check = result.history
    found = _(", ").join(
        f"{p} {r.run_id} ({word('status', r.status)})" for p, r in sorted(check.runs.items())
    )
    line = _("history read: {found}").format(found=found or _("none needed"))
    if check.first_data_period:
        line += _(" — the data starts in {period}").format(period=check.first_data_period)
    say("  " + line)
    for o in result.overrides:
        say(
            "  "
            + _("override recorded: [{code}] {message}").format(
                code=o.code, message=error_text(o.code, o.message)
            )
        )


def run(
    period: Annotated[str, typer.Option(help="Period to rate, e.g. 2025Q3.")],
    rules: Annotated[
        str | None, typer.Option(help="NAME@VERSION; default: the version in force.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Use a rule version outside its validity (recorded).")
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
    again: Annotated[
        bool,
        typer.Option(
            "--again",
            help="Rate again when a run of the period over the same records and rules exists.",
        ),
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Rate every project and company for a period; store grades, lists, downgrades, evidence.

    Refused when the period has not ended, holds no data, or an earlier period the rules read
    (streaks, downgrades) has no run — the message lists the commands that fix it — and
    when a run of the period over the same records and rules exists (`--again` rates anyway).
    """
    from rating.engine.planner import RunRequest
    from rating.periods import Period

    inv = Invocation(db, json)
    from rating.cli.supervision_status import render_supervision, supervision_after

    request = RunRequest(Period.parse(period), rules, force, with_history, force_period, again)
    found: list[SupervisionStatus | None] = []
    result, shown = do_run(
        inv, request, then=lambda con, r: found.append(supervision_after(inv, con, r.report.run_id))
    )
    supervision = found[0]

    def render() -> None:
        _render_rated(result, shown)
        if supervision is not None:
            render_supervision(supervision)

    payload = {**result.as_dict(), "supervision": supervision.as_dict() if supervision else None}
    emit(inv, payload, render)


def _company_rows(found: list[CompanyListRow], extra: str, shown: Shown) -> list[list[Any]]:
    return [
        [
            r["uscc"],
            r["name"],
            r["district"],
            shown.score(r["score"]),
            r["grade"] or _("not rated"),
            r["prev_grade"] or "–",
            _list_reason(r, extra, shown),
        ]
        for r in found
    ]


def _list_reason(row: Mapping[str, Any], extra: str, shown: Shown) -> str:
    if extra == "veto_rules":
        return listing(row.get("veto_rules"))
    if extra == "grade_reason":
        return grade_reason(row, shown)
    text = reason_text(row.get(extra))
    streak = row.get("streak")
    if extra == "black_reason" and streak and streak["periods"] > 1:
        # The list's title names every ground ("three C in a row, or serious violations"):
        # say which one this company meets — the streak here, the veto rules in brackets.
        text += _("; ") + _("{periods} consecutive period(s) graded {grade}, since {since}").format(
            periods=streak["periods"], grade=streak["grade"], since=streak["since"]
        )
    return text


def _add_streaks(con: Any, info: RunRow, found: list[CompanyListRow]) -> None:
    """Each black-list row gains `streak` (rating.engine.history.Streak) when it has one."""
    from rating.engine import explainer, history

    loaded = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
    streaks = history.streaks(con, info["run_id"], info["manifest"], loaded.streak_grades)
    for row in found:
        streak = streaks.get(row["uscc"])
        row["streak"] = streak.as_dict() if streak else None


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
    from rating.engine import explainer

    inv = Invocation(db, json)
    if list_ is not None and list_ not in explainer.LISTS:
        from rating.ingest.quarantine import closest_hint

        names = list(explainer.LISTS)
        raise UsageError(
            f"unknown list '{list_}'{closest_hint(list_, names)}: use one of {', '.join(names)}",
            code="BAD_REQUEST",
        )
    if out is not None:
        _export_lists(inv, run_id, list_, out)
        return
    wanted = [list_] if list_ else ["red", "black", "downgrades"]
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
        shown = shown_for(con, info)
        lists = {w: explainer.list_companies(con, info["run_id"], w, limit, offset) for w in wanted}
        if "black" in lists:
            _add_streaks(con, info, lists["black"][0])
    info["summary"]["grades"] = shown.grades(info["summary"]["grades"])
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
        say(read_text(info["read"]))
        render_run(
            {
                **info["summary"],
                "run_id": info["run_id"],
                "period": info["period"],
                "rules": info["ruleset"],
            },
            shown,
        )
        extra = {"black": "black_reason", "downgrades": "downgrade_reason", "vetoes": "veto_rules"}
        for w, (found, truncated) in lists.items():
            print_table(
                f"{word('list', w)} ({len(found)}{'+' if truncated else ''})",
                [
                    Col(_("USCC"), keep=True),
                    Col(_("name"), wrap=True),
                    Col(_("district"), wrap=True),
                    _("score"),
                    _("grade"),
                    _("previous"),
                    Col(_("reason"), wrap=True),
                ],
                _company_rows(found, extra.get(w, "grade_reason"), shown),
                caption=_("more rows: use --limit and --offset") if truncated else None,
            )
        say(
            _(
                "status {status} · results sha256 {sha} · engine {engine} · "
                "data up to ingest batch {watermark}"
            ).format(
                status=word("status", info["status"]),
                sha=info["results_sha256"],
                engine=info["engine_version"],
                watermark=info["watermark"],
            )
        )

    emit(inv, payload, render)


def _export_lists(inv: Invocation, run_id: str | None, which: str | None, out: Path) -> None:
    from rating.cli.outfile import write_out
    from rating.engine import explainer
    from rating.exports import Sheet, output_format

    output_format(out)
    wanted = [which] if which else ["grades", "red", "black", "downgrades", "vetoes", "unrated"]
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
        shown = shown_for(con, info)
        sheets = [Sheet(w, explainer.list_frame(con, info["run_id"], w)) for w in wanted]
        if which is None:
            sheets.append(Sheet("projects", explainer.projects_frame(con, info["run_id"])))
    about = {
        "what": _("run {run_id} ({period}, {status}): {lists}").format(
            run_id=info["run_id"],
            period=info["period"],
            status=word("status", info["status"]),
            lists=listing([word("list", w) for w in wanted]),
        ),
        "read": read_text(info["read"]),
        "rules": info["ruleset"],
        **explainer.provenance(info),
        "warehouse": str(inv.settings.db_path),
        "exported_at": inv.settings.current_time().isoformat(),
    }
    write_out(inv, out, sheets, about, definition=shown.definition)


@runs_app.command("list")
def runs_list(
    limit: Annotated[int, typer.Option(help="Runs to show.", min=1, max=10_000)] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Stored runs, newest first."""
    from rating.engine import explainer

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        found = explainer.runs_list(con, limit)
    emit(
        inv,
        found,
        lambda: print_table(
            _("Runs"),
            [
                Col(_("run"), keep=True),
                _("period"),
                Col(_("rule set"), keep=True),
                _("status"),
                _("companies"),
                _("red"),
                _("black"),
                _("downgrades"),
                Col(_("as of"), wrap=True),
            ],
            [
                [
                    r["run_id"],
                    r["period"],
                    r["ruleset"],
                    word("status", r["status"]) + (_(" (shadow)") if r["shadow"] else ""),
                    count(r["summary"]["companies"]),
                    count(r["summary"]["red"]),
                    count(r["summary"]["black"]),
                    count(r["summary"]["downgrades"]),
                    when(r["as_of"]),
                ]
                for r in found
            ],
        ),
    )


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A run's manifest: engine, rule set fingerprints, inputs in scope, as-of, parameters."""
    from rating.engine import explainer

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
    payload = {k: v for k, v in info.items() if k not in ("summary",)} | {
        "summary": info["summary"]
    }

    def render() -> None:
        say(
            _("{run_id} {period} under {rules}: {status}, as of {as_of} ({zone})").format(
                run_id=info["run_id"],
                period=info["period"],
                rules=info["ruleset"],
                status=word("status", info["status"]),
                as_of=when(info["as_of"]),
                zone=info["manifest"].get("timezone", ""),
            )
        )
        say(_("The manifest (what the run saw and used):"))
        stdout.print_json(data=to_jsonable(info["manifest"]))

    emit(inv, payload, render)
