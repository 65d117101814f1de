"""Rule set commands: rules list|show|validate."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rating.cli.common import Invocation, JsonOption, emit, stdout, table
from rating.errors import RatingError
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
        try:
            rs = load_ruleset(settings.rules_dir, f"{name}@{version}")
        except RatingError as exc:  # listed as broken; `rules validate` says why
            out.append({"ref": f"{name}@{version}", "title": f"[{exc.code}]", "broken": True})
            continue
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
                        r.get("effective_from", ""),
                        r.get("expires_on") or "",
                        r.get("shadow_until") or "",
                        r.get("rules", ""),
                        r.get("logic_sha256", "does not check")[:16],
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
    """Load and check rule sets; every problem is reported with file, rule id and reason."""
    settings = Settings.from_env()
    refs = [ref] if ref else [f"{n}@{v}" for n, v in list_rulesets(settings.rules_dir)]
    results = [_validated(settings, r) for r in refs]
    failed = [r for r in results if not r["ok"]]
    data = {
        "ok": not failed,
        "checked": [r["ref"] for r in results if r["ok"]],
        "failed": failed,
    }

    def render() -> None:
        for r in results:
            if r["ok"]:
                stdout.print(f"[green]OK[/] {r['ref']}")
                continue
            stdout.print(f"[red]FAILED[/] {r['ref']}: [{r['code']}] {r['message']}")
            for p in r["problems"]:
                where = ", ".join(f"{k} {p[k]}" for k in ("rule", "file") if p.get(k))
                stdout.print(f"  - [{p['code']}] {p['message']}" + (f" ({where})" if where else ""))

    emit(Invocation(None, json), data, render)
    if failed:
        raise typer.Exit(1)


def _validated(settings: Settings, ref: str) -> dict[str, Any]:
    """One version's verdict: ok, or its error with every problem (never raises for it)."""
    try:
        return {"ref": load_ruleset(settings.rules_dir, ref).ref, "ok": True}
    except RatingError as exc:
        problems = [p.as_dict() for p in exc.problems]
        return {
            "ref": ref,
            "ok": False,
            "code": exc.code,
            "message": exc.message,
            "problems": problems,
        }
