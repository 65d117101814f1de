"""Data commands: generate, ingest, quarantine, batches, contracts."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rating.cli.common import (
    DbOption,
    Invocation,
    JsonOption,
    OutOption,
    emit,
    progress_bar,
    say,
    stderr,
    warning_line,
)
from rating.cli.display import Col, count, print_table, text, when, word
from rating.cli.i18n import _
from rating.errors import UsageError

if TYPE_CHECKING:
    from rating.ingest.loader import IngestResult


def register(app: typer.Typer) -> None:
    """Add `rating generate`, `rating ingest`, `rating quarantine`, `rating batches` and `rating
    contracts` to the `rating` command line app (`rating.cli.app`)."""
    app.command("generate")(generate)
    app.command("ingest")(ingest)
    app.command("quarantine")(quarantine)
    app.command("batches")(batches)
    app.command("contracts")(contracts)


def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the export files into.")],
    complaints: Annotated[
        int, typer.Option(help="Total complaint orders to generate.", min=1)
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 0,
    companies: Annotated[
        int | None, typer.Option(help="Companies (default: projects / 5).")
    ] = None,
    projects: Annotated[
        int | None, typer.Option(help="Projects (default: complaints per quarter / 10).")
    ] = None,
    quarters: Annotated[int, typer.Option(help="Quarters covered.", min=1, max=40)] = 4,
    end: Annotated[str, typer.Option(help="Last quarter covered.")] = "2026Q3",
    parquet: Annotated[
        bool, typer.Option("--parquet", help="Write complaints and inspections as Parquet.")
    ] = False,
    dirty: Annotated[
        float, typer.Option(help="Share of rows given a realistic defect.", min=0, max=0.5)
    ] = 0.001,
    hotline: Annotated[
        float | None,
        typer.Option(
            help="Also write the complaints as a 12345 hotline export (names, no project ids) "
            "with this much noise (0 clean … 1 very dirty), into hotline/.",
            min=0,
            max=1,
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Write a realistic, seeded set of bureau exports (GB18030 CSV, XLSX, Parquet)."""
    from rating.periods import Period
    from rating.synth import generate as synth_generate

    Period.parse(end)
    inv = Invocation(db, json)
    with progress_bar(inv, _("generating")) as progress:
        result = synth_generate(
            out,
            complaints=complaints,
            seed=seed,
            companies=companies,
            projects=projects,
            quarters=quarters,
            end=end,
            parquet=parquet,
            dirty=dirty,
            progress=progress,
        )
    data = result.as_dict()
    if hotline is not None:
        from rating.synth.hotline import hotline_from_folder

        path, truth, n = hotline_from_folder(
            out, out / "hotline" / "complaints_hotline.csv", noise=hotline, seed=seed
        )
        data["hotline"] = {"path": str(path), "truth": str(truth), "rows": n, "noise": hotline}

    def render() -> None:
        print_table(
            _("Generated into {folder} (periods {periods})").format(
                folder=out, periods=_(", ").join(result.periods)
            ),
            [_("kind"), _("file"), _("rows"), _("format"), _("encoding")],
            [
                [word("kind", f.kind), f.path.name, count(f.rows), f.format, f.encoding or ""]
                for f in result.files
            ],
        )
        if hotline is not None:
            say(
                _(
                    "Hotline export (noise {noise}): {path}, {rows:,} orders; truth in {truth}"
                ).format(
                    noise=hotline,
                    path=data["hotline"]["path"],
                    rows=data["hotline"]["rows"],
                    truth=data["hotline"]["truth"],
                )
            )

    emit(inv, data, render)


def _reasons(reasons: dict[str, int]) -> str:
    return _(", ").join(f"{code} {n:,}" for code, n in reasons.items())


def _corrections(r: IngestResult) -> str:
    return _changed_rows(r.rows_superseding, r.rows_repeated)


def _changed_rows(superseding: int, repeated: int) -> str:
    """The corrections cell: rows that changed a record, and apart those re-sent unchanged."""
    changed = superseding - repeated
    if not repeated:
        return count(changed) if changed else ""
    return _("{changed} (+{same} re-sent unchanged)").format(
        changed=count(changed), same=count(repeated)
    )


def _render_ingest(results: list[IngestResult]) -> None:
    body = [
        [
            word("kind", r.kind),
            r.file,
            word("status", r.status),
            r.batch_id,
            count(r.rows_read),
            count(r.rows_loaded),
            count(r.rows_in_review) if r.rows_in_review else "",
            count(r.rows_quarantined),
            count(sum(r.rows_skipped.values())) if r.rows_skipped else "",
            _corrections(r),
            _reasons(r.reasons),
        ]
        for r in results
    ]
    print_table(
        _("Ingest"),
        [
            _("kind"),
            Col(_("file"), keep=True),
            _("status"),
            _("batch"),
            _("read"),
            _("loaded"),
            _("in review"),
            _("quarantined"),
            _("skipped"),
            _("corrections"),
            _("reasons"),
        ],
        body,
        caption=_(
            "rows read = loaded + in review + quarantined + skipped (not data: blank lines, "
            "total rows); `rating quarantine` lists each "
            "rejected row, `rating match review list` the orders waiting for a project"
        ),
    )
    for r in results:
        for w in r.warnings:
            stderr.print(warning_line(w.code, w.message), markup=False, highlight=False)
        if r.matched:
            found = _(", ").join(f"{word('method', m)} {n:,}" for m, n in r.matched.items())
            say(
                _("{file}: orders matched to projects by name — {found}").format(
                    file=r.file, found=found
                )
            )


def ingest(
    kind: Annotated[
        str | None,
        typer.Argument(
            help="companies, projects, complaints, inspections, contracts, opinions or events."
        ),
    ] = None,
    file: Annotated[
        Path | None, typer.Argument(help="CSV (UTF-8/GB18030), XLSX or Parquet file.")
    ] = None,
    all_: Annotated[
        Path | None, typer.Option("--all", help="Load every export in a folder, in order.")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Validate and load one export file (or a whole folder); rejected rows go to quarantine."""
    from rating.ingest.folder import ingest_folder
    from rating.ingest.loader import contract_for, ingest_file

    inv = Invocation(db, json)
    if all_ is None and (kind is None or file is None):
        raise UsageError("give KIND FILE, or --all FOLDER", code="BAD_REQUEST")
    if kind is not None and all_ is None:
        contract_for(kind)
    with inv.warehouse() as con, progress_bar(inv, _("ingesting")) as progress:
        if all_ is not None:
            results = ingest_folder(con, inv.settings, all_, progress)
        else:
            assert kind is not None and file is not None
            progress(file.name, 0, 1)
            results = [ingest_file(con, inv.settings, kind, file)]
            progress(file.name, 1, 1)
    payload: Any = (
        results[0].as_dict()
        if all_ is None
        else {
            "files": [r.as_dict() for r in results],
            "rows_read": sum(r.rows_read for r in results),
            "rows_loaded": sum(r.rows_loaded for r in results),
            "rows_in_review": sum(r.rows_in_review for r in results),
            "rows_quarantined": sum(r.rows_quarantined for r in results),
        }
    )
    emit(inv, payload, lambda: _render_ingest(results))


def quarantine(
    batch: Annotated[int | None, typer.Option(help="Only this ingest batch.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    code: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.", min=1, max=100_000)] = 50,
    out: OutOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Rejected rows: file, line, column, reason code and the value found (--out: all of them)."""
    from rating.cli.shown import problem_text
    from rating.ingest import quarantine as quarantine_rows
    from rating.ingest.validate import PROBLEM_CODES

    inv = Invocation(db, json)
    if out is not None:
        from rating.cli.outfile import write_out
        from rating.exports import Sheet, output_format

        output_format(out)
        with inv.warehouse(read_only=True) as con:
            rows_out = quarantine_rows.export_frame(con, batch=batch, kind=kind, code=code)
        about = {
            "what": _("quarantine: every rejected row with its file, line, column and reason code"),
            "warehouse": str(inv.settings.db_path),
            "filters": {"batch": batch, "kind": kind, "code": code},
            "exported_at": inv.settings.current_time().isoformat(),
        }
        write_out(inv, out, [Sheet("quarantine", rows_out)], about)
        return
    with inv.warehouse(read_only=True) as con:
        found = quarantine_rows.read_page(con, batch=batch, kind=kind, code=code, limit=limit)
    cols = ["batch", "kind", "file", "line", "column", "code", "message", "value", "sheet"]
    payload = {
        "rows": [dict(zip(cols, astuple(r), strict=True)) for r in found.rows],
        "truncated": found.truncated,
        "reasons": found.reasons,
    }

    def render() -> None:
        body = [
            [
                r.batch_id,
                r.file_name,
                r.line,
                r.column_name,
                r.code,
                problem_text(r.code, r.message or _(PROBLEM_CODES.get(r.code, ""))),
                r.value or "",
                word("kind", r.kind),
            ]
            for r in found.rows
        ]
        print_table(
            _("Quarantine"),
            [
                _("batch"),
                Col(_("file"), keep=True),
                Col(_("line"), keep=True),
                _("column"),
                Col(_("code"), keep=True),
                Col(_("reason"), keep=True, wrap=True),
                _("value"),
                _("kind"),
            ],
            body,
            caption=_("more rows: use --limit") if found.truncated else None,
        )
        say(
            _("By reason: {reasons}").format(
                reasons=_reasons(found.reasons) or _("nothing quarantined")
            )
        )

    emit(inv, payload, render)


BATCH_COLUMNS = [
    "batch_id",
    "kind",
    "file_name",
    "format",
    "encoding",
    "rows_read",
    "rows_loaded",
    "rows_in_review",
    "rows_quarantined",
    "rows_superseding",
    "ingested_at",
    "sha256",
]
# Of the superseding rows, those re-sent unchanged (stored with the batch's reading since
# session 3; 0 for older batches).
REPEATED = "coalesce(CAST(reading->>'$.rows_repeated' AS BIGINT), 0)"


def batches(db: DbOption = None, json: JsonOption = False) -> None:
    """Every ingest batch: file, fingerprint, rows read, loaded and quarantined."""
    from rating.sql import rows

    inv = Invocation(db, json)
    cols = [*BATCH_COLUMNS, "rows_repeated"]
    with inv.warehouse(read_only=True) as con:
        found = rows(
            con,
            f"SELECT {', '.join(BATCH_COLUMNS)}, {REPEATED} FROM ingest_batches ORDER BY batch_id",
        )
    body = [
        [
            r[0],
            word("kind", r[1]),
            r[2],
            *[count(n) for n in r[5:9]],
            _changed_rows(int(r[9] or 0), int(r[12])),
            r[3],
            r[4] or "",
            when(r[10]),
            str(r[11])[:12],
        ]
        for r in found
    ]
    emit(
        inv,
        [dict(zip(cols, r, strict=True)) for r in found],
        lambda: print_table(
            _("Ingest batches"),
            [
                _("batch"),
                _("kind"),
                Col(_("file"), keep=True),
                _("read"),
                _("loaded"),
                _("in review"),
                _("quarantined"),
                _("corrections"),
                _("format"),
                _("encoding"),
                Col(_("ingested at"), wrap=True),
                _("sha256 (start)"),
            ],
            body,
        ),
    )


def contracts(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the data contracts as Markdown.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """The columns each kind of export must carry, with the headers accepted for each."""
    from rating.ingest import docs

    if markdown:
        say(docs.contracts_markdown())
        return
    from rating.cli.contractview import print_contracts

    inv = Invocation(None, json)
    emit(inv, docs.contracts_json(), print_contracts)


__all__ = ["text"]
