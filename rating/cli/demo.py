"""`rating demo`: a generated city, ingested, rated and published quarter by quarter."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rating.cli.common import DbOption, Invocation, JsonOption, emit, progress_bar, say
from rating.cli.i18n import _
from rating.cli.runs import do_run, show

if TYPE_CHECKING:
    from rating.periods import Period


def register(app: typer.Typer) -> None:
    """Add `rating demo` to the `rating` command line app (`rating.cli.app`)."""
    app.command("demo")(demo)


def _bureau_day(inv: Invocation, period: Period, days_after: int) -> datetime | None:
    """10:00 on the day `days_after` the period ends, or None when that lies in the future."""
    settings = inv.settings
    moment = datetime.combine(period.end + timedelta(days=days_after), dt_time(10), settings.zone)
    return moment if moment <= settings.current_time() else None


def _disclose_as_a_bureau_would(inv: Invocation, run_id: str, period: Period) -> None:
    """Publicity five days after the quarter ends, publication twenty days later, on those
    (past) days; a run whose days lie in the future stays in draft or publicity."""
    from rating.audit.publication import publicize, publish

    settings = inv.settings
    publicity, published = _bureau_day(inv, period, 5), _bureau_day(inv, period, 25)
    with inv.warehouse() as con:
        if publicity is not None:
            publicize(con, settings.with_(now=publicity), run_id)
        if published is not None:
            publish(con, settings.with_(now=published), run_id)


def demo(
    complaints: Annotated[
        int, typer.Option(help="Complaint orders in the generated city.", min=1000)
    ] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 2026,
    folder: Annotated[
        Path, typer.Option("--dir", help="Where the demo's exports and warehouse go.")
    ] = Path("demo"),
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Generate a city, ingest its exports, rate and publish every quarter, show the latest."""
    from rating.engine.planner import RunRequest
    from rating.ingest.folder import ingest_folder
    from rating.periods import Period
    from rating.synth import generate as synth_generate

    inv = Invocation(db or folder / "rating.duckdb", json)
    timings: dict[str, float] = {}
    exports = folder / "exports"
    started = time.perf_counter()
    with progress_bar(inv, _("generating")) as progress:
        generated = synth_generate(exports, complaints=complaints, seed=seed, progress=progress)
    timings["generate_s"] = time.perf_counter() - started
    db_path = inv.settings.db_path
    for leftover in (db_path, db_path.with_name(db_path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    with inv.warehouse() as con, progress_bar(inv, _("ingesting")) as progress:
        ingested = ingest_folder(con, inv.settings, exports, progress)
    timings["ingest_s"] = time.perf_counter() - started
    started = time.perf_counter()
    reports = []
    for period in generated.periods:
        rated_on = _bureau_day(inv, Period.parse(period), 3)  # rated three days after the quarter
        request = RunRequest(Period.parse(period))
        reports.append(do_run(inv, request, inv.settings.with_(now=rated_on))[0].report)
        _disclose_as_a_bureau_would(inv, reports[-1].run_id, Period.parse(period))
    timings["rate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    from rating.cli.public import export_snapshot

    with progress_bar(inv, _("writing the public snapshot")):  # a minute on the default city
        snapshot = export_snapshot(inv)
    timings["public_snapshot_s"] = time.perf_counter() - started
    last = reports[-1]
    payload = {
        **last.as_dict(),
        "warehouse": str(db_path),
        "public_snapshot": snapshot["folder"],
        "periods": [r.as_dict() for r in reports],
        "rows_loaded": sum(r.rows_loaded for r in ingested),
        "rows_quarantined": sum(r.rows_quarantined for r in ingested),
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }
    if inv.json:
        emit(inv, payload, lambda: None)
        return
    say(
        _(
            "Generated {complaints:,} complaints into {exports} in {generate:.1f} s; loaded "
            "{loaded:,} rows ({quarantined:,} quarantined) in {ingest:.1f} s; rated {quarters} "
            "quarters in {rate:.1f} s."
        ).format(
            complaints=complaints,
            exports=exports,
            generate=timings["generate_s"],
            loaded=payload["rows_loaded"],
            quarantined=payload["rows_quarantined"],
            ingest=timings["ingest_s"],
            quarters=len(reports),
            rate=timings["rate_s"],
        )
    )
    show(last.run_id, None, limit=10, offset=0, out=None, db=db_path, json=False)
    example = _example_uscc(inv, last.run_id)
    say(
        "\n"
        + _(
            "Next: rating explain {uscc} --db {db}   ·   rating show --list grades --db {db}"
        ).format(uscc=example, db=db_path)
    )


def _example_uscc(inv: Invocation, run_id: str) -> str:
    """A company worth explaining: black-listed, else downgraded, else the first rated."""
    from rating.engine import explainer

    with inv.warehouse(read_only=True) as con:
        for which in ("black", "downgrades", "grades"):
            found, _more = explainer.list_companies(con, run_id, which, 1, 0)
            if found:
                return str(found[0]["uscc"])
    return "<USCC>"
