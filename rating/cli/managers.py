"""`rating managers …`: project managers (项目经理), people whose identity numbers are never
kept in clear (`rating.idnumber`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rating import idnumber
from rating.cli.common import Invocation, JsonOption, emit, stdout

managers_app = typer.Typer(
    help="Project managers: keys for identity numbers.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(managers_app, name="managers")


@managers_app.command("keygen")
def managers_keygen(
    out: Annotated[
        Path, typer.Option(help="Where to write the key: outside the warehouse, backed up.")
    ],
    json: JsonOption = False,
) -> None:
    """Create the key for keyed hashes of managers' identity numbers (RATING_ID_KEY=FILE)."""
    kid = idnumber.generate_key(out)
    data = {"key_id": kid, "key": str(out)}
    emit(
        Invocation(None, json),
        data,
        lambda: stdout.print(f"Key {kid} written to {out} (set RATING_ID_KEY to it)"),
    )
