"""A red or black list as a spreadsheet: CSV (UTF-8 with BOM, opens in Excel) and XLSX.

Columns are in the reader's language (gettext domain `public`); dates as dates, scores with
two decimals. The XLSX is byte-for-byte reproducible (its creation time is the list's day),
so its checksum and ETag change only when the list does.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import xlsxwriter

from rating.public.shapes import ListPage
from rating.public.text import PublicWords


def header(kind: str, words: PublicWords) -> list[str]:
    """The column titles of a public list download: USCC, company, district, period, status, grade
    and score; for the black list also the ground, veto items, lowest grades running, since,
    removable from (credit repair), listed until at the latest and credit repair."""
    base = [words("USCC"), words("Company"), words("District"), words("Period"),
            words("Status"), words("Grade"), words("Score")]  # fmt: skip
    if kind != "black":
        return base
    return base + [words("Ground"), words("Veto items"), words("Lowest grades running"),
                   words("Listed since"), words("Removable from (credit repair)"),
                   words("Listed until at the latest"), words("Credit repair")]  # fmt: skip


def rows(page: ListPage, words: PublicWords) -> list[list[str]]:
    """One row of text cells per company of a public list page, in `header`'s order, dates and
    statuses in the words of `words`."""
    out = []
    for e in page.items:
        row = [e.uscc, e.name, e.district or "", e.period, words.status(e.status),
               words.grade(e.grade), words.score(e.score)]  # fmt: skip
        if page.list == "black":
            x = e.listing
            row += [
                x.reason if x else "",
                words.join(x.veto_items) if x else "",
                words.join(x.streak) if x else "",
                words.day(x.since) if x and x.since else words("after publicity"),
                words.day(x.earliest_removal) if x and x.earliest_removal else "",
                words.day(x.latest_expiry) if x and x.latest_expiry else "",
                words.repair(x.repair, x.repair_applied_on) if x else "",
            ]
        out.append(row)
    return out


def title(page: ListPage, words: PublicWords) -> str:
    """A list download's title: "<list> <period>, as on <day>" (the period "in force" for the
    current list)."""
    name = words("Red list") if page.list == "red" else words("Black list")
    period = page.period or words("in force")
    return words(
        "{name} {period}, as on {day}", name=name, period=period, day=words.day(page.as_of)
    )


def to_csv(page: ListPage, words: PublicWords) -> bytes:
    """A public list page as CSV bytes: UTF-8 with a byte-order mark and CRLF line ends, so Excel
    opens the Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(page.list, words))
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
    names = header(page.list, words)
    for col, name in enumerate(names):
        sheet.write(3, col, name, bold)
        sheet.set_column(col, col, 22 if col in (0, 1, 7) else 14)
    for r, values in enumerate(rows(page, words), start=4):
        for col, v in enumerate(values):
            sheet.write_string(r, col, v, wrap)
    sheet.freeze_panes(4, 2)
    book.close()
    return out.getvalue()
