"""Answers per company: the measures it faces, and its credit points for a tender on a day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from rating.audit.disclosure import history
from rating.consequences.basis import basis_of
from rating.consequences.inforce import Book, Line, company_book
from rating.consequences.measure_words import no_tender_points
from rating.errors import NotFoundError
from rating.sql import value


@dataclass
class CompanyMeasures:
    """What `rating explain` and the bureau API show: the measures in force on a day (from
    published runs) and those the run read proposes (when it is not published yet)."""

    uscc: str
    on: date
    run_id: str
    run_status: str
    in_force: list[Line] = field(default_factory=list)
    proposed: list[Line] = field(default_factory=list)
    has_consequences: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "uscc": self.uscc,
            "on": self.on,
            "run_id": self.run_id,
            "run_status": self.run_status,
            "has_consequences": self.has_consequences,
            "in_force": [x.as_dict() for x in self.in_force],
            "proposed": [x.as_dict() for x in self.proposed],
        }


def company_measures(
    con: duckdb.DuckDBPyConnection, uscc: str, run_id: str, on: date, language: str = "zh"
) -> CompanyMeasures:
    """Measures of `uscc` in force at the end of `on`, and those run `run_id` proposes
    when it is not published (its measures start on its publication); the engine's texts
    in `language` (zh or en), each measure's source (title, clause) in the rule set's words.

    Raises NotFoundError COMPANY_NOT_FOUND for a credit code the warehouse does not know."""
    company_name(con, uscc)
    book = company_book(con, uscc, run_id, language)
    read = next(b for b in book.bases if b.run_id == run_id)
    out = CompanyMeasures(uscc, on, run_id, read.status, book.in_force(uscc, on))
    out.has_consequences = read.ruleset.definition.consequences is not None
    if read.proposed:
        out.proposed = book.of_run(read, uscc)
    return out


@dataclass
class TenderCredit:
    """A company's credit for a tender opened on `on`: excluded, or points (0 when no
    measure in force gives any), with the measures and published results behind it."""

    uscc: str
    name: str | None
    on: date
    rated: bool  # a published result was in force on that day
    grade: str | None
    period: str | None
    run_id: str | None
    excluded: bool
    points: Decimal
    text: str
    measures: list[dict[str, Any]] = field(default_factory=list)
    until: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def tender_from(book: Book, uscc: str, name: str | None, on: date) -> TenderCredit:
    """The tender answer from a book of published runs (no query)."""
    published = [b for b in book.bases if b.decided_on is not None and b.decided_on <= on]
    rated = [b for b in published if uscc in book.grades.get(b.run_id, {})]
    latest = rated[-1] if rated else None
    line = next((x for x in book.in_force(uscc, on) if x.key == "tender"), None)
    excluded = bool(line and line.values.get("excluded"))
    points = Decimal(0) if line is None or excluded else Decimal(line.values.get("points", 0))
    if latest is None or line is None:
        text = no_tender_points(book.words, latest is not None)
    else:
        text = line.text
    grade = book.grades[latest.run_id][uscc] if latest is not None else None
    return TenderCredit(
        uscc=uscc,
        name=name,
        on=on,
        rated=latest is not None,
        grade=grade,
        period=latest.period if latest else None,
        run_id=latest.run_id if latest else None,
        excluded=excluded,
        points=points,
        text=text,
        measures=line.measures if line else [],
        until=line.span.text if line else None,
    )


def tender(
    con: duckdb.DuckDBPyConnection, uscc: str, on: date, language: str = "zh"
) -> TenderCredit:
    """Credit points of `uscc` for a tender on `on`, from published results only; its
    texts in `language` (zh or en).

    Raises NotFoundError COMPANY_NOT_FOUND for a credit code the warehouse does not know.
    """
    name = company_name(con, uscc)
    book = company_book(con, uscc, language=language)
    return tender_from(book, uscc, name, on)


def company_name(con: duckdb.DuckDBPyConnection, uscc: str) -> str:
    """The company's newest name as ingested. Raises NotFoundError COMPANY_NOT_FOUND for a
    credit code the warehouse does not know."""
    name = value(
        con,
        "SELECT arg_max(name, _batch) FROM src_companies WHERE uscc = $u",
        {"u": uscc},
    )
    if name is None:
        raise NotFoundError(f"no company {uscc}", code="COMPANY_NOT_FOUND")
    return str(name)


@dataclass(frozen=True)
class RunMeasure:
    """One line of a run's measures sheet: a company (or one of its projects) and a measure
    the run decides (or proposes while unpublished), with its span and source."""

    uscc: str
    kind: str
    text: str
    project_id: str | None
    project_name: str | None
    until: str
    public: bool
    measure_ids: list[str]
    clauses: list[str]


def run_measures(
    con: duckdb.DuckDBPyConnection, run_id: str, language: str = "zh"
) -> list[RunMeasure]:
    """Every company's measures decided by `run_id` (one matching statement), by credit
    code, then kind, their texts in `language`. Empty when the run's rule set has no
    `[consequences]`."""
    disclosure = history(con)
    b = basis_of(con, run_id, disclosure)
    if b.ruleset.definition.consequences is None:
        return []
    book = Book.build(con, [b], disclosure, language=language)
    return [
        RunMeasure(
            uscc,
            x.kind,
            x.text,
            x.project_id,
            x.project_name,
            x.span.text,
            x.public,
            [m["id"] for m in x.measures],
            sorted({m["clause"] for m in x.measures}),
        )
        for uscc in sorted(book.matches.get(run_id, {}))
        for x in book.of_run(b, uscc)
    ]
