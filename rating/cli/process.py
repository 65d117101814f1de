"""Due-process commands: publicize, objection …, repair …, lists …"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, working
from rating.cli.display import Col, listing, print_record, print_table, when, word
from rating.cli.i18n import _
from rating.cli.public import export_snapshot
from rating.cli.runs import runs_app
from rating.errors import UsageError

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
    """Add `rating publicize`, `rating runs discard`, `rating objection …`, `rating repair …` and
    `rating lists …` to the `rating` command line app (`rating.cli.app`)."""
    app.command("publicize")(publicize)
    runs_app.command("discard")(discard)
    app.add_typer(objection_app, name="objection")
    app.add_typer(repair_app, name="repair")
    app.add_typer(lists_app, name="lists")


def _exported(inv: Invocation, done: Mapping[str, Any]) -> dict[str, Any]:
    """After a change of what the public sees: rewrite the public snapshot directory."""
    return {**done, "public_snapshot": export_snapshot(inv)["folder"]}


def publicize(
    run_id: Annotated[str, typer.Argument(help="A draft run.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Put a run to publicity (公示): proposed results, objections open until the deadline."""
    from rating.audit.publication import publicize as publicize_run

    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done: Mapping[str, Any] = publicize_run(con, inv.settings, run_id)
    done = _exported(inv, done)
    emit(
        inv,
        done,
        lambda: print_record(
            _("{run_id} is in publicity").format(run_id=run_id),
            [
                (_("period"), done["period"]),
                (_("publicity"), f"{when(done['starts_on'])} – {when(done['ends_on'])}"),
                (_("objections until"), when(done["objections_until"])),
                (_("proposed results shown to the public"), done["show_proposed"]),
                (_("ledger record"), done["ledger_seq"]),
            ],
        ),
    )


def _records(records: Sequence[Mapping[str, Any]]) -> str:
    return listing([f"{r['source']}:{r['key']}" for r in records])


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
    from rating.audit.discard import discard as discard_run

    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done: Mapping[str, Any] = discard_run(con, inv.settings, run_id, reason, by)
    done = _exported(inv, done)
    emit(
        inv,
        done,
        lambda: print_record(
            _("{run_id} is discarded: it no longer counts anywhere").format(run_id=run_id),
            [
                (_("period"), done["period"]),
                (_("was"), word("status", done["was"])),
                (_("reason"), done["reason"]),
                (_("by"), done["by"]),
                (_("objections closed"), listing(done["objections_closed"]) or "–"),
                (_("ledger record"), done["ledger_seq"]),
            ],
        ),
    )


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
    from rating.audit import objections

    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = objections.file(con, inv.settings, run_id, uscc.upper(), record, reason)
    emit(
        inv,
        done,
        lambda: print_record(
            _("Objection {id} filed").format(id=done["objection_id"]),
            [
                (_("company"), done["uscc"]),
                (_("against run"), done["against_run"]),
                (_("disputed records"), _records(done["records"])),
                (_("reasons"), done["reasons"]),
                (_("filed on"), when(done["filed_on"])),
                (_("deadline"), when(done["deadline"])),
                (_("state"), word("status", done["state"])),
            ],
        ),
    )


@objection_app.command("list")
def objection_list(db: DbOption = None, json: JsonOption = False) -> None:
    """Objections with their state."""
    from rating.audit import objections

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        found = objections.objections_of(con)
    emit(
        inv,
        found,
        lambda: print_table(
            _("Objections"),
            [
                Col(_("objection"), keep=True),
                Col(_("company"), keep=True),
                _("period"),
                _("state"),
                _("filed on"),
                Col(_("disputed records"), wrap=True),
                Col(_("reasons"), wrap=True),
            ],
            [
                [
                    o["objection_id"],
                    o["uscc"],
                    o["period"],
                    word("status", o["state"]),
                    when(o["filed_on"]),
                    _records(o["records"]),
                    o["reasons"],
                ]
                for o in found
            ],
        ),
    )


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
    from rating.audit import objections

    inv = Invocation(db, json)
    label = _("upholding {id}: correcting and rating again").format(id=objection_id)
    with inv.warehouse() as con, working(inv, label):
        done: Mapping[str, Any] = objections.uphold(
            con, inv.settings, objection_id, reason, _changes(set_)
        )
    done = _exported(inv, done)
    emit(
        inv,
        done,
        lambda: print_record(
            _("Objection {id} upheld").format(id=objection_id),
            [
                (_("company"), done["uscc"]),
                (_("reason"), done["reason"]),
                (_("correction batches"), listing(done["correction_batches"])),
                (_("revised run (now in publicity)"), done["revision_run"]),
                (_("companies whose result changed"), listing(done["changed"])),
            ],
        ),
    )


@objection_app.command("reject")
def objection_reject(
    objection_id: Annotated[str, typer.Argument(help="OBJ-0001 …")],
    reason: Annotated[str, typer.Option(help="Why it is rejected.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Reject an objection, with reasons."""
    from rating.audit import objections

    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = objections.reject(con, inv.settings, objection_id, reason)
    emit(
        inv,
        done,
        lambda: print_record(
            _("Objection {id} rejected").format(id=objection_id),
            [(_("company"), done["uscc"]), (_("reason"), done["reason"])],
        ),
    )


@repair_app.command("apply")
def repair_apply(
    uscc: Annotated[str, typer.Argument(help="The listed company.")],
    proof: Annotated[str, typer.Option(help="Proof of correction.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A listed company applies for credit repair (possible after the minimum listing time)."""
    from rating.audit import repairs

    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done: Mapping[str, Any] = repairs.apply(con, inv.settings, uscc.upper(), proof)
    done = _exported(inv, done)
    emit(
        inv,
        done,
        lambda: print_record(
            _("Repair application {id} received").format(id=done["repair_id"]),
            [
                (_("company"), done["uscc"]),
                (_("list entry"), done["entry_id"]),
                (_("proof"), done["proof"]),
                (_("applied on"), when(done["applied_on"])),
                (_("state"), word("status", done["state"])),
            ],
        ),
    )


@repair_app.command("list")
def repair_list(db: DbOption = None, json: JsonOption = False) -> None:
    """Repair applications and their state."""
    from rating.audit import repairs

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        found = repairs.repairs_of(con)
    emit(
        inv,
        found,
        lambda: print_table(
            _("Repair applications"),
            [
                Col(_("application"), keep=True),
                Col(_("company"), keep=True),
                _("state"),
                _("applied on"),
                Col(_("proof"), wrap=True),
                Col(_("decision"), wrap=True),
            ],
            [
                [
                    r["repair_id"],
                    r["uscc"],
                    word("status", r["state"]),
                    when(r["applied_on"]),
                    r["proof"],
                    (r.get("decision") or {}).get("reason", ""),
                ]
                for r in found
            ],
        ),
    )


def _decide(repair_id: str, reason: str, approve: bool, db: Any, json: bool) -> None:
    from rating.audit import repairs

    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done: Mapping[str, Any] = repairs.decide(con, inv.settings, repair_id, approve, reason)
    title = (
        _("Repair {id} approved: the entry leaves public view from {day}")
        if approve
        else _("Repair {id} rejected")
    )
    done = _exported(inv, done)
    emit(
        inv,
        done,
        lambda: print_record(
            title.format(id=repair_id, day=when(done["effective_on"])),
            [(_("company"), done["uscc"]), (_("reason"), done["reason"])],
        ),
    )


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
    from rating.audit.disclosure import history

    inv = Invocation(db, json)
    try:
        day = date.fromisoformat(on) if on else inv.settings.current_time().date()
    except ValueError as exc:
        raise UsageError(f"'{on}' is not a day: write YYYY-MM-DD", code="BAD_DATE") from exc
    with inv.warehouse(read_only=True) as con:
        entries = history(con).active(day)
    emit(
        inv,
        [e.as_dict() for e in entries],
        lambda: print_table(
            _("Black list in force on {day}").format(day=day),
            [
                Col(_("company"), keep=True),
                Col(_("run"), keep=True),
                _("period"),
                _("listed from"),
                _("repair possible from"),
                _("ends at the latest"),
                _("safety matter"),
            ],
            [
                [
                    e.uscc,
                    e.run_id,
                    e.period,
                    when(e.start),
                    when(e.min_until),
                    when(e.end()),
                    e.safety,
                ]
                for e in entries
            ],
        ),
    )


@lists_app.command("sync")
def lists_sync(db: DbOption = None, json: JsonOption = False) -> None:
    """Record in the ledger every entry that reached its maximum duration."""
    from rating.audit.disclosure import sync_expiries
    from rating.audit.signing import signer_for
    from rating.warehouse import transaction

    inv = Invocation(db, json)
    with inv.warehouse() as con, transaction(con):
        done = sync_expiries(con, inv.settings.current_time(), signer_for(inv.settings))
    export_snapshot(inv)
    emit(
        inv,
        done,
        lambda: print_table(
            _("Entries that reached their maximum duration: {n}").format(n=len(done)),
            [Col(_("company"), keep=True), Col(_("list entry"), keep=True), _("ended on")],
            [[e["uscc"], e["entry_id"], when(e["effective_on"])] for e in done],
        ),
    )
