"""Audit commands: publish, verify, replay, impact, rules diff."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rating.cli.common import (
    EXIT_CHECK_FAILED,
    DbOption,
    Invocation,
    JsonOption,
    emit,
    say,
    working,
)
from rating.cli.display import Col, count, listing, print_table, text, when, word
from rating.cli.i18n import _, error_text
from rating.cli.public import export_snapshot
from rating.cli.rules import rules_app

ledger_app = typer.Typer(
    help="The publication ledger: its head (to anchor) and signing keys.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add `rating publish`, `rating verify`, `rating replay`, `rating impact` and `rating ledger …`
    to the `rating` command line app (`rating.cli.app`)."""
    app.command("publish")(publish)
    app.command("verify")(verify)
    app.command("replay")(replay)
    app.command("impact")(impact)
    app.add_typer(ledger_app, name="ledger")


@ledger_app.command("head")
def ledger_head(db: DbOption = None, json: JsonOption = False) -> None:
    """The ledger's head (newest record and its hash): print it in the gazette or send it to
    another system after every publication; `rating verify --expect-head HASH` checks it."""
    from rating.audit import ledger

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
        lambda: say(
            _("ledger head {seq} {hash}").format(seq=data["seq"], hash=data["hash"])
            + (
                _(" ({action} {run_id}, {at})").format(
                    action=last.action, run_id=last.run_id or "", at=when(last.at)
                )
                if last
                else ""
            )
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
    from rating.audit import signing

    kid = signing.generate(private, public)
    data = {"key_id": kid, "private": str(private), "public": str(public)}
    emit(
        Invocation(None, json),
        data,
        lambda: say(
            _(
                "Key {key}: private {private} (set RATING_SIGNING_KEY to it), public {public}"
            ).format(key=kid, private=private, public=public)
        ),
    )


def publish(
    run_id: Annotated[str, typer.Argument(help="Run id to publish.")],
    force: Annotated[
        bool, typer.Option("--force", help="Publish before the publicity period ends (recorded).")
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Publish a run: its results, manifest and rule files are hashed into the ledger chain."""
    from rating.audit.publication import publish as publish_run

    inv = Invocation(db, json)
    with inv.warehouse() as con, working(inv, _("publishing {run_id}").format(run_id=run_id)):
        result = publish_run(con, inv.settings, run_id, force=force)
    data = {**result.as_dict(), "public_snapshot": export_snapshot(inv)["folder"]}
    emit(
        inv,
        data,
        lambda: say(
            _(
                "Published {run_id}: ledger record {seq}, hash {hash}; results sha256 {results}"
            ).format(
                run_id=run_id,
                seq=data["ledger_seq"],
                hash=data["ledger_hash"],
                results=data["results_sha256"],
            )
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
    from rating.audit.signing import load_verifier
    from rating.audit.verify import verify as verify_warehouse

    inv = Invocation(db, json)
    verifier = load_verifier(public_key) if public_key else None
    with inv.warehouse(read_only=True) as con, working(inv, _("verifying")):
        report = verify_warehouse(
            con, inv.settings.rules_dir, expect_head=expect_head, verifier=verifier
        )
    data = report.as_dict()

    def render() -> None:
        verdict = _("OK") if report.ok else _("{n} problem(s)").format(n=len(report.problems))
        extra = ""
        if report.anchored is not None:
            extra += (
                _(", anchored head matches")
                if report.anchored
                else _(", anchored head NOT matched")
            )
        if report.key_id:
            extra += _(", {n} signed by key {key}").format(
                n=report.signed_records, key=report.key_id
            )
        say(
            _(
                "{verdict}: {records} ledger records, {runs} published runs{extra}; head {seq} {hash}"
            ).format(
                verdict=verdict,
                records=report.records,
                runs=report.published_runs,
                extra=extra,
                seq=report.head_seq,
                hash=report.head_hash,
            )
        )
        for p in report.problems:
            say(f"  [{p['code']}] {error_text(p['code'], p['message'])}")
        for w in report.warnings:
            say("  " + _("warning") + f" [{w['code']}] {error_text(w['code'], w['message'])}")

    emit(inv, data, render)
    if not report.ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _render_impact(report: dict[str, Any]) -> None:
    say(
        _(
            "Impact on {period}: {base} → {candidate}: {changed} of {companies} companies change grade"
        ).format(
            period=report["period"],
            base=report["base"],
            candidate=report["candidate"],
            changed=report["grades_changed"],
            companies=report["companies"],
        )
    )
    order = report.get("grade_order") or sorted(
        {g for row in report["transitions"].values() for g in row} | set(report["transitions"])
    )
    print_table(
        _("Grade transitions (rows: before, columns: after)"),
        ["", *order],
        [[g, *[report["transitions"].get(g, {}).get(h, "") for h in order]] for g in order],
    )
    for name, moves in report["lists"].items():
        say(
            _("{list}: {entering} entering, {leaving} leaving").format(
                list=word("list", name),
                entering=len(moves["entering"]),
                leaving=len(moves["leaving"]),
            )
        )
    say(
        _("downgrades: {added} added, {removed} removed").format(
            added=len(report["downgrades"]["added"]), removed=len(report["downgrades"]["removed"])
        )
    )
    print_table(
        _("Largest changes"),
        [
            Col(_("USCC"), keep=True),
            Col(_("name"), wrap=True),
            _("grade"),
            _("score"),
            Col(_("rules changed"), wrap=True),
        ],
        [
            [
                c["uscc"],
                c["name"],
                f"{c['grade'][0] or '–'} → {c['grade'][1] or '–'}",
                f"{text(c['score'][0])} → {text(c['score'][1])}",
                listing([r["rule_id"] for r in c["rules"][:4]]),
            ]
            for c in report["changed"][:15]
        ],
    )


def _grade_order(*rulesets: Any) -> list[str]:
    order: list[str] = []
    for rs in rulesets:
        order += [g for g in rs.definition.grade_order if g not in order]
    return order


def replay(
    run_id: Annotated[str, typer.Argument(help="Run id to replay.")],
    rules: Annotated[
        str | None, typer.Option(help="Replay under another version: an impact report.")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Re-execute a run from its manifest: MATCH (byte-identical) or a precise diff; exit 1 on MISMATCH."""
    from rating.audit import impact as impact_mod
    from rating.audit import replay as replay_mod
    from rating.ruleset.loader import load_ruleset
    from rating.warehouse import transaction

    inv = Invocation(db, json)
    settings = inv.settings
    with inv.warehouse() as con, working(inv, _("replaying {run_id}").format(run_id=run_id)):
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
        else:
            result = replay_mod.replay(con, settings, run_id)
            with transaction(con):
                saved = replay_mod.save(con, result, settings.current_time())
    if rules:
        emit(inv, data, lambda: _render_impact(data | {"grade_order": _grade_order(candidate)}))
        return
    data = {**result.as_dict(), "replay_id": saved}

    def render() -> None:
        say(
            _("{status} {run_id} under {rules} in {seconds} s (results sha256 {sha})").format(
                status=word("status", result.status),
                run_id=run_id,
                rules=result.rules,
                seconds=result.seconds,
                sha=result.replay_sha256,
            )
        )
        for d in result.differences:
            say(f"  - {error_text('text', d)}")
        for name, diff in result.tables.items():
            say(
                "  "
                + _(
                    "{table}: {only_run} only in the run, {only_replay} only in the replay, "
                    "{changed} changed"
                ).format(
                    table=name,
                    only_run=count(diff["only_in_original"]),
                    only_replay=count(diff["only_in_replay"]),
                    changed=count(diff["changed"]),
                )
            )
            for example in diff["examples"][:5]:
                say(f"    {_example_text(example)}")
            more = diff["only_in_original"] + diff["only_in_replay"] + diff["changed"] - 5
            if more > 0:
                say("    " + _("… and {count} more").format(count=count(more)))

    emit(inv, data, render)
    if result.status != "MATCH":
        raise typer.Exit(EXIT_CHECK_FAILED)


def _example_text(example: dict[str, Any]) -> str:
    """One differing row of a replay's table comparison, named by its key."""
    if example["only_left"]:
        return _("only in the run: {key}").format(key=example["key"])
    if example["only_right"]:
        return _("only in the replay: {key}").format(key=example["key"])
    return _("changed: {key} ({columns})").format(
        key=example["key"], columns=", ".join(example["changed"])
    )


def impact(
    period: Annotated[str, typer.Option(help="Period to compare, e.g. 2025Q3.")],
    rules: Annotated[str, typer.Option(help="The version in use, NAME@VERSION.")],
    vs: Annotated[str, typer.Option("--vs", help="The candidate version, NAME@VERSION.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Rate a period under two rule versions over the same data and report what would change."""
    from rating.audit import impact as impact_mod
    from rating.periods import Period
    from rating.ruleset.loader import load_ruleset
    from rating.warehouse import transaction

    inv = Invocation(db, json)
    settings = inv.settings
    base = load_ruleset(settings.rules_dir, rules)
    candidate = load_ruleset(settings.rules_dir, vs)
    with inv.warehouse() as con, working(inv, _("comparing")):
        report = impact_mod.impact_between(con, settings, Period.parse(period), base, candidate)
        with transaction(con):
            saved = impact_mod.save(con, report, settings.current_time())
    data = {"report_id": saved, **report.as_dict()}
    emit(inv, data, lambda: _render_impact(data | {"grade_order": _grade_order(base, candidate)}))


@rules_app.command("diff")
def rules_diff(
    a: Annotated[str, typer.Argument(help="NAME@VERSION")],
    b: Annotated[str, typer.Argument(help="NAME@VERSION")],
    json: JsonOption = False,
) -> None:
    """Rule by rule, what changed between two versions (logic or wording)."""
    from rating.ruleset.diff import diff as diff_rulesets
    from rating.ruleset.loader import load_ruleset
    from rating.settings import Settings

    settings = Settings.from_env()
    data = diff_rulesets(load_ruleset(settings.rules_dir, a), load_ruleset(settings.rules_dir, b))

    def render() -> None:
        say(
            f"{data['from']} → {data['to']}: "
            + (_("same logic") if data["same_logic"] else _("logic differs"))
        )
        kind = {"logic": _("logic"), "wording": _("wording"), "version": _("version")}
        body = [
            [_("(settings)"), c["field"], kind[c["kind"]], text(c["from"]), text(c["to"])]
            for c in data["settings"]
        ]
        body += [[r, _("(added)"), "", "", ""] for r in data["rules_added"]]
        body += [[r, _("(removed)"), "", "", ""] for r in data["rules_removed"]]
        body += [
            [r, c["field"], kind[c["kind"]], text(c["from"]), text(c["to"])]
            for r, cs in data["rules_changed"].items()
            for c in cs
        ]
        print_table(
            _("Changes"),
            [
                Col(_("rule"), keep=True),
                Col(_("field"), keep=True),
                _("kind"),
                Col(_("from"), wrap=True),
                Col(_("to"), wrap=True),
            ],
            body,
        )

    emit(Invocation(None, json), data, render)
