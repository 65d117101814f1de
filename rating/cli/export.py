"""`rating export`: a run's results, lists, quarantine and evidence as XLSX, CSV or Parquet."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, say, working
from rating.cli.display import count, listing, word
from rating.cli.i18n import _

if TYPE_CHECKING:
    from rating.audit.export import CellWords
    from rating.ruleset.definition import RuleSet


def register(app: typer.Typer) -> None:
    """Add `rating export` to the `rating` command line app (`rating.cli.app`)."""
    app.command("export")(export)


def _labels() -> dict[str, str]:
    """Sheet names, column headers and provenance keys of a workbook, for people."""
    return {
        "provenance": _("provenance"),
        "key": _("key"),
        "value": _("value"),
        "results": _("results"),
        "lists": _("lists"),
        "quarantine": _("quarantine"),
        "evidence": _("evidence"),
        "run_id": _("run"),
        "engine_version": _("engine version"),
        "ruleset": _("rule set"),
        "ruleset_logic_sha256": _("rule set logic sha256"),
        "inputs_sha256": _("inputs sha256"),
        "period": _("period"),
        "as_of": _("as of"),
        "timezone": _("time zone"),
        "results_sha256": _("results sha256"),
        "status": _("status"),
        "watermark": _("data up to ingest batch"),
        "exported_at": _("exported at"),
        "exported_by": _("exported by"),
        "uscc": _("USCC"),
        "name": _("name"),
        "district": _("district"),
        "projects": _("projects"),
        "households": _("households"),
        "score": _("score"),
        "grade": _("grade"),
        "prev_grade": _("previous grade"),
        "red": _("red list"),
        "black": _("black list"),
        "downgrade": _("downgraded"),
        "grade_reason": _("grade reason"),
        "veto_rules": _("veto rules"),
        "black_reason": _("black list reason"),
        "downgrade_reason": _("downgrade reason"),
        "list": _("list"),
        "reason": _("reason"),
        "batch_id": _("batch"),
        "kind": _("kind"),
        "file_name": _("file"),
        "line": _("line"),
        "column_name": _("column"),
        "code": _("code"),
        "message": _("message"),
        "rule_id": _("rule"),
        "project_id": _("project"),
        "source": _("source"),
        "record_key": _("record"),
        "record_date": _("date"),
        "points": _("points"),
    }


def _grade_reason(code: str, row: Mapping[str, Any], definition: RuleSet) -> str:
    """A stored grade reason code ('band', 'not_rated', 'veto', 'override:…', 'cap:…') in
    words: the rule set's own titles where it has them."""
    kind, _sep, ref = code.partition(":")
    grades = definition.grades
    if kind == "veto":
        return f"{grades.veto_title} ({row.get('veto_rules') or ''})"
    titled = {o.id: (o.title, o.clause) for o in grades.overrides}
    titled |= {c.id: (c.title, c.clause) for c in grades.caps}
    if ref in titled:
        title, clause = titled[ref]
        return title + (f" — {clause}" if clause else "")
    if kind == "not_rated":
        return _("not rated: the company served no project in the period")
    if kind == "band":
        return _("the score is in the range of grade {grade}").format(grade=row.get("grade"))
    return code


def cell_words(definition: RuleSet) -> CellWords:
    """Words of the user's language for the codes a workbook would show (CSV and Parquet,
    for machines, keep the codes; the quarantine's `code` column keeps its code)."""
    from rating.cli.shown import problem_text

    return {
        "kind": lambda v, _row: word("kind", v),
        "list": lambda v, _row: word("list", v),
        "grade_reason": lambda v, row: _grade_reason(str(v), row, definition),
        "message": lambda v, row: problem_text(str(row.get("code") or ""), str(v)),
    }


def export(
    run_id: Annotated[str | None, typer.Argument(help="Run id (default: the latest run).")] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="File to write: .xlsx, .csv or .parquet (the suffix gives the format)."
        ),
    ] = Path("export.xlsx"),
    what: Annotated[
        list[str] | None,
        typer.Option(
            "--what",
            help="results, lists, quarantine or evidence (repeat; default: results, lists and "
            "quarantine).",
        ),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="xlsx, csv or parquet (default: from --out).")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Write a run's results, lists, quarantine or evidence to XLSX, CSV or Parquet.

    The run's provenance travels inside the file: a sheet (XLSX), key-value metadata (Parquet) or comment lines above the header (CSV)."""
    from rating.audit.export import export_run
    from rating.engine import explainer

    inv = Invocation(db, json)
    tables = [
        t.strip() for item in (what or ["results", "lists", "quarantine"]) for t in item.split(",")
    ]
    with inv.warehouse(read_only=True) as con, working(inv, _("exporting")):
        info = explainer.run_row(con, run_id)
        definition = explainer.stored_ruleset(
            con, info["ruleset"], info["ruleset_files_sha256"]
        ).definition
        result = export_run(
            con,
            inv.settings,
            info["run_id"],
            out,
            tables,
            fmt,
            _labels(),
            definition.score_places,
            cell_words(definition),
        )

    def render() -> None:
        say(
            _("{run_id}: wrote {files}").format(
                run_id=result.run_id, files=listing([str(f) for f in result.files])
            )
        )
        say(
            "  "
            + _(", ").join(f"{_labels()[t]} {count(n)}" for t, n in result.rows.items())
            + _("; ")
            + _("provenance: results sha256 {sha}").format(sha=result.provenance["results_sha256"])
        )

    emit(inv, result.as_dict(), render)
