"""`--out FILE` of every command, in the user's language: the same sheet names, column headers
and words for stored codes as `rating export` (rating.cli.export), then `rating.exports`
writes the file.

What changes on the way out (the warehouse keeps codes; only the file speaks to people):
sheet names and headers are labelled, yes/no columns say 是/否, a list, quarantine kind,
grade reason or quarantine message says its words (the quarantine's `code` column keeps its
code), and scores and points are rounded DOWN to the rule set's places, the figure the
screen shows (rating.cli.display.number), so Excel never shows 36.19 where the CLI says 36.18.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rating.cli.common import Invocation, exported
from rating.cli.display import DEFAULT_PLACES
from rating.cli.export import _labels, cell_words
from rating.cli.i18n import _, pgettext

if TYPE_CHECKING:
    import polars as pl

    from rating.exports import Sheet
    from rating.ruleset.definition import RuleSet

SCORE_COLUMNS = frozenset({"score", "points"})
LIST_SHEETS = ("grades", "red", "black", "downgrades", "vetoes", "unrated")


def _more_labels() -> dict[str, str]:
    """Headers of `--out` tables that `rating export` does not write."""
    return {
        "company_uscc": _("USCC"),
        "project_name": _("project name"),
        "street": _("street"),
        "floor_area": _("floor area"),
        "days_served": _("days served"),
        "weight": _("weight"),
        "value": _("value"),
        "raw": _("row as read"),
        "projects": _("projects"),
        "what": _("what"),
        "read": _("run read"),
        "rules": _("rule set"),
        "warehouse": _("warehouse"),
        "filters": _("filters"),
        "sheet": _("sheet"),
        **_consequence_labels(),
        **_manager_labels(),
    }


def _manager_labels() -> dict[str, str]:
    """Headers of `rating managers show --out`."""
    return {
        "managers": _("project managers"),
        "certificate_no": _("certificate"),
        "person_name": pgettext("person", "name"),
        "employer_uscc": _("employer's USCC"),
        "veto": _("veto"),
        "lists_entered": _("lists entered"),
        "project_ids": pgettext("list of", "projects"),
        "days_in_charge": _("days in charge"),
    }


def _consequence_labels() -> dict[str, str]:
    """Headers of `rating path --below-standard --out`, `rating supervision plan|review --out`
    and `rating measures --out`."""
    return {
        "paths": _("way back up"),
        "below_standard": _("below standard"),
        "run": _("run"),
        "measures": _("measures"),
        "goals": _("what it must do"),
        "earliest": _("earliest day back"),
        "earliest_text": _("earliest, in words"),
        "plan": _("plan"),
        "plan_id": _("plan"),
        "basis_run": _("classes from run"),
        "made_at": _("made at"),
        "company_name": _("company"),
        "company_grade": _("company grade"),
        "project_grade": _("project grade"),
        "level": _("level"),
        "per_year": _("inspections a year"),
        "sampling": _("sampling ratio"),
        "last_inspected": _("last inspected"),
        "next_due": _("next due"),
        "routine": _("routine"),
        "sampled": _("spot checks (双随机)"),
        "raised": _("raised"),
        "planned": _("planned"),
        "reasons": _("reasons"),
        # `rating warning rank --out`
        "ranking": _("risk ranking"),
        "rank": _("rank"),
        "risk": _("risk"),
        "probability": _("probability"),
        "baseline": _("baseline"),
        "drivers": _("drivers"),
        # `rating supervision review --out`
        "review_items": _("plan against actual"),
        "actual": _("made"),
        "done": _("done"),
        "missed": _("missed"),
        "not_due": _("not yet due"),
        "last_on": _("last inspected"),
        "reviewed_on": _("reviewed on"),
        # `rating measures --out` (the sheet: "measures" above)
        "proposed": _("proposed, not yet in force"),
        "measure_kind": _("kind"),
        "measure": pgettext("consequence", "measure"),
        "starts": _("starts"),
        "until": _("until"),
        "public": _("public"),
        "basis": _("basis"),
        "clauses": _("rules and clauses"),
        "note": _("note"),
    }


def labels() -> dict[str, str]:
    """Every header, sheet name and about-sheet key of an `--out` file, for people."""
    found = _labels() | _more_labels()
    found |= {w: pgettext("list", w) for w in LIST_SHEETS}
    return found


def floored(frame: pl.DataFrame, places: int) -> pl.DataFrame:
    """Score and points columns rounded DOWN to `places` (−23.425 → −23.43, as on screen).
    The values carry at most 4 places (DECIMAL(18,4)), so rounding the shifted value to 6
    places first removes binary noise (36.18 × 100 = 3617.9999…) without moving a figure."""
    import polars as pl

    shift = 10**places
    return frame.with_columns(
        (pl.col(c).cast(pl.Float64) * shift).round(6).floor().truediv(shift).alias(c)
        for c in frame.columns
        if c in SCORE_COLUMNS and frame.schema[c].is_numeric()
    )


ROW_CONTEXT = ("code", "veto_rules", "grade")  # what a code's words may read of its row


def _worded(
    frame: pl.DataFrame, words: Mapping[str, Callable[[Any, Mapping[str, Any]], str]]
) -> pl.DataFrame:
    """Yes/no columns as 是/否 and lists as listed (whole columns), then coded columns in
    words: each distinct (code, its row context) is worded once and joined back."""
    import polars as pl

    plain = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Boolean:
            plain.append(pl.when(col).then(pl.lit(_("yes"))).otherwise(pl.lit(_("no"))))
        elif isinstance(dtype, pl.List):
            plain.append(col.cast(pl.List(pl.Utf8)).list.join(_(", ")))
        else:
            plain.append(col)
    frame = frame.select(
        pl.when(pl.col(n).is_null()).then(None).otherwise(e).alias(n)
        for n, e in zip(frame.columns, plain, strict=True)
    )
    for name in [n for n in frame.columns if n in words]:
        keys = [name, *(c for c in ROW_CONTEXT if c in frame.columns and c != name)]
        distinct = frame.select(keys).unique().to_dicts()
        shown = [None if d[name] is None else words[name](d[name], d) for d in distinct]
        table = pl.DataFrame(distinct, schema=frame.select(keys).schema).with_columns(
            pl.Series("_shown", shown, dtype=pl.Utf8)
        )
        frame = (
            frame.with_row_index("_order")
            .join(table, on=keys, how="left", nulls_equal=True)
            .sort("_order")
            .with_columns(pl.col("_shown").alias(name))
            .drop("_order", "_shown")
        )
    return frame


def for_people(
    sheet: Sheet, places: int, definition: RuleSet | None, headers: bool = True
) -> Sheet:
    """A sheet as a person reads it: labelled (unless `headers` is False: a file that is read
    back by its column names), its codes in words and its scores as shown."""
    from rating.exports import Sheet

    words = dict(cell_words(definition)) if definition is not None else cell_words_free()
    frame = _worded(floored(sheet.frame, places), words)
    names = labels()
    if headers:
        frame = frame.rename({c: names.get(c, c) for c in frame.columns})
    return Sheet(names.get(sheet.name, sheet.name), frame)


def cell_words_free() -> dict[str, Callable[[Any, Mapping[str, Any]], str]]:
    """The words `cell_words` gives that need no rule set (kind, list, quarantine message)."""
    from rating.cli.display import word
    from rating.cli.shown import problem_text

    return {
        "kind": lambda v, _row: word("kind", v),
        "list": lambda v, _row: word("list", v),
        "message": lambda v, row: problem_text(str(row.get("code") or ""), str(v)),
    }


def write_out(
    inv: Invocation,
    out: Path,
    sheets: list[Sheet],
    about: Mapping[str, object],
    *,
    definition: RuleSet | None = None,
    headers: bool = True,
) -> None:
    """Write `sheets` and the `about` sheet to `out` (rating.exports.write_tables) in the
    user's language, then say what was written. `definition`: the run's rule set (its score
    places and grade titles); `headers=False` keeps column names as codes (files read back,
    such as the hotline review workbook). Raises as `write_tables`."""
    from rating.exports import write_tables

    places = definition.score_places if definition is not None else DEFAULT_PLACES
    names = labels()
    shown = [for_people(s, places, definition, headers) for s in sheets]
    about_shown = {names.get(k, k): v for k, v in about.items()}
    write_tables(out, shown, about_shown, about_headers=(names["key"], names["value"]),
                 about_name=_("about"))  # fmt: skip
    rows = {s.name: s.frame.height for s in sheets}
    exported(
        inv, out, rows, dict(about), {s.name: t.name for s, t in zip(sheets, shown, strict=True)}
    )
