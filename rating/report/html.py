"""The report as one self-contained HTML file: inline CSS, charts as base64 PNG, no scripts.

Every text from the warehouse goes through `html.escape`; the page opens from a USB stick or
an e-mail attachment and prints on A4.
"""

from __future__ import annotations

import base64
from html import escape
from typing import Any

from rating.analysis import backtest, warning
from rating.analysis.features import describe
from rating.report.card import Card
from rating.report.data import ReportData

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.45;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #1f4e79;padding-bottom:.2em;
margin-top:2em;font-size:1.25em}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.6em 0;font-size:.86em}th,td{border:1px solid #ccc;
padding:.25em .5em;text-align:left;vertical-align:top}th{background:#eef2f7}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.kpis{display:flex;flex-wrap:wrap;gap:.6em}.kpi{border:1px solid #ccd;border-radius:6px;
padding:.5em .9em;min-width:7em}.kpi b{display:block;font-size:1.5em}
.warn{background:#fdecea;border-left:5px solid #c0392b;padding:.6em 1em}
.watch{background:#fff8e1;border-left:5px solid #e0a800;padding:.6em 1em}
.ok{background:#eaf7ee;border-left:5px solid #27ae60;padding:.6em 1em}
.muted{color:#666;font-size:.85em}img{max-width:100%}.card{border:1px solid #ccd;
border-radius:6px;padding:.6em 1em;margin:1em 0;page-break-inside:avoid}
code{font-size:.85em}
"""


def img(chart: bytes | None, alt: str) -> str:
    if not chart:
        return f'<p class="muted">{escape(alt)}: 无数据 no data</p>'
    data = base64.b64encode(chart).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def cell(value: Any) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, bool):
        return f"<td>{'是' if value else ''}</td>"
    if isinstance(value, int | float):
        text = f"{value:,.4g}" if isinstance(value, float) and abs(value) < 1 else f"{value:,}"
        if isinstance(value, float) and abs(value) >= 1:
            text = f"{value:,.2f}"
        return f'<td class="n">{escape(text)}</td>'
    if isinstance(value, list | tuple):
        value = "、".join(str(v) for v in value)
    return f"<td>{escape(str(value))}</td>"


def _num(value: Any) -> str:
    return "—" if value is None else f"{float(value):.2f}"


def table(headers: list[str], rows: list[list[Any]], empty: str = "无 none") -> str:
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(v) for v in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kpis(data: ReportData) -> str:
    s = data.info["summary"]
    held = sum(h["complaints"] for h in data.holds if h["status"] == "held")
    items = [
        ("参评企业 rated", s.get("companies")),
        ("红榜 red list", s.get("red")),
        ("黑榜 black list", s.get("black")),
        ("降级 downgrades", s.get("downgrades")),
        ("一票否决 vetoes", s.get("vetoes")),
        ("待核投诉 held complaints", held),
    ]
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi"><b>{escape(str(v if v is not None else "—"))}</b>{escape(k)}</div>'
            for k, v in items
        )
        + "</div>"
    )


def _stability(data: ReportData) -> str:
    st = data.stability
    if st is None:
        return '<p class="muted">无上期结果，无法计算 PSI。 No previous period to compare.</p>'
    words = {
        "warning": (
            "warn",
            "预警：等级分布变化显著，请核查规则版本、数据质量或市场变化。Grade distribution shifted markedly.",
        ),
        "watch": ("watch", "关注：等级分布有一定变化。Moderate shift."),
        "stable": ("ok", "稳定：等级分布与上期基本一致。Stable."),
    }
    css, text = words[st["level"]]
    return (
        f'<div class="{css}"><b>PSI = {st["psi"]}</b> ({escape(st["before"])} → {escape(st["after"])},'
        f" 阈值 threshold {st['threshold']}). {escape(text)}</div>"
    )


def _lists(data: ReportData) -> str:
    heads = [
        "企业 company",
        "信用代码 USCC",
        "区 district",
        "得分 score",
        "等级 grade",
        "上期 previous",
    ]
    black = [
        [
            c["name"],
            c["uscc"],
            c["district"],
            c["score"],
            c["grade"],
            c["prev_grade"],
            c["black_reason"],
        ]
        for c in data.where("black")
    ]
    red = [
        [c["name"], c["uscc"], c["district"], c["score"], c["grade"], c["prev_grade"]]
        for c in data.where("red")
    ]
    down = [
        [
            c["name"],
            c["uscc"],
            c["district"],
            c["score"],
            c["grade"],
            c["prev_grade"],
            c["downgrade_reason"],
        ]
        for c in data.where("downgrade")
    ]
    return (
        "<h2>黑榜 Black list</h2>"
        + table([*heads, "原因 reason"], black)
        + "<h2>降级 Downgrades, with reasons</h2>"
        + table([*heads, "原因 reason"], down)
        + "<h2>红榜 Red list</h2>"
        + table(heads, red)
    )


def _districts(data: ReportData, charts: dict[str, bytes | None]) -> str:
    grades = list(data.grade_order)
    heads = [
        "区 district",
        "企业 companies",
        "平均分 mean",
        "中位数 median",
        *grades,
        "红 red",
        "黑 black",
        "降级 down",
    ]
    rows = data.district_rows()
    return (
        "<h2>分区情况 Districts</h2>"
        + table(heads, rows)
        + img(charts["districts"], "scores by district")
    )


def _holds_note(data: ReportData) -> str:
    mark = data.info["manifest"].get("holds_watermark")
    if mark is None:
        return (
            "当前状态（本次运行未记录核查水位）current state: the run recorded no holds watermark"
        )
    return f"按本次运行所见（核查水位 {mark}）as the run saw them (holds watermark {mark})"


def _integrity(data: ReportData) -> str:
    rows = [[h["reason"], h["status"], h["complaints"]] for h in data.holds]
    return (
        "<h2>投诉核查 Complaint integrity</h2>"
        "<p>疑似重复、集中爆发或组织性投诉在人工复核前不计入评分。Flagged complaints stay out of "
        "scoring until reviewed (<code>rating integrity list</code>, <code>rating integrity review</code>).</p>"
        + f'<p class="muted">{escape(_holds_note(data))}</p>'
        + table(
            ["原因 reason", "状态 status", "投诉数 complaints"],
            rows,
            "本期无标记投诉 none flagged (or no scan run)",
        )
    )


def _warning(data: ReportData, charts: dict[str, bytes | None], top: int) -> str:
    out = ["<h2>风险预警 Early warning</h2>"]
    w = data.warning
    if w is None:
        out.append(
            f'<p class="muted">{escape(data.unavailable.get("warning", "not available"))}</p>'
        )
    else:
        out.append(
            f"<p>{escape(w.predicts)}（{escape(w.for_period)}），模型 {escape(w.model)}，"
            f"仅用 {escape('、'.join(w.trained_on))} 的结果训练，并按此前各期的回测结果重新校准"
            f"（{escape(str(w.calibration['method']))}）。只有回测表明该档概率准确（误差不超过 "
            f"{warning.TOLERANCE:.0%}）时才显示百分比，否则显示风险档及回测中该档的实际发生率。"
            "主要因素：推高风险最多的特征及其相对平均水平的高低（逻辑回归）。</p>"
        )
        rows = [
            [
                c.rank,
                c.name,
                c.uscc,
                c.district,
                c.grade,
                c.score,
                c.text(),
                c.baseline,
                [describe(d) for d in c.drivers],
            ]
            for c in w.companies[:top]
        ]
        out.append(
            table(
                [
                    "#",
                    "企业 company",
                    "信用代码 USCC",
                    "区",
                    "等级",
                    "得分",
                    "风险 risk",
                    "基准 baseline",
                    "主要因素 drivers",
                ],
                rows,
            )
        )
    bt = data.backtest
    if bt is None:
        out.append(
            f'<p class="muted">回测 backtest: {escape(data.unavailable.get("backtest", "not available"))}</p>'
        )
        return "".join(out)
    verdict = (
        "模型优于基准。" if bt.beats_baseline else "模型未全面优于基准，请以等级为准。"
    ) + backtest.verdict(bt)
    out.append("<h3>回测 Backtest (time-based, expanding window)</h3>")
    out.append(
        table(
            ["", "ROC AUC", "Brier", "log loss", "ECE", "校准斜率", "前10%命中"],
            [
                [
                    {
                        "model": "模型（校准后）",
                        "uncalibrated": "模型（未校准）",
                        "baseline": "基准：现有等级",
                    }[r[0]],
                    *r[1:],
                ]
                for r in bt.metric_rows()
            ],
        )
    )
    out.append(
        f"<p>{escape(verdict)} {bt.rows} company-periods, {bt.events} events, folds: "
        f"{escape(', '.join(f['scored'] for f in bt.folds))}.</p>"
    )
    out.append(img(charts["calibration"], "calibration"))
    out.append(
        "<p>各季度平均预测概率与实际发生率（校准后）：</p>"
        + table(
            ["季度", "企业数", "平均预测", "实际发生率"],
            [[q["period"], q["n"], q["predicted"], q["observed"]] for q in bt.per_period],
        )
    )
    return "".join(out)


def _cards(cards: list[Card]) -> str:
    if not cards:
        return ""
    out = ["<h2>企业报告卡 Company report cards</h2>"]
    for c in cards:
        co = c.company
        risk = f"；下期风险：{c.risk.text()}" if c.risk else ""
        reasons = [
            [r["rank"], r["title"], r["effect"], r["records"], r["clause"][:40]]
            for r in c.reasons[:6]
        ]
        out.append(
            f'<div class="card"><h3>{escape(co["name"])} <span class="muted">{escape(co["uscc"])} · {escape(c.why)}</span></h3>'
            f"<p>等级 <b>{escape(co['grade'] or '未评级')}</b>（得分 {_num(co['score'])}，上期 {escape(co['prev_grade'] or '—')}）{escape(risk)}。"
            f"{escape(co['grade_text'])}</p>"
            + img(c.chart, "card")
            + table(["#", "规则 rule", "影响 effect", "记录 records", "依据 clause"], reasons)
            + "</div>"
        )
    return "".join(out)


def _quality(data: ReportData) -> str:
    return (
        "<h2>数据质量 Data quality (up to the run's watermark)</h2>"
        + table(
            ["类型 kind", "文件 files", "读入 read", "入库 loaded", "隔离 quarantined"],
            [
                [b["kind"], b["files"], b["rows_read"], b["rows_loaded"], b["rows_quarantined"]]
                for b in data.batches
            ],
        )
        + table(
            ["类型 kind", "原因代码 code", "行数 rows", "文件 files", "示例 example"],
            [[q["kind"], q["code"], q["rows"], q["files"], q["example"]] for q in data.quarantine],
            "无隔离记录 nothing quarantined",
        )
    )


def _provenance(data: ReportData, generated: str) -> str:
    p = data.provenance
    rows = [[k, v] for k, v in p.items()] + [
        ["watermark", data.info["watermark"]],
        ["status", data.info["status"]],
        ["previous run", data.previous],
        ["report generated", generated],
    ]
    holds = data.info["manifest"].get("holds_watermark")
    if holds is not None:
        rows.append(["holds watermark", holds])
    return "<h2>来源 Provenance</h2>" + table(["", ""], rows)


def render(
    data: ReportData,
    charts: dict[str, bytes | None],
    cards: list[Card],
    generated: str,
    top: int = 20,
) -> str:
    title = f"物业服务企业信用评价报告 {data.period} · Property service credit report"
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">运行 run {escape(data.run_id)} · 规则 {escape(data.info["ruleset"])} · 状态 {escape(data.info["status"])} · 生成 {escape(generated)}</p>',
        _kpis(data),
        "<h2>等级分布与稳定性 Grades and stability</h2>",
        _stability(data),
        img(charts["grades"], "grade distribution"),
        img(charts["transitions"], "grade transitions"),
        img(charts["stability"], "stability"),
        _districts(data, charts),
        _lists(data),
        "<h2>投诉类别 Complaint categories</h2>",
        img(charts["categories"], "complaint categories"),
        _integrity(data),
        _warning(data, charts, top),
        _cards(cards),
        _quality(data),
        _provenance(data, generated),
    ]
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )
