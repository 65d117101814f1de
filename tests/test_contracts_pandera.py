"""A contract is declared once and executed twice: by pandera on frames and by the SQL the
ingest validator renders. The declarations are plain shapes (no pandera import on the
warehouse's paths, issue 21); `Contract.pandera_schema()` turns them into pandera's own
objects, and here both executors judge the same values alike, check by check."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from rating.ingest.validate import _check_failure
from rating.schema import CONTRACTS, logical_type
from rating.schema.contracts import Check, polars_dtype
from rating.settings import Settings
from rating.warehouse import open_warehouse
from tests.factories import make_id_number, make_uscc

SQL_TYPE = {"text": "VARCHAR", "int": "BIGINT", "decimal": "DOUBLE"}


def _values(check: Check, kind: str) -> list[Any]:
    """Values on both sides of the check (and on its bounds)."""
    stats = check.statistics
    if check.name == "isin":
        return [stats["allowed_values"][0], stats["allowed_values"][-1], "不是其中之一"]
    if check.name == "uscc_checksum":
        return [make_uscc(7), make_uscc(7)[:-1] + "0", "12345"]
    if check.name == "id_number_checksum":
        return [make_id_number(3), make_id_number(3)[:-1] + "0", "37060219800101"]
    if check.name == "str_matches":
        return ["2026Q3", "2026q3", "2026Q5", "x2026Q3"]
    if check.name == "not_fraction":
        found: list[Any] = [0, 0.5, 0.925, 1, 92.5]
    else:
        low = stats["min_value"]
        high = stats.get("max_value", low + 10)
        found = [low - 1, low, low + 1, high, high + 1, (low + high) / 2 + 0.5]
    if kind == "int":
        found = [int(v) for v in found if float(v).is_integer()]
    return found


def _pandera_fails(check: Check, dtype: Any, value: Any) -> bool:
    import pandera.errors
    import pandera.polars as pa

    schema = pa.DataFrameSchema({"v": pa.Column(polars_dtype(dtype), checks=[check.to_pandera()])})
    try:
        schema.validate(pl.DataFrame({"v": [value]}, schema={"v": polars_dtype(dtype)}))
    except pandera.errors.SchemaError:
        return True
    return False


def _cases() -> list[tuple[str, str, Check]]:
    return [
        (kind, name, check)
        for kind, contract in CONTRACTS.items()
        for name, col in contract.columns.items()
        for check in col.checks
    ]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = Settings(db_path=tmp_path_factory.mktemp("w") / "w.duckdb")
    connection = open_warehouse(settings)
    yield connection
    connection.close()


@pytest.mark.parametrize(
    ("kind", "name", "check"), _cases(), ids=lambda x: str(getattr(x, "name", x))
)
def test_pandera_and_the_validation_sql_fail_the_same_values(con, kind, name, check) -> None:  # type: ignore[no-untyped-def]
    col = CONTRACTS[kind].columns[name]
    sql_type = SQL_TYPE[logical_type(col)]
    values = _values(check, logical_type(col))
    assert values
    for value in values:
        fails_sql, _ = _check_failure(check, "v")
        (by_sql,) = con.execute(
            f"SELECT {fails_sql} FROM (SELECT CAST($x AS {sql_type}) AS v)", {"x": value}
        ).fetchone()
        assert by_sql == _pandera_fails(check, col.dtype, value), (kind, name, check, value)


def test_the_pandera_schema_is_the_declaration() -> None:
    for kind, contract in CONTRACTS.items():
        schema = contract.pandera_schema()
        assert list(schema.columns) == list(contract.columns), kind
        for name, col in contract.columns.items():
            built = schema.columns[name]
            assert built.dtype.type == polars_dtype(col.dtype) and built.nullable == col.nullable
            assert built.title == col.title and built.metadata == dict(col.metadata)
            assert [c.name for c in built.checks] == [c.name for c in col.checks]
            for made, declared in zip(built.checks, col.checks, strict=True):
                if declared.statistics:
                    assert made.statistics == dict(declared.statistics), (kind, name)


def test_a_bad_frame_fails_pandera_where_ingest_would_quarantine() -> None:
    import pandera.errors  # pandera imports pandas: on the worker that runs these tests only

    projects = CONTRACTS["projects"].pandera_schema()
    good = {
        "households": [120],
        "floor_area": [3500.0],
    }
    partial = projects.select_columns(["households", "floor_area"])  # the rest is text
    partial.validate(pl.DataFrame(good))
    with pytest.raises(pandera.errors.SchemaError, match="greater_than"):
        partial.validate(pl.DataFrame({"households": [0], "floor_area": [3500.0]}))
