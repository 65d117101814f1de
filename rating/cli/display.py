"""How values and tables look on screen: no Python reprs, identifiers never cut.

* `text(value)` renders any value a command prints: numbers as numbers (scores and points to
  the rule set's `score_places`, rounded down (never above the value) so a shown score never crosses a
  grade's lower bound), dates as dates, yes/no as words, lists as lists, nothing as "–".
* `print_table` lays a table out for the terminal: a cell without spaces (a USCC, a run id, a
  number, a date) is never cut or folded; text wraps; when the columns do not fit, each row
  is printed as a record instead (`print_records`), and `rating --wide …` prints the table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.cells import cell_len
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from rating.cli.common import OUTPUT, stdout
from rating.cli.i18n import NP_, _, pgettext
from rating.scores import shown_score

NOTHING = "–"
DEFAULT_PLACES = 2  # rating.ruleset.definition.DEFAULT_SCORE_PLACES (not imported: kept light)
WRAP_MIN = 8
KEY_SEPARATOR = chr(
    31
)  # inside stored composite keys; users write "/" (rating.ingest.corrections)  # narrowest a wrapping column is made before columns are left out


def number(value: Any, places: int) -> str:
    """A decimal number with exactly `places` places, rounded down (−23.425 → −23.43: never
    above the value, so never across a band's minimum), thousands grouped."""
    return f"{shown_score(value, places):,.{places}f}"  # the library's one rule for a score


def score(value: Any, places: int | None = None) -> str:
    """A score or points value as the rule set shows it."""
    if value is None:
        return NOTHING
    if isinstance(value, str):
        return value  # a formula (a rule's points may be an expression)
    return number(value, DEFAULT_PLACES if places is None else places)


def when(value: datetime | date | str | None) -> str:
    """A date as YYYY-MM-DD, a time as YYYY-MM-DD HH:MM (in the zone it was stored in)."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed.date().isoformat() if len(value) <= 10 else when(parsed)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def day(value: datetime | date | str | None) -> str:
    """The day of a date or a time, as YYYY-MM-DD."""
    shown = when(value)
    return shown[:10] if shown != NOTHING else shown


def listing(values: Sequence[Any] | None) -> str:
    """Items joined the way the language lists them ("A, B" / "A、B")."""
    if not values:
        return NOTHING
    return _(", ").join(text(v) for v in values)


def text(value: Any, places: int | None = None) -> str:
    """Any value as a reader expects to see it: never a Python repr."""
    if value is None:
        return NOTHING
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal | float):
        if isinstance(value, float) and places is None:
            return f"{value:,.4g}" if abs(value) < 1 else number(value, 2)
        return number(value, DEFAULT_PLACES if places is None else places)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        return when(value)
    if isinstance(value, list | tuple | set):
        return listing(sorted(value) if isinstance(value, set) else list(value))
    if isinstance(value, dict):
        return "; ".join(f"{k}: {text(v, places)}" for k, v in value.items())
    return str(value)


def shown(value: Any) -> str:
    """A cell: text as is (a composite key's separator as the user writes it), any other
    value through `text`."""
    return value.replace(KEY_SEPARATOR, "/") if isinstance(value, str) else text(value)


def count(value: int | None) -> str:
    """A count with thousands separators (12,345), or "–" for None."""
    return NOTHING if value is None else f"{value:,}"


@dataclass(frozen=True)
class Col:
    """A column: its (translated) header; `keep` columns are never left out (the first
    column always is kept); `wrap=False` forces a column to stay on one line."""

    header: str
    keep: bool = False
    wrap: bool | None = None


def _unbreakable(col: Col, cells: list[str]) -> bool:
    if col.wrap is not None:
        return not col.wrap
    return all(" " not in c and cell_len(c) == len(c) for c in cells)


@dataclass(frozen=True)
class _Measure:
    """A column's widths in terminal cells: the least it may get, what its header wants,
    and what its content wants on one line."""

    unbreakable: bool
    least: int
    header: int
    natural: int


_ASCII_RUN = re.compile(r"[!-~]+")  # a run of printable ASCII: a code, a number, a date


def _half(header: str) -> int:
    """Cells the header needs when folded onto two lines (CJK characters fold anywhere)."""
    if " " in header or cell_len(header) == len(header):
        return max([len(w) for w in header.split()] or [1])
    half = (len(header) + 1) // 2
    return max(cell_len(header[:half]), cell_len(header[half:]))


def _measure(col: Col, values: list[str]) -> _Measure:
    lines = [cell_len(line) for v in values for line in v.splitlines() or [""]]
    longest = max(lines or [0])
    header = cell_len(col.header)
    if _unbreakable(col, values):
        least = max(longest, _half(col.header), 1)
        return _Measure(True, least, max(least, header), max(least, header))
    # An ASCII word (a date, a code) is never folded; Chinese text folds anywhere.
    words = [len(w) for v in values for w in _ASCII_RUN.findall(v)]
    least = max([_half(col.header), WRAP_MIN if longest >= WRAP_MIN else longest, *words])
    return _Measure(False, least, max(header, least), max(longest, header, least))


def _layout(measures: list[_Measure], keep: list[bool], width: int) -> dict[int, int]:
    """Column index → width for the columns shown: leaves out columns from the right (never
    a kept one) until the narrowest layout fits, then unfolds headers and gives wrapping
    text the rest."""
    shown = list(range(len(measures)))

    def room(widths: list[int]) -> int:
        return width - sum(widths) - 3 * len(widths) - 1

    for i in reversed(range(len(measures))):
        if room([measures[j].least for j in shown]) >= 0:
            break
        if not keep[i]:
            shown.remove(i)
    widths = {i: measures[i].least for i in shown}
    for i in shown:
        widths[i] += max(0, min(room(list(widths.values())), measures[i].header - widths[i]))
    wrap = [i for i in shown if not measures[i].unbreakable]
    hunger = {i: max(0, measures[i].natural - widths[i]) for i in wrap}
    total, extra = sum(hunger.values()), room(list(widths.values()))
    for i in wrap:
        if total > 0 and extra > 0:
            widths[i] += min(hunger[i], extra * hunger[i] // total)
    return widths


def make_table(
    title: str | None,
    columns: Sequence[Col | str],
    rows: Sequence[Sequence[Any]],
    caption: str | None = None,
    width: int | None = None,
) -> Table:
    """A rich Table that fits `width` (default: the terminal) without cutting identifiers."""
    cols = [c if isinstance(c, Col) else Col(c) for c in columns]
    cells = [[shown(v) for v in r] for r in rows]
    width = width or stdout.width
    measures = [_measure(c, [r[i] for r in cells]) for i, c in enumerate(cols)]
    if OUTPUT.wide:
        widths: dict[int, int | None] = dict.fromkeys(range(len(cols)))
    else:
        keep = [c.keep or i == 0 for i, c in enumerate(cols)]
        widths = dict(_layout(measures, keep, width))
    left_out = [cols[i].header for i in range(len(cols)) if i not in widths]
    notes = [caption] if caption else []
    if left_out:
        notes.append(
            _("Left out to fit {width} columns: {names} (rating --wide … shows them)").format(
                width=width, names=_(", ").join(left_out)
            )
        )
    t = Table(
        title=Text(title) if title else None,
        caption=Text("\n".join(notes)) if notes else None,
        header_style="bold",
    )
    for i, w in widths.items():
        t.add_column(Text(cols[i].header), width=w, overflow="fold")
    for r in cells:
        t.add_row(*[Text(r[i]) for i in widths])
    return t


def print_table(
    title: str | None,
    columns: Sequence[Col | str],
    rows: Sequence[Sequence[Any]],
    caption: str | None = None,
) -> None:
    """Print a table (all columns at full width with `rating --wide …`). When the terminal
    is too narrow for every column, each row is printed as a record (`label  value` lines)
    instead, so that nothing is left out. Cells are plain text: brackets in data are never
    read as markup."""
    if OUTPUT.wide:
        from rich.console import Console

        table = make_table(title, columns, rows, caption)
        Console(file=stdout.file, width=100_000, soft_wrap=True).print(table)
        return
    cols = [c if isinstance(c, Col) else Col(c) for c in columns]
    cells = [[shown(v) for v in r] for r in rows]
    measures = [_measure(c, [r[i] for r in cells]) for i, c in enumerate(cols)]
    keep = [c.keep or i == 0 for i, c in enumerate(cols)]
    if len(_layout(measures, keep, stdout.width)) < len(cols):
        print_records(title, cols, cells, caption)
    else:
        stdout.print(make_table(title, columns, rows, caption))


def print_records(
    title: str | None, cols: Sequence[Col], cells: Sequence[Sequence[str]], caption: str | None
) -> None:
    """Rows one under the other, each a record headed by its first cell: for a terminal too
    narrow for a table of every column (a long value folds, never cut)."""
    if title:  # as the table would show it: callers that count rows say so in the title
        stdout.print(Text(title, style="bold"))
    label_width = max(cell_len(c.header) for c in cols[1:]) if len(cols) > 1 else 0
    for row in cells:
        stdout.print(Text(f"{cols[0].header} {row[0]}", style="bold"), overflow="fold")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(width=label_width, no_wrap=True)
        grid.add_column(overflow="fold")
        for col, cell in zip(cols[1:], row[1:], strict=True):
            grid.add_row(Text(col.header), Text(cell))
        stdout.print(Padding(grid, (0, 0, 0, 2)))
    notes = [caption] if caption else []
    notes.append(
        _("Too narrow for every column: one record per row (rating --wide … prints a table)")
    )
    stdout.print(Text("\n".join(notes)))


# --- words ----------------------------------------------------------------------------------
# Values the library stores as codes, shown as words (message context = what they are).


WORDS = (
    NP_("kind", "companies"),
    NP_("kind", "projects"),
    NP_("kind", "complaints"),
    NP_("kind", "inspections"),
    NP_("kind", "contracts"),
    NP_("kind", "opinions"),
    NP_("kind", "events"),
    NP_("kind", "managers"),
    NP_("kind", "assignments"),
    NP_("kind", "surveys"),
    NP_("status", "draft"),
    NP_("status", "publicity"),
    NP_("status", "published"),
    NP_("status", "superseded"),
    NP_("status", "discarded"),
    NP_("status", "loaded"),
    NP_("status", "already_loaded"),
    NP_("status", "pending"),
    NP_("status", "upheld"),
    NP_("status", "rejected"),
    NP_("status", "approved"),
    NP_("status", "held"),
    NP_("status", "released"),
    NP_("status", "confirmed"),
    NP_("status", "MATCH"),
    NP_("status", "MISMATCH"),
    NP_("list", "grades"),
    NP_("list", "red"),
    NP_("list", "black"),
    NP_("list", "downgrades"),
    NP_("list", "vetoes"),
    NP_("list", "unrated"),
    NP_("method", "exact"),
    NP_("method", "fuzzy"),
    NP_("method", "alias"),
    NP_("method", "given"),
    NP_("method", "review"),
    NP_("action", "hold"),
    NP_("action", "release"),
    NP_("action", "confirm"),
    NP_("role", "bureau"),
    NP_("role", "auditor"),
    NP_("target", "project"),
    NP_("target", "company"),
    NP_("target", "manager"),
    NP_("measure", "each"),
    NP_("measure", "count"),
    NP_("measure", "sum"),
    NP_("measure", "avg"),
    NP_("measure", "share"),
    NP_("window", "period"),
    NP_("window", "rolling"),
    NP_("window", "calendar_year"),
    NP_("window", "until_rectified"),
)


def word(context: str, value: Any) -> str:
    """A stored code as a word of the user's language ('published' → '已公布')."""
    if value is None or value == "":
        return NOTHING
    return pgettext(context, str(value))


def print_record(title: str, pairs: Sequence[tuple[str, Any]]) -> None:
    """One thing as `label: value` lines under a title (values rendered by `text`)."""
    stdout.print(Text(title, style="bold"))
    width = max([cell_len(label) for label, _v in pairs] or [0])
    for label, value in pairs:
        pad = " " * (width - cell_len(label))
        stdout.print(Text(f"  {label}{pad}  {shown(value)}"))
