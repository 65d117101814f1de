"""The report as an Excel workbook (xlsxwriter): one sheet per table, charts on their own sheet.

Every row the summary only counts is here: every list, every downgrade with its reasons,
vetoes, score drops, the companies one period from the black list, and per company and rule
the points and the number of records behind them. Sheet names and headers are in the
report's language (`Words`); numbers stay numbers, so staff can sort, filter and pivot; the
provenance sheet says which run, rules and inputs the numbers come from. Properties carry
the run's as-of time, not the wall clock.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import xlsxwriter

from rating.analysis.features import describe
from rating.report.data import ReportData
from rating.report.html import Page, kind_names
from rating.report.summary import Entry, Summary
from rating.report.text import Words
from rating.sql import dicts


class Book:
    def __init__(self, path: Path, created: datetime, yes: str = "是") -> None:
        self.yes = yes
        self.wb = xlsxwriter.Workbook(
            str(path), {"strings_to_numbers": False, "remove_timezone": True}
        )
        self.wb.set_properties({"created": created.replace(tzinfo=None), "author": "rating report"})
        self.head = self.wb.add_format(
            {"bold": True, "bg_color": "#EEF2F7", "border": 1, "text_wrap": True}
        )
        self.title = self.wb.add_format({"bold": True, "font_size": 13})
        self.num = self.wb.add_format({"num_format": "0.00"})

    def sheet(
        self,
        name: str,
        title: str,
        headers: list[str],
        rows: list[list[Any]],
        widths: list[int] | None = None,
    ) -> Any:
        ws = self.wb.add_worksheet(name)
        ws.write(0, 0, title, self.title)
        self.table(ws, 2, headers, rows)
        ws.freeze_panes(3, 0)
        if rows:
            ws.autofilter(2, 0, 2 + len(rows), len(headers) - 1)
        for i, w in enumerate(widths or [14] * len(headers)):
            ws.set_column(i, i, w)
        return ws

    def table(self, ws: Any, row: int, headers: list[str], rows: list[list[Any]]) -> int:
        ws.write_row(row, 0, headers, self.head)
        for r, values in enumerate(rows, start=row + 1):
            for c, v in enumerate(values):
                self.write(ws, r, c, v)
        return row + len(rows) + 2

    def write(self, ws: Any, r: int, c: int, v: Any) -> None:
        if v is None:
            return
        if isinstance(v, bool):
            ws.write_string(r, c, self.yes if v else "")
        elif isinstance(v, float):
            ws.write_number(r, c, v, self.num)
        elif isinstance(v, int):
            ws.write_number(r, c, v)
        elif isinstance(v, list | tuple):
            ws.write_string(r, c, "、".join(str(x) for x in v))
        else:
            ws.write_string(r, c, str(v))

    def close(self) -> None:
        self.wb.close()


def _company_rows(page: Page, rows: list[dict[str, Any]], which: str) -> list[list[Any]]:
    w = page.w
    out = []
    for c in rows:
        if which == "black":
            reason = page.ground(page._entry(c))
        elif which == "downgrade":
            reason = page._downgrade_words(c)
        else:
            reason = page.grade_words(c)
        out.append(
            [
                c["uscc"],
                c["name"],
                c["district"],
                c["projects"],
                c["households"],
                None if c["score"] is None else round(float(c["score"]), 4),
                w.grade(c["grade"]),
                w.grade(c["prev_grade"]),
                c["red"],
                c["black"],
                c["downgrade"],
                reason,
            ]  # fmt: skip
        )
    return out


def _company_heads(w: Words) -> list[str]:
    return [w("Credit code"), w("Company"), w("District"), w("Projects"), w("Households"),
            w("Score"), w("Grade"), w("Previous"), w("Red list"), w("Black list"),
            w("Downgrade"), w("Reason")]  # fmt: skip


WIDE = [22, 34, 10, 8, 10, 9, 8, 8, 7, 7, 7, 50]


def _entries(w: Words, page: Page, entries: list[Entry]) -> list[list[Any]]:
    return [
        [
            e.uscc,
            e.name,
            e.district,
            e.score,
            w.grade(e.previous_grade),
            w.grade(e.grade),
            e.score_change if e.score_change is not None else page.ground(e),
        ]  # fmt: skip
        for e in entries
    ]


def _evidence(con: duckdb.DuckDBPyConnection, data: ReportData) -> list[list[Any]]:
    titles = {r.id: r.title for r in data.ruleset.rules}
    found = dicts(
        con,
        """SELECT p.company_uscc AS uscc, c.name, p.rule_id, sum(p.records) AS records,
                  CAST(sum(p.points) AS DOUBLE) AS points
           FROM run_rule_points p JOIN run_companies c
             ON c.run_id = p.run_id AND c.uscc = p.company_uscc
           WHERE p.run_id = $run GROUP BY ALL ORDER BY uscc, points, rule_id""",
        {"run": data.run_id},
    )
    return [
        [
            r["uscc"],
            r["name"],
            titles.get(r["rule_id"], r["rule_id"]),
            int(r["records"]),
            round(r["points"], 4),
        ]  # fmt: skip
        for r in found
    ]


def _lists(book: Book, page: Page, summary: Summary) -> None:
    w, data = page.w, page.data
    heads = _company_heads(w)
    book.sheet(w("All companies"), w("All companies"), heads,
               _company_rows(page, data.companies, "all"), WIDE)  # fmt: skip
    book.sheet(w("Black list"), w("Black list"), heads,
               _company_rows(page, data.where("black"), "black"), WIDE)  # fmt: skip
    book.sheet(w("Downgrades"), w("Downgrades, with reasons"), heads,
               _company_rows(page, data.where("downgrade"), "downgrade"), WIDE)  # fmt: skip
    book.sheet(w("Red list"), w("Red list"), heads,
               _company_rows(page, data.where("red"), "red"), WIDE)  # fmt: skip
    entry_heads = [w("Credit code"), w("Company"), w("District"), w("Score"), w("Previous"),
                   w("Grade"), w("Detail")]  # fmt: skip
    for name, title, entries in (
        (w("Vetoes"), w("Vetoes"), summary.vetoes),
        (w("Score drops"), w("Biggest score drops"), summary.drops),
        (w("Lowest twice"), w("At the lowest grade two periods running"), summary.streak_two),
    ):
        book.sheet(name, title, entry_heads, _entries(w, page, entries), [22, 34, 10, 9, 8, 8, 50])


def _measures(book: Book, page: Page) -> None:
    """What the run sets in motion, per company and project (分级分类监管): the bureau's list
    of measures with their clauses and spans."""
    w, data = page.w, page.data
    names = {c["uscc"]: c["name"] for c in data.companies}
    rows = [[m.uscc, names.get(m.uscc), m.project_name or m.project_id, m.text, m.until,
             m.public, m.measure_ids, m.clauses] for m in data.measures]  # fmt: skip
    book.sheet(w("Measures"), w("Measures the results set in motion"),
               [w("Credit code"), w("Company"), w("Project"), w("Measure"), w("Until"),
                w("Public"), w("Measure ids"), w("Clause")], rows,
               [22, 34, 18, 40, 40, 8, 24, 60])  # fmt: skip


def _managers(con: duckdb.DuckDBPyConnection, book: Book, page: Page) -> None:
    """Every manager the run scored, worst score first (a rule set with a `[managers]` part)."""
    from rating.engine import managers

    w, data = page.w, page.data
    if data.ruleset.managers is None:
        return
    lists = {"red": w("Red list"), "black": w("Black list")}
    sep = "、" if w.language == "zh" else ", "
    rows = [[m.certificate_no, m.name, m.employer_uscc, m.score, m.grade,
             sep.join(lists[x] for x in m.lists) or None, sep.join(m.projects) or None,
             m.days_in_charge]
            for m in managers.results(con, data.run_id, limit=max(data.manager_count, 1))]  # fmt: skip
    book.sheet(w("Project managers"), w("Project managers"),
               [w("Certificate"), w("Name"), w("Credit code"), w("Score"), w("Grade"), w("Lists"),
                w("Projects in charge"), w("Days in charge")], rows,
               [18, 12, 22, 10, 12, 16, 30, 10])  # fmt: skip


def _summary_sheet(book: Book, page: Page, summary: Summary, generated: str) -> None:
    w, data = page.w, page.data
    names = {
        "companies": w("companies rated"), "red": w("on the red list"),
        "black": w("on the black list"), "new_black": w("new black-list entries"),
        "downgrades": w("downgrades"), "vetoes": w("veto items"),
        "held": w("complaints held for review"), "quarantined": w("rows quarantined"),
        "review_waiting": w("hotline orders waiting"),
    }  # fmt: skip
    rows: list[list[Any]] = [[names[f.key], f.value, f.previous] for f in summary.figures]
    rows += [[w("Grade {grade}", grade=g), data.grades["current"].get(g, 0),
              data.grades["previous"].get(g, 0) if data.previous else None]
             for g in data.grade_order]  # fmt: skip
    book.sheet(w("Summary"), w("Property service credit report, {period}", period=str(data.period)),
               ["", w("This period"), w("Previous period")], rows, [34, 14, 14])  # fmt: skip


def _provenance(book: Book, page: Page, generated: str) -> None:
    w, data = page.w, page.data
    p = data.provenance
    rows: list[list[Any]] = [
        [w("Run"), data.run_id],
        [w("Rule set"), p["ruleset"]],
        [w("Engine version"), p["engine_version"]],
        [w("Rule set logic fingerprint"), p["ruleset_logic_sha256"]],
        [w("Inputs fingerprint"), p["inputs_sha256"]],
        [w("As of"), p["as_of"]],
        [w("Time zone"), p["timezone"]],
        [w("Input watermark"), data.info["watermark"]],
        [w("Results digest"), data.info.get("results_sha256")],
        [w("Previous run"), data.previous or "—"],
        [w("Generated"), generated],
    ]
    book.sheet(w("Provenance"), w("Provenance"), ["", ""], rows, [30, 80])


def _analysis(book: Book, page: Page) -> None:
    w, data = page.w, page.data
    grades = list(data.grade_order)
    book.sheet(w("Districts"), w("Districts"),
               [w("District"), w("Companies"), w("Mean score"), w("Median score"), *grades,
                w("Red list"), w("Black list"), w("Downgrades")], data.district_rows())  # fmt: skip
    labels = sorted(
        {*data.transitions, *(b for r in data.transitions.values() for b in r)},
        key=lambda g: (grades + [g]).index(g),
    )
    shown = {g: (w("not rated") if g == "未评级" else g) for g in labels}
    before = data.previous or w("no previous period")
    book.sheet(w("Transitions"),
               w("Grade transitions {before} → {after} (rows: previous period)", before=before,
                 after=data.run_id),
               [w("previous \\ this period"), *[shown[g] for g in labels]],
               [[shown[a], *[data.transitions.get(a, {}).get(b, 0) for b in labels]]
                for a in labels])  # fmt: skip
    book.sheet(w("Categories"), w("Complaint categories by quarter"),
               [w("Quarter"), w("Category"), w("Complaints")],
               [[r["quarter"], r["category"], r["complaints"]] for r in data.categories],
               [12, 20, 12])  # fmt: skip
    book.sheet(w("Stability"), w("Population stability index of the grades"),
               [w("Period"), w("Previous run"), w("Run"), "PSI"],
               [[r["period"], r["before"], r["after"], r["psi"]]
                for r in data.stability_series])  # fmt: skip
    book.sheet(w("Held complaints"), w("Complaints held for review"),
               [w("Reason"), w("Complaints")],
               [[h["reason_words"], h["complaints"]] for h in page._holds()])  # fmt: skip


def _warning(book: Book, page: Page) -> None:
    w, data = page.w, page.data
    r = data.warning
    rows = (
        []
        if r is None
        else [
            [
                c.rank,
                c.uscc,
                c.name,
                c.district,
                w.grade(c.grade),
                c.score,
                page.risk(c),
                c.probability,
                c.baseline,
                [describe(d) for d in c.drivers] if w.language == "zh" else c.drivers,
            ]  # fmt: skip
            for c in r.companies
        ]
    )
    ws = book.sheet(w("Early warning"), w("Early warning: the whole ranking"),
                    ["#", w("Credit code"), w("Company"), w("District"), w("Grade"), w("Score"),
                     w("Risk"), w("Calibrated probability"), w("Baseline"), w("Drivers")],
                    rows, [5, 22, 34, 10, 8, 9, 24, 10, 10, 40])  # fmt: skip
    bt = data.backtest
    if bt is None:
        return
    names = {"model": w("model, calibrated"), "uncalibrated": w("model, uncalibrated"),
             "baseline": w("current grade (baseline)")}  # fmt: skip
    start = book.table(ws, len(rows) + 5,
                       [w("Backtest"), "ROC AUC", "Brier", w("log loss"), "ECE",
                        w("calibration slope"), w("share of events in the top tenth")],
                       [[names[m[0]], *m[1:]] for m in bt.metric_rows()])  # fmt: skip
    book.table(ws, start + 1, [w("Quarter"), w("Companies"), w("Mean predicted"), w("Observed")],
               [[q["period"], q["n"], q["predicted"], q["observed"]] for q in bt.per_period])  # fmt: skip


def _quality(book: Book, page: Page) -> None:
    w, data = page.w, page.data
    kinds = kind_names(w)
    ws = book.sheet(w("Data quality"), w("Data quality"),
                    [w("Export"), w("Files"), w("Rows read"), w("Loaded"), w("Quarantined")],
                    [[kinds.get(b["kind"], b["kind"]), b["files"], b["rows_read"],
                      b["rows_loaded"], b["rows_quarantined"]] for b in data.batches])  # fmt: skip
    book.table(ws, len(data.batches) + 5,
               [w("Export"), w("Reason code"), w("Rows"), w("Files"), w("Example")],
               [[kinds.get(q["kind"], q["kind"]), q["code"], q["rows"], q["files"],
                 q["example"]] for q in data.quarantine])  # fmt: skip


def _charts(book: Book, charts: dict[str, bytes | None], w: Words) -> None:
    ws = book.wb.add_worksheet(w("Charts"))
    row = 0
    for name, chart in charts.items():
        if chart:
            ws.insert_image(
                row,
                0,
                f"{name}.png",
                {"image_data": io.BytesIO(chart), "x_scale": 0.9, "y_scale": 0.9},
            )
            row += 30


def write(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    page: Page,
    summary: Summary,
    charts: dict[str, bytes | None],
    generated: str,
    created: datetime,
) -> Path:
    """The workbook at `path` (see the module docstring); returns `path`."""
    w = page.w
    book = Book(path, created, yes=w("yes"))
    _summary_sheet(book, page, summary, generated)
    _lists(book, page, summary)
    _measures(book, page)
    _managers(con, book, page)
    book.sheet(w("Evidence"), w("Points and records behind each company's score"),
               [w("Credit code"), w("Company"), w("Rule"), w("Records"), w("Points")],
               _evidence(con, page.data), [22, 34, 40, 10, 10])  # fmt: skip
    _analysis(book, page)
    _warning(book, page)
    _quality(book, page)
    _provenance(book, page, generated)
    _charts(book, charts, w)
    book.close()
    return path
