"""Ingest works under its own DuckDB memory limit (RATING_INGEST_MEMORY_LIMIT), so a large
file's raw and checked rows spill to disk instead of growing the process (issue 21:
1.9 GiB of peak RSS for a million complaints in one file, 1.2 GiB under the 1 GB default;
benchmarks/README.md)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from rating.ingest import readers
from rating.ingest.loader import ingest_file
from rating.ingest.nondata import kind_probe
from rating.schema import CONTRACTS
from rating.sql import value
from rating.warehouse import open_warehouse
from tests.factories import Bureau, settings_for


def _limit(con: duckdb.DuckDBPyConnection) -> str:
    return str(value(con, "SELECT current_setting('memory_limit')"))


def test_duckdb_draws_no_progress_bar_into_a_commands_output(tmp_path: Path) -> None:
    """A query past 2 s printed DuckDB's own bar (`100% ▕███▏`) on stdout of `rating run`."""
    con = open_warehouse(settings_for(tmp_path))
    assert value(con, "SELECT current_setting('enable_progress_bar')") is False
    con.close()


@pytest.mark.parametrize(("ingest_limit", "during"), [("256MB", "244.1 MiB"), ("", "2.7 GiB")])
def test_a_file_is_read_under_the_ingest_limit_and_the_limit_is_restored(
    tmp_path: Path, ingest_limit: str, during: str
) -> None:
    bureau = Bureau()
    bureau.project("P1", bureau.company(1, "甲物业"), households=400)
    settings = settings_for(tmp_path, memory_limit="3GB", ingest_memory_limit=ingest_limit)
    con = open_warehouse(settings)
    before = _limit(con)
    seen: list[str] = []

    def read(c: duckdb.DuckDBPyConnection, path: Path, sha: str) -> readers.RawFile:
        seen.append(_limit(c))
        return readers.load_raw(c, path, kind_probe(CONTRACTS["companies"]), sha256=sha)

    files = dict(bureau.write(tmp_path / "exports"))
    done = ingest_file(con, settings, "companies", files["companies"], read_raw=read)
    assert done.rows_loaded == 1
    assert seen == [during]
    assert _limit(con) == before  # the run and everything after keep the warehouse's limit
    con.close()
