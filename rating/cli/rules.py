"""Rule set commands: rules list|show|validate|check."""

from __future__ import annotations

import tempfile
from pathlib import Path
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
    from rating.ruleset.definition import RuleSet
    from rating.settings import Settings

rules_app = typer.Typer(help="Rule sets: list, show, validate, check.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `rating rules …` to the `rating` command line app (`rating.cli.app`)."""
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
    from rating.ruleset.codes import code_uses
    from rating.ruleset.loader import load_ruleset
    from rating.settings import Settings

    settings = Settings.from_env()
    rs = load_ruleset(settings.rules_dir, ref)
    codes = code_uses(rs)
    data = rs.definition.model_dump(mode="json", by_alias=True) | {
        "fingerprint": rs.fingerprint.as_dict(),
        "codes": [c.as_dict() for c in codes],
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
            + (
                _(" (the bands read {by})").format(by=rs.definition.grades.by)
                if rs.definition.grades.by
                else ""
            )
        )
        _print_extras(rs.definition)
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
        print_table(
            _(
                "Behaviour codes (行为代码) of good and bad information, and the rules counting each"
            ),
            [
                Col(_("code"), keep=True),
                _("信息类别"),
                Col(_("meaning"), wrap=True),
                _("serious"),
                Col(_("rules"), wrap=True),
            ],
            [
                [
                    c.code,
                    c.info_kind,
                    c.meaning,
                    _("yes") if c.serious else "",
                    _(", ").join(c.rules) + (" " + _("(veto)") if c.veto else "") or "–",
                ]
                for c in codes
            ],
        )

    emit(Invocation(None, json), data, render)


def _print_extras(d: RuleSet) -> None:
    """The unit, rankings, facts over projects and caps of a version, when it has them."""
    p = d.project
    if p.unit == "evaluation" and p.evaluation is not None:
        say(
            _("unit: each evaluation ({source} by {key}); without one: {without}").format(
                source=word("kind", p.evaluation.source),
                key=p.evaluation.key,
                without=p.without_records,
            )
        )
    elif p.without_records != "base":
        say(_("a project without records in the period: {what}").format(what=p.without_records))
    for r in d.ranks:
        within = _(" within {partition}").format(partition=r.partition) if r.partition else ""
        keys = _(", ").join([f"{r.by} {r.order}", *(f"{k.by} {k.order}" for k in r.then)])
        say(
            _("rank {id}: {title} — by {keys}{within}; ties {ties}; among {among}").format(
                id=r.id, title=r.title, keys=keys, within=within, ties=r.ties, among=r.among
            )
        )
    for f in d.facts:
        say(
            _("fact {id}: {title} — {measure} where {when}").format(
                id=f.id, title=f.title, measure=f.measure, when=f.when
            )
        )
    for c in d.grades.caps:
        say(
            _("cap {id}: at most {grade} when {when} — {title}").format(
                id=c.id, grade=c.grade, when=c.when, title=c.title
            )
        )


@rules_app.command("validate")
def rules_validate(
    ref: Annotated[str | None, typer.Argument(help="NAME@VERSION (default: all).")] = None,
    json: JsonOption = False,
) -> None:
    """Load and check rule sets; every problem is reported with file, rule id and reason (exit 1).

    Warns (without failing) when a consequence table is not monotone: a better grade must
    never bring more inspections or fewer rewards.
    """
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
        "warnings": [w for r, _exc in results for w in r.get("warnings", [])],
    }

    def render() -> None:
        for r, exc in results:
            if exc is None:
                for w in r["warnings"]:
                    say(
                        _("{ref}: warning [{code}] {message}").format(
                            ref=r["ref"], code=w["code"], message=w["message"]
                        )
                    )
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
    from rating.ruleset.consequence_logic import monotone_problems
    from rating.ruleset.loader import load_ruleset

    try:
        rs = load_ruleset(settings.rules_dir, ref)
        warnings = [
            {"ruleset": rs.ref, **p.as_dict()}
            for p in monotone_problems(rs.definition, str(rs.path or rs.ref))
        ]
        return {"ref": rs.ref, "ok": True, "warnings": warnings}, None
    except RatingError as exc:
        problems = [p.as_dict() for p in exc.problems]
        return {
            "ref": ref,
            "ok": False,
            "code": exc.code,
            "message": exc.message,
            "problems": problems,
        }, exc


@rules_app.command("check")
def rules_check(
    ref: Annotated[str, typer.Argument(help="NAME@VERSION")],
    seed: Annotated[int, typer.Option(help="Seed of the generated city.")] = 1,
    complaints: Annotated[
        int, typer.Option(help="Complaint orders in the generated city.", min=1000)
    ] = 4000,
    projects: Annotated[
        int, typer.Option(help="Projects tried with one more complaint.", min=1, max=200)
    ] = 6,
    json: JsonOption = False,
) -> None:
    """Check a version's invariants on a generated city (seeded): complaints never raise a
    score, a veto gives the lowest grade, bands leave no gap or overlap, a better grade
    never a harsher consequence. Names the rule and the smallest counterexample; exit 1."""
    from rating.audit.invariants import check_periods
    from rating.ruleset.loader import load_ruleset
    from rating.settings import Settings
    from rating.synth.city import generated_warehouse

    settings = Settings.from_env()
    rs = load_ruleset(settings.rules_dir, ref)
    with tempfile.TemporaryDirectory(prefix="rating-check-") as tmp:
        city = generated_warehouse(Path(tmp), settings, seed=seed, complaints=complaints)
        try:
            report = check_periods(
                city.con, city.settings, rs, list(city.periods), projects=projects, folder=Path(tmp)
            )
        finally:
            city.con.close()
    payload = report.as_dict() | {"seed": seed, "complaints": complaints}

    def render() -> None:
        checked = _(", ").join(f"{k} {v}" for k, v in report.checked.items())
        say(
            _("{ref} on a generated city (seed {seed}, {period}): {checked}").format(
                ref=rs.ref, seed=seed, period=report.period, checked=checked
            )
        )
        if report.ok:
            say(_("OK: every invariant holds"))
            return
        print_table(
            _("Invariants broken (smallest counterexample first)"),
            [Col(_("invariant"), keep=True), Col(_("rule"), keep=True), Col(_("what"), wrap=True)],
            [[f.invariant, f.rule or "–", f.message] for f in report.findings],
        )

    emit(Invocation(None, json), payload, render)
    if not report.ok:
        raise typer.Exit(EXIT_CHECK_FAILED)
