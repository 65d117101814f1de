"""RESULTS.md from results.jsonl: the newest measurement of each mode, full first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CAVEATS = """\
## What these numbers do and do not say

* **The data are generated.** The city is `rating.synth` with `integrity=True`: its unmarked
  duplicates are the generator's refiles (same building and problem, another channel, 2 h–5
  days later, opening and demand reworded) and its campaigns 6–30 complaints with a shared core
  text against one project in 1–3 days. The labelled re-filings are `rating.synth.refiling`:
  four channel styles (12345 call-taker, 市长信箱 letter, 网上信访 form, WeChat message), the
  address in six building notations with or without the unit, 3–6 phrasings per problem,
  details added or dropped, clauses reordered, a stated duration consistent with the time
  between filings, the masked phone given at channel-dependent rates — and hard negatives:
  neighbours with the same problem, one resident's other problem, a fault that came back.
  Both were written by this team; a hand-labelled sample of a bureau's own orders is the
  test that counts.
* **The writer and the reader share authors.** `rating.analysis.facts` reads every building,
  unit and room notation the writer uses (checked in `tests/test_integrity_facts.py`), so the
  address facts are read perfectly here; real exports will have notations neither knows. Some
  of the writer's phrasings are deliberately *not* in the reader's synonym lists (电梯趴窝了,
  门禁刷卡刷不开, 电梯晃得厉害还有怪声); they are part of the misses above.
* **What cannot be told apart is not.** `neighbour_same_number` (the same room number in
  another unit, one text leaving the unit out) is, without a phone in the text, the same case
  to any reader; the export's phone column would settle it, but the contracts never store
  phone numbers (`datasets/README.md`). A verbatim copy that restates an old duration ("已经
  4天了", three weeks later) reads as a new occurrence and is a miss of `late_repeat`.
* **The duplicate model was fitted on other draws** (the seeds in its file,
  `rating/analysis/models/`), by logistic regression on every candidate pair, campaign members
  left out; its threshold is the lowest whose complaint-level precision on those draws reaches
  0.97, because a false hold takes a genuine complaint out of scoring until someone reviews it
  (`rating integrity scan --min-probability 0.5` if reviewers have the capacity: see the
  sweeps). Campaigns: similarity 0.35 within 3 days and at least 5 complaints.
* **Seconds are wall-clock on a shared 2-core machine**: compare steps within one run. Reading
  the facts (`load`) costs a third to a half of `vectorise` (TF-IDF, unchanged by them) in the same
  run; on 2026-11-22, before facts were read, the large scan took 63.6 s with `vectorise` at
  56.5 s.
* **BURST** flags what is left when duplicates and campaigns are explained; the generator
  plants no other bursts, so its few flags here are chance clusters of genuine complaints
  (a reviewer releases them). It is there for real incidents and campaigns with varied texts.
* **Early warning** is backtested with an expanding window: the model scoring period L was
  fitted only on outcomes of periods before L (asserted in `tests/test_warning.py`). The
  baseline is the current grade (each grade's event rate in the same training rows). In the
  generator a company's quality drifts slowly and grades are sticky (calibrated to 济南's
  shares, `../CALIBRATION.md`), so events are rare (about 6% of companies a quarter) and mostly
  one step across a band floor (A → B, or B → C when bad information arrives), the rest
  black-list entries of companies already C. The grade alone already sees much of that (a C
  company is one step from the black list), so the model's margin over it is smaller than on
  a city whose grades churn. Whether that transfers to a real city is exactly what a
  backtest on its history will show.
"""


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _integrity(rec: dict[str, Any]) -> str:
    i = rec["integrity"]
    q = i["quality"]
    rows = [
        [
            "any flag vs any truth",
            q["any_flag"]["precision"],
            q["any_flag"]["recall"],
            q["any_flag"]["f1"],
            q["any_flag"]["predicted"],
            q["any_flag"]["actual"],
        ],
        [
            "NEAR_DUPLICATE vs refiles",
            q["near_duplicate"]["precision"],
            q["near_duplicate"]["recall"],
            q["near_duplicate"]["f1"],
            q["near_duplicate"]["predicted"],
            q["near_duplicate"]["actual"],
        ],
        [
            "CAMPAIGN vs campaign members",
            q["campaign"]["precision"],
            q["campaign"]["recall"],
            q["campaign"]["f1"],
            q["campaign"]["predicted"],
            q["campaign"]["actual"],
        ],
    ]
    out = _table(["complaint level", "precision", "recall", "F1", "flagged", "true"], rows)
    out += (
        f"\nCampaigns detected (≥ half their members flagged CAMPAIGN): "
        f"{q['campaign']['campaigns_detected']} of {q['campaign']['campaigns']}. "
        f"Near-duplicates matched to the right original (or one of its marked repeats): "
        f"{_fmt(q['near_duplicate']['matched_original'])}. BURST flags: {q['burst']['predicted']} "
        f"({q['burst']['true_flags']} of them true duplicates or campaign members). "
        f"{i['complaints_scanned']:,} complaint rows scanned (with look-back), "
        f"{i['pairs_compared']:,} blocked pairs compared, in {i['scan_seconds']} s"
        + (
            " (" + ", ".join(f"{k} {v} s" for k, v in i["scan_steps_s"].items()) + ")"
            if i.get("scan_steps_s")
            else ""
        )
        + ".\n\n"
    )
    params = i.get("params", {})
    out += (
        f"Probability threshold sweep (near-duplicates only; model "
        f"`{params.get('duplicate_model', '–')}`):\n\n"
    )
    out += _table(
        ["threshold", "precision", "recall", "F1", "flagged"],
        [
            [s["threshold"], s["precision"], s["recall"], s["f1"], s["predicted"]]
            for s in i["sweep"]
        ],
    )
    return out


def _warning(rec: dict[str, Any]) -> str:
    models = rec["warning"]
    first = next(iter(models.values()))

    def row(label: str, bt: dict[str, Any], name: str) -> list[Any]:
        m = bt["metrics"].get(name)
        if m is None:  # a record from before calibration was measured
            return [label, None, None, None, None, None, None, None]
        ci = m.get("ece_ci95")
        return [
            label,
            m["roc_auc"],
            m["brier"],
            m["log_loss"],
            m.get("ece"),
            None if not ci else f"{ci[0]:.3f}–{ci[1]:.3f}",
            m.get("slope"),
            bt["top_decile"].get(name),
        ]

    rows = []
    for kind, bt in models.items():
        method = bt.get("calibration_method", "none")
        rows.append(row(f"{kind}, calibrated ({method})", bt, "model"))
        rows.append(row(f"{kind}, uncalibrated", bt, "uncalibrated"))
    rows.append(row("current grade (baseline)", first, "baseline"))
    out = _table(
        [
            "",
            "ROC AUC",
            "Brier",
            "log loss",
            "ECE",
            "ECE 95% (companies resampled)",
            "calibration slope",
            "share of events in top 10%",
        ],
        rows,
    )
    if "per_period" in first:
        per_quarter = ", ".join(
            f"{q['period']} {_fmt(q['predicted'])} vs {_fmt(q['observed'])} (n {q['n']})"
            for q in first["per_period"]
        )
        out += f"\nMean predicted (calibrated) vs observed, per scored quarter: {per_quarter}.\n"
        out += (
            "\nReliability of the calibrated probabilities, equal-width bins "
            "(n, mean predicted, observed):\n\n"
        )
        out += _table(
            ["bin", "n", "predicted", "observed"],
            [
                [f"{b['low']:.1f}–{b['high']:.1f}", b["n"], b["predicted"], b["observed"]]
                for b in first["calibration"]["model"]
            ],
        )
    folds = ", ".join(f"{f['scored']} (trained on {len(f['trained_on'])})" for f in first["folds"])
    out += (
        f"\n{first['rows']:,} company-periods scored, {first['events']:,} events "
        f"(base rate {_fmt(first['metrics']['base_rate']['events_share'])}); folds, each scored period "
        f"with the number of earlier outcome periods it was trained on: {folds}.\n\n"
    )
    out += "".join(f"* **{kind}**: {bt['verdict']}\n" for kind, bt in models.items())
    return out


KIND_ORDER = (
    "cross_channel", "same_channel", "late_repeat", "refile", "campaign",
    "neighbour", "neighbour_same_number", "other_problem", "recurrence", "original", "background",
)  # fmt: skip
KIND_MEANING = {
    "cross_channel": "duplicate: same resident and problem, another channel",
    "same_channel": "duplicate: same channel, reworded",
    "late_repeat": "duplicate: 8–25 days later",
    "refile": "duplicate: the generator's own refiles",
    "campaign": "campaign member (held as CAMPAIGN)",
    "neighbour": "hard negative: another household, same problem",
    "neighbour_same_number": "hard negative: same room number, another unit",
    "other_problem": "hard negative: same resident, another facility",
    "recurrence": "hard negative: same problem broken again, weeks later",
    "original": "first filing of a labelled case",
    "background": "the generator's other complaints",
}


def _meets(d: dict[str, Any], t: dict[str, float]) -> str:
    ok = (
        (d["writer"]["precision"] or 0) >= t["precision"]
        and (d["writer"]["recall"] or 0) >= t["recall"]
        and d["hard_negatives_held"] <= t["hard_negatives_held"]
        and (d["campaign_recall"] is None or d["campaign_recall"] >= t["campaign_recall"])
    )
    return "yes" if ok else "**no**"


def refiling_section(rec: dict[str, Any]) -> str:
    """Per draw and per kind: how the scan holds realistic re-filings and hard negatives."""
    draws, t, m, p = rec["draws"], rec["targets"], rec["model"], rec["provenance"]
    out = (
        f"## Re-filings across channels: {len(draws)} draws\n\n"
        f"Written by `python -m benchmarks.quality.refiling`. Measured {p['at']}, commit "
        f"{p['git_commit'][:12]}{' (uncommitted changes)' if p['git_dirty'] else ''}; "
        f"duplicate model `{m['version']}` (threshold {m['threshold']}, fitted on seeds "
        f"{m['fitted'].get('seeds', '–')}, never measured on). Each draw: a generated city "
        f"({rec['city']['complaints']:,} complaints, {rec['city']['quarters']} quarters) plus "
        f"{rec['cases_per_draw']} labelled cases of `rating.synth.refiling`, every quarter "
        f"scanned. Targets in every draw: precision ≥ {t['precision']}, recall ≥ {t['recall']} "
        f"(labelled cases), hard negatives held ≤ {t['hard_negatives_held']:.0%}, campaign "
        f"members held as CAMPAIGN ≥ {t['campaign_recall']}.\n\n"
    )
    rows = [
        [
            d["seed"],
            d["writer"]["precision"],
            d["writer"]["recall"],
            d["hard_negatives_held"],
            "–" if d["campaign_recall"] is None else d["campaign_recall"],
            d["city"]["precision"],
            d["city"]["recall"],
            d["scan_s"],
            _meets(d, t),
        ]
        for d in draws
    ]
    out += _table(
        [
            "seed", "precision", "recall", "hard negatives held", "campaign recall",
            "city precision", "city recall", "scan s", "targets met",
        ],
        rows,
    )  # fmt: skip
    out += (
        "\nPrecision and recall count the labelled cases (a held original or hard negative is "
        "a false hold); *city* counts NEAR_DUPLICATE holds against every duplicate of the city "
        "(the generator's refiles too).\n\nComplaints held, per kind (held / complaints):\n\n"
    )
    by_kind = [{k["kind"]: k for k in d["kinds"]} for d in draws]
    out += _table(
        ["kind", "meaning", *(str(d["seed"]) for d in draws)],
        [
            [kind, KIND_MEANING[kind], *(_held(b.get(kind)) for b in by_kind)]
            for kind in KIND_ORDER
            if any(kind in b for b in by_kind)
        ],
    )
    styles = [{k["kind"]: k for k in d["cross_channel_by_style"]} for d in draws]
    names = sorted({s for b in styles for s in b})
    out += "\nCross-channel re-filings held, by the channel of the re-filing:\n\n"
    out += _table(
        ["channel", *(str(d["seed"]) for d in draws)],
        [[n, *(_held(b.get(n)) for b in styles)] for n in names],
    )
    return out


def _held(k: dict[str, Any] | None) -> str:
    if not k or not k["complaints"]:
        return "–"
    return f"{k['held']}/{k['complaints']} ({k['share_held']:.0%})"


def _section(rec: dict[str, Any]) -> str:
    g, p, t = rec["generator"], rec["provenance"], rec["timings"]
    head = (
        f"## {rec['mode']}: {g['complaints']:,} complaints, {g['quarters']} quarters, seed {g['seed']}\n\n"
        f"Measured {p['at']} on {p['machine']}, Python {p['python']}, DuckDB {p['duckdb']}, "
        f"scikit-learn {p['scikit_learn']}, commit {p['git_commit'][:12]}"
        f"{' (uncommitted changes)' if p['git_dirty'] else ''}. Generate {t['generate_s']} s, "
        f"ingest {t['ingest_s']} s, rate {t['rate_s']} s. Truth: {rec['integrity']['truth']}.\n\n"
    )
    return (
        head
        + "### Complaint integrity\n\n"
        + _integrity(rec)
        + "\n### Early warning (backtest)\n\n"
        + _warning(rec)
    )


def newest_by_mode(jsonl: Path) -> dict[str, dict[str, Any]]:
    """The last record of each mode in a results file."""
    newest: dict[str, dict[str, Any]] = {}
    for line in jsonl.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            newest[rec["mode"]] = rec
    return newest


def write_markdown(jsonl: Path, out: Path) -> None:
    """RESULTS.md from `jsonl` (the generated-city modes) and, when present beside it,
    `refiling.jsonl` (the newest multi-draw measurement of re-filings across channels)."""
    newest = newest_by_mode(jsonl)
    parts = [
        "# Analysis quality: complaint integrity and early warning\n\n"
        "Written by `python -m benchmarks.quality.run` (add `--quick` for the small size) and "
        "`python -m benchmarks.quality.refiling` (re-filings across channels) from the newest "
        "line of each mode in `results.jsonl` and `refiling.jsonl`; every line carries its "
        "provenance.\n\n"
    ]
    refiled = jsonl.parent / "refiling.jsonl"
    if refiled.exists() and refiled.read_text(encoding="utf-8").strip():
        parts.append(refiling_section(newest_by_mode(refiled)["refiling"]) + "\n")
    for mode in ("large", "full", "quick"):
        if mode in newest:
            parts.append(_section(newest[mode]) + "\n")
    parts.append(CAVEATS)
    out.write_text("".join(parts), encoding="utf-8")
