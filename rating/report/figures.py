"""The report's charts, each a function from report data to PNG bytes (matplotlib, Agg).

Labels are Chinese first (the bureau's language) with English after a slash where it helps;
`fonts.charting` supplies a CJK font, so no glyph is missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rating.analysis.stability import WARN_AT, WATCH_AT
from rating.report.data import NOT_RATED, ReportData
from rating.report.fonts import charting, png

TOP_CATEGORIES = 10


def grade_colors(order: tuple[str, ...]) -> dict[str, Any]:
    from matplotlib import colormaps

    cmap = colormaps["RdYlGn_r"]
    n = max(len(order) - 1, 1)
    colors = {g: cmap(0.1 + 0.8 * i / n) for i, g in enumerate(order)}
    colors[NOT_RATED] = (0.75, 0.75, 0.75, 1.0)
    return colors


def grade_distribution(data: ReportData) -> bytes:
    order = list(data.grade_order)
    cur = [data.grades["current"].get(g, 0) for g in order]
    prev = [data.grades["previous"].get(g, 0) for g in order]
    colors = grade_colors(data.grade_order)
    with charting() as figure:
        fig = figure(6.4, 3.4)
        ax = fig.subplots()
        x = np.arange(len(order))
        ax.bar(x - 0.2, prev, 0.4, color="#c8c8c8", label=f"上期 {data.previous or '—'}")
        ax.bar(x + 0.2, cur, 0.4, color=[colors[g] for g in order], label=f"本期 {data.run_id}")
        for xi, v in zip(x, cur, strict=True):
            ax.annotate(str(v), (xi + 0.2, v), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, order)
        ax.set_ylabel("企业数 companies")
        ax.set_title(f"信用等级分布 Grade distribution · {data.period}")
        ax.legend(frameon=False)
        return png(fig)


def transition_matrix(data: ReportData) -> bytes | None:
    if not data.transitions:
        return None
    labels = [
        g
        for g in (*data.grade_order, NOT_RATED)
        if g in data.transitions or any(g in row for row in data.transitions.values())
    ]
    grid = np.array([[data.transitions.get(a, {}).get(b, 0) for b in labels] for a in labels])
    with charting() as figure:
        fig = figure(5.6, 4.6)
        ax = fig.subplots()
        ax.imshow(grid, cmap="Blues")
        for (i, j), v in np.ndenumerate(grid):
            if v:
                dark = v > grid.max() / 2
                ax.text(j, i, str(v), ha="center", va="center", color="white" if dark else "black")
        ax.set_xticks(range(len(labels)), labels)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel(f"本期等级 {data.period}")
        ax.set_ylabel("上期等级 previous period")
        ax.set_title("等级迁移矩阵 Grade transitions")
        ax.spines[:].set_visible(False)
        return png(fig)


def scores_by_district(data: ReportData) -> bytes | None:
    if not data.district_scores:
        return None
    names = sorted(data.district_scores, key=lambda d: float(np.median(data.district_scores[d])))
    with charting() as figure:
        fig = figure(6.4, 0.45 * len(names) + 1.4)
        ax = fig.subplots()
        ax.boxplot([data.district_scores[d] for d in names], orientation="horizontal")
        ax.set_yticks(
            range(1, len(names) + 1), [f"{d} ({len(data.district_scores[d])})" for d in names]
        )
        ax.set_xlabel("企业得分 company score")
        ax.set_title("各区企业得分 Scores by district")
        return png(fig)


def complaint_categories(data: ReportData) -> bytes | None:
    if not data.categories:
        return None
    quarters = sorted({r["quarter"] for r in data.categories})
    totals: dict[str, int] = {}
    for r in data.categories:
        totals[r["category"]] = totals.get(r["category"], 0) + r["complaints"]
    top = sorted(totals, key=lambda c: -totals[c])[:TOP_CATEGORIES]
    series = {c: np.zeros(len(quarters)) for c in [*top, "其他类别"]}
    for r in data.categories:
        key = r["category"] if r["category"] in top else "其他类别"
        series[key][quarters.index(r["quarter"])] += r["complaints"]
    with charting() as figure:
        fig = figure(7.2, 3.8)
        ax = fig.subplots()
        bottom = np.zeros(len(quarters))
        from matplotlib import colormaps

        cmap = colormaps["tab20"]
        for k, (name, values) in enumerate(series.items()):
            ax.bar(quarters, values, bottom=bottom, label=name, color=cmap(k % 20))
            bottom += values
        ax.set_ylabel("投诉工单 complaints")
        ax.set_title("投诉类别趋势 Complaint categories by quarter")
        ax.legend(frameon=False, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
        return png(fig)


def stability(data: ReportData) -> bytes | None:
    if not data.stability_series:
        return None
    periods = [r["period"] for r in data.stability_series]
    values = [r["psi"] for r in data.stability_series]
    with charting() as figure:
        fig = figure(6.4, 2.8)
        ax = fig.subplots()
        ax.plot(periods, values, marker="o", color="#1f4e79")
        ax.axhline(WATCH_AT, color="#e0a800", ls="--", lw=1, label=f"关注 watch {WATCH_AT}")
        ax.axhline(WARN_AT, color="#c0392b", ls="--", lw=1, label=f"预警 warning {WARN_AT}")
        ax.set_ylabel("PSI")
        ax.set_title("等级分布稳定性 Population stability index")
        ax.legend(frameon=False, fontsize=7)
        return png(fig)


def calibration(data: ReportData) -> bytes | None:
    """Reliability on equal-width bins (the whole 0–1 range, so the top is not hidden in one
    quantile bin), with each bin's count and 95 % interval, and the ROC curves."""
    bt = data.backtest
    if bt is None or bt.predictions is None:
        return None
    from sklearn.metrics import roc_curve

    y = bt.predictions["y"].to_numpy()
    with charting() as figure:
        fig = figure(7.6, 3.6)
        left, right = fig.subplots(1, 2)
        styles = {
            "model": ("#1f4e79", "模型（校准后）"),
            "uncalibrated": ("#e08214", "模型（未校准）"),
            "baseline": ("#999999", "基准：现有等级"),
        }
        for name, (color, label) in styles.items():
            points = [p for p in bt.calibration[name] if p["n"]]
            xs = [p["predicted"] for p in points]
            left.plot(
                xs, [p["observed"] for p in points], marker="o", ms=3, color=color, label=label
            )
            if name == "model":
                low = [p["observed"] - p["observed_ci95"][0] for p in points]
                high = [p["observed_ci95"][1] - p["observed"] for p in points]
                left.errorbar(
                    xs,
                    [p["observed"] for p in points],
                    yerr=[low, high],
                    fmt="none",
                    ecolor=color,
                    elinewidth=0.8,
                    capsize=2,
                )
                for p in points:
                    left.annotate(
                        f"n={p['n']}",
                        (p["predicted"], p["observed"]),
                        fontsize=5,
                        xytext=(2, -7),
                        textcoords="offset points",
                        color=color,
                    )
            if len(set(y.tolist())) == 2:
                fpr, tpr, _ = roc_curve(
                    y, bt.predictions[f"p_{'raw' if name == 'uncalibrated' else name}"].to_numpy()
                )
                auc = bt.metrics[name]["roc_auc"]
                right.plot(fpr, tpr, color=color, label=f"{label} AUC {auc}")
        left.plot([0, 1], [0, 1], color="#cccccc", ls=":")
        left.set_xlim(0, 1)
        left.set_ylim(0, 1)
        left.set_xlabel("预测概率（等宽分箱）")
        left.set_ylabel("实际发生率")
        left.set_title(f"校准 ECE {bt.metrics['model']['ece']:.3f}")
        left.legend(frameon=False, fontsize=7)
        right.plot([0, 1], [0, 1], color="#cccccc", ls=":")
        right.set_xlabel("误报率")
        right.set_ylabel("命中率")
        right.set_title("ROC（回测）")
        right.legend(frameon=False, fontsize=7)
        return png(fig)


def card(history: list[dict[str, Any]], reasons: list[dict[str, Any]], title: str) -> bytes:
    """One company: score and grade over the periods, and the rules that moved its score."""
    with charting() as figure:
        fig = figure(7.6, 2.6)
        left, right = fig.subplots(1, 2, width_ratios=[1, 1.2])
        periods = [h["period"] for h in history]
        scores = [h["score"] for h in history]
        left.plot(periods, scores, marker="o", color="#1f4e79")
        for p, s, h in zip(periods, scores, history, strict=True):
            left.annotate(
                h["grade"] or "",
                (p, s),
                textcoords="offset points",
                xytext=(0, 5),
                ha="center",
                fontsize=7,
            )
        left.set_title("得分与等级 Score and grade")
        left.tick_params(axis="x", labelrotation=45, labelsize=7)
        shown = reasons[:6]
        effects = [float(r["effect"]) for r in shown]
        right.barh(
            [r["title"][:14] for r in shown][::-1],
            effects[::-1],
            color=["#c0392b" if e < 0 else "#27ae60" for e in effects][::-1],
        )
        right.axvline(0, color="#888888", lw=0.8)
        right.set_title("主要加减分 Main reasons (points)")
        right.tick_params(axis="y", labelsize=7)
        fig.suptitle(title, fontsize=9)
        return png(fig)
