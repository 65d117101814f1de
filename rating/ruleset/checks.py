"""Structural checks of a rule set that pydantic's field types cannot express."""

from __future__ import annotations

from collections import Counter

from rating.errors import ProblemCollector
from rating.ruleset.consequence_logic import check_consequences
from rating.ruleset.definition import Band, Rule, RuleSet
from rating.ruleset.names import COMPANY_FACTS, LIST_FACTS, bucket_facts
from rating.schema import CONTRACTS

INDICATORS = ("count", "sum", "avg", "share")


def check_structure(rs: RuleSet, problems: ProblemCollector, origin: str) -> None:
    """Structural faults of a validated rule set (bands, grades, buckets, rule fields, names,
    the evaluation unit, disclosure), each added to `problems` with its rule id."""
    _check_header(rs, problems, origin)
    _check_bands(rs.grades.bands, "grades.bands", problems, origin)
    if rs.project_grades:
        _check_bands(rs.project_grades, "project_grades", problems, origin)
    grades = list(rs.grade_order)
    for grade, n in Counter(grades).items():
        if n > 1:
            problems.add("RULESET_GRADES", f"grade '{grade}' is declared twice", file=origin)
    for override in rs.grades.overrides:
        if override.grade not in grades:
            problems.add(
                "RULESET_GRADES",
                f"override gives unknown grade '{override.grade}'",
                file=origin,
                rule=override.id,
            )
    for cap in rs.grades.caps:
        if cap.grade not in grades:
            problems.add(
                "RULESET_GRADES", f"cap gives unknown grade '{cap.grade}'", file=origin, rule=cap.id
            )
    buckets = [b.id for b in rs.buckets]
    for bucket, n in Counter(buckets).items():
        if n > 1:
            problems.add("RULESET_BUCKETS", f"bucket '{bucket}' is declared twice", file=origin)
    for rule_id, n in Counter(r.id for r in rs.rules).items():
        if n > 1:
            problems.add("RULESET_DUPLICATE_RULE", "rule id used twice", file=origin, rule=rule_id)
    for rule in rs.rules:
        for message in rule_faults(rule, set(buckets)):
            problems.add("RULESET_RULE", message, file=origin, rule=rule.id)
    if rs.managers is not None:
        _check_bands(rs.managers.bands, "managers.bands", problems, origin)
    elif any(r.target == "manager" for r in rs.rules):
        problems.add("RULESET_RULE", "manager rules need a [managers] part", file=origin)
    _check_names(rs, problems, origin)
    _check_units(rs, problems, origin)
    ids = {r.id for r in rs.rules}
    durations = rs.disclosure.black_list
    for rule_id in durations.safety_rules:
        if rule_id not in ids:
            problems.add(
                "RULESET_DISCLOSURE",
                f"safety rule '{rule_id}' is not a rule of this set",
                file=origin,
            )
    if (
        durations.min_months > durations.max_months
        or durations.min_months_safety > durations.max_months
    ):
        problems.add(
            "RULESET_DISCLOSURE", "a minimum list duration exceeds the maximum", file=origin
        )
    check_consequences(rs, problems, origin)


def _check_header(rs: RuleSet, problems: ProblemCollector, origin: str) -> None:
    h = rs.ruleset
    if h.expires_on and h.expires_on < h.effective_from:
        problems.add("RULESET_DATES", "expires_on is before effective_from", file=origin)
    if h.shadow_until and h.shadow_until < h.effective_from:
        problems.add("RULESET_DATES", "shadow_until is before effective_from", file=origin)


def _check_bands(
    bands: tuple[Band, ...], where: str, problems: ProblemCollector, origin: str
) -> None:
    if not bands:
        problems.add("RULESET_GRADES", f"{where}: at least one band is needed", file=origin)
        return
    if bands[-1].min is not None:
        problems.add(
            "RULESET_GRADES",
            f"{where}: the last band must have no min (it takes the rest)",
            file=origin,
        )
    mins = [b.min for b in bands[:-1]]
    if any(m is None for m in mins):
        problems.add("RULESET_GRADES", f"{where}: only the last band may lack a min", file=origin)
    elif any(a <= b for a, b in zip(mins, mins[1:], strict=False)):  # type: ignore[operator]
        problems.add(
            "RULESET_GRADES", f"{where}: mins must fall strictly from best to worst", file=origin
        )


def rule_faults(rule: Rule, buckets: set[str]) -> list[str]:
    """Every structural fault of one rule, in plain words."""
    faults = []
    if rule.target == "company" and rule.bucket not in buckets:
        faults.append(f"company rules need a bucket from {sorted(buckets)}; got '{rule.bucket}'")
    if rule.target == "project" and rule.bucket is not None:
        faults.append("project rules add to the project score: drop `bucket`")
    if rule.source == "events" and rule.target == "project":
        faults.append(
            "rules over events target the company or the manager (events name a company, "
            "not always a project)"
        )
    if rule.target == "manager" and (rule.bucket is not None or rule.per_1000_households):
        faults.append(
            "manager rules add to the manager's score: no `bucket`, no per_1000_households"
        )
    if rule.measure == "each":
        if rule.points is None:
            faults.append("measure 'each' needs `points` (a number or an expression per record)")
        if rule.bands:
            faults.append("measure 'each' takes no `bands`")
    else:
        if bool(rule.bands) == (rule.points is not None):
            faults.append(
                f"measure '{rule.measure}' needs exactly one of `bands` or `points` (a formula of value)"
            )
        if rule.bands and rule.bands[-1].upto is not None:
            faults.append("the last indicator band must have no `upto` (it takes the rest)")
        uptos = [b.upto for b in rule.bands[:-1]]
        known = [u for u in uptos if u is not None]
        if len(known) < len(uptos) or any(a >= b for a, b in zip(known, known[1:], strict=False)):
            faults.append("indicator bands need rising `upto` values")
    if rule.measure in ("sum", "avg") and rule.value is None:
        faults.append(f"measure '{rule.measure}' needs `value`")
    if rule.measure == "share" and rule.of is None:
        faults.append("measure 'share' needs `of` (the records the share is taken of)")
    if rule.per_1000_households and rule.measure not in ("count", "sum"):
        faults.append("per_1000_households applies to 'count' and 'sum' only")
    if rule.shrink is not None and not (
        rule.per_1000_households and rule.measure == "count" and rule.target == "project"
    ):
        faults.append(
            "shrink applies to project rules that count records per 1,000 households "
            "(measure 'count', per_1000_households = true, target 'project')"
        )
    columns = set(CONTRACTS[rule.source].columns)
    for name in (rule.window.until_column, rule.window.rectified_column):
        if name is not None and name not in columns:
            faults.append(f"window column '{name}' is not a column of {rule.source}")
    if rule.window.mode == "until_rectified" and rule.window.rectified_column is None:
        faults.append("window 'until_rectified' needs `rectified_column`")
    return faults


def _check_names(rs: RuleSet, problems: ProblemCollector, origin: str) -> None:
    """Fact and rank ids are unique and do not hide a company fact or a bucket's facts."""
    taken = {n.name for n in (*COMPANY_FACTS, *LIST_FACTS, *bucket_facts(rs))}
    seen: set[str] = set()
    for item_id, names in [(f.id, [f.id]) for f in rs.facts] + [
        (r.id, [r.id, f"{r.id}_count", f"{r.id}_share"]) for r in rs.ranks
    ]:
        for name in names:
            if name in taken or name in seen:
                problems.add(
                    "RULESET_NAMES",
                    f"'{name}' is already a company fact name: choose another id",
                    file=origin,
                    rule=item_id,
                )
            seen.add(name)


def _check_units(rs: RuleSet, problems: ProblemCollector, origin: str) -> None:
    """What the evaluation unit and `not_evaluated` need (rules/README.md, [project])."""
    p = rs.project
    if p.unit == "evaluation":
        if p.evaluation is None:
            problems.add(
                "RULESET_UNIT",
                "unit 'evaluation' needs `evaluation = { source = …, key = … }`",
                file=origin,
            )
        elif p.evaluation.key not in CONTRACTS[p.evaluation.source].columns:
            problems.add(
                "RULESET_UNIT",
                f"evaluation key '{p.evaluation.key}' is not a column of {p.evaluation.source}",
                file=origin,
            )
        if p.not_evaluated == "base":
            problems.add(
                "RULESET_UNIT",
                "with unit 'evaluation' a project without an evaluation is 'not_rated' or keeps "
                "its 'latest' result; 'base' has no evaluation to score",
                file=origin,
            )
        if p.evaluated_by:
            problems.add(
                "RULESET_UNIT",
                "with unit 'evaluation' the evaluation's source decides: drop `evaluated_by`",
                file=origin,
            )
        for rule in rs.rules:
            if rule.target != "project" or p.evaluation is None:
                continue
            if rule.source != p.evaluation.source:
                problems.add(
                    "RULESET_UNIT",
                    f"project rules score one evaluation: read {p.evaluation.source}, not {rule.source}",
                    file=origin,
                    rule=rule.id,
                )
            if rule.window.mode != "period" or rule.shrink is not None:
                problems.add(
                    "RULESET_UNIT",
                    "project rules of an evaluation read only its records: window 'period', no shrink",
                    file=origin,
                    rule=rule.id,
                )
    elif p.evaluation is not None:
        problems.add("RULESET_UNIT", "`evaluation` needs unit = 'evaluation'", file=origin)
    if p.evaluated_by and p.without_records == "base":
        problems.add(
            "RULESET_UNIT",
            "`evaluated_by` matters only with not_evaluated = 'not_rated' or 'latest'",
            file=origin,
        )
