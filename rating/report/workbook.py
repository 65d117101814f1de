"""The report as an Excel workbook (xlsxwriter): one sheet per table, charts on their own sheet.

Sheet names are Chinese (what the bureau files); headers carry both languages. Numbers stay
numbers, so staff can sort, filter and pivot. Properties carry the run's as-of time, not
the wall clock.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from rating.analysis.features import describe
from rating.report.data import ReportData


class Book:
    def __init__(self, path: Path, created: datetime) -> None:
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
            ws.write_string(r, c, "是" if v else "")
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


COMPANY_HEADS = [
    "信用代码 USCC",
    "企业 company",
    "区 district",
    "项目 projects",
    "户数 households",
    "得分 score",
    "等级 grade",
    "上期 previous",
    "红榜 red",
    "黑榜 black",
    "降级 downgrade",
    "原因 reason",
]


def _company_row(c: dict[str, Any], reason: str) -> list[Any]:
    return [
        c["uscc"],
        c["name"],
        c["district"],
        c["projects"],
        c["households"],
        c["score"],
        c["grade"],
        c["prev_grade"],
        c["red"],
        c["black"],
        c["downgrade"],
        c.get(reason),
    ]


def _summary(book: Book, data: ReportData, generated: str) -> None:
    s = data.info["summary"]
    rows: list[list[Any]] = [
        ["运行 run", data.run_id],
        ["期间 period", str(data.period)],
        ["规则 rules", data.info["ruleset"]],
        ["状态 status", data.info["status"]],
        ["参评企业 rated companies", s.get("companies")],
        ["红榜 red", s.get("red")],
        ["黑榜 black", s.get("black")],
        ["降级 downgrades", s.get("downgrades")],
        ["一票否决 vetoes", s.get("vetoes")],
    ]
    rows += [[f"等级 {g}", data.grades["current"].get(g, 0)] for g in data.grade_order]
    if data.stability:
        rows += [
            ["PSI vs " + data.stability["before"], data.stability["psi"]],
            ["PSI 判断 level", data.stability["level"]],
        ]
    rows += [[k, v] for k, v in data.provenance.items()] + [["报告生成 generated", generated]]
    book.sheet(
        "概要", "物业服务企业信用评价报告 Summary", ["项目 item", "值 value"], rows, [30, 70]
    )


def _warning(book: Book, data: ReportData) -> None:
    w = data.warning
    rows = (
        []
        if w is None
        else [
            [
                c.rank,
                c.uscc,
                c.name,
                c.district,
                c.grade,
                c.score,
                c.text(),
                c.baseline,
                [describe(d) for d in c.drivers],
            ]
            for c in w.companies
        ]
    )
    title = "风险预警 Early warning" + (
        f" · {w.predicts} · {w.for_period}" if w else f" · {data.unavailable.get('warning', '')}"
    )
    ws = book.sheet(
        "风险预警",
        title,
        [
            "#",
            "USCC",
            "企业 company",
            "区",
            "等级",
            "得分",
            "风险 risk",
            "基准 baseline",
            "主要因素 drivers",
        ],
        rows,
        [5, 22, 34, 10, 8, 9, 9, 11, 40],
    )
    if data.backtest is not None:
        bt = data.backtest
        start = len(rows) + 5
        metrics = bt.metric_rows()
        book.table(
            ws,
            start,
            [
                "回测 backtest",
                "ROC AUC",
                "Brier",
                "log loss",
                "ECE",
                "校准斜率",
                "top-decile share",
            ],
            metrics,
        )
        book.table(
            ws,
            start + len(metrics) + 3,
            ["季度", "企业数", "平均预测", "实际发生率"],
            [[q["period"], q["n"], q["predicted"], q["observed"]] for q in bt.per_period],
        )


def _charts(book: Book, charts: dict[str, bytes | None]) -> None:
    ws = book.wb.add_worksheet("图表")
    row = 0
    for name, chart in charts.items():
        if chart:
            ws.write(row, 0, name, book.title)
            ws.insert_image(
                row + 1,
                0,
                f"{name}.png",
                {"image_data": io.BytesIO(chart), "x_scale": 0.9, "y_scale": 0.9},
            )
            row += 30


def write(
    path: Path, data: ReportData, charts: dict[str, bytes | None], generated: str, created: datetime
) -> Path:
    book = Book(path, created)
    _summary(book, data, generated)
    book.sheet(
        "企业等级",
        "全部企业 All companies",
        COMPANY_HEADS,
        [_company_row(c, "grade_reason") for c in data.companies],
        [22, 34, 10, 8, 10, 9, 8, 8, 6, 6, 6, 30],
    )
    book.sheet(
        "黑榜",
        "黑榜 Black list",
        COMPANY_HEADS,
        [_company_row(c, "black_reason") for c in data.where("black")],
        [22, 34, 10, 8, 10, 9, 8, 8, 6, 6, 6, 50],
    )
    book.sheet(
        "降级",
        "降级 Downgrades",
        COMPANY_HEADS,
        [_company_row(c, "downgrade_reason") for c in data.where("downgrade")],
        [22, 34, 10, 8, 10, 9, 8, 8, 6, 6, 6, 30],
    )
    book.sheet(
        "红榜",
        "红榜 Red list",
        COMPANY_HEADS,
        [_company_row(c, "grade_reason") for c in data.where("red")],
        [22, 34, 10, 8, 10, 9, 8, 8, 6, 6, 6, 30],
    )
    grades = list(data.grade_order)
    book.sheet(
        "分区",
        "分区情况 Districts",
        ["区 district", "企业", "平均分", "中位数", *grades, "红榜", "黑榜", "降级"],
        data.district_rows(),
    )
    labels = sorted(
        {*data.transitions, *(b for r in data.transitions.values() for b in r)},
        key=lambda g: (grades + [g]).index(g),
    )
    book.sheet(
        "等级迁移",
        f"等级迁移 {data.previous} → {data.run_id} (行=上期 rows: previous)",
        ["上期 \\ 本期", *labels],
        [[a, *[data.transitions.get(a, {}).get(b, 0) for b in labels]] for a in labels],
    )
    book.sheet(
        "投诉类别",
        "投诉类别 Complaint categories by quarter",
        ["季度 quarter", "类别 category", "投诉 complaints"],
        [[r["quarter"], r["category"], r["complaints"]] for r in data.categories],
        [12, 20, 12],
    )
    book.sheet(
        "稳定性",
        "PSI 等级分布稳定性",
        ["期间 period", "上期 run", "本期 run", "PSI", "判断 level"],
        [
            [r["period"], r["before"], r["after"], r["psi"], r["level"]]
            for r in data.stability_series
        ],
    )
    book.sheet(
        "投诉核查",
        "投诉核查 Complaint integrity (held out of scoring until reviewed)",
        ["原因 reason", "状态 status", "投诉数"],
        [[h["reason"], h["status"], h["complaints"]] for h in data.holds],
    )
    _warning(book, data)
    ws = book.sheet(
        "数据质量",
        "数据质量 Data quality",
        ["类型 kind", "文件 files", "读入 read", "入库 loaded", "隔离 quarantined"],
        [
            [b["kind"], b["files"], b["rows_read"], b["rows_loaded"], b["rows_quarantined"]]
            for b in data.batches
        ],
    )
    book.table(
        ws,
        len(data.batches) + 5,
        ["类型 kind", "代码 code", "行数 rows", "文件 files", "示例 example"],
        [[q["kind"], q["code"], q["rows"], q["files"], q["example"]] for q in data.quarantine],
    )
    _charts(book, charts)
    book.close()
    return path
