"""`rating managers …`: project managers (项目经理), people whose identity numbers are never
kept in clear (`rating.idnumber`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from rating import idnumber
from rating.cli.common import DbOption, Invocation, JsonOption, emit, stdout, table
from rating.engine import explainer, managers

managers_app = typer.Typer(
    help="Project managers: their scores and grades, keys for identity numbers.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(managers_app, name="managers")


@managers_app.command("keygen")
def managers_keygen(
    out: Annotated[
        Path, typer.Option(help="Where to write the key: outside the warehouse, backed up.")
    ],
    json: JsonOption = False,
) -> None:
    """Create the key for keyed hashes of managers' identity numbers (RATING_ID_KEY=FILE)."""
    kid = idnumber.generate_key(out)
    data = {"key_id": kid, "key": str(out)}
    emit(
        Invocation(None, json),
        data,
        lambda: stdout.print(f"Key {kid} written to {out} (set RATING_ID_KEY to it)"),
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
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
        found = managers.results(con, info["run_id"], limit, offset)
    data = {"run_id": info["run_id"], "managers": [asdict(m) for m in found]}
    emit(
        inv,
        data,
        lambda: stdout.print(table(
            f"Project managers, run {info['run_id']}",
            ["certificate", "name", "score", "grade", "projects", "days"],
            [
                [m.certificate_no, m.name, f"{m.score:g}", m.grade, " ".join(m.projects),
                 m.days_in_charge]
                for m in found
            ],
        )),
    )  # fmt: skip


@managers_app.command("explain")
def managers_explain(
    certificate_no: Annotated[str, typer.Argument(help="The manager's certificate number.")],
    run_id: Annotated[
        str | None, typer.Option("--run", help="Run id (default: the latest).")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Why a manager has their score: each rule's points and the records behind them, with
    the project and the company serving it on the record's date."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
        points = managers.explain(con, info["run_id"], certificate_no)
    data = {"run_id": info["run_id"], "certificate_no": certificate_no,
            "points": [asdict(p) for p in points]}  # fmt: skip

    def render() -> None:
        for p in points:
            stdout.print(f"{p.rule_id} ({p.target}): {p.points:+g} over {p.records} records")
            for source, key, project, company, day, pts in p.evidence:
                stdout.print(f"  {day} {source} {key} project {project} company {company} {pts}")

    emit(inv, data, render)
