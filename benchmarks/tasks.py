"""The measured tasks, each run in a fresh process by `benchmarks.measure.run_task`.

`python -m benchmarks.tasks NAME ARGS_JSON RESULT_PATH` calls `NAME(**ARGS)` and writes its
result (a JSON object, with `seconds` timed around the work itself, after imports) to
RESULT_PATH. Every task goes through the library exactly as the CLI does.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

NOW = "2026-10-15T12:00:00"  # the clock the benchmark pins: after the last generated quarter


def _settings(
    db: str, threads: int = 0, memory_limit: str = "", ingest_memory_limit: str = ""
) -> Any:
    """The settings of a task (no RATING_* variable read); an empty limit is the default
    (none for `memory_limit`, `Settings.ingest_memory_limit`'s 1GB while a file is ingested)."""
    from rating.settings import Settings

    return Settings.from_env(
        {},
        db_path=Path(db),
        now=datetime.fromisoformat(NOW),
        threads=threads,
        memory_limit=memory_limit,
        ingest_memory_limit=ingest_memory_limit or None,
    )


def ingest(db: str, files: list[list[str]], threads: int = 0, memory_limit: str = "") -> dict:
    """Ingest (kind, path) pairs in order, as `rating ingest` does; time each file.
    `memory_limit` is the limit DuckDB works under while a file is ingested
    (`RATING_INGEST_MEMORY_LIMIT`; empty: its default, 1GB). It was passed as the engine's
    limit before session 10, which ingest overrides with its own: `--ingest-memory-limit`
    did not reach the ingest (only its floor)."""
    from rating.ingest.loader import ingest_file
    from rating.warehouse import open_warehouse

    settings = _settings(db, threads, ingest_memory_limit=memory_limit)
    con = open_warehouse(settings)
    out, started = [], time.perf_counter()
    for kind, path in files:
        t = time.perf_counter()
        r = ingest_file(con, settings, kind, Path(path))
        out.append({**r.as_dict(), "seconds": round(time.perf_counter() - t, 3)})
    con.execute("CHECKPOINT")
    con.close()
    return {"files": out, "seconds": time.perf_counter() - started}


def migrate(db: str) -> dict:
    """Open a warehouse for writing and close it: the layout's migrations (e.g. stored input
    sums, decision 0014) run here, untimed, instead of inside the timed `rating run`."""
    from rating.warehouse import open_warehouse

    started = time.perf_counter()
    con = open_warehouse(_settings(db))
    con.execute("CHECKPOINT")
    con.close()
    return {"seconds": time.perf_counter() - started}


def ingest_floor(db: str, files: list[list[str]], threads: int = 0, memory_limit: str = "") -> dict:
    """The ingest floor: each (encoding, path) loaded with no check at all into a table of a
    new DuckDB file — GB18030 transcoded to UTF-8 by `iconv` first (glibc, native, streaming:
    the fastest correct transcoder measured on this machine), CSV by a bare
    `read_csv(path)` (DuckDB's sniffer and types), Parquet by `read_parquet(path)`. DuckDB
    works under the same memory limit as the ingest it is the floor of (`memory_limit`, else
    ingest's default, 1GB): until session 10 the floor ran with none while ingest spilled."""
    import subprocess
    import tempfile

    import duckdb

    config: dict[str, Any] = {"threads": threads} if threads else {}
    config["memory_limit"] = memory_limit or _settings(db).ingest_memory_limit
    con = duckdb.connect(db, config=config)
    out, started = [], time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        for i, (encoding, path) in enumerate(files):
            t = time.perf_counter()
            source = path
            if encoding == "gb18030":
                source = str(Path(tmp) / "utf8.csv")
                subprocess.run(
                    ["iconv", "-f", "GB18030", "-t", "UTF-8", "-o", source, path], check=True
                )
            transcoded = time.perf_counter() - t
            reader = "read_parquet" if encoding == "parquet" else "read_csv"
            con.execute(f"CREATE TABLE t{i} AS SELECT * FROM {reader}($path)", {"path": source})
            rows = con.execute(f"SELECT count(*) FROM t{i}").fetchone()[0]  # type: ignore[index]
            out.append(
                {
                    "path": Path(path).name,
                    "rows": rows,
                    "transcode_seconds": round(transcoded, 3),
                    "seconds": round(time.perf_counter() - t, 3),
                }
            )
    con.execute("CHECKPOINT")
    con.close()
    return {"files": out, "seconds": time.perf_counter() - started}


def _timed_phases(module: Any, names: tuple[str, ...]) -> dict[str, float]:
    """Wrap module functions so each call adds its seconds to the returned dict."""
    spent: dict[str, float] = {}
    for name in names:
        inner = getattr(module, name)

        def timed(*a: Any, _inner: Any = inner, _name: str = name, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return _inner(*a, **k)
            finally:
                spent[_name] = spent.get(_name, 0.0) + time.perf_counter() - t

        setattr(module, name, timed)
    return spent


RUN_PHASES = ("compute", "store", "results_digest", "input_fingerprints", "summary")


def engine_run(db: str, period: str, threads: int = 0, memory_limit: str = "") -> dict:
    """`rating run --period P`: every step, results, evidence and manifest stored."""
    from rating.engine import runner
    from rating.periods import Period
    from rating.ruleset import registry
    from rating.warehouse import open_warehouse

    settings = _settings(db, threads, memory_limit)
    con = open_warehouse(settings)
    phases = _timed_phases(runner, RUN_PHASES)  # where the time goes; the run is unchanged
    started = time.perf_counter()
    p = Period.parse(period)
    rs = registry.select(settings.rules_dir, None, settings.ruleset, p, False)
    report = runner.execute_run(con, settings, rs, p)
    t = time.perf_counter()
    con.execute("CHECKPOINT")
    phases["checkpoint"] = time.perf_counter() - t
    seconds = time.perf_counter() - started
    phases["other"] = seconds - sum(phases.values())
    con.close()
    return {
        "seconds": seconds,
        "phases": {k: round(v, 3) for k, v in phases.items()},
        "run_id": report.run_id,
        "rules": report.rules,
        "fingerprint": report.manifest["ruleset"],
        "history_runs": report.manifest["history_runs"],
        "watermark": report.manifest["watermark"],
        "results_sha256": report.results_sha256,
        "summary": report.summary,
        "steps": report.steps,
    }


def history(db: str, period: str, threads: int = 0, memory_limit: str = "") -> dict:
    """Rate every quarter before `period` that holds data, oldest first (`execute_run`, as
    the calibration does): the history a bureau's run of `period` reads."""
    from rating.engine import history as hist
    from rating.engine.runner import execute_run
    from rating.periods import Period, quarters_between
    from rating.ruleset import registry
    from rating.warehouse import open_warehouse, watermark

    settings = _settings(db, threads, memory_limit)
    con = open_warehouse(settings)
    last = Period.parse(period)
    rs = registry.select(settings.rules_dir, None, settings.ruleset, last, False)
    first = hist.check(con, rs, last, watermark(con)).first_data_period
    started, runs = time.perf_counter(), []
    for p in quarters_between(Period.parse(first), last.previous()) if first else []:
        t = time.perf_counter()
        rs = registry.select(settings.rules_dir, None, settings.ruleset, p, False)
        report = execute_run(con, settings, rs, p)
        runs.append({"period": str(p), "run_id": report.run_id,
                     "seconds": round(time.perf_counter() - t, 3)})  # fmt: skip
    con.execute("CHECKPOINT")
    con.close()
    return {"seconds": time.perf_counter() - started, "runs": runs}


def replay(db: str, run_id: str, threads: int = 0, memory_limit: str = "") -> dict:
    """`rating replay RUN`: recompute from the manifest and compare byte for byte."""
    from rating.audit.replay import replay as do_replay
    from rating.warehouse import open_warehouse

    settings = _settings(db, threads, memory_limit)
    con = open_warehouse(settings)
    started = time.perf_counter()
    report = do_replay(con, settings, run_id)
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds, "status": report.status, "differences": report.differences}


def digest(db: str, run_id: str, scheme: str, threads: int = 0, memory_limit: str = "") -> dict:
    """The results digest of a stored run alone, under one scheme (`rating.engine.store`)."""
    from rating.engine.store import RESULT_TABLES, results_digest
    from rating.sql import value
    from rating.warehouse import open_warehouse

    settings = _settings(db, threads, memory_limit)
    con = open_warehouse(settings, read_only=True)
    started = time.perf_counter()
    found, _ = results_digest(con, run_id, scheme=scheme)
    seconds = time.perf_counter() - started
    rows = sum(
        int(value(con, f"SELECT count(*) FROM {t} WHERE run_id = $r", {"r": run_id}))
        for t in RESULT_TABLES
    )
    con.close()
    return {"seconds": seconds, "digest": found, "rows": rows}


def floor(
    db: str, period: str, watermark: int, out: str, threads: int = 0, memory_limit: str = ""
) -> dict:
    """The hand-written DuckDB aggregation (benchmarks.floor), result written to `out`."""
    from benchmarks.floor import floor as floor_query
    from rating.periods import Period
    from rating.warehouse import open_warehouse

    settings = _settings(db, threads, memory_limit)
    con = open_warehouse(settings, read_only=True)
    p = Period.parse(period)
    started = time.perf_counter()
    table = floor_query(con, p.start, p.end, watermark).to_arrow_table()
    seconds = time.perf_counter() - started
    import pyarrow.parquet as pq

    pq.write_table(table, out)
    return {"seconds": seconds, "rows": table.num_rows}


def export(db: str, out_dir: str, watermark: int, history: list[dict] | None = None) -> dict:
    """The peers' input: each source's visible rows as Parquet, in the warehouse's order, and
    the grades the earlier quarters' runs published (`history.parquet`: uscc, periods_back,
    grade), which an analyst rating a quarter has at hand."""
    from rating.schema import CONTRACTS
    from rating.warehouse import open_warehouse, visible_rows

    settings = _settings(db)
    con = open_warehouse(settings, read_only=True)
    started = time.perf_counter()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    sizes = {}
    for kind, contract in CONTRACTS.items():
        path = Path(out_dir) / f"{kind}.parquet"
        con.execute(
            f"""COPY (SELECT s.* EXCLUDE (_batch, _row) FROM {visible_rows(contract)})
                TO '{path}' (FORMAT parquet, COMPRESSION zstd)""",
            {"watermark": watermark},
        )
        sizes[kind] = path.stat().st_size
    runs = [str(h["run_id"]) for h in history or []]
    backs = [int(h["periods_back"]) for h in history or []]
    path = Path(out_dir) / "history.parquet"
    con.execute(
        f"""COPY (SELECT c.uscc, h.periods_back, c.grade FROM run_companies c
                  JOIN (SELECT unnest($runs::VARCHAR[]) AS run_id,
                               unnest($backs::INTEGER[]) AS periods_back) h USING (run_id))
            TO '{path}' (FORMAT parquet)""",
        {"runs": runs, "backs": backs},
    )
    sizes["history"] = path.stat().st_size
    return {"seconds": time.perf_counter() - started, "bytes": sizes}


def pandas_peer(folder: str, period: str, out_dir: str) -> dict:
    """The pandas implementation (benchmarks.pandas_peer), results written to `out_dir`."""
    from benchmarks.pandas_peer import rate
    from rating.periods import Period

    p = Period.parse(period)
    started = time.perf_counter()
    frames = rate(Path(folder), p.start, p.end)
    seconds = time.perf_counter() - started
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        frame.to_parquet(Path(out_dir) / f"{name}.parquet", index=False)
    return {"seconds": seconds, "rows": {k: len(v) for k, v in frames.items()}}


def http_lookup(db: str, run_id: str, requests: int = 2000) -> dict:
    """The public company lookup over HTTP (benchmarks.http_lookup)."""
    from benchmarks.http_lookup import measure_lookup

    return measure_lookup(_settings(db), run_id, requests)


TASKS = {
    f.__name__: f
    for f in (
        ingest,
        migrate,
        ingest_floor,
        history,
        engine_run,
        replay,
        digest,
        floor,
        export,
        pandas_peer,
        http_lookup,
    )
}


def peak_rss() -> int:
    """This process's peak resident memory (VmHWM), in bytes.

    Not `getrusage`: on Linux a child's ru_maxrss starts from its parent's RSS at fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: list[str]) -> None:
    name, args, out = argv[1], json.loads(argv[2]), Path(argv[3])
    result = TASKS[name](**args)
    result["peak_rss"] = peak_rss()
    out.write_text(json.dumps(result, ensure_ascii=False, default=_jsonable), encoding="utf-8")


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


if __name__ == "__main__":
    main(sys.argv)
