"""A generated city in a warehouse of its own: what `rating rules check` proves rules on.

`generated_warehouse` writes a small seeded city's exports into a folder, opens a warehouse
beside them with the clock pinned after the city's last quarter (so nothing is "in the
future" whatever the machine's clock says), and ingests every export. Same seed and size,
same warehouse contents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import duckdb

from rating.ingest.folder import ingest_folder
from rating.periods import Period
from rating.settings import Settings
from rating.synth import generate
from rating.warehouse import open_warehouse


@dataclass(frozen=True)
class City:
    con: duckdb.DuckDBPyConnection
    settings: Settings
    periods: tuple[Period, ...]


def generated_warehouse(
    folder: Path,
    settings: Settings,
    *,
    seed: int,
    complaints: int = 4000,
    quarters: int = 3,
    end: str = "2026Q3",
) -> City:
    """Generate a city of `complaints` orders over `quarters` quarters ending with `end`
    into `folder`/exports and ingest it into `folder`/city.duckdb (rules from `settings`)."""
    exports = folder / "exports"
    result = generate(exports, complaints=complaints, seed=seed, quarters=quarters, end=end)
    periods = tuple(Period.parse(p) for p in result.periods)
    pinned = datetime.combine(periods[-1].end + timedelta(days=30), time(10), settings.zone)
    city_settings = settings.with_(db_path=folder / "city.duckdb", now=pinned)
    con = open_warehouse(city_settings)
    ingest_folder(con, city_settings, exports)
    return City(con, city_settings, periods)
