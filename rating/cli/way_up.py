"""The way back up (信用修复 path): `rating path USCC` and `rating path --below-standard`
(thin clients of `rating.consequences.remedy` and `rating.consequences.paths`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, OutOption, emit, say
from rating.cli.display import Col, print_table, score
from rating.cli.i18n import _, language

if TYPE_CHECKING:
    import duckdb

    from rating.consequences.paths import BelowStandard
    from rating.consequences.remedy import Remedy

OnOption = Annotated[
    str | None,
    typer.Option("--on", help="The day, YYYY-MM-DD (default: today on the bureau's clock)."),
]
RunOption = Annotated[str | None, typer.Option("--run", help="Run id (default: the latest run).")]


def day_of(inv: Invocation, text: str | None) -> date:
    """The day `--on` names (default: today on the bureau's clock); BadParameter otherwise."""
    if text is None:
        return inv.settings.current_time().date()
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise typer.BadParameter(
            _("{text!r} is not a day (YYYY-MM-DD)").format(text=text), param_hint="--on"
        ) from exc


def render_path(found: Remedy) -> None:
    """The way back up in lines."""
    from rating.consequences.remedy import goal_lines

    state = (
        _("{grade}, score {score}, black list") if found.black else _("{grade}, score {score}")
    ).format(grade=found.grade or "–", score=score(found.score))
    say(
        _("The way back up for {name} ({state}) in {run_id} under {rules}").format(
            name=found.name or found.uscc, state=state, run_id=found.run_id, rules=found.rules
        )
    )
    if not found.goals:
        say("  " + _("already at the best grade and off the black list"))
    for goal in found.goals:
        for line in goal_lines(goal, found.language):
            say("  " + line)
    if found.listing:
        say("  " + found.listing["text"])
    for note in found.notes:
        say("  " + note)


def path(
    uscc: Annotated[
        str | None,
        typer.Argument(help="The company's unified social credit code (or --below-standard)."),
    ] = None,
    below_standard: Annotated[
        bool,
        typer.Option(
            "--below-standard",
            help="Every company below the standard grade or on the black list, one row each.",
        ),
    ] = False,
    run_id: RunOption = None,
    options: Annotated[int, typer.Option(help="Options per goal.", min=1, max=10)] = 3,
    on: OnOption = None,
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The way back up (信用修复 path): the fewest records, not counted, that would move the
    company up one grade or off the black list — each option checked by recomputing the grade
    under the run's rule set — and the minimum listing time (same as `explain --path`).
    --below-standard --out paths.xlsx: every company below standard, with its measures, what it
    must do and the earliest day it can come back."""
    from rating.consequences.remedy import remedy
    from rating.uscc import require as require_uscc

    if below_standard or out is not None:
        if uscc is not None or not below_standard:
            raise typer.BadParameter(
                _("give a credit code, or --below-standard (with --out)"), param_hint="USCC"
            )
        _below_standard(Invocation(db, json), run_id, options, on, out)
        return
    if uscc is None:
        raise typer.BadParameter(_("give a credit code, or --below-standard"), param_hint="USCC")
    inv = Invocation(db, json)
    day = day_of(inv, on)
    with inv.warehouse(read_only=True) as con:
        found = remedy(
            con, require_uscc(uscc), run_id, today=day, max_options=options, language=language()
        )
    emit(inv, found.as_dict(), lambda: render_path(found))


def _below_standard(
    inv: Invocation, run_id: str | None, options: int, on: str | None, out: Path | None
) -> None:
    """`rating path --below-standard`: print the rows, or write them to --out."""
    from rating.consequences.paths import below_standard
    from rating.exports import output_format

    if out is not None:
        output_format(out)
    day = day_of(inv, on)
    with inv.warehouse(read_only=True) as con:
        found = below_standard(con, run_id, day, options, language())
        if out is not None:
            _export_paths(inv, con, found, out)
            return

    def render() -> None:
        print_table(
            _("Below standard: the way back up ({n})").format(n=len(found.rows)),
            [
                Col(_("company"), wrap=True),
                _("grade"),
                Col(_("measures"), wrap=True),
                Col(_("what it must do"), wrap=True),
                Col(_("earliest"), wrap=True),
            ],
            [
                [
                    f"{r.name or ''} {r.uscc}",
                    (r.grade or "–") + (" " + _("black list") if r.black else ""),
                    _kinds(r.measures),
                    "\n".join(r.goals),
                    r.earliest_text,
                ]
                for r in found.rows
            ],
        )
        say(_("{run_id} ({period}) under {rules}").format(
            run_id=found.run_id, period=found.period, rules=found.rules))  # fmt: skip

    emit(inv, found.as_dict(), render)


def _kinds(measures: list[str]) -> str:
    """「检查频次 3、收费等级上限 9」: the kinds of a company's measures (all in --out)."""
    import re
    from collections import Counter

    # a measure line starts with its kind: 「检查频次：…」 or "inspection frequency: …"
    kinds = Counter(re.split("：|: ", m, maxsplit=1)[0] for m in measures)
    return _("、").join(f"{k} {n}" for k, n in kinds.items())


def _export_paths(
    inv: Invocation, con: duckdb.DuckDBPyConnection, found: BelowStandard, out: Path
) -> None:
    """The rows as people read them, like every `--out`: headers in the user's language,
    yes/no in words, the score floored to the run's rule set's places as on screen."""
    from rating.cli.outfile import write_out
    from rating.engine import explainer
    from rating.exports import Sheet

    info = explainer.run_row(con, found.run_id)
    rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
    sheets = [Sheet("paths", found.frame(exact=False))]
    write_out(inv, out, sheets, found.about(), definition=rs.definition)
