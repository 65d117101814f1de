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


def test_running_out_of_memory_while_reading_is_the_machines_fault_not_the_files(
    tmp_path: Path,
) -> None:
    """DuckDB's refusal to allocate while reading a CSV was reported as FILE_UNREADABLE,
    naming a temp file ('transcoded.csv: not a readable CSV file (Out of Memory Error …)');
    it is OUT_OF_MEMORY, whose advice names the setting to raise."""
    from rating.errors import ResourceError

    bureau = Bureau()
    bureau.project("P1", bureau.company(1, "甲物业"), households=400)
    for i in range(20_000):
        bureau.complaint("P1", f"2025-{7 + i % 3:02d}-{1 + i % 28:02d}", content="物业不作为" * 8)
    settings = settings_for(tmp_path, ingest_memory_limit="4MB")
    con = open_warehouse(settings)
    files = bureau.write(tmp_path / "exports")
    for kind, path in files:
        if kind != "complaints":
            ingest_file(con, settings.with_(ingest_memory_limit=""), kind, path)
    complaints = dict(files)["complaints"]
    with pytest.raises(ResourceError) as raised:
        ingest_file(con, settings, "complaints", complaints)
    assert raised.value.code == "OUT_OF_MEMORY"
    assert "RATING_INGEST_MEMORY_LIMIT" in str(raised.value)
    assert value(con, "SELECT count(*) FROM ingest_batches WHERE kind = 'complaints'") == 0
    con.close()


def test_the_plain_path_adds_two_columns_to_the_raw_table_whatever_the_contract() -> None:
    """Each column `ALTER TABLE … ADD COLUMN` gives the raw table is a block per row group
    held in memory: 23 of them took the 22M-row quarter of a 100M city past the 1GB ingest
    limit (OUT_OF_MEMORY after 6 minutes); the checked values now travel in one list column."""
    from rating.ingest import onepass
    from rating.ingest.validate import FileTraits, Mapping

    contract = CONTRACTS["complaints"]
    mapping = Mapping({n: (f"c{i}", n) for i, n in enumerate(contract.columns)})
    plain = onepass.plain_path(contract, mapping, FileTraits())
    assert plain is not None
    altered = [s for s in onepass.mark_rows_sql(plain) if s.startswith("ALTER TABLE raw")]
    assert len(altered) == 2
