"""Realistic re-filings across channels: draws, the duplicate model's fit, per-kind measurement.

    python -m benchmarks.quality.refiling                   # measure 5 draws, rewrite RESULTS.md
    python -m benchmarks.quality.refiling --fit duplicates-v2   # fit a new model version

A *draw* is a generated city (`rating.synth.generate(…, integrity=True)`: the generator's
own refiles and campaigns, with their truth) plus `CASES` labelled cases written by
`rating.synth.refiling` (cross-channel re-filings, repeats, neighbours, second problems,
recurrences) against the city's projects, ingested like any export, then every quarter
scanned. Fitting uses other seeds (`FIT_SEEDS`) than measuring (`DRAW_SEEDS`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from rating.analysis import detection, integrity, linkage
from rating.analysis.detection import IntegrityParams
from rating.ingest.folder import ingest_folder
from rating.ingest.loader import ingest_file
from rating.periods import Period
from rating.settings import Settings
from rating.sql import frame
from rating.synth import generate
from rating.synth.integrity import TRUTH_FILE
from rating.synth.refiling import KINDS, export_headers, write_cases
from rating.warehouse import open_warehouse, watermark

HERE = Path(__file__).resolve().parent
CITY = {"complaints": 30_000, "quarters": 4, "end": "2026Q3"}
CASES = 500
DRAW_SEEDS = (2027, 2029, 2031, 2033, 2035)
FIT_SEEDS = (901, 902, 903)
NOW = datetime(2026, 11, 1, 9, 0, 0)
TARGETS = {"precision": 0.95, "recall": 0.80, "hard_negatives_held": 0.05, "campaign_recall": 0.9}


def build_draw(
    work: Path, seed: int, cases: int = CASES, city: dict[str, Any] | None = None
) -> tuple[Settings, list[Period], pl.DataFrame]:
    """A warehouse with a generated city and the labelled cases; (settings, quarters, truth).

    truth: one row per complaint of the warehouse — `complaint_id`, `case_id` (two complaints
    are the same case exactly when they share it), `kind` (the writer's kind, `refile` and
    `campaign` for the generator's, `background` otherwise), `duplicate` (bool), `style`."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    settings = Settings(db_path=work / "warehouse.duckdb", now=NOW)
    result = generate(work / "exports", integrity=True, seed=seed, **(city or CITY))
    periods = [Period.parse(p) for p in result.periods]
    con = open_warehouse(settings)
    try:
        ingest_folder(con, settings, work / "exports")
        projects = frame(
            con,
            """SELECT project_id, any_value(project_name) AS project_name FROM src_projects
               WHERE service_start <= $lo AND coalesce(service_end, DATE '9999-12-31') >= $hi
               GROUP BY project_id ORDER BY project_id""",
            {"lo": periods[0].start, "hi": periods[-1].end},
        )
        start = datetime.combine(periods[0].start, datetime.min.time())
        end = datetime.combine(periods[-1].end, datetime.max.time())
        complaints, written = write_cases(projects, start, end, seed=seed, cases=cases)
        path = work / "exports" / "complaints_refiled.csv"
        export_headers(complaints).write_csv(path, datetime_format="%Y-%m-%d %H:%M:%S")
        ingest_file(con, settings, "complaints", path)
        truth = _truth(con, pl.read_parquet(work / "exports" / TRUTH_FILE), written)
    finally:
        con.close()
    return settings, periods, truth


def _truth(
    con: duckdb.DuckDBPyConnection, generated: pl.DataFrame, written: pl.DataFrame
) -> pl.DataFrame:
    loaded = frame(con, "SELECT DISTINCT complaint_id, repeat_of FROM src_complaints")
    gen = generated.select(
        "complaint_id",
        gen_case="duplicate_of",
        gen_kind=pl.when(pl.col("kind") == "duplicate").then(pl.lit("refile")).otherwise("kind"),
    )
    out = loaded.join(gen, on="complaint_id", how="left").join(
        written.rename({"kind": "w_kind", "duplicate": "w_dup"}), on="complaint_id", how="left"
    )
    return out.select(
        "complaint_id",
        case_id=pl.coalesce("case_id", "gen_case", "repeat_of", "complaint_id"),
        kind=pl.coalesce("w_kind", "gen_kind", pl.lit("background")),
        duplicate=pl.coalesce("w_dup", pl.col("gen_kind") == "refile", pl.lit(False)),
        style=pl.col("style"),
    )


def pairs(
    settings: Settings, periods: list[Period], truth: pl.DataFrame, params: IntegrityParams
) -> pl.DataFrame:
    """Every in-window candidate pair of every quarter whose later complaint is in the quarter,
    with its feature columns (`f_…`), the later complaint (`j_id`) and `label` (same case)."""
    con = open_warehouse(settings, read_only=True)
    out = []
    try:
        mark = watermark(con)
        for p in periods:
            detection.load(con, p, mark, params)
            matrix = detection.vectorise(con, params)
            detection.candidate_pairs(con, matrix, params, p.start)
            out.append(
                frame(
                    con,
                    """SELECT a.complaint_id AS i_id, b.complaint_id AS j_id, p.* EXCLUDE (i, j)
                       FROM integ_pairs p JOIN integ_c a ON a.i = p.i JOIN integ_c b ON b.i = p.j
                       WHERE p.in_window AND b.in_period""",
                )
            )
    finally:
        con.close()
    cases = truth.select("complaint_id", "case_id", "kind")
    joined = (
        pl.concat(out)
        .join(
            cases.rename({"complaint_id": "i_id", "case_id": "i_case", "kind": "i_kind"}), on="i_id"
        )
        .join(
            cases.rename({"complaint_id": "j_id", "case_id": "j_case", "kind": "j_kind"}), on="j_id"
        )
    )
    return joined.with_columns(label=pl.col("i_case") == pl.col("j_case"))


def fit(
    version: str, work: Path, log: Any = print, min_precision: float = 0.97
) -> linkage.DuplicateModel:
    """Fit on the `FIT_SEEDS` draws (campaign members left out: the campaign step decides
    them first), choose the threshold for `min_precision` at complaint level, save."""
    params = IntegrityParams()
    frames = []
    for seed in FIT_SEEDS:
        started = time.perf_counter()
        settings, periods, truth = build_draw(work / f"fit-{seed}", seed)
        frames.append(pairs(settings, periods, truth, params))
        log(f"fit draw {seed}: {len(frames[-1]):,} pairs in {time.perf_counter() - started:.1f} s")
    data = pl.concat(frames).filter(
        (pl.col("i_kind") != "campaign") & (pl.col("j_kind") != "campaign")
    )
    features = tuple(linkage.FEATURES)
    x = data.select([f"f_{n}" for n in features]).to_numpy()
    y = data["label"].to_numpy().astype(int)
    model = linkage.fit(x, y, features, version)
    best = (
        data.with_columns(score=pl.Series(linkage.predict(model, x)))
        .group_by("j_id")
        .agg(pl.col("score").max(), pl.col("label").any())
    )
    threshold = linkage.choose_threshold(
        best["score"].to_numpy(), best["label"].to_numpy(), min_precision
    )
    import sklearn

    model = replace(
        model,
        threshold=threshold,
        fitted={
            "data": "benchmarks/quality/refiling.py draws: rating.synth cities with integrity=True "
            "plus rating.synth.refiling cases",
            "seeds": list(FIT_SEEDS),
            "city": CITY,
            "cases_per_draw": CASES,
            "pairs": len(data),
            "duplicate_pairs": int(y.sum()),
            "complaints": len(best),
            "threshold_rule": f"lowest threshold with complaint-level precision >= {min_precision}",
            "method": "scikit-learn LogisticRegression(C=1.0), features on their own scale",
            "scikit_learn": sklearn.__version__,
            "fitted_at": datetime.now().isoformat(timespec="seconds"),
        },
    )
    log(
        f"fitted {version}: threshold {threshold}, {len(data):,} pairs, {int(y.sum()):,} duplicates"
    )
    return model


def _holds(
    settings: Settings, periods: list[Period], params: IntegrityParams
) -> tuple[pl.DataFrame, float]:
    """Scan every quarter; each held complaint's first hold reason, and the scan seconds."""
    con = open_warehouse(settings)
    try:
        started = time.perf_counter()
        for p in periods:
            integrity.scan(con, settings, p, params)
        seconds = time.perf_counter() - started
        held = frame(
            con,
            """SELECT complaint_id, any_value(reason ORDER BY seq) AS reason
               FROM complaint_holds WHERE action = 'hold' GROUP BY complaint_id""",
        )
        scanned = frame(
            con,
            """SELECT DISTINCT complaint_id FROM src_complaints
               WHERE received_at >= $lo AND received_at < $hi + INTERVAL 1 DAY
                 AND NOT (coalesce(is_repeat, false) OR repeat_of IS NOT NULL)""",
            {"lo": periods[0].start, "hi": periods[-1].end},
        )
    finally:
        con.close()
    return scanned.join(held, on="complaint_id", how="left"), round(seconds, 2)


def _rate(part: pl.DataFrame, name: str) -> dict[str, Any]:
    n = len(part)
    k = int(part["reason"].is_not_null().sum())
    return {"kind": name, "complaints": n, "held": k, "share_held": round(k / n, 4) if n else None}


def measure_draw(
    seed: int,
    work: Path,
    params: IntegrityParams | None = None,
    city: dict[str, Any] | None = None,
    cases: int = CASES,
) -> dict[str, Any]:
    """One draw: per-kind hold rates, precision and recall (writer's set and whole city)."""
    params = params or IntegrityParams()
    started = time.perf_counter()
    settings, periods, truth = build_draw(work / f"draw-{seed}", seed, cases, city)
    built = round(time.perf_counter() - started, 2)
    held, seconds = _holds(settings, periods, params)
    data = held.join(truth, on="complaint_id", how="left")
    kinds = [
        _rate(data.filter(pl.col("kind") == k), k)
        for k in ("original", *KINDS, "refile", "campaign", "background")
    ]
    per_style = [
        _rate(data.filter((pl.col("kind") == "cross_channel") & (pl.col("style") == s)), s)
        for s in sorted(data.filter(pl.col("kind") == "cross_channel")["style"].unique().to_list())
    ]
    written = data.filter(pl.col("style").is_not_null())
    flagged = pl.col("reason").is_not_null()
    dup_flag = pl.col("reason") == "NEAR_DUPLICATE"
    negatives = ("neighbour", "neighbour_same_number", "other_problem", "recurrence")
    hard = data.filter(pl.col("kind").is_in(negatives))
    campaign = data.filter(pl.col("kind") == "campaign")
    return {
        "seed": seed,
        "build_s": built,
        "scan_s": seconds,
        "writer": _pr(written, flagged, pl.col("duplicate")),
        "city": _pr(data, dup_flag, pl.col("duplicate")),
        "hard_negatives_held": round(float(hard["reason"].is_not_null().mean()), 4),
        # a small draw may hold no campaign at all: no recall to measure then, not 0 or 1
        "campaign_recall": (
            round(float((campaign["reason"] == "CAMPAIGN").mean()), 4) if campaign.height else None
        ),
        "kinds": kinds,
        "cross_channel_by_style": per_style,
    }


def _pr(data: pl.DataFrame, predicted: pl.Expr, actual: pl.Expr) -> dict[str, Any]:
    counts = data.select(tp=(predicted & actual).sum(), p=predicted.sum(), a=actual.sum()).row(
        0, named=True
    )
    tp, p, a = (int(counts[k] or 0) for k in ("tp", "p", "a"))
    return {
        "tp": tp,
        "flagged": p,
        "duplicates": a,
        "precision": round(tp / p, 4) if p else None,
        "recall": round(tp / a, 4) if a else None,
    }


def measure(work: Path, seeds: tuple[int, ...] = DRAW_SEEDS, log: Any = print) -> dict[str, Any]:
    """Every draw, with the model and parameters used."""
    from benchmarks.quality.run import provenance

    params = IntegrityParams()
    draws = []
    for seed in seeds:
        draws.append(measure_draw(seed, work, params))
        d = draws[-1]
        log(
            f"draw {seed}: precision {d['writer']['precision']} recall {d['writer']['recall']} "
            f"hard negatives held {d['hard_negatives_held']} campaigns {d['campaign_recall']}"
        )
    model = linkage.load_model(params.duplicate_model)
    return {
        "mode": "refiling",
        "city": CITY,
        "cases_per_draw": CASES,
        "params": params.as_dict(),
        "model": {"version": model.version, "threshold": model.threshold, "fitted": model.fitted},
        "targets": TARGETS,
        "provenance": provenance(),
        "draws": draws,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fit", metavar="VERSION", help="fit and save a new model version")
    parser.add_argument("--seeds", type=int, nargs="*", default=list(DRAW_SEEDS))
    parser.add_argument("--work", type=Path, default=HERE / "work" / "refiling")
    parser.add_argument("--out", type=Path, default=HERE)
    opts = parser.parse_args(argv)
    if opts.fit:
        path = linkage.save_model(fit(opts.fit, opts.work))
        print(f"wrote {path}")
        return 0
    record = measure(opts.work, tuple(opts.seeds))
    with (opts.out / "refiling.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    from benchmarks.quality.results import write_markdown

    write_markdown(opts.out / "results.jsonl", opts.out / "RESULTS.md")
    print(f"wrote {opts.out / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
