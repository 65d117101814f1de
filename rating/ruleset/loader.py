"""Load a rule set version from `rules/<name>/<version>/ruleset.toml`, check it, compile it.

Every problem is collected — TOML syntax, unknown or mistyped fields (pydantic), structural
faults (unknown bucket, unsorted bands), and each expression refused by the checker — and
reported at once as one `RuleSetError` naming the file, the rule id and the reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlglot import exp

from rating.errors import NotFoundError, Problem, ProblemCollector, RuleSetError, UsageError
from rating.ruleset import checks
from rating.ruleset.definition import Override, Rule, RuleSet
from rating.ruleset.expressions import Context, ExpressionError, column_node, compile_expression
from rating.ruleset.fingerprint import Fingerprint, fingerprint, read_files
from rating.ruleset.typecheck import check_types
from rating.schema import CONTRACTS
from rating.schema.derived import record_names

RULESET_FILE = "ruleset.toml"


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    when: exp.Expr
    value: exp.Expr | None  # sum/avg: per-record value; share: the `when` as 0/1
    of: exp.Expr | None  # share: base filter
    points: exp.Expr | None  # each: per-record points; indicators: formula of value
    columns: frozenset[str]  # source names the rule reads


@dataclass(frozen=True)
class LoadedRuleSet:
    definition: RuleSet
    rules: tuple[CompiledRule, ...]
    overrides: tuple[tuple[Override, exp.Expr], ...]
    red: exp.Expr | None
    black: exp.Expr | None
    streak_grades: frozenset[str]
    fingerprint: Fingerprint
    files: dict[str, bytes]
    path: Path | None = None

    @property
    def ref(self) -> str:
        return self.definition.ref

    def sources(self) -> list[str]:
        return sorted({r.rule.source for r in self.rules})


def parse_ref(ref: str) -> tuple[str, str | None]:
    name, _, version = ref.partition("@")
    if not name:
        raise UsageError(
            f"'{ref}' is not a rule set: write NAME@VERSION", code="RULESET_REF_INVALID"
        )
    return name, version or None


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def find_version_dir(rules_dir: Path, name: str, version: str | None) -> Path:
    base = rules_dir / name
    if not base.is_dir():
        known = (
            sorted(p.name for p in rules_dir.iterdir() if p.is_dir()) if rules_dir.is_dir() else []
        )
        raise NotFoundError(
            f"no rule set '{name}' in {rules_dir} (known: {', '.join(known) or 'none'})",
            code="RULESET_NOT_FOUND",
        )
    versions = sorted(
        (p.name for p in base.iterdir() if (p / RULESET_FILE).is_file()), key=version_key
    )
    if version is None:
        if not versions:
            raise NotFoundError(f"rule set '{name}' has no versions", code="RULESET_NOT_FOUND")
        version = versions[-1]
    if version not in versions:
        raise NotFoundError(
            f"rule set '{name}' has no version {version} (known: {', '.join(versions)})",
            code="RULESET_NOT_FOUND",
        )
    return base / version


def load_ruleset(rules_dir: Path, ref: str) -> LoadedRuleSet:
    name, version = parse_ref(ref)
    folder = find_version_dir(Path(rules_dir), name, version)
    files = read_files(folder)
    loaded = load_from_bytes(files, origin=str(folder / RULESET_FILE))
    problems = ProblemCollector()
    header = loaded.definition.ruleset
    if (header.name, header.version) != (name, folder.name):
        problems.add(
            "RULESET_NAME_MISMATCH",
            f"the file says {header.name}@{header.version} but lives in {name}/{folder.name}",
            file=str(folder / RULESET_FILE),
        )
    problems.raise_if_any(RuleSetError, f"rule set {ref} does not check")
    return LoadedRuleSet(**{**loaded.__dict__, "path": folder})


def load_from_bytes(files: dict[str, bytes], origin: str = RULESET_FILE) -> LoadedRuleSet:
    """Load from the files themselves (as stored in the warehouse for replay)."""
    if RULESET_FILE not in files:
        raise RuleSetError(f"{origin}: no {RULESET_FILE}", code="RULESET_INVALID")
    try:
        data = tomllib.loads(files[RULESET_FILE].decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleSetError(
            f"{origin} is not valid TOML",
            problems=[Problem("RULESET_SYNTAX", str(exc), file=origin)],
        ) from None
    definition = _validate_model(data, origin)
    problems = ProblemCollector()
    checks.check_structure(definition, problems, origin)
    compiled = _compile(definition, problems, origin)
    problems.raise_if_any(RuleSetError, f"rule set in {origin} does not check")
    rules, overrides, red, black, streaks = compiled
    conditions = [(o.id, node) for o, node in overrides]
    conditions += [(f"lists.{k}", n) for k, n in (("red", red), ("black", black)) if n is not None]
    check_types(definition, rules, conditions, streaks, problems, origin)
    problems.raise_if_any(RuleSetError, f"rule set in {origin} does not check")
    return LoadedRuleSet(
        definition, rules, overrides, red, black, streaks, fingerprint(definition, files), files
    )


def _validate_model(data: dict[str, Any], origin: str) -> RuleSet:
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err["loc"]
            rule_id = None
            if len(loc) >= 2 and loc[0] == "rule" and isinstance(loc[1], int):
                rules = data.get("rule") or []
                if loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
                    rule_id = rules[loc[1]].get("id")
            where = ".".join(str(p) for p in loc)
            problems.append(
                Problem("RULESET_FIELD", f"{where}: {err['msg']}", file=origin, rule=rule_id)
            )
        raise RuleSetError(f"rule set in {origin} does not check", problems=problems) from None


def record_context(kind: str) -> Context:
    return Context({n: column_node(n) for n in record_names(kind)}, f"a rule over {kind}")


def value_context() -> Context:
    return Context({"value": column_node("value")}, "an indicator formula (only `value`)")


def company_context(definition: RuleSet, *, lists: bool) -> Context:
    names = [
        "score",
        "project_score",
        "projects",
        "households",
        "floor_area",
        "registered",
        "veto",
        "prev_grade",
        "prev_black",
    ]
    for bucket in definition.buckets:
        names += [f"points_{bucket.id}", f"count_{bucket.id}"]
    if lists:
        names.append("grade")
    what = "a list condition" if lists else "a grade override"
    return Context({n: column_node(n) for n in names}, what, allow_streak=lists)


def _compile(definition: RuleSet, problems: ProblemCollector, origin: str) -> tuple[Any, ...]:
    def attempt(text: str | None, context: Context, rule: str, field: str) -> exp.Expr | None:
        if text is None:
            return None
        try:
            return compile_expression(text, context)
        except ExpressionError as exc:
            problems.add(exc.code, f"{field}: {exc}", file=origin, rule=rule)
            return None

    rules = []
    for rule in definition.rules:
        ctx = record_context(rule.source)
        when = attempt(rule.when, ctx, rule.id, "when")
        value = attempt(rule.value, ctx, rule.id, "value")
        of = attempt(rule.of, ctx, rule.id, "of")
        points = None
        if isinstance(rule.points, str):
            points_ctx = ctx if rule.measure == "each" else value_context()
            points = attempt(rule.points, points_ctx, rule.id, "points")
        elif rule.points is not None:
            points = exp.Literal.number(str(rule.points))
        used = set(ctx.used) | {
            c for c in (rule.window.until_column, rule.window.rectified_column) if c
        }
        if rule.target == "manager" and rule.source == "events":
            used.add("manager_no")  # events against a manager name them
        if when is not None:
            rules.append(CompiledRule(rule, when, value, of, points, frozenset(used)))
    overrides = []
    for override in definition.grades.overrides:
        node = attempt(override.when, company_context(definition, lists=False), override.id, "when")
        if node is not None:
            overrides.append((override, node))
    lists_ctx = company_context(definition, lists=True)
    red = black = None
    if definition.lists.red:
        red = attempt(definition.lists.red.when, lists_ctx, "lists.red", "when")
    if definition.lists.black:
        black = attempt(definition.lists.black.when, lists_ctx, "lists.black", "when")
    return tuple(rules), tuple(overrides), red, black, frozenset(lists_ctx.streak_grades)


def list_rulesets(rules_dir: Path) -> list[tuple[str, str]]:
    """(name, version) of every rule set folder, sorted."""
    out = []
    if Path(rules_dir).is_dir():
        for name_dir in sorted(p for p in Path(rules_dir).iterdir() if p.is_dir()):
            for v in sorted(
                (p.name for p in name_dir.iterdir() if (p / RULESET_FILE).is_file()),
                key=version_key,
            ):
                out.append((name_dir.name, v))
    return out


__all__ = [
    "CONTRACTS",
    "LoadedRuleSet",
    "CompiledRule",
    "load_ruleset",
    "load_from_bytes",
    "list_rulesets",
]
