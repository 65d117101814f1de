"""The report's charts, each a function from report data to PNG bytes (matplotlib, Agg).

Labels are in the report's language (`Words`); `fonts.charting` supplies a CJK font, so no
glyph is missing. A chart takes the report data and the words and returns PNG bytes (or
None when there is nothing to draw).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from rating.analysis.stability import WARN_AT, WATCH_AT
from rating.report.data import NOT_RATED, ReportData
from rating.report.fonts import charting, png

if TYPE_CHECKING:
    from rating.engine.shapes import ReasonRow
from rating.report.text import Words

TOP_CATEGORIES = 10


RGBA = tuple[float, float, float, float]  # a matplotlib colour, each part 0…1


def grade_colors(order: tuple[str, ...]) -> dict[str, RGBA]:
    """Grade → RGBA colour, best grade green to worst red (matplotlib `RdYlGn_r`), and grey for "not
    rated"."""
    from matplotlib import colormaps

    cmap = colormaps["RdYlGn_r"]
    n = max(len(order) - 1, 1)
    colors: dict[str, RGBA] = {g: cmap(0.1 + 0.8 * i / n) for i, g in enumerate(order)}
    colors[NOT_RATED] = (0.75, 0.75, 0.75, 1.0)
    return colors


def grade_distribution(data: ReportData, w: Words) -> bytes:
    """PNG bar chart of rated companies per grade, this period beside the previous one."""
    order = list(data.grade_order)
    cur = [data.grades["current"].get(g, 0) for g in order]
    prev = [data.grades["previous"].get(g, 0) for g in order]
    colors = grade_colors(data.grade_order)
    with charting() as figure:
        fig = figure(6.4, 3.4)
        ax = fig.subplots()
        x = np.arange(len(order))
        ax.bar(
            x - 0.2,
            prev,
            0.4,
            color="#c8c8c8",
            label=w("previous period {period}", period=data.previous or "—"),
        )
        ax.bar(
            x + 0.2,
            cur,
            0.4,
            color=[colors[g] for g in order],
            label=w("this period {period}", period=data.run_id),
        )
        for xi, v in zip(x, cur, strict=True):
            ax.annotate(str(v), (xi + 0.2, v), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(x, order)
        ax.set_ylabel(w("companies"))
        ax.set_title(w("Grade distribution, {period}", period=str(data.period)))
        ax.legend(frameon=False)
        return png(fig)


def transition_matrix(data: ReportData, w: Words) -> bytes | None:
    """PNG heat map of companies by grade last period (rows) and this period (columns), with counts;
    None without a previous run."""
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
        shown = [w("not rated") if g == NOT_RATED else g for g in labels]
        ax.set_xticks(range(len(labels)), shown)
        ax.set_yticks(range(len(labels)), shown)
        ax.set_xlabel(w("grade in {period}", period=str(data.period)))
        ax.set_ylabel(w("grade in the previous period"))
        ax.set_title(w("Grade transitions"))
        ax.spines[:].set_visible(False)
        return png(fig)


def scores_by_district(data: ReportData, w: Words) -> bytes | None:
    """PNG box plots of company scores per district (ordered by median, companies counted in each
    label); None when no district has a score."""
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
        ax.set_xlabel(w("company score"))
        ax.set_title(w("Scores by district"))
        return png(fig)


def complaint_categories(data: ReportData, w: Words) -> bytes | None:
    """PNG stacked bars of complaints per quarter by category: the `TOP_CATEGORIES` largest over all
    quarters, the rest as "other categories"; None without complaints."""
    if not data.categories:
        return None
    quarters = sorted({r["quarter"] for r in data.categories})
    totals: dict[str, int] = {}
    for r in data.categories:
        totals[r["category"]] = totals.get(r["category"], 0) + r["complaints"]
    top = sorted(totals, key=lambda c: -totals[c])[:TOP_CATEGORIES]
    other = w("other categories")
    series = {c: np.zeros(len(quarters)) for c in [*top, other]}
    for r in data.categories:
        key = r["category"] if r["category"] in top else other
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
        ax.set_ylabel(w("complaints"))
        ax.set_title(w("Complaint categories by quarter"))
        ax.legend(frameon=False, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
        return png(fig)


def stability(data: ReportData, w: Words) -> bytes | None:
    """PNG line of the grades' population stability index (PSI) per period, with the watch (0.1) and
    warning (0.25) lines of `rating.analysis.stability`; None without a series."""
    if not data.stability_series:
        return None
    periods = [r["period"] for r in data.stability_series]
    values = [r["psi"] for r in data.stability_series]
    with charting() as figure:
        fig = figure(6.4, 2.8)
        ax = fig.subplots()
        ax.plot(periods, values, marker="o", color="#1f4e79")
        ax.axhline(WATCH_AT, color="#e0a800", ls="--", lw=1, label=w("watch {at}", at=WATCH_AT))
        ax.axhline(WARN_AT, color="#c0392b", ls="--", lw=1, label=w("warning {at}", at=WARN_AT))
        ax.set_ylabel("PSI")
        ax.set_title(w("Population stability index of the grades"))
        ax.legend(frameon=False, fontsize=7)
        return png(fig)


def calibration(data: ReportData, w: Words) -> bytes | None:
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
            "model": ("#1f4e79", w("model, calibrated")),
            "uncalibrated": ("#e08214", w("model, uncalibrated")),
            "baseline": ("#999999", w("current grade (baseline)")),
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
        left.set_xlabel(w("predicted probability (equal-width bins)"))
        left.set_ylabel(w("observed rate"))
        ece = f"{bt.metrics['model']['ece']:.3f}"
        left.set_title(w("Calibration, ECE {ece}", ece=ece))
        left.legend(frameon=False, fontsize=7)
        right.plot([0, 1], [0, 1], color="#cccccc", ls=":")
        right.set_xlabel(w("false positive rate"))
        right.set_ylabel(w("true positive rate"))
        right.set_title(w("ROC (backtest)"))
        right.legend(frameon=False, fontsize=7)
        return png(fig)


def card(history: list[dict[str, Any]], reasons: list[ReasonRow], w: Words) -> bytes:
    """One company: score and grade over the periods, and the rules that moved its score
    (bars numbered as the card's table of rules, so no title is cut)."""
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
        left.set_title(w("Score and grade"))
        left.tick_params(axis="x", labelrotation=45, labelsize=7)
        shown = reasons[:6]
        effects = [float(r["effect"]) for r in shown]
        right.barh(
            [str(n) for n in range(1, len(shown) + 1)][::-1],
            effects[::-1],
            color=["#c0392b" if e < 0 else "#27ae60" for e in effects][::-1],
        )
        right.axvline(0, color="#888888", lw=0.8)
        right.set_title(w("Points by rule (numbered as in the table)"))
        right.tick_params(axis="y", labelsize=7)
        return png(fig)
