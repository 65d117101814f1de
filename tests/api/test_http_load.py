"""The HTTP load benchmark against the API tests' published bureau (asyncio client)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end-to-end over generated data; `make test-fast` skips it


def test_http_load_serves_both_endpoints_from_a_published_warehouse(
    bureau_db: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One second per endpoint against the API tests' published bureau, with the asyncio
    client (wrk or not): both endpoints answer 200 at concurrency, and the record renders."""
    from benchmarks import http_load

    monkeypatch.setattr(http_load.shutil, "which", lambda name: None)
    record = http_load.measure(bureau_db["settings"].db_path, seconds=1, connections=4)
    for part in ("trivial", "lookup"):
        assert record[part]["client"] == "asyncio" and record[part]["non_2xx"] == 0, part
        assert record[part]["requests_per_second"] > 10, part
    jsonl = tmp_path / "http_load.jsonl"
    jsonl.write_text(json.dumps(record) + "\n", encoding="utf-8")
    http_load.write_markdown(jsonl, tmp_path / "HTTP.md")
    assert "company lookup" in (tmp_path / "HTTP.md").read_text(encoding="utf-8")
