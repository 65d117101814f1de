"""Fit the hotline matcher's Fellegi–Sunter weights on a labelled training draw.

    python -m benchmarks.quality.fit_matching            # writes rating/matching/weights.json

A training city (its own seed, never one the benchmark measures on) is generated; its
complaints are written as realistic 12345 orders (`rating.synth.hotline_realistic`, with the
truth); the matcher builds every candidate pair and its comparison levels; `rating.matching.fit`
counts m and u per level and picks the automatic threshold. The file records how it was made.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import polars as pl

from benchmarks.quality.run import NOW
from rating.ingest.folder import plan_folder
from rating.ingest.loader import ingest_file
from rating.matching.fit import fit
from rating.matching.matcher import match
from rating.matching.model import WEIGHTS_FILE, neutral_model
from rating.settings import Settings
from rating.synth import generate
from rating.synth.hotline_realistic import UNREGISTERED, VERSION, realistic_orders
from rating.warehouse import open_warehouse

HERE = Path(__file__).resolve().parent
TRAINING = {"complaints": 60_000, "quarters": 2, "seed": 7}
NOISE_SEED = 7
MODEL_VERSION = "fs-2026.11.1"


def training_orders(work: Path) -> tuple[Path, pl.DataFrame]:
    """A training city's register folder and its realistic orders (with `true_project`)."""
    shutil.rmtree(work, ignore_errors=True)
    generate(work / "data", end="2026Q3", **TRAINING)
    settings = Settings(db_path=work / "source.duckdb", now=NOW)
    con = open_warehouse(settings)
    try:
        for kind, path in plan_folder(work / "data"):
            if kind in ("companies", "projects", "complaints"):
                ingest_file(con, settings, kind, path)
        return work / "data", realistic_orders(con, seed=NOISE_SEED)
    finally:
        con.close()


def fit_weights(work: Path) -> dict[str, object]:
    folder, orders = training_orders(work)
    settings = Settings(db_path=work / "bureau.duckdb", now=NOW)
    con = open_warehouse(settings)
    try:
        for kind, path in plan_folder(folder):
            if kind in ("companies", "projects"):
                ingest_file(con, settings, kind, path)
        framed = orders.with_row_index("_line").rename({"received_at": "_when"})
        con.register("fit_orders", framed)
        con.execute("CREATE TEMP TABLE m_fit_input AS SELECT * FROM fit_orders")
        con.execute("CREATE TEMP TABLE m_fit_truth AS SELECT _line, true_project FROM fit_orders")
        match(con, "m_fit_input", {"watermark": 2**31 - 1}, model=neutral_model())
        return fit(
            con,
            "m_fit_truth",
            MODEL_VERSION,
            {
                "generator": TRAINING,
                "noise_model": VERSION,
                "noise_seed": NOISE_SEED,
                "unregistered_share": UNREGISTERED,
                "orders": orders.height,
            },
        )
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=HERE / "work" / "fit_matching")
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    opts = parser.parse_args(argv)
    weights = fit_weights(opts.work)
    opts.out.write_text(json.dumps(weights, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {opts.out}: threshold {weights['threshold']}, prior {weights['prior']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
