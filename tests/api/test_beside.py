"""The analyst's CLI beside the running server: reads and writes from another process while the
app serves, with no lost writes, and the public snapshot following a CLI publication.

The CLI runs as real subprocesses (DuckDB's lock is per process: a thread would share the
server's database instance and prove nothing); the app is the real one over a real file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rating import tokens
from rating.engine.runner import execute_run
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.settings import Settings
from rating.warehouse import open_warehouse
from tests.factories import Bureau, load
from tests.golden import scenarios

pytestmark = pytest.mark.slow


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RATING_NOW": settings.now.isoformat() if settings.now else "",
        "RATING_RULES_DIR": str(settings.rules_dir),
        "RATING_LOCK_TIMEOUT": "60",
    }
    return subprocess.run(
        [sys.executable, "-m", "rating.cli", *args, "--db", str(settings.db_path), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def _complaints(folder: Path, prefix: str, n: int) -> Path:
    b = Bureau()
    for i in range(n):
        b.complaint("P7", f"2025-09-{1 + i % 28:02d}", complaint_id=f"{prefix}{i:05d}")
    return dict(b.write(folder, ("complaints",)))["complaints"]


@pytest.fixture
def served(tmp_path: Path) -> dict[str, Any]:
    con, settings, _ = load(scenarios.yantai(), tmp_path)
    rules = load_ruleset(settings.rules_dir, "yantai-2022@1.0.0")
    for p in ("2025Q1", "2025Q2", "2025Q3"):
        execute_run(con, settings, rules, Period.parse(p))
    con.close()
    key = tokens.create(settings.tokens_file, "bureau", "数据科", datetime(2026, 1, 1))[1]
    return {"settings": settings.with_(refresh_seconds=0.2, rate_limit=0), "bureau": key}


def test_cli_reads_and_writes_while_the_server_runs(served: dict[str, Any]) -> None:
    settings, headers = served["settings"], {"Authorization": f"Bearer {served['bureau']}"}
    with TestClient(create_app(settings)) as c:
        assert c.get("/healthz").json()["published_runs"] == 0
        for args in (["runs", "list"], ["show"], ["quarantine"], ["verify"]):
            done = _cli(settings, *args)
            assert done.returncode == 0, (args, done.stderr)
        assert json.loads(_cli(settings, "show").stdout)["read"]["run_id"] == "2025Q3-01"
        # A CLI publication is picked up by the server's watcher: the public sees it.
        assert _cli(settings, "publish", "2025Q3-01", "--force").returncode == 0
        deadline = time.monotonic() + 20
        while c.get("/healthz").json()["published_runs"] == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert c.get("/healthz").json()["published_runs"] == 1
        assert len(c.get("/v1/public/companies").json()["items"]) == 10
        # And the API still writes after the CLI did.
        run = c.post(
            "/v1/bureau/runs", headers=headers, json={"period": "2025Q3", "with_history": True}
        )
        assert run.status_code == 200, run.json()


def test_cli_ingest_api_ingest_and_lookups_at_once(served: dict[str, Any], tmp_path: Path) -> None:
    settings, headers = served["settings"], {"Authorization": f"Bearer {served['bureau']}"}
    by_cli = _complaints(tmp_path / "cli", "CLI", 3000)
    by_api = _complaints(tmp_path / "api", "API", 3000)
    lookups: list[int] = []
    results: dict[str, Any] = {}
    with TestClient(create_app(settings)) as c:
        uscc = Bureau().company(1, "甲物业")  # the golden bureau's first company

        def api_ingest() -> None:
            r = c.post(
                "/v1/bureau/ingest/complaints",
                headers=headers,
                files={"file": (by_api.name, by_api.read_bytes())},
            )
            results["api"] = (r.status_code, r.json())

        def look() -> None:
            end = time.monotonic() + 8
            while time.monotonic() < end:
                lookups.append(c.get(f"/v1/public/companies/{uscc}").status_code)
                lookups.append(c.get("/v1/public/companies", params={"q": "物业"}).status_code)

        cli = subprocess.Popen(
            [sys.executable, "-m", "rating.cli", "ingest", "complaints", str(by_cli)]
            + ["--db", str(settings.db_path), "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "RATING_NOW": str(settings.now), "RATING_LOCK_TIMEOUT": "60"},
        )
        threads = [threading.Thread(target=api_ingest), threading.Thread(target=look)]
        for t in threads:
            t.start()
        out, err = cli.communicate(timeout=300)
        for t in threads:
            t.join(timeout=300)
    assert cli.returncode == 0, (out, err)
    assert json.loads(out)["rows_loaded"] == 3000
    assert results["api"][0] == 200 and results["api"][1]["rows_loaded"] == 3000
    # Lookups were answered from the snapshot throughout (404: nothing is published here).
    assert lookups and set(lookups) <= {200, 404}
    con = open_warehouse(settings, read_only=True)
    try:
        found = dict(
            con.execute(
                "SELECT left(complaint_id, 3), count(*) FROM src_complaints "
                "WHERE complaint_id LIKE 'CLI%' OR complaint_id LIKE 'API%' GROUP BY 1"
            ).fetchall()
        )
        batches = con.execute("SELECT count(DISTINCT batch_id) FROM ingest_batches").fetchone()
    finally:
        con.close()
    assert found == {"CLI": 3000, "API": 3000}  # no write lost
    assert batches is not None and batches[0] == 7 + 2  # seven golden files, then one each
