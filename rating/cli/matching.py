"""Matching commands: the review queue of hotline orders no project could be given with confidence."""

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
    say,
)
from rating.cli.display import Col, day, print_table, when, word
from rating.cli.i18n import _, error_text
from rating.errors import UsageError

if TYPE_CHECKING:
    from rating.matching.shapes import Candidate

match_app = typer.Typer(
    help="Hotline orders matched to projects by name: the review queue and learned aliases.",
    no_args_is_help=True,
)
review_app = typer.Typer(help="Orders waiting for an analyst.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `rating match …` and its `rating match review …` to the `rating` command line app
    (`rating.cli.app`)."""
    match_app.add_typer(review_app, name="review")
    app.add_typer(match_app, name="match")


@review_app.command("list")
def review_list(
    limit: Annotated[int, typer.Option(help="Orders to show.", min=1, max=100_000)] = 50,
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Orders waiting for review: the best candidate projects, their probability, and the evidence for (+) and against (−) each.

    With --out FILE.xlsx every waiting order is written with columns to fill (decision,
    decided_by, note); `rating match review import FILE.xlsx` records them in one go.
    """
    from rating.matching import review as review_mod

    inv = Invocation(db, json)
    if out is not None:
        _export_queue(inv, out)
        return
    with inv.warehouse(read_only=True) as con:
        items = review_mod.pending(con, limit)
        totals = review_mod.counts(con)

    def render() -> None:
        say(
            _(
                "Waiting for review: {pending:,} (resolved {resolved:,}, rejected {rejected:,})"
            ).format(**totals)
            + "\n"
        )
        for i in items:  # one block per order: what the caller said, then each candidate
            said = " | ".join(
                str(i[k] or "—") for k in ("community_name", "district", "street", "company_name")
            )
            say(f"{i['review_id']}  {i['complaint_id']}  {day(i['received_at'])}  {said}")
            lines = [_candidate_lines(c) for c in i["candidates"][:3]] or [_("(no candidate)")]
            say("\n".join("  " + x for b in lines for x in b.split("\n")))
        say("\n" + _("rating match review resolve REVIEW --project ID --by NAME (or --reject)"))

    emit(inv, {"items": items, **totals}, render)


def _export_queue(inv: Invocation, out: Path) -> None:
    """Every waiting order to a workbook (or CSV) with the columns an analyst fills."""
    from rating.cli.outfile import write_out
    from rating.exports import Sheet, output_format
    from rating.matching import bulk

    output_format(out)
    with inv.warehouse(read_only=True) as con:
        queue = bulk.review_frame(con)
    about = {
        "what": _("hotline orders waiting for review, with their best candidate projects"),
        "how": _(
            "fill decision (a project id, or reject / 拒绝), decided_by and note; leave a "
            "row empty to decide it later; keep review_id and check as they are. Then: "
            "rating match review import {file} --by NAME"
        ).format(file=out.name),
        "warehouse": str(inv.settings.db_path),
        "exported_at": inv.settings.current_time().isoformat(),
    }
    # headers stay as codes: `rating match review import` reads the columns back by name
    write_out(inv, out, [Sheet("review", queue)], about, headers=False)


def _candidate_lines(candidate: Candidate) -> str:
    """`P1 阳光花园 0.62` and, under it, the evidence for (+) and against (−)."""
    lines = [f"{candidate['project_id']} {candidate['name']} {float(candidate['score']):.2f}"]
    # .get: a queue read before evidence was kept has candidates without it
    for mark, found in (("+", candidate.get("for")), ("−", candidate.get("against"))):
        if found:
            lines.append(f"  {mark} " + _("; ").join(str(x) for x in found))
    return "\n".join(lines)


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


@review_app.command("import")
def review_import(
    file: Annotated[Path, typer.Argument(help="An edited `review list --out` workbook or CSV.")],
    by: Annotated[
        str, typer.Option("--by", help="Reviewer for rows whose decided_by is empty (recorded).")
    ] = "",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Record the decisions of an edited review export in one go; refused rows are listed
    with their line and reason, the others recorded (who and when) as single decisions are."""
    from rating.matching import bulk

    inv = Invocation(db, json)
    with inv.warehouse() as con:
        report = bulk.import_decisions(con, inv.settings, file, by)

    def render() -> None:
        batch = (
            _(", loaded as batch {batch}").format(batch=report.loaded_batch)
            if report.loaded_batch
            else ""
        )
        say(
            _(
                "{file}: {decided:,} decision(s) recorded, {resolved:,} order(s) resolved "
                "(same spellings follow){batch}; {refused:,} row(s) refused; "
                "{skipped:,} left undecided."
            ).format(
                file=file.name,
                decided=report.decided,
                resolved=len(report.resolved),
                batch=batch,
                refused=len(report.refused),
                skipped=report.skipped,
            )
        )
        if report.refused:
            print_table(
                _("Refused rows"),
                [
                    _("line"),
                    Col(_("review"), keep=True),
                    Col(_("code"), keep=True),
                    Col(_("reason"), wrap=True),
                ],
                [
                    [r["line"], r["review_id"], r["code"], error_text(r["code"], r["reason"])]
                    for r in report.refused
                ],
            )

    emit(inv, report.as_dict(), render)


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
