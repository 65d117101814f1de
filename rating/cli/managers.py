"""`rating managers …`: project managers (项目经理), people whose identity numbers are never
kept in clear (`rating.idnumber`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, OutOption, emit, say
from rating.cli.display import Col, count, listing, print_table, score, word
from rating.cli.i18n import _, pgettext

if TYPE_CHECKING:
    import duckdb
    import polars as pl

    from rating.engine.managers import ManagerPoint, ManagerResult
    from rating.engine.shapes import RunRow

managers_app = typer.Typer(
    help="Project managers: their scores and grades, keys for identity numbers.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `rating managers …` to the `rating` command line app (`rating.cli.app`)."""
    app.add_typer(managers_app, name="managers")


def _scored_run(
    con: duckdb.DuckDBPyConnection, inv: Invocation, run_id: str | None, run_option: str | None
) -> RunRow:
    """The row of the run named (as an argument or with `--run`, the same either way); none
    named: the newest run whose rule set scores managers (`rating.engine.manager_runs`), its
    `read` saying so. Raises NotFoundError MANAGERS_NOT_SCORED when a named run's rule set
    scores no project managers, naming the runs that do (`show` and `explain` both ask first);
    UsageError RUN_CONFLICT when the argument and `--run` name different runs."""
    from rating.engine import explainer, manager_runs
    from rating.errors import UsageError

    if run_id and run_option and run_id != run_option:
        raise UsageError(
            f"two runs named: {run_id} and --run {run_option}; name one", code="RUN_CONFLICT"
        )
    named = run_id or run_option
    rules_dir = inv.settings.rules_dir
    if named is None:
        read = manager_runs.latest_scoring_run(con, rules_dir)
        info = explainer.run_row(con, read.run_id)
        info["read"]["why"] = read.why  # run_row says "named"; say why this one
        return info
    info = explainer.run_row(con, named)
    manager_runs.require_scoring(
        con, named, info["ruleset"], info["ruleset_files_sha256"], rules_dir
    )
    return info


RUN_ARGUMENT = typer.Argument(
    help="Run id, e.g. 2026Q3-02 (same as --run; default: the newest run whose rule set "
    "scores project managers)."
)
RUN_OPTION = typer.Option(
    "--run", help="Run id (default: the newest run whose rule set scores project managers)."
)


@managers_app.command("keygen")
def managers_keygen(
    out: Annotated[
        Path, typer.Option(help="Where to write the key: outside the warehouse, backed up.")
    ],
    json: JsonOption = False,
) -> None:
    """Create the key for keyed hashes of managers' identity numbers (RATING_ID_KEY=FILE)."""
    from rating import idnumber

    kid = idnumber.generate_key(out)
    data = {"key_id": kid, "key": str(out)}
    emit(
        Invocation(None, json),
        data,
        lambda: say(
            _("Key {key_id} written to {path} (set RATING_ID_KEY to it)").format(
                key_id=kid, path=out
            )
        ),
    )


@managers_app.command("show")
def managers_show(
    run_id: Annotated[str | None, RUN_ARGUMENT] = None,
    run: Annotated[str | None, RUN_OPTION] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.", min=1, max=100_000)] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many rows.", min=0)] = 0,
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A run's project managers, worst score first: grade, projects and days in charge.
    --out managers.xlsx writes every manager of the run (--limit and --offset page the
    screen only)."""
    from rating.engine import managers
    from rating.exports import output_format

    inv = Invocation(db, json)
    if out is not None:
        output_format(out)
    with inv.warehouse(read_only=True) as con:
        info = _scored_run(con, inv, run_id, run)
        if out is not None:
            _export_managers(inv, con, info, out)
            return
        found = managers.results(con, info["run_id"], limit, offset)
        total = managers.count(con, info["run_id"])
    truncated = offset + len(found) < total
    data = {
        "run_id": info["run_id"],
        "read": info["read"],
        "total": total,
        "truncated": truncated,
        "managers": [asdict(m) for m in found],
    }
    emit(inv, data, lambda: _render_show(info["run_id"], found, truncated, info["read"]))


def _managers_sheet(frame: pl.DataFrame) -> pl.DataFrame:
    """The lists a manager entered in words (红名单, 黑名单), as the screen says them; the
    projects in charge headed as on screen (项目, not the count 项目数 of a company's row)."""
    import polars as pl

    words = {code: word("list", code) for code in ("red", "black")}
    worded = frame.with_columns(pl.col("lists").list.eval(pl.element().replace(words)))
    return worded.rename({"lists": "lists_entered", "projects": "project_ids"})


def _export_managers(
    inv: Invocation, con: duckdb.DuckDBPyConnection, info: RunRow, out: Path
) -> None:
    """`rating managers show --out`: every manager of the run, like every `--out`: in the
    user's language, the score floored to the rule set's places as on screen, the run read
    and its provenance on the about sheet."""
    from rating.cli.outfile import write_out
    from rating.cli.shown import read_text, shown_for
    from rating.engine import explainer, managers
    from rating.exports import Sheet

    frame = _managers_sheet(managers.results_frame(con, info["run_id"]))
    about = {
        "what": _("Project managers, run {run_id}").format(run_id=info["run_id"]),
        "read": read_text(info["read"]),
        "rules": info["ruleset"],
        **explainer.provenance(info),
        "warehouse": str(inv.settings.db_path),
        "exported_at": inv.settings.current_time().isoformat(),
    }
    definition = shown_for(con, info).definition
    write_out(inv, out, [Sheet("managers", frame)], about, definition=definition)


def _render_show(
    run_id: str,
    found: list[ManagerResult],
    truncated: bool,
    read: Mapping[str, Any] | None = None,
) -> None:
    """The table of `show`, after the line saying which run was read (`read`, when given)."""
    from rating.cli.shown import read_text

    if read is not None:
        say(read_text(read))
    print_table(
        _("Project managers, run {run_id}").format(run_id=run_id),
        [
            Col(_("certificate"), keep=True),
            pgettext("person", "name"),
            _("score"),
            _("grade"),
            _("list"),
            Col(pgettext("list of", "projects"), keep=True, wrap=True),
            _("days in charge"),
        ],
        [
            [
                m.certificate_no,
                m.name,
                score(m.score),
                m.grade,
                listing([word("list", x) for x in m.lists]),
                # one id a line, so that a narrow column never cuts an id in two
                "\n".join(m.projects) if m.projects else listing(m.projects),
                count(m.days_in_charge),
            ]
            for m in found
        ],
        caption=_("more rows: use --limit and --offset") if truncated else None,
    )


@managers_app.command("explain")
def managers_explain(
    certificate_no: Annotated[str, typer.Argument(help="The manager's certificate number.")],
    run_id: Annotated[str | None, RUN_ARGUMENT] = None,
    run: Annotated[str | None, RUN_OPTION] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Why a manager has their score: name, score and grade, then each rule's title, clause
    and points and the records behind them, with the project and the company serving it on
    the record's date."""
    from rating.cli.shown import shown_for
    from rating.engine import managers

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        info = _scored_run(con, inv, run_id, run)
        manager = managers.result(con, info["run_id"], certificate_no)
        points = managers.explain(con, info["run_id"], certificate_no)
        definition = shown_for(con, info).definition
    rules = {r.id: r for r in definition.rules} if definition else {}
    wording = {
        p.rule_id: (
            rules[p.rule_id].title if p.rule_id in rules else p.rule_id,
            rules[p.rule_id].clause if p.rule_id in rules else "",
        )
        for p in points
    }
    data = {
        "run_id": info["run_id"],
        "read": info["read"],
        "rules": info["ruleset"],
        "certificate_no": certificate_no,
        "manager": asdict(manager),
        "points": [
            {**asdict(p), "title": wording[p.rule_id][0], "clause": wording[p.rule_id][1]}
            for p in points
        ],
    }
    emit(
        inv,
        data,
        lambda: _render_explain(info, manager, points, wording),
    )


def _render_explain(
    info: RunRow,
    manager: ManagerResult,
    points: list[ManagerPoint],
    wording: dict[str, tuple[str, str]],
) -> None:
    from rating.cli.shown import read_text

    say(
        _(
            "{name} {certificate_no}: grade {grade} (score {score}) in {run_id} under {rules}"
        ).format(
            name=manager.name or "–",
            certificate_no=manager.certificate_no,
            grade=manager.grade,
            score=score(manager.score),
            run_id=info["run_id"],
            rules=info["ruleset"],
        )
    )
    say(read_text(info["read"]))  # which run, and why that one
    for p in points:
        title, clause = wording[p.rule_id]
        say(
            _("{rule} {title} ({target}): {points} over {records} records").format(
                rule=p.rule_id,
                title=title,
                target=word("target", p.target),
                points=score(p.points),
                records=count(p.records),
            )
        )
        if clause:
            say("  " + _("clause: {clause}").format(clause=clause))
        if p.evidence:
            _render_evidence(p)


def _render_evidence(p: ManagerPoint) -> None:
    print_table(
        None,
        [
            _("date"),
            _("source"),
            Col(_("record"), keep=True),
            Col(_("project"), keep=True),
            _("company"),
            _("points"),
        ],
        [
            [day, word("kind", source), key, project, company, score(pts)]
            for source, key, project, company, day, pts in p.evidence
        ],
    )
