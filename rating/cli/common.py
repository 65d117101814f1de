"""What every command shares: options, settings, output (table or JSON), errors, progress."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rating.settings import Settings
from rating.warehouse import open_warehouse

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="Warehouse file (default ./rating.duckdb, or RATING_DB).", show_default=False
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document for machine use.")
]

OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Write every row to FILE instead of printing: .xlsx (sheets + an 'about' sheet) or .csv.",
        show_default=False,
    ),
]

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


@dataclass
class Invocation:
    """Options common to every command, resolved into Settings."""

    db: Path | None
    json: bool

    @property
    def settings(self) -> Settings:
        return Settings.from_env(db_path=self.db)

    @contextmanager
    def warehouse(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = open_warehouse(self.settings, read_only=read_only)
        try:
            yield con
        finally:
            con.close()


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    return value


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2) + "\n")


def emit(inv: Invocation, data: Any, render: Callable[[], None]) -> None:
    """JSON for machines with --json, a readable rendering otherwise."""
    if inv.json:
        print_json(data)
    else:
        render()


def table(
    title: str | None, columns: list[str], rows: list[list[Any]], caption: str | None = None
) -> Table:
    t = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*["" if v is None else str(to_jsonable(v)) for v in r])
    return t


@contextmanager
def progress_bar(inv: Invocation, label: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback; draws a bar on an interactive stderr, stays silent otherwise."""
    if inv.json or not stderr.is_terminal:
        yield lambda step, done, total: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )
    with bar:
        task = bar.add_task(label, total=1, step="")

        def update(step: str, done: int, total: int) -> None:
            bar.update(task, total=total, completed=done, step=step)

        yield update


def exported(inv: Invocation, path: Path, sheets: dict[str, int], about: dict[str, Any]) -> None:
    """Say what an export wrote (rows per sheet) — in JSON with --json."""
    emit(
        inv,
        {"file": str(path), "rows": sheets, "about": about},
        lambda: stdout.print(
            f"Wrote {path}: " + ", ".join(f"{name} {n:,} rows" for name, n in sheets.items())
        ),
    )
