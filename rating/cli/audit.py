"""Audit commands: publish, verify, replay, impact, rules diff."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rating.audit import impact as impact_mod
from rating.audit import replay as replay_mod
from rating.audit.publication import publish as publish_run
from rating.audit.verify import verify as verify_warehouse
from rating.cli.common import DbOption, Invocation, JsonOption, emit, progress_bar, stdout, table
from rating.cli.public import export_snapshot
from rating.cli.rules import rules_app
from rating.periods import Period
from rating.ruleset.diff import diff as diff_rulesets
from rating.ruleset.loader import load_ruleset
from rating.settings import Settings
from rating.warehouse import transaction


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
    app.command("verify")(verify)
    app.command("replay")(replay)
    app.command("impact")(impact)


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


def verify(db: DbOption = None, json: JsonOption = False) -> None:
    """Recompute the ledger chain, published results, manifests and rule files; exit 1 if altered."""
    inv = Invocation(db, json)
    with inv.warehouse(read_only=True) as con:
        report = verify_warehouse(con, inv.settings.rules_dir)
    data = report.as_dict()

    def render() -> None:
        verdict = "[green]OK[/]" if report.ok else f"[red]{len(report.problems)} problem(s)[/]"
        stdout.print(
            f"{verdict}: {report.records} ledger records, {report.published_runs} published runs; "
            f"head {report.head_seq} {report.head_hash}"
        )
        for p in report.problems:
            stdout.print(f"  [red]{p['code']}[/] {p['message']}")

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
