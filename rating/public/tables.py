"""A red or black list as a spreadsheet: CSV (UTF-8 with BOM, opens in Excel) and XLSX.

Columns are in the reader's language (gettext domain `public`). In the XLSX a score is a number
(two decimals shown), a listing day a real date shown 2026年1月20日, and the USCC and words text;
the CSV writes them as the pages do (55.00, 2026年1月20日). The XLSX is byte-for-byte reproducible (its creation time is the list's day),
so its checksum and ETag change only when the list does.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from rating.public.shapes import ListEntry, ListPage
from rating.public.text import PublicWords


def header(kind: str, words: PublicWords, in_force: bool = True) -> list[str]:
    """The column titles of a public list download: USCC, company, district, period, status, grade
    and score; for the red list also the ground, since and valid until; for the black list the
    ground, veto items, lowest grades running, since, removable from (credit repair), listed
    until at the latest and credit repair; last, the publicity's last day (filled for the
    companies proposed in publicity, whose status says 公示中（拟列入）)."""
    grade = words("Grade when listed") if in_force else words("Grade")
    base = [words("USCC"), words("Company"), words("District"), words("Period"),
            words("Status"), grade, words("Score")]  # fmt: skip
    if kind != "black":
        return base + [words("Ground"), words("Listed since"), words("Valid until"),
                       words("Publicity ends")]  # fmt: skip
    return base + [words("Ground"), words("Veto items"), words("Lowest grades running"),
                   words("Listed since"), words("Removable from (credit repair)"),
                   words("Listed until at the latest"), words("Credit repair"),
                   words("Publicity ends")]  # fmt: skip


Cell = str | float | date | None  # a spreadsheet cell: text, number, day or empty


def values(page: ListPage, words: PublicWords) -> list[list[Cell]]:
    """One row per company of a public list page, in `header`'s order, typed: the USCC and
    words as text, the score a number (None when not rated), listing days as `date`s (None
    when the list gives none; "after publicity" while the listing day is not known; a red
    listing's end in words while the next period is not published). After the list's own
    entries, as the page shows them apart, the companies proposed for it in publicity (status
    公示中（拟列入）, the publicity's last day in the last column)."""
    ends = _day(page.publicity.ends_on) if page.publicity else None  # a period in publicity
    rows = [_row(page.list, e, words.status(e.status), words) + [ends] for e in page.items]
    if page.proposed:
        p = page.proposed.publicity
        label = words("Publicity ended (proposed)") if p.ended else words("In publicity (proposed)")
        rows += [_row(page.list, e, label, words) + [_day(p.ends_on)] for e in page.proposed.items]
    return rows


def _row(kind: str, e: ListEntry, status: str, words: PublicWords) -> list[Cell]:
    """One entry's cells, all but the publicity's last day."""
    row: list[Cell] = [e.uscc, e.name, e.district or "", e.period, status,
                       words.grade(e.grade), e.score]  # fmt: skip
    if kind == "red":
        r = e.red_listing
        return row + [
            r.reason if r else "",
            _day(r.since) if r and r.since else words("after publicity"),
            (_day(r.until) or r.until_text) if r else None,
        ]
    x = e.listing
    return row + [
        x.reason if x else "",
        words.join(x.veto_items) if x else "",
        words.join(x.streak) if x else "",
        _day(x.since) if x and x.since else words("after publicity"),
        _day(x.earliest_removal if x else None),
        _day(x.latest_expiry if x else None),
        words.repair(x.repair, x.repair_applied_on) if x else "",
    ]


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def rows(page: ListPage, words: PublicWords) -> list[list[str]]:
    """`values` as text, for the CSV: days in the reader's words (2026年1月20日), scores with
    two decimals, empty for none."""

    def text(v: Cell) -> str:
        if isinstance(v, date):
            return words.day(v)
        if isinstance(v, float):
            return words.score(v)
        return v or ""

    return [[text(v) for v in row] for row in values(page, words)]


def title(page: ListPage, words: PublicWords) -> str:
    """A list download's title, as the list page heads it: "<list> · <period>, as on <day>"
    (红名单 · 现行 · 2025年第3季度 for the red list in force — a period's —, 黑名单 · 现行 for
    the black list in force, 黑名单 · 2025年第3季度 for a period's)."""
    name = words("Red list") if page.list == "red" else words("Black list")
    named = [words("in force")] if page.current else []
    period = " · ".join(named + ([words.period(page.period)] if page.period else []))
    return words(
        "{name} {period}, as on {day}", name=name, period=period, day=words.day(page.as_of)
    )


def to_csv(page: ListPage, words: PublicWords) -> bytes:
    """A public list page as CSV bytes: UTF-8 with a byte-order mark and CRLF line ends, so Excel
    opens the Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(page.list, words, page.in_force))
    writer.writerows(rows(page, words))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(page: ListPage, words: PublicWords) -> bytes:
    """A public list page as an .xlsx workbook (bytes): title, the list's basis and clause, the
    header and one row per company; dated the page's as-of day so the same page gives the same
    bytes."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    day = date.fromisoformat(page.as_of)
    book.set_properties(
        {"title": title(page, words), "created": datetime(day.year, day.month, day.day)}
    )
    sheet = book.add_worksheet(words("Red list") if page.list == "red" else words("Black list"))
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet.write(0, 0, title(page, words), book.add_format({"bold": True, "font_size": 13}))
    sheet.write(1, 0, f"{page.title}（{page.clause}）" if page.clause else page.title, wrap)
    names = header(page.list, words, page.in_force)
    for col, name in enumerate(names):
        sheet.write(3, col, name, bold)
        sheet.set_column(col, col, 22 if col in (0, 1, 7) else 14)
    formats = _cell_formats(book)
    for r, row in enumerate(values(page, words), start=4):
        for col, v in enumerate(row):
            _write(sheet, r, col, v, formats)
    sheet.freeze_panes(4, 2)
    book.close()
    return out.getvalue()


def _cell_formats(book: xlsxwriter.Workbook) -> dict[str, object]:
    top = {"valign": "top"}
    return {
        "text": book.add_format({**top, "text_wrap": True, "num_format": "@"}),
        "number": book.add_format({**top, "num_format": "0.00"}),
        "date": book.add_format({**top, "num_format": DATE_FORMAT}),
    }


# A day as Chinese readers write it, shown by Excel and WPS from a real date value.
DATE_FORMAT = 'yyyy"年"m"月"d"日"'


def _write(sheet: Worksheet, row: int, col: int, value: Cell, formats: dict[str, object]) -> None:
    """One typed cell: text stays text (a USCC is never a number), a score a number, a day a
    date with the Chinese date format, None a blank cell."""
    if value is None:
        sheet.write_blank(row, col, None, formats["text"])
    elif isinstance(value, date):
        sheet.write_datetime(
            row, col, datetime(value.year, value.month, value.day), formats["date"]
        )
    elif isinstance(value, float):
        sheet.write_number(row, col, value, formats["number"])
    else:
        sheet.write_string(row, col, value, formats["text"])
