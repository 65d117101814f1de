"""One benchmark size, end to end: data → warehouse → run → replay → floor → pandas → agree.

Each measured step is a task in a fresh process (`benchmarks.measure`). The outcome of a size
is one JSON object (a line of `results/*.jsonl`) with the numbers, the agreement checks and
provenance; `benchmarks.report` turns the lines into RESULTS.md.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from benchmarks import agreement, probes
from benchmarks.measure import (
    REPO,
    GiB,
    Measured,
    compile_sources,
    logged_command,
    logged_task,
    machine,
)
from benchmarks.sizes import PERIOD, Size
from benchmarks.tasks import NOW
from rating.ingest.folder import plan_folder

HARNESS = 2  # records of version 1 rated 2026Q3 alone and timed the run in-process
RATING = Path(sys.executable).parent / "rating"  # the entry point a user runs

Log = Any  # a callable taking one line of text


@dataclass(frozen=True)
class Options:
    work: Path
    pandas_cap_gib: float = 12.0
    threads: int = 0
    memory_limit: str = ""  # DuckDB limit for the engine, its replay and the floor
    ingest_memory_limit: str = ""  # and for ingest
    http: bool = True
    probes: bool = True
    ingest_only: bool = False  # data, ingest, its floor and the format probes; no run
    reuse_warehouse: bool = False  # keep work/prepared/<size>/ and skip ingest and history


def ensure_data(size: Size, work: Path, log: Log) -> Path:
    """The generated exports for `size`, reused when a previous run made the same ones."""
    from rating.synth import generate

    folder = work / "data" / size.name
    manifest = folder / "manifest.json"
    wanted = {k: v for k, v in size.generator_args().items() if v is not None}
    if manifest.exists():
        have = json.loads(manifest.read_text(encoding="utf-8"))
        if all(have.get(k) == v for k, v in wanted.items()):
            return folder
    shutil.rmtree(folder, ignore_errors=True)
    log(f"[{size.name}] generating {size.complaints:,} complaints …")
    started = time.perf_counter()
    generate(folder, **wanted)  # type: ignore[arg-type]
    log(f"[{size.name}] generated in {time.perf_counter() - started:.0f} s")
    return folder


def ingest_summary(files: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows and seconds per kind and per format (rows read: loaded + quarantined)."""
    out: dict[str, Any] = {}
    for f in files:
        for key in (f["kind"], f"{f['format']}:{f['encoding'] or '-'}"):
            agg = out.setdefault(key, {"rows": 0, "seconds": 0.0, "quarantined": 0})
            agg["rows"] += f["rows_read"]
            agg["seconds"] += f["seconds"]
            agg["quarantined"] += f["rows_quarantined"]
    for agg in out.values():
        agg["rows_per_second"] = round(agg["rows"] / agg["seconds"]) if agg["seconds"] else None
        agg["seconds"] = round(agg["seconds"], 3)
    return out


def _env(opts: Options) -> dict[str, str]:
    """The settings every `rating` command of the benchmark runs under (clock pinned)."""
    env = {"RATING_NOW": NOW}
    if opts.threads:
        env["RATING_THREADS"] = str(opts.threads)
    if opts.memory_limit:
        env["RATING_MEMORY_LIMIT"] = opts.memory_limit
    return env


def _rating(*args: str) -> list[str]:
    return [str(RATING), *args]


def _history(db: Path, opts: Options, log: Log) -> dict[str, Any]:
    """Rate every quarter before PERIOD, from the first that holds data, oldest first, as the
    bureau did: the timed run then reads their streaks and downgrades (a run without them is
    a run no bureau makes)."""
    tuning = {"threads": opts.threads, "memory_limit": opts.memory_limit}
    m = logged_task(
        log, "history (earlier quarters)", "history", {"db": str(db), "period": PERIOD, **tuning}
    )
    return {**m.as_dict(), "runs": m.result["runs"]}


def _engine_steps(db: Path, out: Path, opts: Options, log: Log) -> dict[str, Measured]:
    """The timed run and replay as whole processes (`rating run`, `rating replay` as a user
    types them), then the same run in-process on a copy of the warehouse as it was before,
    for the phase breakdown."""
    copy = out / "breakdown.duckdb"
    shutil.copyfile(db, copy)
    run = logged_command(
        log, f"rating run {PERIOD}", "engine_run",
        _rating("run", "--period", PERIOD, "--db", str(db), "--json"), env=_env(opts),
    )  # fmt: skip
    if not run.result["history"]["runs"]:
        raise RuntimeError("the timed run read no history: the earlier quarters must be rated")
    replay = logged_command(
        log, "rating replay", "replay",
        _rating("replay", run.result["run_id"], "--db", str(db), "--json"), env=_env(opts),
    )  # fmt: skip
    tuning = {"threads": opts.threads, "memory_limit": opts.memory_limit}
    inner = logged_task(
        log, "  in-process run (copy)", "engine_run", {"db": str(copy), "period": PERIOD, **tuning}
    )
    copy.unlink()
    if inner.result["results_sha256"] != run.result["results_sha256"]:
        raise RuntimeError("the in-process run and `rating run` disagree on the results digest")
    return {"run": run, "replay": replay, "inner": inner}


def _peers(
    db: Path, out: Path, run: dict[str, Any], opts: Options, log: Log
) -> dict[str, Measured]:
    watermark = run["watermark"]
    cmd = [sys.executable, "-m", "benchmarks.floor", str(db), PERIOD, str(watermark)]
    cmd += [str(out / "floor.parquet"), "--threads", str(opts.threads)]
    cmd += ["--memory-limit", opts.memory_limit] if opts.memory_limit else []
    floor = logged_command(log, "floor (whole process)", "floor", cmd)
    export = logged_task(
        log, "export for pandas", "export",
        {"db": str(db), "out_dir": str(out / "export"), "watermark": watermark,
         "history": run["history_runs"]},
    )  # fmt: skip
    pandas = logged_task(
        log, "pandas peer", "pandas_peer",
        {"folder": str(out / "export"), "period": PERIOD, "out_dir": str(out / "pandas")},
        memory_cap=int(opts.pandas_cap_gib * GiB),
    )  # fmt: skip
    return {"floor": floor, "export": export, "pandas": pandas}


def _ingest_floor(db: Path, files: list[dict[str, Any]], opts: Options, log: Log) -> Measured:
    """The complaint files of the folder loaded bare (`benchmarks.tasks.ingest_floor`)."""
    plan = [[f["encoding"] or f["format"], f["path"]] for f in files if f["kind"] == "complaints"]
    tuning = {"threads": opts.threads, "memory_limit": opts.ingest_memory_limit}
    m = logged_task(
        log, "ingest floor (complaints)", "ingest_floor", {"db": str(db), "files": plan, **tuning}
    )
    db.unlink()
    return m


def _agreement(db: Path, run_id: str, out: Path, peers: dict[str, Measured]) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        if con.execute("SELECT count(*) FROM supersessions").fetchone()[0]:  # type: ignore[index]
            raise RuntimeError("the floor ignores corrections: the data must have none")
        result: dict[str, Any] = {
            "rules": agreement.rules_covered(con, run_id),
            "floor": agreement.floor_vs_engine(con, run_id, out / "floor.parquet"),
        }
        if peers["pandas"].ok:
            result["pandas"] = agreement.pandas_vs_engine(con, run_id, out / "pandas")
        return result
    finally:
        con.close()


def _data_sizes(folder: Path, db: Path) -> dict[str, Any]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    rows: dict[str, int] = {}
    for f in manifest["files"]:
        rows[f["kind"]] = rows.get(f["kind"], 0) + f["rows"]
    return {
        "rows": rows,
        "companies": manifest["companies"],
        "projects": manifest["projects"],
        "export_bytes": sum((folder / f["path"]).stat().st_size for f in manifest["files"]),
        "warehouse_bytes": db.stat().st_size,
    }


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False, cwd=REPO)
        return done.stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


def _prepare(folder: Path, out: Path, opts: Options, log: Log) -> dict[str, Any]:
    """The warehouse the timed run starts from: every export ingested (timed, with the ingest
    floor beside it) and the earlier quarters rated. With `reuse_warehouse`, a copy is kept in
    `work/prepared/<size>/` with its records, and a later run of the same size and data
    starts from that copy instead (ingest at 10M is minutes; the records then say when and at
    which commit the ingest and history they carry were measured)."""
    db = out / "rating.duckdb"
    keep = opts.work / "prepared" / out.name
    manifest = (folder / "manifest.json").read_text(encoding="utf-8")
    if opts.reuse_warehouse and (keep / "prepared.json").exists():
        saved = json.loads((keep / "prepared.json").read_text(encoding="utf-8"))
        if saved["data_manifest"] == manifest:
            log(f"  reusing the warehouse prepared at {saved['measured_at']} ({keep})")
            # Migrated to this code's layout first (once: the kept copy is changed), so that
            # no timed command pays a migration a bureau pays once.
            logged_task(log, "  layout (untimed)", "migrate", {"db": str(keep / "rating.duckdb")})
            shutil.copyfile(keep / "rating.duckdb", db)
            reused = {"measured_at": saved["measured_at"], "git": saved["git"]}
            return {**saved["records"], "reused": reused}
    files = [[kind, str(path)] for kind, path in plan_folder(folder)]
    tuning = {"threads": opts.threads, "memory_limit": opts.ingest_memory_limit}
    build = logged_task(
        log, "ingest (whole folder)", "ingest", {"db": str(db), "files": files, **tuning}
    )
    for f, (_, path) in zip(build.result["files"], files, strict=True):
        f["path"] = path
    bare = _ingest_floor(out / "ingest_floor.duckdb", build.result["files"], opts, log)
    records: dict[str, Any] = {
        "ingest": {**build.as_dict(), "by": ingest_summary(build.result["files"])},
        "ingest_floor": {**bare.as_dict(), "files": bare.result["files"]},
    }
    if opts.ingest_only:
        return records
    records["history"] = _history(db, opts, log)
    if opts.reuse_warehouse:
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
        shutil.copyfile(db, keep / "rating.duckdb")
        saved = {
            "data_manifest": manifest,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "git": git_commit(),
            "records": records,
        }
        (keep / "prepared.json").write_text(json.dumps(saved, ensure_ascii=False), "utf-8")
    return records


def run_size(size: Size, opts: Options, log: Log) -> dict[str, Any]:
    """Everything for one size; returns its JSON record."""
    started, at_start = time.perf_counter(), machine()
    git = git_commit()  # at the start: the code the steps run (a commit made meanwhile is not)
    folder = ensure_data(size, opts.work, log)
    out = opts.work / "runs" / size.name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    db = out / "rating.duckdb"
    log(f"[{size.name}] measuring in {out}")
    prepared = _prepare(folder, out, opts, log)
    if opts.ingest_only:
        where = (folder, out, db)
        return _ingest_record(size, opts, log, where, prepared, (started, at_start, git))
    compile_sources()
    startup = logged_command(log, "rating --help", "startup", _rating("--help"), json_out=False)
    engine = _engine_steps(db, out, opts, log)
    run = engine["inner"].result
    peers = _peers(db, out, run, opts, log)
    agree = _agreement(db, engine["run"].result["run_id"], out, peers)
    format_probes = probes.measure(folder, out, opts, log) if opts.probes else {}
    http = (
        logged_task(log, "HTTP lookup", "http_lookup", {"db": str(db), "run_id": run["run_id"]})
        if opts.http
        else None
    )
    return {
        "harness": HARNESS,
        "size": size.name,
        "complaints": size.complaints,
        "period": PERIOD,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git": {**git, **({"changed_during_run": True} if git_commit() != git else {})},
        "rules": run["rules"],
        "fingerprint": {k: run["fingerprint"][k] for k in ("logic", "wording", "files")},
        "machine": machine(),
        "settings": {
            "threads": opts.threads,
            "memory_limit": opts.memory_limit,
            "ingest_memory_limit": opts.ingest_memory_limit,
            "pandas_cap_gib": opts.pandas_cap_gib,
        },
        "data": _data_sizes(folder, db),
        **prepared,  # ingest, ingest_floor, history (and `reused` when they were kept)
        "format_probes": format_probes,
        "startup": startup.as_dict(),  # `rating --help`: the CLI's start-up alone
        "run": {
            **engine["run"].as_dict(),
            "history_runs": run["history_runs"],
            "in_process": {
                **engine["inner"].as_dict(),
                "phases": run["phases"],
                "steps": run["steps"],
            },
            "summary": run["summary"],
        },
        "replay": {**engine["replay"].as_dict(), "status": engine["replay"].result.get("status")},
        "floor": {
            **peers["floor"].as_dict(),
            "in_process_seconds": peers["floor"].result["seconds"],
        },
        "export_for_pandas": peers["export"].as_dict(),
        "pandas": peers["pandas"].as_dict(),
        "http_lookup": _http_record(http),
        "agreement": {**agree, "agreed": agreement.agreed(agree)},
        "harness_seconds": round(time.perf_counter() - started, 1),
    }


def _ingest_record(
    size: Size,
    opts: Options,
    log: Log,
    where: tuple[Path, Path, Path],
    prepared: dict[str, Any],
    begun: tuple[float, dict[str, Any], dict[str, Any]],
) -> dict[str, Any]:
    """`--ingest-only`: the record of a size's ingest, its floor and the format probes
    (`"scope": "ingest"`; RESULTS.md shows it in the ingest table only). `begun`: when the
    size began (perf_counter), the machine with its load average then, and the commit."""
    folder, out, db = where
    started, at_start, git = begun
    format_probes = probes.measure(folder, out, opts, log) if opts.probes else {}
    return {
        "harness": HARNESS,
        "scope": "ingest",
        "size": size.name,
        "complaints": size.complaints,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git": {**git, **({"changed_during_run": True} if git_commit() != git else {})},
        "machine": {**at_start, "load_average_at_end": machine()["load_average_at_start"]},
        "settings": {"threads": opts.threads, "ingest_memory_limit": opts.ingest_memory_limit},
        "data": _data_sizes(folder, db),
        **prepared,  # ingest, ingest_floor (and `reused` when they were kept)
        "format_probes": format_probes,
        "agreement": {"agreed": True, "skipped": "--ingest-only"},
        "harness_seconds": round(time.perf_counter() - started, 1),
    }


def _http_record(m: Measured | None) -> dict[str, Any]:
    if m is None:
        return {"skipped": "--no-http"}
    if not m.ok:
        return m.as_dict()
    if "skipped" in m.result:
        return {"skipped": m.result["skipped"]}
    return {**m.as_dict(), **m.result}
