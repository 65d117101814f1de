"""Rule set commands: rules list|show|validate."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from rating.cli.common import Invocation, JsonOption, emit, stdout, table
from rating.ruleset.consequence_logic import monotone_problems
from rating.ruleset.loader import list_rulesets, load_ruleset
from rating.settings import Settings

rules_app = typer.Typer(help="Rule sets: list, show, validate.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def rules_list(json: JsonOption = False) -> None:
    """Every rule set version under the rules folder, with validity and fingerprints."""
    settings = Settings.from_env()
    out: list[dict[str, Any]] = []
    for name, version in list_rulesets(settings.rules_dir):
        rs = load_ruleset(settings.rules_dir, f"{name}@{version}")
        h = rs.definition.ruleset
        out.append(
            {
                "ref": rs.ref,
                "title": h.title,
                "effective_from": h.effective_from,
                "expires_on": h.expires_on,
                "shadow_until": h.shadow_until,
                "rules": len(rs.rules),
                **{f"{k}_sha256": v for k, v in rs.fingerprint.as_dict().items()},
            }
        )
    emit(
        Invocation(None, json),
        out,
        lambda: stdout.print(
            table(
                f"Rule sets in {settings.rules_dir}",
                ["ref", "title", "effective", "expires", "shadow until", "rules", "logic sha256"],
                [
                    [
                        r["ref"],
                        r["title"],
                        r["effective_from"],
                        r["expires_on"] or "",
                        r["shadow_until"] or "",
                        r["rules"],
                        r["logic_sha256"][:16],
                    ]
                    for r in out
                ],
            )
        ),
    )


@rules_app.command("show")
def rules_show(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION")], json: JsonOption = False
) -> None:
    """A rule set: header, grades, every rule with its points, window and source clause."""
    settings = Settings.from_env()
    rs = load_ruleset(settings.rules_dir, ref)
    data = rs.definition.model_dump(mode="json", by_alias=True) | {
        "fingerprint": rs.fingerprint.as_dict()
    }

    def render() -> None:
        h = rs.definition.ruleset
        stdout.print(
            f"[bold]{rs.ref}[/] {h.title} ({h.document}) — effective {h.effective_from}"
            + (f", expires {h.expires_on}" if h.expires_on else "")
        )
        stdout.print(
            "grades: "
            + ", ".join(
                f"{b.grade} ≥ {b.min}" if b.min is not None else b.grade
                for b in rs.definition.grades.bands
            )
        )
        stdout.print(
            table(
                "Rules",
                ["id", "source", "target", "measure", "points", "cap", "window", "title"],
                [
                    [
                        r.id,
                        r.source,
                        r.target + (f"/{r.bucket}" if r.bucket else ""),
                        r.measure,
                        "bands" if r.bands else r.points,
                        r.cap,
                        r.window.mode,
                        r.title,
                    ]
                    for r in rs.definition.rules
                ],
            )
        )

    emit(Invocation(None, json), data, render)


@rules_app.command("validate")
def rules_validate(
    ref: Annotated[str | None, typer.Argument(help="NAME@VERSION (default: all).")] = None,
    json: JsonOption = False,
) -> None:
    """Load and check rule sets; every problem is reported with file, rule id and reason.

    Warns (without failing) when a consequence table is not monotone: a better grade must
    never bring more inspections or fewer rewards.
    """
    settings = Settings.from_env()
    refs = [ref] if ref else [f"{n}@{v}" for n, v in list_rulesets(settings.rules_dir)]
    loaded = [load_ruleset(settings.rules_dir, r) for r in refs]
    checked = [rs.ref for rs in loaded]
    warnings = [
        {"ruleset": rs.ref, **p.as_dict()}
        for rs in loaded
        for p in monotone_problems(rs.definition, str(rs.path or rs.ref))
    ]

    def render() -> None:
        for w in warnings:
            text = escape(f"{w['ruleset']}: [{w['code']}] {w['message']}")
            stdout.print(f"[yellow]Warning[/] {text}")
        stdout.print("OK: " + ", ".join(checked))

    emit(Invocation(None, json), {"ok": True, "checked": checked, "warnings": warnings}, render)
