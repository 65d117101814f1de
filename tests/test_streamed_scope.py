"""Sources only company-side rules read are scoped inside the statement that makes the hits
(`rating.engine.scope.streamed`, issue 21): the hits and the unattributed records are the
same rows as when every source's scope is a table of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rating.engine import runner, scope
from rating.engine.context import RunContext
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.sql import rows
from tests.factories import RULES_DIR, load, settings_for
from tests.golden import scenarios

Q3 = Period.parse("2025Q3")


def _computed(con: Any, ctx: RunContext) -> dict[str, list[tuple[Any, ...]]]:
    runner.compute(con, ctx)
    return {
        "hits": sorted(rows(con, "SELECT * FROM hits"), key=repr),
        "unattributed": sorted(rows(con, "SELECT * FROM unattributed"), key=repr),
    }


def test_streamed_scope_gives_the_rows_of_scope_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bureau = scenarios.yantai()
    # P11 is served from September only: its July complaint is no company's (unattributed).
    bureau.project("P11", bureau.rows["companies"][0]["uscc"], households=300,
                   service_start="2025-09-01")  # fmt: skip
    late = bureau.complaint("P11", "2025-07-10")
    bureau.complaint("P11", "2025-09-03")
    con, settings, _ = load(bureau, tmp_path, settings_for(tmp_path))
    rs = load_ruleset(RULES_DIR, "yantai-2022@1.0.0")
    ctx = runner.fresh_context(con, rs, Q3, settings.current_time(), forced=True)
    assert "complaints" in scope.streamed(ctx)
    streamed = _computed(con, ctx)
    assert [r for r in streamed["unattributed"] if r[1] == late] != []
    assert len(streamed["hits"]) > 10
    monkeypatch.setattr(scope, "streamed", lambda ctx: [])
    assert _computed(con, ctx) == streamed
