"""What the command line sets for the whole run (`tests/conftest.py`), in a module that imports
nothing heavy: the conftest is also imported by pytest-xdist's controller, which runs no test
and should start its workers without loading the library first."""

from __future__ import annotations

from pathlib import Path

# DuckDB threads of every warehouse a test opens (0: DuckDB chooses); `--duckdb-threads`.
THREADS = [0]
# Whether property tests draw a quarter of their examples; `--few-examples`.
FEW_EXAMPLES = [False]
# A folder the workers of one `pytest -n` run share (set by `shared_loads`): a bureau one
# worker loaded, the other copies instead of ingesting it again.
SHARED_DIR: list[Path] = []
