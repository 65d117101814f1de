"""Run commands: run, show, explain, runs list|show, demo."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rating.cli.common import (
    DbOption,
    Invocation,
    JsonOption,
    emit,
    progress_bar,
    say,
    stdout,
    to_jsonable,
)
from rating.cli.display import Col, count, listing, print_table, score, text, when, word
from rating.cli.i18n import _
from rating.errors import UsageError
from rating.settings import Settings

if TYPE_CHECKING:
    import duckdb

    from rating.engine.runner import RunReport
    from rating.periods import Period
    from rating.ruleset.definition import RuleSet

runs_app = typer.Typer(help="Stored runs: list them, show one's manifest.", no_args_is_help=True)

SHADOW_SUFFIX = " (shadow period: not in effect)"


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("show")(show)
    app.command("explain")(explain)
    app.command("demo")(demo)
    app.add_typer(runs_app, name="runs")


@dataclass(frozen=True)
class Shown:
    """What a screen of a run needs from its rule set: the grade order and the places."""

    order: tuple[str, ...]
    places: int
    definition: RuleSet | None = None

    def grades(self, counts: dict[str, int]) -> dict[str, int]:
        """Grade counts best grade first (the rule set's order, not the alphabet)."""
        known = [g for g in self.order if g in counts]
        return {g: counts[g] for g in known + sorted(set(counts) - set(known))}

    def score(self, value: Any) -> str:
        return score(value, self.places)


def shown_for(con: duckdb.DuckDBPyConnection, info: dict[str, Any]) -> Shown:
    """The stored rule set of a run (what it was rated under), as `Shown`."""
    from rating.engine import explainer

    rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"]).definition
    return Shown(rs.grade_order, rs.score_places, rs)


def reason_text(text_: str | None) -> str:
    """A stored list or downgrade reason (the rule set's words), its engine suffix translated."""
    if not text_:
        return ""
    return text_.replace(SHADOW_SUFFIX, _(" (shadow period: not in effect)"))


def _render_run(report: dict[str, Any], shown: Shown) -> None:
    grades = _(", ").join(f"{g} {n:,}" for g, n in shown.grades(report["grades"]).items())
    say(
        _("{run_id} {period} under {rules}").format(
            run_id=report["run_id"], period=report["period"], rules=report["rules"]
        )
        + (_(" (shadow period: no sanctions)") if report.get("shadow") else "")
    )
    say(
        "  "
        + _("companies rated {companies:,}; grades: {grades}").format(
            companies=report["companies"], grades=grades or "–"
        )
    )
    say(
        "  "
        + _(
            "red list {red:,}; black list {black:,}; downgrades {downgrades:,}; vetoes {vetoes:,}; "
            "records no company could be given {unattributed:,}"
        ).format(
            red=report["red"],
            black=report["black"],
            downgrades=report["downgrades"],
            vetoes=report["vetoes"],
            unattributed=report["unattributed_records"],
        )
    )


def do_run(
    inv: Invocation, period: str, rules: str | None, force: bool, settings: Settings | None = None
) -> tuple[RunReport, Shown]:
    from rating.engine.runner import execute_run
    from rating.periods import Period
    from rating.ruleset import registry

    p = Period.parse(period)
    settings = settings or inv.settings
    rs = registry.select(settings.rules_dir, rules, settings.ruleset, p, force)
    label = _("rating {period}").format(period=p)
    with inv.warehouse() as con, progress_bar(inv, label, each_step=False) as progress:
        report = execute_run(
            con, settings, rs, p, forced=force and not registry.in_force(rs, p), progress=progress
        )
    shown = Shown(rs.definition.grade_order, rs.definition.score_places, rs.definition)
    report.summary["grades"] = shown.grades(report.summary["grades"])
    return report, shown


def run(
    period: Annotated[str, typer.Option(help="Period to rate, e.g. 2025Q3.")],
    rules: Annotated[
        str | None, typer.Option(help="NAME@VERSION; default: the version in force.")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Use a rule version outside its validity (recorded).")
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Rate every project and company for a period; store grades, lists, downgrades, evidence."""
    inv = Invocation(db, json)
    report, shown = do_run(inv, period, rules, force)
    emit(inv, report.as_dict(), lambda: _render_run(report.as_dict(), shown))


def _company_rows(found: list[dict[str, Any]], extra: str, shown: Shown) -> list[list[Any]]:
    return [
        [
            r["uscc"],
            r["name"],
            r["district"],
            shown.score(r["score"]),
            r["grade"] or _("not rated"),
            r["prev_grade"] or "–",
            _list_reason(r, extra, shown),
        ]
        for r in found
    ]


def _list_reason(row: dict[str, Any], extra: str, shown: Shown) -> str:
    if extra == "veto_rules":
        return listing(row.get("veto_rules"))
    if extra == "grade_reason":
        return grade_reason(row, shown)
    return reason_text(row.get(extra))


def grade_reason(row: dict[str, Any], shown: Shown) -> str:
    """Why the company has its grade, in words (the engine stores a code)."""
    code = row.get("grade_reason") or ""
    defn = shown.definition
    if code == "veto":
        title = defn.grades.veto_title if defn else _("veto")
        return f"{title} ({listing(row.get('veto_rules'))})"
    if code.startswith("override:") and defn is not None:
        for override in defn.grades.overrides:
            if override.id == code.split(":", 1)[1]:
                return override.title + (f" — {override.clause}" if override.clause else "")
    if code == "not_rated":
        return _("not rated: the company served no project in the period")
    return _("score {score} is in the range of grade {grade}").format(
        score=shown.score(row.get("score")), grade=row.get("band_grade") or row.get("grade")
    )


def show(
    run_id: Annotated[str | None, typer.Argument(help="Run id (default: the latest run).")] = None,
    list_: Annotated[
        str | None,
        typer.Option("--list", help="grades, red, black, downgrades, vetoes or unrated."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows per list.", min=1, max=100_000)] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many rows.", min=0)] = 0,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A run's grades, red and black lists and downgrades, with provenance."""
    from rating.engine import explainer

    inv = Invocation(db, json)
    if list_ is not None and list_ not in explainer.LISTS:
        raise UsageError(f"--list must be one of {', '.join(explainer.LISTS)}", code="BAD_REQUEST")
    wanted = [list_] if list_ else ["red", "black", "downgrades"]
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
        shown = shown_for(con, info)
        lists = {w: explainer.list_companies(con, info["run_id"], w, limit, offset) for w in wanted}
    info["summary"]["grades"] = shown.grades(info["summary"]["grades"])
    payload = {
        "run_id": info["run_id"],
        "period": info["period"],
        "rules": info["ruleset"],
        "status": info["status"],
        **info["summary"],
        "provenance": explainer.provenance(info),
        "lists": {w: {"rows": r, "truncated": t} for w, (r, t) in lists.items()},
    }

    def render() -> None:
        _render_run(
            {
                **info["summary"],
                "run_id": info["run_id"],
                "period": info["period"],
                "rules": info["ruleset"],
            },
            shown,
        )
        extra = {"black": "black_reason", "downgrades": "downgrade_reason", "vetoes": "veto_rules"}
        for w, (found, truncated) in lists.items():
            print_table(
                f"{word('list', w)} ({len(found)}{'+' if truncated else ''})",
                [
                    Col(_("USCC"), keep=True),
                    Col(_("name"), wrap=True),
                    Col(_("district"), wrap=True),
                    _("score"),
                    _("grade"),
                    _("previous"),
                    Col(_("reason"), wrap=True),
                ],
                _company_rows(found, extra.get(w, "grade_reason"), shown),
                caption=_("more rows: use --limit and --offset") if truncated else None,
            )
        say(
            _(
                "status {status} · results sha256 {sha} · engine {engine} · "
                "data up to ingest batch {watermark}"
            ).format(
                status=word("status", info["status"]),
                sha=info["results_sha256"],
                engine=info["engine_version"],
                watermark=info["watermark"],
            )
        )

    emit(inv, payload, render)


def explain(
    uscc: Annotated[str, typer.Argument(help="The company's unified social credit code.")],
    run_id: Annotated[
        str | None, typer.Option("--run", help="Run id (default: the latest run).")
    ] = None,
    evidence: Annotated[
        int, typer.Option(help="Evidence records to show per rule.", min=0, max=100_000)
    ] = 5,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Why a company got its grade: each rule, its points and clause, and the records behind it."""
    from rating.engine import explainer

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        card = explainer.explain(con, run_id, uscc.strip().upper(), limit=evidence)
        shown = shown_for(con, explainer.run_row(con, card["run_id"]))
    emit(inv, card, lambda: _render_explain(card, shown))


def _render_explain_head(card: dict[str, Any], shown: Shown) -> None:
    c = card["company"]
    say(
        _(
            "{name} {uscc}: grade {grade} (score {score}, previous {previous}) in {run_id} under {rules}"
        ).format(
            name=c["name"],
            uscc=c["uscc"],
            grade=c["grade"] or _("not rated"),
            score=shown.score(c["score"]),
            previous=c["prev_grade"] or "–",
            run_id=card["run_id"],
            rules=card["rules"],
        )
    )
    say("  " + _("why this grade: {reason}").format(reason=grade_reason(c, shown)))
    if c["black"] or c["black_reason"]:
        say("  " + _("black list: {reason}").format(reason=reason_text(c["black_reason"])))
    if c["red"]:
        say("  " + _("red list"))
    if c["downgrade_reason"]:
        say("  " + _("downgrade: {reason}").format(reason=reason_text(c["downgrade_reason"])))
    titles = {b.id: b.title for b in shown.definition.buckets} if shown.definition else {}
    parts = [_("basic score (projects) {points}").format(points=shown.score(c["project_score"]))]
    parts += [
        _("{bucket} {points} ({records:,} records)").format(
            bucket=titles.get(b["bucket"], b["bucket"]),
            points=shown.score(b["points"]),
            records=b["records"],
        )
        for b in card["buckets"]
    ]
    say("  " + _("; ").join(parts))


def _render_explain(card: dict[str, Any], shown: Shown) -> None:
    _render_explain_head(card, shown)
    print_table(
        _("Reasons, most harmful first"),
        [
            "#",
            Col(_("rule"), keep=True),
            Col(_("title"), wrap=True),
            _("effect"),
            _("records"),
            Col(_("clause"), wrap=True),
        ],
        [
            [
                r["rank"],
                r["rule_id"],
                r["title"],
                shown.score(r["effect"]),
                count(r["records"]),
                r["clause"] + ((" " + _("(design choice)")) if r["design_choice"] else ""),
            ]
            for r in card["reasons"]
        ],
    )
    print_table(
        _("Projects"),
        [
            Col(_("project"), keep=True),
            Col(_("name"), wrap=True),
            Col(_("street"), wrap=True),
            _("households"),
            _("days served"),
            _("points"),
            _("score"),
            _("grade"),
        ],
        [
            [
                p["project_id"],
                p["project_name"],
                p["street"],
                count(p["households"]),
                count(p["days_served"]),
                shown.score(p["points"]),
                shown.score(p["score"]),
                p["grade"] or "–",
            ]
            for p in card["projects"]
        ],
    )
    if card["fair_rates"]:
        print_table(
            _("Fair rates (rates shrunk towards their pool; the rule reads the fair rate)"),
            [Col(_("rule"), keep=True), Col(_("project"), keep=True), Col(_("why"), wrap=True)],
            [[f["rule_id"], f["project_id"], fair_rate_text(f)] for f in card["fair_rates"]],
        )
    if card["evidence"]:
        print_table(
            _("Evidence (first records per rule)"),
            [
                Col(_("rule"), keep=True),
                _("source"),
                Col(_("record"), keep=True, wrap=False),
                _("date"),
                _("points"),
                Col(_("file"), wrap=True),
                _("line"),
            ],
            [
                [
                    e["rule_id"],
                    word("kind", e["source"]),
                    e["record_key"],
                    when(e["record_date"]),
                    shown.score(e["contribution"]),
                    e["file_name"] or "–",
                    text(e["line"]),
                ]
                for e in card["evidence"]
            ],
        )


def fair_rate_text(row: dict[str, Any]) -> str:
    """The fair rate behind a shrunk rule, in numbers an auditor can redo."""
    if row.get("fair_rate") is None:
        return _("{records:,} records, no households served in the rate window: no rate").format(
            records=row["records"]
        )
    pool = _("district {name}").format(name=row["pool"]) if row["pool"] is not None else _("city")
    return _(
        "{records:,} records over {households} households: own rate {raw}‰; {pool} {pool_rate}‰; "
        "fair rate {fair}‰ (weighing in {prior} households at the {pool} rate), "
        "interval {low}–{high}‰"
    ).format(
        records=row["records"],
        households=text(row["households"], 1),
        raw=text(row["raw_rate"], 2),
        pool=pool,
        pool_rate=text(row["pool_rate"] or 0, 2),
        fair=text(row["fair_rate"], 2),
        prior=row["prior_households"],
        low=text(row["fair_low"], 2),
        high=text(row["fair_high"], 2),
    )


@runs_app.command("list")
def runs_list(
    limit: Annotated[int, typer.Option(help="Runs to show.", min=1, max=10_000)] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Stored runs, newest first."""
    from rating.engine import explainer

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        found = explainer.runs_list(con, limit)
    emit(
        inv,
        found,
        lambda: print_table(
            _("Runs"),
            [
                Col(_("run"), keep=True),
                _("period"),
                Col(_("rule set"), keep=True),
                _("status"),
                _("companies"),
                _("red"),
                _("black"),
                _("downgrades"),
                Col(_("as of"), wrap=True),
            ],
            [
                [
                    r["run_id"],
                    r["period"],
                    r["ruleset"],
                    word("status", r["status"]) + (_(" (shadow)") if r["shadow"] else ""),
                    count(r["summary"]["companies"]),
                    count(r["summary"]["red"]),
                    count(r["summary"]["black"]),
                    count(r["summary"]["downgrades"]),
                    when(r["as_of"]),
                ]
                for r in found
            ],
        ),
    )


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """A run's manifest: engine, rule set fingerprints, inputs in scope, as-of, parameters."""
    from rating.engine import explainer

    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        info = explainer.run_row(con, run_id)
    payload = {k: v for k, v in info.items() if k not in ("summary",)} | {
        "summary": info["summary"]
    }

    def render() -> None:
        say(
            _("{run_id} {period} under {rules}: {status}, as of {as_of} ({zone})").format(
                run_id=info["run_id"],
                period=info["period"],
                rules=info["ruleset"],
                status=word("status", info["status"]),
                as_of=when(info["as_of"]),
                zone=info["manifest"].get("timezone", ""),
            )
        )
        say(_("The manifest (what the run saw and used):"))
        stdout.print_json(data=to_jsonable(info["manifest"]))

    emit(inv, payload, render)


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
        reports.append(do_run(inv, period, None, False, inv.settings.with_(now=rated_on))[0])
        _disclose_as_a_bureau_would(inv, reports[-1].run_id, Period.parse(period))
    timings["rate_s"] = time.perf_counter() - started
    last = reports[-1]
    payload = {
        **last.as_dict(),
        "warehouse": str(db_path),
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
    show(last.run_id, None, 10, 0, db_path, False)
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
