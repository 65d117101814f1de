"""The way back up for every company of a run below the standard grade or on the black list:
one row each, with its grade, the measures the run decides for it, what it must do (the
goals and their options), the earliest day it can come back, and the run's provenance —
what the bureau sends out after a quarterly run, with no spreadsheet work.

*Below standard* is a grade worse than `[consequences] standard` (达标: e.g. B in
yantai-2022); a rule set without one counts its lowest grade as below standard. Black-listed
companies are in whatever their grade. The earliest day: a grade can change only with the
next period's results, so not before the day after that period ends; a black-list entry not
before its minimum listing time (`min_until`); an unpublished entry's time is counted from
its publication, so the day is left open and the text says so.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from rating.audit.disclosure import history
from rating.consequences import remedy_words as words
from rating.consequences.lookup import RunMeasure, run_measures
from rating.consequences.measure_words import measure_line
from rating.consequences.remedy import as_of_run, remedy_of
from rating.consequences.remedy_shapes import Remedy
from rating.consequences.remedy_words import PathWords
from rating.consequences.whatif import load_company
from rating.engine import explainer
from rating.engine.shapes import Provenance
from rating.exports import Sheet, write_tables
from rating.periods import Period
from rating.ruleset.definition import RuleSet
from rating.sql import rows

PATH_COLUMNS = (
    "uscc", "name", "grade", "score", "black", "measures", "goals", "earliest", "earliest_text",
    "run_id", "period", "rules", "ruleset_logic_sha256", "results_sha256",
)  # fmt: skip


@dataclass(frozen=True)
class PathRow:
    """One company below standard: where it stands, what it faces, what it must do, when."""

    uscc: str
    name: str | None
    grade: str | None
    score: Decimal | None
    black: bool
    measures: list[str]  # the measures the run decides: 「kind_name：text（until）」
    goals: list[str]  # each goal with its options, in words
    earliest: date | None  # the earliest day it can come back (None: counted from publication)
    earliest_text: str
    run_id: str
    period: str
    rules: str
    ruleset_logic_sha256: str
    results_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BelowStandard:
    """Every company of a run below standard (`rows`), with the run's provenance."""

    run_id: str
    period: str
    rules: str
    ruleset_logic_sha256: str
    results_sha256: str
    below: tuple[str, ...]  # the grades counted below standard
    rows: list[PathRow]

    def about(self) -> dict[str, str]:
        """The provenance as an export's `about` sheet."""
        return {
            "run": self.run_id,
            "period": self.period,
            "rules": self.rules,
            "ruleset_logic_sha256": self.ruleset_logic_sha256,
            "results_sha256": self.results_sha256,
            "below_standard": ", ".join(self.below) + " + black list",
        }

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows": [r.as_dict() for r in self.rows]}

    def frame(self, exact: bool = True) -> pl.DataFrame:
        """The rows as a table for a workbook or CSV: one cell per column, a list's items on
        lines of their own; the score as the engine stored it (text, exact) or, with
        `exact=False`, as a number for a file people read (the CLI floors it to the rule
        set's places, as the screen shows it: rating.cli.outfile)."""
        return pl.DataFrame(
            [
                {
                    **r.as_dict(),
                    "score": None if r.score is None else str(r.score) if exact else r.score,
                    "measures": "\n".join(r.measures),
                    "goals": "\n".join(r.goals),
                }
                for r in self.rows
            ],
            schema={
                c: (
                    pl.Boolean
                    if c == "black"
                    else pl.Date
                    if c == "earliest"
                    else pl.Decimal(18, 4)
                    if c == "score" and not exact
                    else pl.String
                )
                for c in PATH_COLUMNS
            },  # fmt: skip
        )

    def write(self, path: Path) -> Path:
        """Write the rows to `path` for programs (the API's csv/xlsx download): column names
        as codes, the exact score (.xlsx with an `about` sheet of provenance, or .csv whose
        every row carries it). The command line's `--out` writes the same rows for people
        through `rating.cli.outfile.write_out`. Raises UsageError EXPORT_FORMAT for another
        suffix."""
        return write_tables(path, [Sheet("paths", self.frame())], self.about())


def below_grades(rs: RuleSet) -> tuple[str, ...]:
    """The grades below the standard (the lowest grade when the rule set names none)."""
    order = rs.grade_order
    standard = rs.consequences.standard if rs.consequences is not None else None
    if standard is None or standard not in order:
        return order[-1:]
    return order[order.index(standard) + 1 :]


def below_usccs(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    grades: tuple[str, ...],
    listed: Collection[str] = (),
) -> list[str]:
    """Credit codes of the run's rated companies graded one of `grades`, black-listed by the
    run, or in `listed` (black-list entries in force from earlier publications)."""
    return [
        u
        for (u,) in rows(
            con,
            """SELECT uscc FROM run_companies WHERE run_id = $r AND rated
               AND (list_contains($g::VARCHAR[], grade) OR coalesce(black, false)
                    OR list_contains($listed::VARCHAR[], uscc))
               ORDER BY uscc""",
            {"r": run_id, "g": list(grades), "listed": sorted(listed)},
        )
    ]


def earliest_day(found: Remedy, w: PathWords) -> tuple[date | None, str]:
    """The earliest day `found`'s company can come back, and that in words (module doc)."""
    after = Period.parse(found.period).previous(-1)
    day = after.end + timedelta(days=1)
    text = words.next_results_text(w, after, day)
    if found.listing is None:
        return day, text
    if not found.listing["published"]:
        return None, found.listing["text"]
    min_until: date = found.listing["min_until"]
    if min_until > day:
        return min_until, words.off_list_text(w, min_until)
    return day, text


def _measure_words(lines: list[RunMeasure], w: PathWords) -> list[str]:
    return [measure_line(w, m.kind, m.text, m.project_name or m.project_id, m.until) for m in lines]


def _row(found: Remedy, w: PathWords, measures: list[str], prov: Provenance) -> PathRow:
    earliest, why = earliest_day(found, w)
    return PathRow(
        uscc=found.uscc,
        name=found.name,
        grade=found.grade,
        score=found.score,
        black=found.black,
        measures=measures,
        goals=[g.text for g in found.goals],
        earliest=earliest,
        earliest_text=why,
        run_id=found.run_id,
        period=found.period,
        rules=found.rules,
        ruleset_logic_sha256=prov["ruleset_logic_sha256"],
        results_sha256=prov["results_sha256"],
    )


def below_standard(
    con: duckdb.DuckDBPyConnection,
    run_id: str | None = None,
    today: date | None = None,
    max_options: int = 3,
    language: str = "zh",
) -> BelowStandard:
    """One `PathRow` per company of `run_id` (default: the latest run) below the standard
    or black-listed, by credit code. Raises NotFoundError RUN_NOT_FOUND."""
    info = explainer.run_row(con, run_id)
    prov = explainer.provenance(info)
    w = PathWords(language)
    rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
    measures: dict[str, list[RunMeasure]] = {}
    for m in run_measures(con, info["run_id"], language):
        measures.setdefault(m.uscc, []).append(m)
    disclosure = as_of_run(history(con), Period.parse(info["period"]))
    out = []
    below = below_grades(rs.definition)
    day = today or Period.parse(info["period"]).end
    in_force = {e.uscc for e in disclosure.active(day)}
    for uscc in below_usccs(con, info["run_id"], below, in_force):
        company = load_company(con, info["run_id"], uscc)
        found = remedy_of(con, company, info, today, max_options, language, disclosure)
        lines = _measure_words(measures.get(uscc, []), w)
        out.append(_row(found, w, lines, prov))
    return BelowStandard(
        info["run_id"],
        info["period"],
        info["ruleset"],
        prov["ruleset_logic_sha256"],
        prov["results_sha256"],
        below,
        out,
    )
