"""Rule set commands: rules list|show|validate."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rating.cli.common import CheckFailed, Invocation, JsonOption, emit, say
from rating.cli.display import Col, print_table, score, text, when, word
from rating.cli.i18n import _

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
                    r["title"],
                    when(r["effective_from"]),
                    when(r["expires_on"]) if r["expires_on"] else _("open"),
                    when(r["shadow_until"]),
                    r["rules"],
                    r["logic_sha256"][:16],
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
    from rating.errors import RuleSetError
    from rating.ruleset.loader import list_rulesets, load_ruleset
    from rating.settings import Settings

    settings = Settings.from_env()
    refs = [ref] if ref else [f"{n}@{v}" for n, v in list_rulesets(settings.rules_dir)]
    try:
        checked = [load_ruleset(settings.rules_dir, r).ref for r in refs]
    except RuleSetError as exc:
        raise CheckFailed(exc.message, problems=exc.problems, code=exc.code) from exc
    emit(
        Invocation(None, json),
        {"ok": True, "checked": checked},
        lambda: say(_("OK: {refs}").format(refs=text(checked))),
    )
