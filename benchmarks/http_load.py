"""Load test: the public company lookup against a trivial endpoint, in the same run.

    python -m benchmarks.http_load                     # a small published city, 10 s per endpoint
    python -m benchmarks.http_load --db rating.duckdb  # an existing warehouse with a published run

The app (`api.app.create_app`, rate limit off) plus one extra route returning a constant
dict (`/bench/trivial`, added by this benchmark only) is served by one uvicorn worker in its
own process on 127.0.0.1. Both endpoints are then loaded, one after the other, for the same
time at the same concurrency (32 keep-alive connections), by `wrk` when it is installed
(`apt-get install wrk`; one wrk thread) or else by a small asyncio client in this process
(the server has its own process either way).
The lookup requests cycle through every published company's USCC. Reported: requests/s,
p50 and p99 latency of each, and the ratio lookup / trivial. Targets (issue 4): lookup ≥ 0.8×
the trivial endpoint's requests/s, p99 ≤ 20 ms. Appends a JSON line with provenance to
`results/http_load.jsonl` and rewrites `HTTP.md`; exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TRIVIAL = "/bench/trivial"
LOOKUP = "/v1/public/companies/{uscc}"
TARGET_RATIO, TARGET_P99_MS = 0.8, 20.0


def build_app() -> Any:
    """uvicorn factory: the real app (settings from the environment) plus the trivial route."""
    from api.app import create_app

    app = create_app()

    @app.get(TRIVIAL, include_in_schema=False)
    async def trivial() -> dict[str, bool]:  # async: the cheapest FastAPI endpoint there is
        return {"ok": True}

    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_city(work: Path) -> Path:
    """Generate, ingest, rate and publish a small city; returns its warehouse."""
    from rating.audit.publication import publish
    from rating.engine.runner import execute_run
    from rating.ingest.folder import ingest_folder
    from rating.periods import Period
    from rating.ruleset import registry
    from rating.settings import Settings
    from rating.synth import generate
    from rating.warehouse import open_warehouse

    shutil.rmtree(work, ignore_errors=True)
    generate(work / "data", complaints=50_000, seed=7, quarters=2)
    settings = Settings(db_path=work / "rating.duckdb", now=datetime(2026, 11, 1, 9))
    con = open_warehouse(settings)
    try:
        ingest_folder(con, settings, work / "data")
        period = Period.parse("2026Q3")
        rules = registry.select(settings.rules_dir, None, settings.ruleset, period, False)
        run_id = execute_run(con, settings, rules, period).run_id
        publish(con, settings, run_id, force=True, extra={"note": "benchmark"})
    finally:
        con.close()
    return settings.db_path


def published_usccs(db: Path) -> list[str]:
    from rating.audit.publication import published_runs
    from rating.settings import Settings
    from rating.sql import rows
    from rating.warehouse import open_warehouse

    con = open_warehouse(Settings(db_path=db), read_only=True)
    try:
        runs = published_runs(con)
        found = rows(
            con,
            "SELECT DISTINCT uscc FROM run_companies WHERE list_contains($runs, run_id) AND rated ORDER BY 1",
            {"runs": runs},
        )
    finally:
        con.close()
    if not found:
        raise SystemExit(f"{db} has no published run: publish one first")
    return [r[0] for r in found]


def serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RATING_DB": str(db), "RATING_RATE_LIMIT": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.http_load:build_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning",
         "--no-access-log"],
        env=env, cwd=HERE.parent,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the API did not start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the API did not start in 2 minutes")


def wrk_load(port: int, paths: list[str], seconds: int, connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        listed = ",".join(json.dumps(p) for p in paths)
        script.write(
            f"local paths = {{{listed}}}\nlocal i = 0\n"
            "request = function()\n  i = i % #paths + 1\n"
            "  return wrk.format('GET', paths[i])\nend\n"
        )
    try:
        done = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name,
             f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    return parse_wrk(done.stdout)


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str) -> dict[str, Any]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "client": "wrk",
        "requests_per_second": round(rps, 1),
        "p50_ms": round(_ms(pct["50"]), 3),
        "p99_ms": round(_ms(pct["99"]), 3),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else None,
    }


async def _client(port: int, paths: list[str], until: float, offset: int, out: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    bad, i = 0, offset
    while time.perf_counter() < until:
        path = paths[i % len(paths)]
        i += 1
        started = time.perf_counter()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        out.append(time.perf_counter() - started)
        bad += not head.startswith(b"HTTP/1.1 2")
    writer.close()
    return bad


def asyncio_load(port: int, paths: list[str], seconds: int, connections: int) -> dict[str, Any]:
    """The fallback client (no wrk): `connections` keep-alive connections, one event loop."""

    async def main() -> tuple[list[float], int]:
        latencies: list[float] = []
        until = time.perf_counter() + seconds
        bads = await asyncio.gather(
            *(_client(port, paths, until, k * 97, latencies) for k in range(connections))
        )
        return latencies, sum(bads)

    began = time.perf_counter()
    latencies, bad = asyncio.run(main())
    elapsed = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    return {
        "client": "asyncio",
        "requests_per_second": round(len(ms) / elapsed, 1),
        "p50_ms": round(ms[len(ms) // 2], 3),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3),
        "non_2xx": bad,
        "socket_errors": None,
    }


def provenance() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False, cwd=HERE)
        return done.stdout.strip()

    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain")),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def measure(db: Path, seconds: int, connections: int) -> dict[str, Any]:
    usccs = published_usccs(db)
    port = _free_port()
    server = serve(db, port)
    load = wrk_load if shutil.which("wrk") else asyncio_load
    try:
        load(port, [TRIVIAL], 2, connections)  # warm up both paths
        load(port, [LOOKUP.format(uscc=u) for u in usccs[:50]], 2, connections)
        trivial = load(port, [TRIVIAL], seconds, connections)
        lookup = load(port, [LOOKUP.format(uscc=u) for u in usccs], seconds, connections)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = round(lookup["requests_per_second"] / trivial["requests_per_second"], 3)
    return {
        "provenance": provenance(),
        "setup": {"seconds": seconds, "connections": connections, "workers": 1,
                  "companies": len(usccs), "warehouse": str(db)},
        "trivial": trivial,
        "lookup": lookup,
        "ratio": ratio,
        "targets_met": ratio >= TARGET_RATIO and lookup["p99_ms"] <= TARGET_P99_MS
        and lookup["non_2xx"] == 0,
    }  # fmt: skip


def write_markdown(jsonl: Path, out: Path) -> None:
    rec = json.loads(jsonl.read_text(encoding="utf-8").splitlines()[-1])
    p, s = rec["provenance"], rec["setup"]
    rows = "".join(
        f"| {name} | {r['requests_per_second']:,.0f} | {r['p50_ms']} | {r['p99_ms']} | {r['non_2xx']} |\n"
        for name, r in (
            ("trivial (constant dict)", rec["trivial"]),
            ("company lookup", rec["lookup"]),
        )
    )
    out.write_text(
        "# HTTP load: company lookup against a trivial endpoint\n\n"
        "Written by `python -m benchmarks.http_load` from the last line of `results/http_load.jsonl`.\n\n"
        f"One uvicorn worker, {s['connections']} keep-alive connections, {s['seconds']} s per "
        f"endpoint, client `{rec['lookup']['client']}` on the same machine; {s['companies']:,} "
        f"published companies looked up in turn. Measured {p['at']} on {p['machine']} (load "
        f"{p['load_average']}), Python {p['python']}, commit {p['git_commit'][:12]}"
        f"{' (uncommitted changes)' if p['git_dirty'] else ''}.\n\n"
        "| endpoint | requests/s | p50 ms | p99 ms | non-2xx |\n|---|---:|---:|---:|---:|\n"
        + rows
        + f"\nLookup / trivial requests/s: **{rec['ratio']}×** (target ≥ {TARGET_RATIO}×); lookup p99 "
        f"**{rec['lookup']['p99_ms']} ms** (target ≤ {TARGET_P99_MS:g} ms): "
        f"{'met' if rec['targets_met'] else '**missed**'}.\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", type=Path, help="warehouse with a published run (default: build one)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="load time per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--work", type=Path, default=HERE / "work" / "http")
    parser.add_argument("--out", type=Path, default=HERE, help="where HTTP.md and results/ go")
    opts = parser.parse_args(argv)
    db = opts.db or demo_city(opts.work)
    record = measure(db, opts.seconds, opts.connections)
    (opts.out / "results").mkdir(parents=True, exist_ok=True)
    jsonl = opts.out / "results" / "http_load.jsonl"
    with jsonl.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    write_markdown(jsonl, opts.out / "HTTP.md")
    t, lk = record["trivial"], record["lookup"]
    print(
        f"trivial {t['requests_per_second']:,.0f} req/s p99 {t['p99_ms']} ms; lookup "
        f"{lk['requests_per_second']:,.0f} req/s p99 {lk['p99_ms']} ms; ratio {record['ratio']}"
    )
    return 0 if record["targets_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
