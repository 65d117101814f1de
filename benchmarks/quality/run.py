"""Measure the analyses on generated data with known answers, and write the results.

    python -m benchmarks.quality.run                 # 200,000 complaints, 8 quarters (~1 minute)
    python -m benchmarks.quality.run --quick         # 30,000 complaints, 6 quarters (~20 s)
    python -m benchmarks.quality.run --mode large    # 1,000,000 complaints, 8 quarters (the demo's size)

Steps: generate a city with `integrity=True` (unmarked near-duplicates and campaigns, with a
truth file) → ingest → rate every quarter → scan every quarter for suspicious complaints →
precision/recall against the truth, and over a sweep of the duplicate model's probability
thresholds → early-warning
backtests (logistic regression and gradient boosting) against the current-grade baseline.
Each invocation appends one JSON line with provenance to `results.jsonl` and rewrites
`RESULTS.md` from the newest line of each mode. The detector's thresholds were chosen on
seed 11 (tests' data); the benchmark measures on other seeds.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.quality.results import write_markdown
from rating.analysis import backtest, integrity, warning
from rating.analysis.detection import IntegrityParams
from rating.analysis.evaluation import duplicate_sweep, integrity_quality
from rating.analysis.linkage import load_model
from rating.engine.runner import execute_run
from rating.ingest.folder import ingest_folder
from rating.periods import Period
from rating.ruleset import registry
from rating.settings import Settings
from rating.synth import generate
from rating.synth.integrity import TRUTH_FILE
from rating.warehouse import open_warehouse

HERE = Path(__file__).resolve().parent
MODES = {
    "quick": {"complaints": 30_000, "quarters": 6, "seed": 2027},
    "full": {"complaints": 200_000, "quarters": 8, "seed": 2026},
    "large": {"complaints": 1_000_000, "quarters": 8, "seed": 2028},
}
THRESHOLDS = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99]  # and the model's own
NOW = datetime(2026, 11, 1, 9, 0, 0)


def prepare(
    work: Path, args: dict[str, Any], log: Any
) -> tuple[Settings, list[Period], dict[str, float]]:
    """A fresh warehouse of a generated city, every quarter rated."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    settings = Settings(db_path=work / "warehouse.duckdb", now=NOW)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    result = generate(work / "exports", integrity=True, end="2026Q3", **args)
    timings["generate_s"] = round(time.perf_counter() - started, 2)
    log(f"generated {args['complaints']:,} complaints in {timings['generate_s']} s")
    con = open_warehouse(settings)
    started = time.perf_counter()
    ingest_folder(con, settings, work / "exports")
    timings["ingest_s"] = round(time.perf_counter() - started, 2)
    periods = [Period.parse(p) for p in result.periods]
    started = time.perf_counter()
    for p in periods:
        rs = registry.select(settings.rules_dir, None, settings.ruleset, p, False)
        execute_run(con, settings, rs, p)
    timings["rate_s"] = round(time.perf_counter() - started, 2)
    log(
        f"ingested in {timings['ingest_s']} s, rated {len(periods)} quarters in {timings['rate_s']} s"
    )
    con.close()
    return settings, periods, timings


def measure_integrity(
    settings: Settings, periods: list[Period], truth_path: Path, log: Any
) -> dict[str, Any]:
    params = IntegrityParams()
    con = open_warehouse(settings)
    started = time.perf_counter()
    scans = [integrity.scan(con, settings, p, params).as_dict() for p in periods]
    seconds = round(time.perf_counter() - started, 2)
    truth = pl.read_parquet(truth_path)
    quality = integrity_quality(con, truth, periods)
    model = load_model(params.duplicate_model)
    sweep = duplicate_sweep(con, truth, periods, sorted({*THRESHOLDS, model.threshold}), params)
    con.close()
    log(f"integrity: scanned {sum(s['scanned'] for s in scans):,} complaint rows in {seconds} s")
    return {
        "params": params.as_dict(),
        "scan_seconds": seconds,
        "complaints_scanned": sum(s["scanned"] for s in scans),
        "pairs_compared": sum(s["pairs"] for s in scans),
        "scan_steps_s": {
            k: round(sum(s["steps"].get(k, 0.0) for s in scans), 2) for k in scans[0]["steps"]
        },
        "truth": {k: int(v) for k, v in truth.group_by("kind").len().iter_rows()},
        "quality": quality,
        "sweep": sweep,
    }


def measure_warning(settings: Settings, log: Any) -> dict[str, Any]:
    con = open_warehouse(settings, read_only=True)
    out: dict[str, Any] = {}
    for kind in warning.MODELS:
        started = time.perf_counter()
        bt = backtest.backtest(con, kind)
        out[kind] = bt.as_dict() | {
            "beats_baseline": bt.beats_baseline,
            "verdict": backtest.verdict(bt),
            "seconds": round(time.perf_counter() - started, 2),
        }
        log(f"warning ({kind}): model {bt.metrics['model']} vs baseline {bt.metrics['baseline']}")
    con.close()
    return out


def provenance() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False, cwd=HERE)
        return done.stdout.strip()

    import duckdb
    import sklearn

    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain")),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "scikit_learn": sklearn.__version__,
        "machine": f"{platform.system()} {platform.machine()} {platform.processor()}".strip(),
    }


def measure(mode: str, work: Path, log: Any = print, **override: Any) -> dict[str, Any]:
    args = MODES[mode] | override
    settings, periods, timings = prepare(work, args, log)
    return {
        "mode": mode,
        "generator": {**args, "end": "2026Q3", "integrity": True},
        "provenance": provenance(),
        "timings": timings,
        "integrity": measure_integrity(settings, periods, work / "exports" / TRUTH_FILE, log),
        "warning": measure_warning(settings, log),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small, fast size")
    parser.add_argument("--mode", choices=sorted(MODES), default="full", help="data size")
    parser.add_argument("--work", type=Path, default=HERE / "work", help="scratch folder")
    parser.add_argument(
        "--out", type=Path, default=HERE, help="where RESULTS.md and results.jsonl go"
    )
    opts = parser.parse_args(argv)
    record = measure("quick" if opts.quick else opts.mode, opts.work)
    opts.out.mkdir(parents=True, exist_ok=True)
    with (opts.out / "results.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    write_markdown(opts.out / "results.jsonl", opts.out / "RESULTS.md")
    print(f"wrote {opts.out / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
