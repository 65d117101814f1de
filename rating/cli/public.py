"""`rating public …`: the public snapshot directory — write it, check it."""

from __future__ import annotations

import hashlib
import json as jsonlib
from pathlib import Path
from typing import Annotated, TypedDict

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, stdout
from rating.errors import UsageError

public_app = typer.Typer(
    help="The public snapshot as static files: export, verify.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add `rating public …` to the `rating` command line app (`rating.cli.app`)."""
    app.add_typer(public_app, name="public")


class SnapshotWritten(TypedDict):
    """What `rating public export` reports: the folder, its file count and the ledger head."""

    folder: str
    files: int  # files listed in the manifest (manifest.json itself not counted)
    ledger_seq: int
    ledger_hash: str


def export_snapshot(inv: Invocation, out: Path | None = None) -> SnapshotWritten:
    """Build what the public sees from the warehouse and write it as a snapshot directory at
    `out` (default `RATING_PUBLIC_DIR`, `<db>.public/`). Raises WarehouseError
    `WAREHOUSE_MISSING` before any ingest."""
    from rating import public
    from rating.public import static

    settings = inv.settings
    folder = out or settings.public_snapshot_dir
    with inv.warehouse(read_only=True) as con:
        data = public.build(con, settings.zone, settings.current_time)
    manifest = static.export(public.WarehouseView(data), folder)
    return {
        "folder": str(folder),
        "files": len(manifest["files"]),
        "ledger_seq": manifest["ledger"]["seq"],
        "ledger_hash": manifest["ledger"]["hash"],
    }


@public_app.command("export")
def export(
    out: Annotated[
        Path | None,
        typer.Option(help="Folder to write (default: RATING_PUBLIC_DIR, <db>.public/)."),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Write the public snapshot (cards, compounds, lists as JSON/CSV/XLSX, search index)."""
    inv = Invocation(db, json)
    done = export_snapshot(inv, out)
    emit(
        inv,
        done,
        lambda: stdout.print(
            f"Wrote {done['files']:,} files to {done['folder']} "
            f"(ledger record {done['ledger_seq']}, {done['ledger_hash'][:16]}…)"
        ),
    )


@public_app.command("verify")
def verify(
    folder: Annotated[Path, typer.Argument(help="A snapshot directory.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Check every file against the manifest, and the manifest against the warehouse's ledger
    (when a warehouse is given with --db or RATING_DB); exit 1 when anything differs."""
    inv = Invocation(db, json)
    try:
        manifest = jsonlib.loads((folder / "manifest.json").read_bytes())
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"{folder} holds no public snapshot: {exc}", code="SNAPSHOT_INVALID"
        ) from exc
    problems = [
        name
        for name, sha in manifest["files"].items()
        if not (folder / name).is_file()
        or hashlib.sha256((folder / name).read_bytes()).hexdigest() != sha
    ]
    head = manifest["ledger"]
    behind = None
    if inv.settings.db_path.exists():
        from rating.audit import ledger

        with inv.warehouse(read_only=True) as con:
            records = ledger.records(con)
        known = {r.seq: r.hash for r in records}
        if head["seq"] and known.get(head["seq"]) != head["hash"]:
            problems.append(f"ledger record {head['seq']} is not {head['hash'][:16]}…")
        behind = (records[-1].seq if records else 0) - head["seq"]
    result = {
        "ok": not problems,
        "files": len(manifest["files"]),
        "altered": problems,
        "records_behind": behind,
    }
    emit(
        inv,
        result,
        lambda: stdout.print(
            ("OK" if not problems else "ALTERED: " + ", ".join(problems[:10]))
            + f" — {result['files']:,} files, ledger record {head['seq']}"
            + (f", {behind} ledger records behind the warehouse" if behind else "")
        ),
    )
    if problems:
        raise typer.Exit(1)
