"""Matching commands: the review queue of hotline orders no project could be given with confidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rating.cli.common import (
    DbOption,
    Invocation,
    JsonOption,
    OutOption,
    emit,
    exported,
    stdout,
    table,
)
from rating.errors import UsageError
from rating.exports import Sheet, output_format, write_tables
from rating.matching import bulk
from rating.matching import review as review_mod

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
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Orders waiting for review, each with its best candidate projects, their probability and
    the evidence for (+) and against (−) each.

    With --out FILE.xlsx every waiting order is written with columns to fill (decision,
    decided_by, note); `rating match review import FILE.xlsx` records them in one go.
    """
    inv = Invocation(db, json)
    if out is not None:
        output_format(out)
        with inv.warehouse(read_only=True) as con:
            queue = bulk.review_frame(con)
        about = {
            "what": "hotline orders waiting for review, with their best candidate projects",
            "how": "fill decision (a project id, or reject / 拒绝), decided_by and note; leave a "
            "row empty to decide it later; keep review_id and check as they are. Then: "
            f"rating match review import {out.name} --by NAME",
            "warehouse": str(inv.settings.db_path),
            "exported_at": inv.settings.current_time().isoformat(),
        }
        write_tables(out, [Sheet("review", queue)], about)
        exported(inv, out, {"review": queue.height}, about)
        return
    with inv.warehouse(read_only=True) as con:
        items = review_mod.pending(con, limit)
        totals = review_mod.counts(con)

    def render() -> None:
        stdout.print(
            f"Waiting for review: {totals['pending']:,} "
            f"(resolved {totals['resolved']:,}, rejected {totals['rejected']:,})\n",
            markup=False,
        )
        for i in items:  # one block per order: what the caller said, then each candidate
            said = " | ".join(
                str(i[k] or "—") for k in ("community_name", "district", "street", "company_name")
            )
            stdout.print(
                f"{i['review_id']}  {i['complaint_id']}  {i['received_at']:%Y-%m-%d}  {said}",
                markup=False,
                highlight=False,
            )
            lines = [_candidate_lines(c) for c in i["candidates"][:3]] or ["(no candidate)"]
            stdout.print(
                "\n".join("  " + x for b in lines for x in b.split("\n")),
                markup=False,
                highlight=False,
            )
        stdout.print(
            "\nrating match review resolve REVIEW --project ID --by NAME (or --reject)",
            markup=False,
        )

    emit(inv, {"items": items, **totals}, render)


def _candidate_lines(candidate: dict[str, Any]) -> str:
    """`P1 阳光花园 0.62` and, under it, the evidence for (+) and against (−)."""
    lines = [f"{candidate['project_id']} {candidate['name']} {float(candidate['score']):.2f}"]
    for mark, key in (("+", "for"), ("−", "against")):
        found = candidate.get(key) or []
        if found:
            lines.append(f"  {mark} " + "; ".join(str(x) for x in found))
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
    """Decide an order; every waiting order with the same spelling follows, and the spelling
    is remembered so later files match it automatically."""
    if (project is None) == (not reject):
        raise UsageError("give exactly one of --project or --reject", code="REVIEW_BAD_DECISION")
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        done = review_mod.resolve(con, inv.settings, review_id, project, note, by)

    def render() -> None:
        target = done["project_id"] or "no project (rejected)"
        stdout.print(
            f"{review_id} → {target}: {len(done['resolved']):,} waiting order(s) with this spelling "
            + (f"loaded as batch {done['loaded_batch']}" if done["loaded_batch"] else "closed")
            + "; the spelling now matches automatically."
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
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        report = bulk.import_decisions(con, inv.settings, file, by)
    data = report.as_dict()

    def render() -> None:
        stdout.print(
            f"{file.name}: {report.decided:,} decision(s) recorded, {len(report.resolved):,} "
            f"order(s) resolved (same spellings follow)"
            + (f", loaded as batch {report.loaded_batch}" if report.loaded_batch else "")
            + f"; {len(report.refused):,} row(s) refused; {report.skipped:,} left undecided."
        )
        if report.refused:
            stdout.print(
                table(
                    "Refused rows",
                    ["line", "review", "code", "reason"],
                    [[r["line"], r["review_id"], r["code"], r["reason"]] for r in report.refused],
                )
            )

    emit(inv, data, render)


@match_app.command("aliases")
def aliases(
    limit: Annotated[int, typer.Option(help="Decisions to show.", min=1, max=100_000)] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Spellings analysts taught (compound|district|street|company, normalised), newest first."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        items = review_mod.aliases(con, limit)
    cols = ["alias_key", "project_id", "origin", "decided_by", "recorded_at", "current"]
    emit(
        inv,
        items,
        lambda: stdout.print(table("Aliases", cols, [[i[c] for c in cols] for i in items])),
    )
