"""Contract machinery: how a source kind's columns are declared (pandera's vocabulary plus metadata).

A contract is declared once, in pandera's terms (a logical type standing for a polars
dtype, nullability, pandera's built-in checks by name and statistics), and executed twice: by `rating.ingest.validate`,
which renders every check as DuckDB SQL so a 100-million-row file is validated in the
warehouse, and by pandera itself (`Contract.pandera_schema()`, in the tests on small frames),
which proves the SQL executor agrees with the declaration. The declarations are plain frozen
shapes (`Column`, `Check`, `Schema`) rather than pandera objects so that importing them costs
nothing: every command touching the warehouse (a `rating run` too) reads the tables' columns
from here, and `import pandera.polars` (which imports pandas) took 3 s of a run's start-up,
polars alone 0.2–0.4 s (issue 21). The ten declarations themselves are in `rating.schema.sources` (managers,
assignments and surveys in `rating.schema.managers`); value lists in
`rating.schema.vocabularies`.

Column metadata carries what pandera has no slot for: the headers a bureau export may use
(Chinese first), value synonyms, whether a date may lie in the future, and defaults.
`datasets/CONTRACTS.md` is generated from these declarations (`rating contracts --markdown`)
and a test keeps it current.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from rating.idnumber import is_valid as _id_number_is_valid
from rating.uscc import is_valid as _uscc_is_valid

if TYPE_CHECKING:
    import pandera.polars as pa
    import polars as pl

# The logical types a column is parsed and stored as (`logical_type`); pandera sees the polars
# dtype of each (`polars_dtype`).
TEXT, INT, DECIMAL, DATE, TIMESTAMP, BOOL = "text", "int", "decimal", "date", "timestamp", "bool"
LOGICAL_TYPES = (TEXT, INT, DECIMAL, DATE, TIMESTAMP, BOOL)

# Cells that mean "empty" in real exports (`无` is common in 12345 extracts). Excel's `#N/A`
# is not one: it is an error cell (CELL_ERROR), never an empty value.
NULL_TOKENS = ("", "无", "-", "--", "— —", "NULL", "null", "None", "N/A", "n/a")

# No export of a bureau holds a date before this, unless a column says otherwise: a year
# before it is a two-digit year or a number misread as a date (DATE_TOO_EARLY).
EARLIEST_DATE = date(1990, 1, 1)

TRUE_WORDS = ("是", "Y", "y", "yes", "Yes", "YES", "true", "True", "TRUE", "1", "有")
FALSE_WORDS = ("否", "N", "n", "no", "No", "NO", "false", "False", "FALSE", "0")


@dataclass(frozen=True)
class Check:
    """One declared check: pandera's name for it and its `statistics` (the bounds, values or
    pattern), exactly as `pandera.Check` spells them; `rating.ingest.validate` renders it as SQL
    and `to_pandera()` builds the pandera check. Built-ins: `Check.gt`, `ge`, `in_range`,
    `isin`, `str_matches`; ours: `uscc_check()`, `id_number_check()`, `not_fraction_check()`."""

    name: str
    statistics: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def gt(cls, min_value: float) -> Check:
        """Every value > `min_value` (pandera `greater_than`)."""
        return cls("greater_than", {"min_value": min_value})

    @classmethod
    def ge(cls, min_value: float) -> Check:
        """Every value ≥ `min_value` (pandera `greater_than_or_equal_to`)."""
        return cls("greater_than_or_equal_to", {"min_value": min_value})

    @classmethod
    def in_range(cls, min_value: float, max_value: float) -> Check:
        """Every value within [`min_value`, `max_value`], both ends allowed (pandera `in_range`)."""
        stats = {"min_value": min_value, "max_value": max_value}
        return cls("in_range", {**stats, "include_min": True, "include_max": True})

    @classmethod
    def isin(cls, allowed_values: list[str]) -> Check:
        """Every value one of `allowed_values` (pandera `isin`)."""
        return cls("isin", {"allowed_values": list(allowed_values)})

    @classmethod
    def str_matches(cls, pattern: str) -> Check:
        """Every value matches the regular expression `pattern` from its start (pandera
        `str_matches`)."""
        return cls("str_matches", {"pattern": pattern})

    def to_pandera(self) -> pa.Check:
        """The same check as a `pandera.polars` check (imports pandera)."""
        import pandera.polars as pa

        if self.name in _CUSTOM_CHECKS:
            return pa.Check(_CUSTOM_CHECKS[self.name], name=self.name, error=self.error)
        builder: Callable[..., pa.Check] = getattr(pa.Check, self.name)
        return builder(**self.statistics)


def polars_dtype(logical: str) -> Any:
    """The polars dtype pandera checks a column of this logical type as (imports polars)."""
    import polars as pl

    dtypes = {TEXT: pl.Utf8, INT: pl.Int64, DECIMAL: pl.Float64, DATE: pl.Date}
    return {**dtypes, TIMESTAMP: pl.Datetime, BOOL: pl.Boolean}[logical]


def _valid_everywhere(is_valid: Callable[[str], bool]) -> Callable[[Any], pl.LazyFrame]:
    def check(data: Any) -> pl.LazyFrame:
        import polars as pl

        col = pl.col(data.key)
        return data.lazyframe.select(
            col.map_elements(is_valid, return_dtype=pl.Boolean).fill_null(True)
        )

    return check


def _not_fraction(data: Any) -> pl.LazyFrame:
    import polars as pl

    col = pl.col(data.key)
    return data.lazyframe.select(((col <= 0) | (col >= 1)).fill_null(True))


# pandera's form of our own checks (the SQL forms are in `rating.ingest.validate`).
_CUSTOM_CHECKS: dict[str, Callable[[Any], pl.LazyFrame]] = {
    "uscc_checksum": _valid_everywhere(_uscc_is_valid),
    "id_number_checksum": _valid_everywhere(_id_number_is_valid),
    "not_fraction": _not_fraction,
}


def uscc_check() -> Check:
    """A check that every value of the column is a valid USCC (GB 32100-2015); nulls pass
    (whether a column may be null is the contract's `nullable`). Failures read "not a valid unified
    social credit code" (`uscc_checksum`)."""
    return Check("uscc_checksum", error="not a valid unified social credit code")


def id_number_check() -> Check:
    """A check that every value of the column is a valid citizen identity number (GB
    11643-1999); nulls pass. Failures read "not a valid citizen identity number"
    (`id_number_checksum`)."""
    return Check("id_number_checksum", error="not a valid citizen identity number")


def not_fraction_check() -> Check:
    """A check for a column in percent: no value lies strictly between 0 and 1. A
    satisfaction rate of 0.925 per cent is not credible; it is the fraction 0.925 (an Excel
    cell formatted 0.0% shows 92.5% and holds 0.925, and the reader cannot see the format),
    so it is refused (`RATE_AS_FRACTION`) rather than loaded at 1/100 of its meaning. 0 and
    1..100 pass; nulls pass."""
    return Check("not_fraction", error="a fraction where percent is expected")


@dataclass(frozen=True, eq=False)
class Column:
    """One declared column: its logical type `dtype` (`LOGICAL_TYPES`), `checks`,
    `nullable`, `title` (its first header), `description` (help) and `metadata` (headers,
    synonyms, future_ok, default, free_text, system, personal, percent, earliest)."""

    dtype: str
    checks: tuple[Check, ...]
    nullable: bool
    title: str
    description: str
    metadata: Mapping[str, Any]

    def to_pandera(self) -> pa.Column:
        """The same column as a `pandera.polars` column (imports pandera)."""
        import pandera.polars as pa

        return pa.Column(
            polars_dtype(self.dtype),
            checks=[c.to_pandera() for c in self.checks],
            nullable=self.nullable,
            title=self.title,
            description=self.description,
            metadata=dict(self.metadata),
        )


@dataclass(frozen=True, eq=False)
class Schema:
    """A kind's columns by name, in declaration order (pandera's `DataFrameSchema` shape)."""

    columns: Mapping[str, Column]


def column(
    dtype: str,
    headers: tuple[str, ...],
    help: str,
    *,
    required: bool = True,
    checks: tuple[Check, ...] = (),
    synonyms: dict[str, str] | None = None,
    future_ok: bool = False,
    default: Any = None,
    free_text: bool = False,
    system: bool = False,
    personal: bool = False,
    percent: bool = False,
    earliest: date = EARLIEST_DATE,
) -> Column:
    """One declared column of logical type `dtype` (`TEXT`, `INT`, …); `headers` lists
    accepted header spellings, Chinese first.

    A `system` column is filled by the loader, never read from a file (its headers only name it).
    A `personal` column (a citizen identity number) is never stored in clear: ingest keeps its
    keyed hash (`rating.idnumber`), masks it in the quarantine, and without a key ignores it.
    A `percent` column (a number in percent) also reads `92.5%` and `92.5％` as 92.5.
    `earliest` is the first date a date column may hold (DATE_TOO_EARLY before it)."""
    if dtype not in LOGICAL_TYPES:
        raise TypeError(f"no logical type {dtype!r}")
    return Column(
        dtype,
        checks=tuple(checks),
        nullable=not required,
        title=headers[0],
        description=help,
        metadata={
            "headers": headers,
            "synonyms": synonyms or {},
            "future_ok": future_ok,
            "default": default,
            "free_text": free_text,
            "system": system,
            "personal": personal,
            "percent": percent,
            "earliest": earliest,
        },
    )


def enum(*values: str) -> Check:
    """A check that every value is one of `values` (a contract's vocabulary)."""
    return Check.isin(list(values))


@dataclass(frozen=True)
class CrossCheck:
    """A check across columns of one record; `bad_when` is SQL over the typed columns."""

    column: str
    code: str
    bad_when: str


@dataclass(frozen=True)
class NoOverlap:
    """Periods that may not overlap within a group: a project has one company (one manager)
    at a time. `end` empty means open; a row overlapping another is quarantined with `code`."""

    group: str
    start: str
    end: str
    code: str


@dataclass(frozen=True)
class Contract:
    kind: str
    title: str
    schema: Schema
    key: tuple[str, ...]
    date_column: str  # the date an event happened on: attribution and windows use it
    references: dict[str, str] = field(default_factory=dict)  # column -> kind it must exist in
    cross_checks: tuple[CrossCheck, ...] = ()
    date_from_period: str | None = None  # opinions: their date is the end of the period rated
    # complaints: a file without `project_id` must name the compound in this column instead,
    # and its rows are matched to projects by name (rating.matching)
    matched_by: str | None = None
    no_overlap: NoOverlap | None = None

    @property
    def columns(self) -> dict[str, Column]:
        return dict(self.schema.columns)

    def pandera_schema(self) -> pa.DataFrameSchema:
        """This contract as a `pandera.polars.DataFrameSchema` (imports pandera, hence pandas:
        for checking frames in Python, never on the warehouse's paths)."""
        import pandera.polars as pa

        columns = {name: col.to_pandera() for name, col in self.columns.items()}
        return pa.DataFrameSchema(columns, name=self.kind)

    def identifier(self, name: str) -> str | None:
        """'uscc' for a unified social credit code, 'id' for another key or reference
        (an order number, a project id), None for any other column. Identifiers are the
        cells exporters and Excel damage most (tabs, apostrophes, full-width digits, numbers
        in scientific notation), and the ones a wrong value hurts most."""
        col = self.columns[name]
        if logical_type(col) != "text" or col.metadata["system"]:
            return None
        if any(check.name == "uscc_checksum" for check in col.checks):
            return "uscc"
        if name in self.key or name in self.references or name.endswith("_id"):
            return "id"
        return "id" if name == "repeat_of" else None

    def header_map(self) -> dict[str, str]:
        """Accepted header spelling (normalised) -> column name."""
        out: dict[str, str] = {}
        for name, col in self.columns.items():
            if col.metadata["system"]:
                continue
            for header in (*col.metadata["headers"], name):
                out[normalise_header(header)] = name
        return out


def logical_type(col: Column) -> str:
    """text, int, decimal, date, timestamp or bool: how a column is parsed and stored."""
    return col.dtype


_REQUIRED_MARKS = re.compile(r"^[*※★☆#]+|[*※★☆]+$")
_NOTES = re.compile(r"[(\[【〔〖][^)\]】〕〗]*[)\]】〕〗]")


def normalise_header(text: str) -> str:
    """Headers match ignoring case, width (full-width letters, digits and brackets), spaces
    and line breaks anywhere, underscores, required-field marks (`*统一社会信用代码`, `※`),
    a bracketed note such as `（必填）`, `（18位）`, `是否重复（0：否；1：是）`, `【必填】` or
    `建筑面积(平方米)`, a trailing colon, and a `12345` prefix."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = "".join(t.split()).replace("_", "")
    t = _NOTES.sub("", t)
    t = _REQUIRED_MARKS.sub("", t).rstrip(":")
    return t.removeprefix("12345") or t
