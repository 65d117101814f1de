"""Matching commands: the review queue of hotline orders no project could be given with confidence."""

from __future__ import annotations

from typing import Annotated

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, say
from rating.cli.display import Col, day, print_table, when, word
from rating.cli.i18n import _
from rating.errors import UsageError

match_app = typer.Typer(
    help="Hotline orders matched to projects by name: the review queue and learned aliases.",
    no_args_is_help=True,
)
review_app = typer.Typer(help="Orders waiting for an analyst.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    match_app.add_typer(review_app, name="review")
    app.add_typer(match_app, name="match")


@review_app.command("list")
def review_list(
    limit: Annotated[int, typer.Option(help="Orders to show.", min=1, max=100_000)] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Orders waiting for review, each with its best candidate projects and their scores."""
    from rating.matching import review as review_mod

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        items = review_mod.pending(con, limit)
        totals = review_mod.counts(con)

    def render() -> None:
        body = [
            [
                i["review_id"],
                i["complaint_id"],
                day(i["received_at"]),
                i["community_name"],
                i["district"],
                i["street"],
                i["company_name"],
                "; ".join(
                    f"{c['project_id']} {c['name']} {c['score']:.2f}" for c in i["candidates"][:3]
                ),
            ]
            for i in items
        ]
        print_table(
            _(
                "Waiting for review: {pending:,} (resolved {resolved:,}, rejected {rejected:,})"
            ).format(**totals),
            [
                Col(_("review"), keep=True),
                Col(_("order"), keep=True),
                _("received"),
                Col(_("compound"), wrap=True),
                Col(_("district"), wrap=True),
                Col(_("street"), wrap=True),
                Col(_("company"), wrap=True),
                Col(_("best candidates"), wrap=True),
            ],
            body,
            caption=_("rating match review resolve REVIEW --project ID --by NAME (or --reject)"),
        )

    emit(inv, {"items": items, **totals}, render)


@review_app.command("resolve")
def review_resolve(
    review_id: Annotated[str, typer.Argument(help="Review id, e.g. R12-345.")],
    project: Annotated[
        str | None, typer.Option("--project", help="The project the order concerns.")
    ] = None,
    reject: Annotated[
        bool, typer.Option("--reject", help="No project of ours (quarantined from now on).")
    ] = False,
    note: Annotated[str, typer.Option(help="Why (recorded with the decision).")] = "",
    by: Annotated[str, typer.Option("--by", help="Reviewer's name (recorded).")] = "",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Decide an order: every waiting order with the same spelling follows.

    The spelling is remembered, so later files match it automatically."""
    from rating.matching import review as review_mod

    if (project is None) == (not reject):
        raise UsageError("give exactly one of --project or --reject", code="REVIEW_BAD_DECISION")
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = review_mod.resolve(con, inv.settings, review_id, project, note, by)

    def render() -> None:
        target = done["project_id"] or _("no project (rejected)")
        outcome = (
            _("loaded as batch {batch}").format(batch=done["loaded_batch"])
            if done["loaded_batch"]
            else _("closed")
        )
        say(
            _(
                "{review} → {target}: {n:,} waiting order(s) with this spelling {outcome}; "
                "the spelling now matches automatically."
            ).format(review=review_id, target=target, n=len(done["resolved"]), outcome=outcome)
        )

    emit(inv, done, render)


@match_app.command("aliases")
def aliases(
    limit: Annotated[int, typer.Option(help="Decisions to show.", min=1, max=100_000)] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Spellings analysts taught (compound|district|street|company, normalised), newest first."""
    from rating.matching import review as review_mod

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        items = review_mod.aliases(con, limit)
    emit(
        inv,
        items,
        lambda: print_table(
            _("Aliases"),
            [
                Col(_("spelling"), wrap=True),
                Col(_("project"), keep=True),
                _("origin"),
                Col(_("decided by"), wrap=True),
                Col(_("recorded at"), wrap=True),
                _("current"),
            ],
            [
                [
                    i["alias_key"],
                    i["project_id"] or _("no project (rejected)"),
                    word("method", i["origin"]),
                    i["decided_by"],
                    when(i["recorded_at"]),
                    i["current"],
                ]
                for i in items
            ],
        ),
    )
