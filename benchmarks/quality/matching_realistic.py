"""Hotline matching on realistic orders: precision and recall per draw and per noise kind.

    python -m benchmarks.quality.matching_realistic            # 5 draws of 20,000 complaints
    python -m benchmarks.quality.matching_realistic --quick    # 3 draws of 6,000 complaints

Each draw is an independent city (its own seed, never the training seed of
`fit_matching`) whose complaints are written as 12345 orders the way callers describe their
compound (`rating.synth.hotline_realistic`, noise model in `HOTLINE_NOISE.md`), 12 % of them
about compounds the register does not have. The orders are ingested like any hotline export
into a warehouse holding only the companies and projects; automatic matches are compared with
the truth. Precision = right / matched automatically; recall = right / all orders (and / orders
about registered compounds); `unregistered matched` counts orders about unregistered compounds
matched automatically (target 0). Appends to `matching.jsonl` (mode `realistic…`) and rewrites
`MATCHING.md`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.quality.run import NOW, provenance
from rating.ingest.folder import plan_folder
from rating.ingest.loader import ingest_file
from rating.matching.model import load_model
from rating.settings import Settings
from rating.sql import frame
from rating.synth import generate
from rating.synth.hotline_realistic import VERSION, write_realistic
from rating.warehouse import open_warehouse

HERE = Path(__file__).resolve().parent
MODES = {
    "realistic-quick": {"complaints": 6_000, "quarters": 2, "seeds": [2041, 2042, 2043]},
    "realistic": {"complaints": 20_000, "quarters": 2, "seeds": [2041, 2042, 2043, 2044, 2045]},
    "realistic-large": {"complaints": 200_000, "quarters": 2, "seeds": [2051]},
}
TARGETS = {"precision": 0.995, "unregistered_matched": 0, "recall": 0.60}


def _load(work: Path, name: str, kinds: tuple[str, ...], folder: Path) -> Any:
    settings = Settings(db_path=work / f"{name}.duckdb", now=NOW)
    settings.db_path.unlink(missing_ok=True)
    con = open_warehouse(settings)
    for kind, path in plan_folder(folder):
        if kind in kinds:
            ingest_file(con, settings, kind, path)
    return con, settings


def measure_draw(work: Path, complaints: int, quarters: int, seed: int) -> dict[str, Any]:
    """One independent city and its realistic orders: figures overall and per noise kind."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    generate(work / "data", complaints=complaints, quarters=quarters, seed=seed, end="2026Q3")
    source, _ = _load(work, "source", ("companies", "projects", "complaints"), work / "data")
    try:
        export, truth_file, n = write_realistic(source, work / "orders.csv", seed=seed)
    finally:
        source.close()
    con, settings = _load(work, "bureau", ("companies", "projects"), work / "data")
    try:
        started = time.perf_counter()
        result = ingest_file(con, settings, "complaints", export)
        seconds = time.perf_counter() - started
        con.register("truth", pl.read_parquet(truth_file))
        per_order = frame(
            con,
            """SELECT t.complaint_id, t.kinds, t.true_project IS NULL AS unregistered,
                      c.project_id IS NOT NULL AS auto, c.project_id = t.true_project AS right
               FROM truth t LEFT JOIN src_complaints c USING (complaint_id)""",
        )
    finally:
        con.close()
    return {
        "seed": seed,
        "in_review": result.rows_in_review,
        "quarantined": result.rows_quarantined,
        "ingest_s": round(seconds, 2),
        **_figures(per_order),
        "exported": n,
        "kinds": _per_kind(per_order),
    }


def _figures(df: pl.DataFrame) -> dict[str, Any]:
    auto = int(df["auto"].sum())
    right = int(df["right"].fill_null(False).sum())
    registered = int((~df["unregistered"]).sum())
    return {
        "orders": df.height,
        "matched": auto,
        "right": right,
        "precision": round(right / auto, 5) if auto else None,
        "recall": round(right / df.height, 5) if df.height else None,
        "recall_registered": round(right / registered, 5) if registered else None,
        "unregistered": int(df["unregistered"].sum()),
        "unregistered_matched": int((df["unregistered"] & df["auto"]).sum()),
    }


def _per_kind(df: pl.DataFrame) -> dict[str, dict[str, Any]]:
    exploded = df.explode("kinds")
    out = {}
    for (kind,), part in exploded.group_by("kinds", maintain_order=False):
        out[str(kind)] = _figures(part)
    return dict(sorted(out.items()))


def measure(mode: str, work: Path, log: Any = print) -> dict[str, Any]:
    args = MODES[mode]
    draws = []
    for seed in args["seeds"]:
        draw = measure_draw(work / f"draw_{seed}", args["complaints"], args["quarters"], seed)
        log(
            f"draw {seed}: precision {draw['precision']}, recall {draw['recall']}, "
            f"unregistered matched {draw['unregistered_matched']} of {draw['unregistered']}"
        )
        draws.append(draw)
    model = load_model()
    return {
        "mode": mode,
        "generator": {k: v for k, v in args.items() if k != "seeds"},
        "noise_model": VERSION,
        "model": {"version": model.version, "threshold": model.threshold},
        "provenance": provenance(),
        "draws": draws,
    }


def met(record: dict[str, Any]) -> bool:
    """Every draw meets every target."""
    return all(
        (d["precision"] or 0) >= TARGETS["precision"]
        and d["unregistered_matched"] <= TARGETS["unregistered_matched"]
        and (d["recall"] or 0) >= TARGETS["recall"]
        for d in record["draws"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=list(MODES), default="realistic")
    parser.add_argument("--quick", action="store_true", help="same as --mode realistic-quick")
    parser.add_argument("--work", type=Path, default=HERE / "work" / "matching_realistic")
    parser.add_argument("--out", type=Path, default=HERE, help="where the results go")
    opts = parser.parse_args(argv)
    record = measure("realistic-quick" if opts.quick else opts.mode, opts.work)
    opts.out.mkdir(parents=True, exist_ok=True)
    with (opts.out / "matching.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    from benchmarks.quality.matching import write_markdown

    write_markdown(opts.out / "matching.jsonl", opts.out / "MATCHING.md")
    print(f"wrote {opts.out / 'MATCHING.md'}")
    return 0 if met(record) else 1


if __name__ == "__main__":
    raise SystemExit(main())
