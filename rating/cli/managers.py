"""`rating managers …`: project managers (项目经理), people whose identity numbers are never
kept in clear (`rating.idnumber`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, say
from rating.cli.display import Col, count, listing, print_table, score, word
from rating.cli.i18n import _, pgettext

if TYPE_CHECKING:
    import duckdb

    from rating.engine.managers import ManagerPoint, ManagerResult
    from rating.engine.shapes import RunRow

managers_app = typer.Typer(
    help="Project managers: their scores and grades, keys for identity numbers.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `rating managers …` to the `rating` command line app (`rating.cli.app`)."""
    app.add_typer(managers_app, name="managers")


def _scored_run(con: duckdb.DuckDBPyConnection, inv: Invocation, run_id: str | None) -> RunRow:
    """Run `run_id`'s row (None: the latest run); raises NotFoundError MANAGERS_NOT_SCORED
    when its rule set scores no project managers (`show` and `explain` both ask first)."""
    from rating.engine import explainer, managers

    info = explainer.run_row(con, run_id)
    managers.require_scored(
        con, info["run_id"], info["ruleset"], info["ruleset_files_sha256"], inv.settings.rules_dir
    )
    return info


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
    run_id: Annotated[str | None, typer.Argument(help="Run id (default: the latest run).")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.", min=1, max=100_000)] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many rows.", min=0)] = 0,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A run's project managers, worst score first: grade, projects and days in charge."""
    from rating.engine import managers

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        info = _scored_run(con, inv, run_id)
        found = managers.results(con, info["run_id"], limit, offset)
        total = managers.count(con, info["run_id"])
    truncated = offset + len(found) < total
    data = {
        "run_id": info["run_id"],
        "total": total,
        "truncated": truncated,
        "managers": [asdict(m) for m in found],
    }
    emit(inv, data, lambda: _render_show(info["run_id"], found, truncated))


def _render_show(run_id: str, found: list[ManagerResult], truncated: bool) -> None:
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
    run_id: Annotated[
        str | None, typer.Option("--run", help="Run id (default: the latest).")
    ] = None,
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
        info = _scored_run(con, inv, run_id)
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
        lambda: _render_explain(info["run_id"], info["ruleset"], manager, points, wording),
    )


def _render_explain(
    run_id: str,
    rules: str,
    manager: ManagerResult,
    points: list[ManagerPoint],
    wording: dict[str, tuple[str, str]],
) -> None:
    say(
        _(
            "{name} {certificate_no}: grade {grade} (score {score}) in {run_id} under {rules}"
        ).format(
            name=manager.name or "–",
            certificate_no=manager.certificate_no,
            grade=manager.grade,
            score=score(manager.score),
            run_id=run_id,
            rules=rules,
        )
    )
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
