"""Ingest rate per format: the same complaint rows as GB18030 CSV, UTF-8 CSV and Parquet.

The probe rows are the first `PROBE_ROWS` lines of the last quarter's complaint file (the
whole file when it is smaller), as generated (GB18030), transcoded to UTF-8, and converted
to Parquet (all columns text, as read; lines DuckDB cannot split are left out of that one).
Each is ingested into a fresh copy of a warehouse holding only companies and projects, so
every probe does the same work: reading, every check, loading, quarantine. Beside each, its
floor (`benchmarks.tasks.ingest_floor`): the same file loaded with no check into a new
DuckDB file (GB18030 through `iconv` first); `vs_floor` is the floor's seconds over
ingest's, i.e. ingest's speed as a fraction of the floor's.
"""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.measure import logged_task
from benchmarks.sizes import PROBE_ROWS

CHUNK = 1 << 24


def _slice(source: Path, target: Path, rows: int) -> None:
    """The header and the first `rows` lines of a CSV file, bytes unchanged."""
    with source.open("rb") as src, target.open("wb") as dst:
        for i, line in enumerate(src):
            if i > rows:
                break
            dst.write(line)


def _transcode(source: Path, target: Path) -> None:
    decoder = codecs.getincrementaldecoder("gb18030")(errors="replace")
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))


def _to_parquet(source: Path, target: Path) -> None:
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * FROM read_csv('{source}', header = true, all_varchar = true,
                  ignore_errors = true, quote = '"', escape = '"'))
            TO '{target}' (FORMAT parquet, COMPRESSION zstd)"""
    )
    con.close()


def prepare(folder: Path, out: Path) -> dict[str, Path]:
    last = sorted(folder.glob("complaints_*.csv"))[-1]
    gb = out / "probe_gb18030.csv"
    _slice(last, gb, PROBE_ROWS)
    utf8 = out / "probe_utf8.csv"
    _transcode(gb, utf8)
    parquet = out / "probe.parquet"
    _to_parquet(utf8, parquet)
    return {"csv:gb18030": gb, "csv:utf-8": utf8, "parquet": parquet}


FLOOR_ENCODING = {"csv:gb18030": "gb18030", "csv:utf-8": "utf-8", "parquet": "parquet"}


def measure(folder: Path, out: Path, opts: Any, log: Any) -> dict[str, Any]:
    base = out / "probe_base.duckdb"
    registers = [["companies", str(p)] for p in sorted(folder.glob("companies*"))]
    registers += [["projects", str(p)] for p in sorted(folder.glob("projects*"))]
    logged_task(log, "probe warehouse", "ingest", {"db": str(base), "files": registers})
    results: dict[str, Any] = {}
    for fmt, path in prepare(folder, out).items():
        db = out / "probe.duckdb"
        shutil.copyfile(base, db)
        tuning = {"threads": opts.threads, "memory_limit": opts.ingest_memory_limit}
        m = logged_task(
            log, f"ingest probe {fmt}", "ingest", {"db": str(db), "files": [["complaints", str(path)]], **tuning}
        )  # fmt: skip
        f = m.result["files"][0]
        bare = logged_task(
            log, f"ingest floor {fmt}", "ingest_floor",
            {"db": str(out / "probe_floor.duckdb"), "files": [[FLOOR_ENCODING[fmt], str(path)]], **tuning},
        )  # fmt: skip
        (out / "probe_floor.duckdb").unlink()
        results[fmt] = {
            **m.as_dict(),
            "seconds": f["seconds"],
            "rows": f["rows_read"],
            "quarantined": f["rows_quarantined"],
            "bytes": path.stat().st_size,
            "rows_per_second": round(f["rows_read"] / f["seconds"]),
            "floor_seconds": bare.seconds,
            "floor_rows": bare.result["files"][0]["rows"],
            "floor_peak_rss_gib": round(bare.peak_rss / (1 << 30), 3),
            "vs_floor": round(bare.seconds / f["seconds"], 3),
        }
        db.unlink()
        path.unlink()
    base.unlink()
    return results
