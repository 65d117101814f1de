"""Audit commands: publish, verify, replay, impact, rules diff."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rating.audit import impact as impact_mod
from rating.audit import ledger, signing
from rating.audit import replay as replay_mod
from rating.audit.publication import publish as publish_run
from rating.audit.signing import load_verifier
from rating.audit.verify import verify as verify_warehouse
from rating.cli.common import DbOption, Invocation, JsonOption, emit, progress_bar, stdout, table
from rating.cli.public import export_snapshot
from rating.cli.rules import rules_app
from rating.periods import Period
from rating.ruleset.diff import diff as diff_rulesets
from rating.ruleset.loader import load_ruleset
from rating.settings import Settings
from rating.warehouse import transaction

ledger_app = typer.Typer(
    help="The publication ledger: its head (to anchor) and signing keys.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
    app.command("verify")(verify)
    app.command("replay")(replay)
    app.command("impact")(impact)
    app.add_typer(ledger_app, name="ledger")


@ledger_app.command("head")
def ledger_head(db: DbOption = None, json: JsonOption = False) -> None:
    """The ledger's head (newest record and its hash): print it in the gazette or send it to
    another system after every publication; `rating verify --expect-head HASH` checks it."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        records = ledger.records(con)
    last = records[-1] if records else None
    data = {
        "seq": last.seq if last else 0,
        "hash": last.hash if last else ledger.GENESIS,
        "recorded_at": last.at if last else None,
        "action": last.action if last else None,
        "run_id": last.run_id if last else None,
    }
    emit(
        inv,
        data,
        lambda: stdout.print(
            f"ledger head {data['seq']} {data['hash']}"
            + (f" ({data['action']} {data['run_id'] or ''}, {data['recorded_at']})" if last else "")
        ),
    )


@ledger_app.command("keygen")
def ledger_keygen(
    private: Annotated[
        Path, typer.Option(help="Where to write the private key: keep it outside the warehouse.")
    ],
    public: Annotated[
        Path, typer.Option(help="Where to write the public key (give it to auditors).")
    ],
    json: JsonOption = False,
) -> None:
    """Create an Ed25519 key pair for signing ledger records (RATING_SIGNING_KEY=private)."""
    kid = signing.generate(private, public)
    data = {"key_id": kid, "private": str(private), "public": str(public)}
    emit(
        Invocation(None, json),
        data,
        lambda: stdout.print(
            f"Key {kid}: private {private} (set RATING_SIGNING_KEY to it), public {public}"
        ),
    )


def publish(
    run_id: Annotated[str, typer.Argument(help="Run id to publish.")],
    force: Annotated[
        bool, typer.Option(help="Publish before the publicity period ends (recorded).")
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Publish a run: its results, manifest and rule files are hashed into the ledger chain."""
    inv = Invocation(db, json)
    with inv.warehouse() as con:
        result = publish_run(con, inv.settings, run_id, force=force)
    data = {**result.as_dict(), "public_snapshot": export_snapshot(inv)["folder"]}
    emit(
        inv,
        data,
        lambda: stdout.print(
            f"Published {run_id}: ledger record {data['ledger_seq']}, hash {data['ledger_hash'][:16]}…, "
            f"results {data['results_sha256'][:16]}…"
        ),
    )


def verify(
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            help="The head hash the bureau anchored outside the warehouse (gazette, another "
            "system): the ledger's newest record must be it.",
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="The bureau's Ed25519 public key (PEM): every record must be signed.",
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Recompute the ledger chain, published results, run records, manifests and rule files,
    and check the anchored head and signatures when given; exit 1 if anything was altered."""
    inv = Invocation(db, json)
    verifier = load_verifier(public_key) if public_key else None
    with inv.warehouse(read_only=True) as con:
        report = verify_warehouse(
            con, inv.settings.rules_dir, expect_head=expect_head, verifier=verifier
        )
    data = report.as_dict()

    def render() -> None:
        verdict = "[green]OK[/]" if report.ok else f"[red]{len(report.problems)} problem(s)[/]"
        extra = ""
        if report.anchored is not None:
            extra += ", anchored head matches" if report.anchored else ", anchored head NOT matched"
        if report.key_id:
            extra += f", {report.signed_records} signed by key {report.key_id}"
        stdout.print(
            f"{verdict}: {report.records} ledger records, {report.published_runs} published runs"
            f"{extra}; head {report.head_seq} {report.head_hash}"
        )
        for p in report.problems:
            stdout.print(f"  [red]{p['code']}[/] {p['message']}")
        for w in report.warnings:
            stdout.print(f"  [yellow]{w['code']}[/] {w['message']}")

    emit(inv, data, render)
    if not report.ok:
        raise typer.Exit(1)


def _render_impact(report: dict[str, Any]) -> None:
    stdout.print(
        f"Impact on {report['period']}: {report['base']} → {report['candidate']}: "
        f"{report['grades_changed']} of {report['companies']} companies change grade"
    )
    grades = sorted(
        {g for row in report["transitions"].values() for g in row} | set(report["transitions"])
    )
    stdout.print(
        table(
            "Grade transitions (rows: before, columns: after)",
            ["", *grades],
            [[g, *[report["transitions"].get(g, {}).get(h, "") for h in grades]] for g in grades],
        )
    )
    for name, moves in report["lists"].items():
        stdout.print(
            f"{name} list: {len(moves['entering'])} entering, {len(moves['leaving'])} leaving"
        )
    stdout.print(
        f"downgrades: {len(report['downgrades']['added'])} added, {len(report['downgrades']['removed'])} removed"
    )
    stdout.print(
        table(
            "Largest changes",
            ["uscc", "name", "grade", "score", "rules changed"],
            [
                [
                    c["uscc"],
                    c["name"],
                    f"{c['grade'][0]} → {c['grade'][1]}",
                    f"{c['score'][0]} → {c['score'][1]}",
                    ", ".join(r["rule_id"] for r in c["rules"][:4]),
                ]
                for c in report["changed"][:15]
            ],
        )
    )


def replay(
    run_id: Annotated[str, typer.Argument(help="Run id to replay.")],
    rules: Annotated[
        str | None, typer.Option(help="Replay under another version: an impact report.")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Re-execute a run from its manifest: MATCH (byte-identical) or a precise diff."""
    inv = Invocation(db, json)
    settings = inv.settings
    with inv.warehouse() as con, progress_bar(inv, f"replaying {run_id}"):
        if rules:
            candidate = load_ruleset(settings.rules_dir, rules)
            report = impact_mod.impact_of_run(con, run_id, candidate)
            with transaction(con):
                saved = impact_mod.save(con, report, settings.current_time())
            data = {
                "status": "MATCH" if report.empty else "MISMATCH",
                "report_id": saved,
                **report.as_dict(),
            }
            emit(inv, data, lambda: _render_impact(data))
            return
        result = replay_mod.replay(con, settings, run_id)
        with transaction(con):
            saved = replay_mod.save(con, result, settings.current_time())
    data = {**result.as_dict(), "replay_id": saved}

    def render() -> None:
        colour = "green" if result.status == "MATCH" else "red"
        stdout.print(
            f"[{colour}]{result.status}[/] {run_id} under {result.rules} in {result.seconds}s "
            f"(results {result.replay_sha256[:16]}…)"
        )
        for d in result.differences:
            stdout.print(f"  - {d}")
        for name, diff in result.tables.items():
            stdout.print(
                f"  {name}: {diff['only_in_original']} only in the run, {diff['only_in_replay']} only in "
                f"the replay, {diff['changed']} changed"
            )

    emit(inv, data, render)
    if result.status != "MATCH":
        raise typer.Exit(1)


def impact(
    period: Annotated[str, typer.Option(help="Period to compare, e.g. 2025Q3.")],
    rules: Annotated[str, typer.Option(help="The version in use, NAME@VERSION.")],
    vs: Annotated[str, typer.Option("--vs", help="The candidate version, NAME@VERSION.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Rate a period under two rule versions over the same data and report what would change."""
    inv = Invocation(db, json)
    settings = inv.settings
    base = load_ruleset(settings.rules_dir, rules)
    candidate = load_ruleset(settings.rules_dir, vs)
    with inv.warehouse() as con, progress_bar(inv, "comparing"):
        report = impact_mod.impact_between(con, settings, Period.parse(period), base, candidate)
        with transaction(con):
            saved = impact_mod.save(con, report, settings.current_time())
    data = {"report_id": saved, **report.as_dict()}
    emit(inv, data, lambda: _render_impact(data))


@rules_app.command("diff")
def rules_diff(
    a: Annotated[str, typer.Argument(help="NAME@VERSION")],
    b: Annotated[str, typer.Argument(help="NAME@VERSION")],
    json: JsonOption = False,
) -> None:
    """Rule by rule, what changed between two versions (logic or wording)."""
    settings = Settings.from_env()
    data = diff_rulesets(load_ruleset(settings.rules_dir, a), load_ruleset(settings.rules_dir, b))

    def render() -> None:
        stdout.print(
            f"{data['from']} → {data['to']}: "
            + ("same logic" if data["same_logic"] else "logic differs")
        )
        body = [["(settings)", c["field"], c["kind"], c["from"], c["to"]] for c in data["settings"]]
        body += [[r, "(added)", "", "", ""] for r in data["rules_added"]]
        body += [[r, "(removed)", "", "", ""] for r in data["rules_removed"]]
        body += [
            [r, c["field"], c["kind"], c["from"], c["to"]]
            for r, cs in data["rules_changed"].items()
            for c in cs
        ]
        stdout.print(table("Changes", ["rule", "field", "kind", "from", "to"], body))

    emit(Invocation(None, json), data, render)
