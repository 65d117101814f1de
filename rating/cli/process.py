"""Due-process commands: publicize, objection …, repair …, lists …"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from rating.audit import objections, repairs
from rating.audit.discard import discard as discard_run
from rating.audit.disclosure import history, sync_expiries
from rating.audit.publication import publicize as publicize_run
from rating.audit.signing import signer_for
from rating.cli.common import DbOption, Invocation, JsonOption, emit, stdout, table
from rating.cli.public import export_snapshot
from rating.cli.runs import runs_app
from rating.errors import UsageError
from rating.warehouse import transaction

objection_app = typer.Typer(
    help="Objections (异议) during publicity: file, list, uphold, reject.", no_args_is_help=True
)
repair_app = typer.Typer(
    help="Credit repair (信用修复): apply, list, approve, reject.", no_args_is_help=True
)
lists_app = typer.Typer(
    help="Black-list entries: show who is listed on a day, record expiries.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("publicize")(publicize)
    runs_app.command("discard")(discard)
    app.add_typer(objection_app, name="objection")
    app.add_typer(repair_app, name="repair")
    app.add_typer(lists_app, name="lists")


def _exported(inv: Invocation, done: dict[str, Any]) -> dict[str, Any]:
    """After a change of what the public sees: rewrite the public snapshot directory."""
    return {**done, "public_snapshot": export_snapshot(inv)["folder"]}


def _show(inv: Invocation, data: Any, title: str) -> None:
    def render() -> None:
        if isinstance(data, list):
            cols = sorted({k for d in data for k in d if not isinstance(d[k], dict | list)})
            stdout.print(table(title, cols, [[d.get(c) for c in cols] for d in data]))
        else:
            for k, v in data.items():
                stdout.print(f"  {k}: {v}")

    emit(inv, data, render)


def publicize(
    run_id: Annotated[str, typer.Argument(help="A draft run.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Put a run to publicity (公示): proposed results, objections open until the deadline."""
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = publicize_run(con, inv.settings, run_id)
    _show(inv, _exported(inv, done), "publicity")


def discard(
    run_id: Annotated[str, typer.Argument(help="A draft or a run in publicity.")],
    reason: Annotated[str, typer.Option(help="Why it is withdrawn (recorded).")],
    by: Annotated[str, typer.Option("--by", help="Who withdraws it (recorded).")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Withdraw a draft or a run in publicity (a ledger record, never a delete).

    The run no longer counts: not latest, not history, not public; auditors still see it.
    """
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = discard_run(con, inv.settings, run_id, reason, by)
    _show(inv, _exported(inv, done), "discarded")  # a run in publicity leaves the public view


@objection_app.command("file")
def objection_file(
    run_id: Annotated[str, typer.Argument(help="The run in publicity.")],
    uscc: Annotated[str, typer.Argument(help="The objecting company.")],
    record: Annotated[list[str], typer.Option(help="A disputed record, KIND:KEY (repeatable).")],
    reason: Annotated[str, typer.Option(help="The company's reasons.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """File a company's objection before the deadline (the bureau files it on its behalf)."""
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        _show(
            inv,
            objections.file(con, inv.settings, run_id, uscc.upper(), record, reason),
            "objection",
        )


@objection_app.command("list")
def objection_list(db: DbOption = None, json: JsonOption = False) -> None:
    """Objections with their state."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        _show(inv, objections.objections_of(con), "Objections")


def _changes(values: list[str]) -> dict[str, str] | None:
    out = {}
    for text in values:
        column, sep, val = text.partition("=")
        if not sep:
            raise UsageError(f"'{text}': write COLUMN=VALUE", code="BAD_REQUEST")
        out[column.strip()] = val.strip()
    return out or None


@objection_app.command("uphold")
def objection_uphold(
    objection_id: Annotated[str, typer.Argument(help="OBJ-0001 …")],
    reason: Annotated[str, typer.Option(help="Why it is upheld.")],
    set_: Annotated[
        list[str],
        typer.Option("--set", help="A corrected value COLUMN=VALUE (default: void the records)."),
    ] = [],  # noqa: B006
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Uphold: correct the disputed records (superseding rows) and re-rate the period."""
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = objections.uphold(con, inv.settings, objection_id, reason, _changes(set_))
    _show(inv, _exported(inv, done), "upheld")


@objection_app.command("reject")
def objection_reject(
    objection_id: Annotated[str, typer.Argument(help="OBJ-0001 …")],
    reason: Annotated[str, typer.Option(help="Why it is rejected.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Reject an objection, with reasons."""
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        _show(inv, objections.reject(con, inv.settings, objection_id, reason), "rejected")


@repair_app.command("apply")
def repair_apply(
    uscc: Annotated[str, typer.Argument(help="The listed company.")],
    proof: Annotated[str, typer.Option(help="Proof of correction.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A listed company applies for credit repair (possible after the minimum listing time)."""
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = repairs.apply(con, inv.settings, uscc.upper(), proof)
    _show(inv, _exported(inv, done), "repair")


@repair_app.command("list")
def repair_list(db: DbOption = None, json: JsonOption = False) -> None:
    """Repair applications and their state."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        _show(inv, repairs.repairs_of(con), "Repair applications")


def _decide(repair_id: str, reason: str, approve: bool, db: Any, json: bool) -> None:
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = repairs.decide(con, inv.settings, repair_id, approve, reason)
    _show(inv, _exported(inv, done), "decision")


@repair_app.command("approve")
def repair_approve(
    repair_id: Annotated[str, typer.Argument(help="REP-0001 …")],
    reason: Annotated[str, typer.Option(help="Why.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Approve: the entry leaves public view from today (auditors keep the history)."""
    _decide(repair_id, reason, True, db, json)


@repair_app.command("reject")
def repair_reject(
    repair_id: Annotated[str, typer.Argument(help="REP-0001 …")],
    reason: Annotated[str, typer.Option(help="Why.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Reject a repair application."""
    _decide(repair_id, reason, False, db, json)


@lists_app.command("show")
def lists_show(
    on: Annotated[str | None, typer.Option("--on", help="Day (YYYY-MM-DD); default today.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Black-list entries in force on a day, with start, minimum and maximum."""
    inv = Invocation(db, json)
    day = date.fromisoformat(on) if on else inv.settings.current_time().date()
    with inv.warehouse(read_only=True) as con:
        _show(inv, [e.as_dict() for e in history(con).active(day)], f"Black list in force on {day}")


@lists_app.command("sync")
def lists_sync(db: DbOption = None, json: JsonOption = False) -> None:
    """Record in the ledger every entry that reached its maximum duration."""
    inv = Invocation(db, json)
    with inv.warehouse() as con, transaction(con):
        done = sync_expiries(con, inv.settings.current_time(), signer_for(inv.settings))
    export_snapshot(inv)
    _show(inv, done, "Expired entries")
