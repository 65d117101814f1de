"""The public company lookup over HTTP: GET /v1/public/companies/{uscc}.

Hook for the API (`api.app.create_app`): when the package is importable the benchmark
publishes the run with `force` (the public side serves published runs only; a benchmark
warehouse skips the publicity period), starts the app under uvicorn
on 127.0.0.1 in this process, and sends a bounded number of sequential keep-alive requests
for randomly chosen rated companies (the rate limit is turned off for the measurement).
When the API is missing the result says so and the harness reports the lookup as skipped.
The client shares the process (and the GIL) with the server, so the numbers are a floor on
what a separate client would see.
"""

from __future__ import annotations

import http.client
import importlib.util
import random
import socket
import statistics
import threading
import time
from typing import Any

PATH = "/v1/public/companies/{uscc}"
MAX_SECONDS = 60.0


def api_available() -> bool:
    return importlib.util.find_spec("api.app") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _publish(settings: Any, run_id: str) -> None:
    from rating.audit.publication import publish, published_runs
    from rating.warehouse import open_warehouse

    con = open_warehouse(settings)
    try:
        if run_id not in published_runs(con):
            publish(con, settings, run_id, force=True, extra={"note": "benchmark"})
    finally:
        con.close()


def _companies(settings: Any, run_id: str, n: int) -> list[str]:
    from rating.warehouse import open_warehouse

    con = open_warehouse(settings, read_only=True)
    try:
        found = con.execute(
            "SELECT uscc FROM run_companies WHERE run_id = $r AND rated ORDER BY uscc",
            {"r": run_id},
        ).fetchall()
    finally:
        con.close()
    rng = random.Random(7)
    return [rng.choice(found)[0] for _ in range(n)]


def _serve(settings: Any) -> tuple[Any, threading.Thread, int]:
    import uvicorn

    from api.app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    return server, thread, port


def measure_lookup(settings: Any, run_id: str, requests: int) -> dict[str, Any]:
    if not api_available():
        return {"skipped": "api.app.create_app is not available", "seconds": 0.0}
    _publish(settings, run_id)
    usccs = _companies(settings, run_id, requests)
    started = time.perf_counter()
    server, thread, port = _serve(settings.with_(rate_limit=0))
    startup = time.perf_counter() - started
    latencies, statuses = [], {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    began = time.perf_counter()
    try:
        for uscc in usccs:
            t = time.perf_counter()
            conn.request("GET", PATH.format(uscc=uscc))
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - t)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if time.perf_counter() - began > MAX_SECONDS:
                break
    finally:
        conn.close()
        server.should_exit = True
        thread.join(timeout=30)
    elapsed = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    return {
        "seconds": elapsed,
        "requests": len(ms),
        "statuses": {str(k): v for k, v in statuses.items()},
        "startup_seconds": round(startup, 3),
        "requests_per_second": round(len(ms) / elapsed, 1),
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3),
    }
