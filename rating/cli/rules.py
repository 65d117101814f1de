"""Rule set commands: rules list|show|validate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from rating.cli.common import (
    EXIT_CHECK_FAILED,
    Invocation,
    JsonOption,
    emit,
    error_line,
    problem_line,
    say,
    stderr,
)
from rating.cli.display import Col, print_table, score, when, word
from rating.cli.i18n import _
from rating.errors import RatingError

if TYPE_CHECKING:
    from rating.settings import Settings

rules_app = typer.Typer(help="Rule sets: list, show, validate.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def rules_list(json: JsonOption = False) -> None:
    """Every rule set version under the rules folder, with validity and fingerprints."""
    from rating.ruleset.loader import list_rulesets, load_ruleset
    from rating.settings import Settings

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

    def render() -> None:
        print_table(
            _("Rule sets in {folder}").format(folder=settings.rules_dir),
            [
                Col(_("rule set"), keep=True),
                Col(_("title"), wrap=True),
                _("in force from"),
                _("until"),
                _("trial until"),
                _("rules"),
                _("logic sha256 (start)"),
            ],
            [
                [
                    r["ref"],
                    r["title"]
                    if not r.get("broken")
                    else _("does not check: {code}").format(code=r["title"]),
                    when(r.get("effective_from")),
                    _("open")
                    if r.get("effective_from") and not r.get("expires_on")
                    else when(r.get("expires_on")),
                    when(r.get("shadow_until")),
                    r.get("rules", "–"),
                    r.get("logic_sha256", "–")[:16],
                ]
                for r in out
            ],
            caption=None if out else _("no rule sets here: RATING_RULES_DIR names the folder"),
        )

    emit(Invocation(None, json), out, render)


@rules_app.command("show")
def rules_show(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION")], json: JsonOption = False
) -> None:
    """A rule set: header, grades, every rule with its points, window and source clause."""
    from rating.ruleset.loader import load_ruleset
    from rating.settings import Settings

    settings = Settings.from_env()
    rs = load_ruleset(settings.rules_dir, ref)
    data = rs.definition.model_dump(mode="json", by_alias=True) | {
        "fingerprint": rs.fingerprint.as_dict()
    }

    def render() -> None:
        h = rs.definition.ruleset
        places = rs.definition.score_places
        say(
            _("{ref} {title} ({document}), in force from {start}").format(
                ref=rs.ref, title=h.title, document=h.document, start=when(h.effective_from)
            )
            + (_(" until {end}").format(end=when(h.expires_on)) if h.expires_on else "")
        )
        say(
            _("grades (best first): {grades}").format(
                grades=_(", ").join(
                    _("{grade} from {min}").format(grade=b.grade, min=score(b.min, places))
                    if b.min is not None
                    else b.grade
                    for b in rs.definition.grades.bands
                )
            )
        )
        print_table(
            _("Rules"),
            [
                Col(_("rule"), keep=True),
                _("source"),
                _("applies to"),
                _("measure"),
                _("points"),
                _("cap"),
                _("window"),
                Col(_("title"), wrap=True),
            ],
            [
                [
                    r.id,
                    word("kind", r.source),
                    word("target", r.target) + (f"/{r.bucket}" if r.bucket else ""),
                    word("measure", r.measure),
                    _("by bands") if r.bands else score(r.points, places),
                    score(r.cap, places) if r.cap is not None else "–",
                    word("window", r.window.mode),
                    r.title,
                ]
                for r in rs.definition.rules
            ],
        )

    emit(Invocation(None, json), data, render)


@rules_app.command("validate")
def rules_validate(
    ref: Annotated[str | None, typer.Argument(help="NAME@VERSION (default: all).")] = None,
    json: JsonOption = False,
) -> None:
    """Load and check rule sets; every problem is reported with file, rule id and reason (exit 1)."""
    from rating.ruleset.loader import list_rulesets
    from rating.settings import Settings

    settings = Settings.from_env()
    refs = [ref] if ref else [f"{n}@{v}" for n, v in list_rulesets(settings.rules_dir)]
    results = [_validated(settings, r) for r in refs]
    failed = [r for r, _exc in results if not r["ok"]]
    data = {
        "ok": not failed,
        "checked": [r["ref"] for r, _exc in results if r["ok"]],
        "failed": failed,
    }

    def render() -> None:
        for r, exc in results:
            if exc is None:
                say(_("OK: {refs}").format(refs=r["ref"]))
                continue
            stderr.print(
                f"{r['ref']}: {error_line(exc.code, exc.message)}", markup=False, highlight=False
            )
            for problem in exc.problems:
                stderr.print("  - " + problem_line(problem), markup=False, highlight=False)

    emit(Invocation(None, json), data, render)
    if failed:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _validated(settings: Settings, ref: str) -> tuple[dict[str, Any], RatingError | None]:
    """One version's verdict: ok, or its error with every problem (never raises for it)."""
    from rating.ruleset.loader import load_ruleset

    try:
        return {"ref": load_ruleset(settings.rules_dir, ref).ref, "ok": True}, None
    except RatingError as exc:
        problems = [p.as_dict() for p in exc.problems]
        return {
            "ref": ref,
            "ok": False,
            "code": exc.code,
            "message": exc.message,
            "problems": problems,
        }, exc
