"""Fixtures for the foreign schemes: real public data written as our exports and ingested."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from rating.ingest.loader import ingest_file
from rating.settings import Settings
from rating.warehouse import open_warehouse
from tests.factories import settings_for
from tests.foreign.registries import Exports, external_data

RULES = Path(__file__).resolve().parent / "rules"


def ingested(
    tmp: Path, write: Callable[[Path, Path], Exports]
) -> tuple[duckdb.DuckDBPyConnection, Settings, Exports]:
    """A warehouse holding a foreign registry's exports, every row loaded (none quarantined)."""
    data = external_data()
    if data is None:
        pytest.skip("the real public data (../shared/external/) is not on this machine")
    exports = write(data, tmp / "exports")
    settings = settings_for(tmp).with_(rules_dir=RULES)
    con = open_warehouse(settings)
    for kind, path in exports.files:
        result = ingest_file(con, settings, kind, path)
        assert result.rows_quarantined == 0, (kind, result.as_dict())
    return con, settings, exports
