"""Load a rule set version from `rules/<name>/<version>/ruleset.toml`, check it, compile it.

Every problem is collected — TOML syntax, unknown or mistyped fields (pydantic), structural
faults (unknown bucket, unsorted bands), and each expression refused by the checker — and
reported at once as one `RuleSetError` naming the file, the rule id and the reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlglot import exp

from rating.errors import (
    NotFoundError,
    Problem,
    ProblemCollector,
    RatingError,
    RuleSetError,
    UsageError,
)
from rating.ruleset import checks
from rating.ruleset.compiled import (
    Compiled,
    CompiledFact,
    CompiledManagerLists,
    CompiledRank,
    CompiledRule,
    compile_ruleset,
)
from rating.ruleset.definition import Cap, Override, RuleSet
from rating.ruleset.fingerprint import Fingerprint, fingerprint, read_files
from rating.ruleset.typecheck import check_types

RULESET_FILE = "ruleset.toml"
MAX_FILE_BYTES = 1_000_000  # a rule file is a page of text, not a data set


@dataclass(frozen=True)
class LoadedRuleSet:
    """A checked rule set: its definition, compiled expressions, fingerprints and files."""

    definition: RuleSet
    rules: tuple[CompiledRule, ...]
    overrides: tuple[tuple[Override, exp.Expr], ...]
    red: exp.Expr | None
    black: exp.Expr | None
    streak_grades: frozenset[str]
    fingerprint: Fingerprint
    files: dict[str, bytes]
    path: Path | None = None
    caps: tuple[tuple[Cap, exp.Expr], ...] = ()
    facts: tuple[CompiledFact, ...] = ()
    ranks: tuple[CompiledRank, ...] = ()
    grade_by: exp.Expr | None = None
    include: exp.Expr | None = None
    manager_lists: CompiledManagerLists | None = None

    @property
    def ref(self) -> str:
        return self.definition.ref

    def sources(self) -> list[str]:
        """The source kinds a run reads: the rules' and those that make evaluations, sorted."""
        kinds: set[str] = {r.rule.source for r in self.rules}
        if self.definition.project.without_records != "base":
            kinds |= set(self.evaluated_by())
        return sorted(kinds)

    def evaluated_by(self) -> tuple[str, ...]:
        """The sources whose records in the period make a project evaluated (rules/README.md):
        the evaluation's source, else `evaluated_by`, else every source a project rule reads."""
        scoring = self.definition.project
        if scoring.evaluation is not None and scoring.unit == "evaluation":
            return (scoring.evaluation.source,)
        if scoring.evaluated_by:
            return tuple(scoring.evaluated_by)
        return tuple(sorted({r.rule.source for r in self.rules if r.rule.target == "project"}))


def parse_ref(ref: str) -> tuple[str, str | None]:
    """(name, version or None) of `NAME@VERSION`; raises `UsageError` (`RULESET_REF_INVALID`)."""
    name, _, version = ref.partition("@")
    if not name:
        raise UsageError(
            f"'{ref}' is not a rule set: write NAME@VERSION", code="RULESET_REF_INVALID"
        )
    return name, version or None


def version_key(version: str) -> tuple[int, ...]:
    """A sort key ordering `1.10.0` after `1.9.0`."""
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def find_version_dir(rules_dir: Path, name: str, version: str | None) -> Path:
    """The folder of `name` at `version` (None: the newest) under `rules_dir`;
    raises `NotFoundError` (`RULESET_NOT_FOUND`) naming the known ones."""
    base = rules_dir / name
    if not base.is_dir():
        known = (
            sorted(p.name for p in rules_dir.iterdir() if p.is_dir()) if rules_dir.is_dir() else []
        )
        raise NotFoundError(
            f"no rule set '{name}' in {rules_dir} (known: {', '.join(known) or 'none'}); "
            "RATING_RULES_DIR names the folder of rule sets",
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
    """Load and check `NAME[@VERSION]` from `rules_dir`; raises `RuleSetError` listing every
    problem (also `RULESET_NAME_MISMATCH` when the file names another version) or
    `NotFoundError`."""
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
    _check_rewording(Path(rules_dir), loaded, problems, str(folder / RULESET_FILE))
    problems.raise_if_any(RuleSetError, f"rule set {ref} does not check")
    return replace(loaded, path=folder)


def _check_rewording(
    rules_dir: Path, loaded: LoadedRuleSet, problems: ProblemCollector, origin: str
) -> None:
    """A wording revision must reword a version that exists, with its validity, and nothing else."""
    header = loaded.definition.ruleset
    if header.rewords is None:
        return
    ref = f"{header.name}@{header.rewords.version}"
    if _rewords_only(rules_dir, ref, loaded):
        return
    try:
        original = load_ruleset(rules_dir, ref)
    except RatingError as exc:
        problems.add("RULESET_REWORDS", f"rewords {ref}, which does not load: {exc}", file=origin)
        return
    was = original.definition.ruleset
    if (was.effective_from, was.expires_on) != (
        header.rewords.effective_from,
        header.rewords.expires_on,
    ):
        problems.add(
            "RULESET_REWORDS",
            f"rewords {ref}, whose validity is {was.effective_from} – {was.expires_on or 'open'}",
            file=origin,
        )
    elif original.fingerprint.logic != loaded.fingerprint.logic:
        problems.add(
            "RULESET_REWORDS",
            f"rewords {ref} but changes more than wording: `rating rules diff {ref} "
            f"{header.name}@{header.version}` shows what",
            file=origin,
        )


def _rewords_only(rules_dir: Path, ref: str, loaded: LoadedRuleSet) -> bool:
    """True when the version `ref` is found, names itself so, has the validity `loaded`
    says it rewords and the same logic fingerprint — read without checking it. Its checks
    (structure, expressions, types) read only what the logic fingerprint covers, which
    `loaded` has passed, so checking it again would find nothing new: a `rating run`
    under a wording revision spent a third of a second of CPU on that (issue 21). Any
    doubt (False) makes the caller load and check it in full for the exact reason."""
    header = loaded.definition.ruleset
    assert header.rewords is not None
    try:
        name, version = parse_ref(ref)
        folder = find_version_dir(rules_dir, name, version)
        files = read_files(folder)
        definition = _validate_model(_parse_toml(files[RULESET_FILE], RULESET_FILE), "")
    except (RatingError, KeyError):
        return False
    was = definition.ruleset
    return (
        (was.name, was.version) == (name, folder.name)
        and was.rewords is None
        and (was.effective_from, was.expires_on)
        == (header.rewords.effective_from, header.rewords.expires_on)
        and fingerprint(definition, files).logic == loaded.fingerprint.logic
    )


def load_from_bytes(files: dict[str, bytes], origin: str = RULESET_FILE) -> LoadedRuleSet:
    """Load from the files themselves (as stored in the warehouse for replay).

    `files` maps file names to bytes and must hold `ruleset.toml`. Raises `RuleSetError`
    listing every problem (syntax, fields, structure, expressions, types), each with the
    file and the rule id. Files already checked in this process are not checked again.
    """
    if RULESET_FILE not in files:
        raise RuleSetError(f"{origin}: no {RULESET_FILE}", code="RULESET_INVALID")
    key = tuple(sorted(files.items()))
    if (checked := _CHECKED.get(key)) is not None:
        return checked
    checked = _check(dict(files), origin)
    if len(_CHECKED) >= _CHECKED_MAX:
        del _CHECKED[next(iter(_CHECKED))]
    _CHECKED[key] = checked
    return checked


# Rule sets checked in this process, by the bytes of their files. One `rating run` loads the
# same version several times (selecting it, checking the version a wording revision rewords,
# reading the stored copy for the supervision classes) and each check type-checks every
# expression against an empty warehouse: 2.4 s of a 1M run's 15 on the shared machine
# (issue 21). Equal bytes give an equal result (the origin only names the file in errors,
# which are not kept), and a LoadedRuleSet is frozen.
_CHECKED: dict[tuple[tuple[str, bytes], ...], LoadedRuleSet] = {}
_CHECKED_MAX = 16


def _check(files: dict[str, bytes], origin: str) -> LoadedRuleSet:
    data = _parse_toml(files[RULESET_FILE], origin)
    definition = _validate_model(data, origin)
    problems = ProblemCollector()
    checks.check_structure(definition, problems, origin)
    compiled = compile_ruleset(definition, problems, origin)
    problems.raise_if_any(RuleSetError, f"rule set in {origin} does not check")
    check_types(definition, compiled, problems, origin)
    problems.raise_if_any(RuleSetError, f"rule set in {origin} does not check")
    return _loaded(definition, compiled, files)


def _loaded(definition: RuleSet, c: Compiled, files: dict[str, bytes]) -> LoadedRuleSet:
    return LoadedRuleSet(
        definition,
        c.rules,
        c.overrides,
        c.red,
        c.black,
        c.streak_grades,
        fingerprint(definition, files),
        files,
        caps=c.caps,
        facts=c.facts,
        ranks=c.ranks,
        grade_by=c.grade_by,
        include=c.include,
        manager_lists=c.manager_lists,
    )


def _parse_toml(raw: bytes, origin: str) -> dict[str, Any]:
    if len(raw) > MAX_FILE_BYTES:
        raise RuleSetError(
            f"{origin} is larger than {MAX_FILE_BYTES:,} bytes",
            problems=[Problem("RULESET_SYNTAX", "file too large", file=origin)],
        )
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        message = str(exc) if not isinstance(exc, RecursionError) else "nested too deeply"
        raise RuleSetError(
            f"{origin} is not valid TOML",
            problems=[Problem("RULESET_SYNTAX", message, file=origin)],
        ) from None


def _validate_model(data: dict[str, Any], origin: str) -> RuleSet:
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err["loc"]
            rule_id = _item_id(data, loc)
            where = ".".join(str(p) for p in loc)
            problems.append(
                Problem("RULESET_FIELD", f"{where}: {err['msg']}", file=origin, rule=rule_id)
            )
        raise RuleSetError(f"rule set in {origin} does not check", problems=problems) from None


def _item_id(data: dict[str, Any], loc: tuple[int | str, ...]) -> str | None:
    """The `id` of the rule (fact, rank) a validation error is about, when it has one."""
    if len(loc) < 2 or loc[0] not in ("rule", "facts", "ranks") or not isinstance(loc[1], int):
        return None
    items = data.get(str(loc[0]))
    if not isinstance(items, list) or loc[1] >= len(items) or not isinstance(items[loc[1]], dict):
        return None
    found = items[loc[1]].get("id")
    return None if found is None else str(found)


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
    "LoadedRuleSet",
    "CompiledRule",
    "load_ruleset",
    "load_from_bytes",
    "list_rulesets",
]
