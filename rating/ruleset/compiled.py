"""A rule set compiled: every expression parsed, checked and rewritten, in typed shapes.

`compile_ruleset` turns a validated `RuleSet` into the shapes the engine reads
(`CompiledRule`, `CompiledFact`, `CompiledRank`, conditions), adding every refused
expression to a `ProblemCollector` with its rule id and field instead of stopping at the
first. The contexts come from `rating.ruleset.contexts`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from rating.errors import ProblemCollector
from rating.ruleset.contexts import (
    company_context,
    manager_list_context,
    project_context,
    record_context,
    results_context,
    value_context,
)
from rating.ruleset.definition import Cap, Fact, Override, Rank, Rule, RuleSet
from rating.ruleset.expressions import Context, ExpressionError, compile_expression

PROJECT_PREFIX = "project."


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    when: exp.Expr
    value: exp.Expr | None  # sum/avg: per-record value
    of: exp.Expr | None  # share: base filter
    points: exp.Expr | None  # each: per-record points; indicators: formula of value
    columns: frozenset[str]  # source names the rule reads
    project_columns: frozenset[str] = frozenset()  # project attributes it reads


@dataclass(frozen=True)
class CompiledFact:
    fact: Fact
    when: exp.Expr
    value: exp.Expr | None
    of: exp.Expr | None
    rule_numbers: frozenset[tuple[str, str]]  # (value|points|records, rule id) it reads


@dataclass(frozen=True)
class RankKey:
    node: exp.Expr
    order: str  # desc | asc


@dataclass(frozen=True)
class CompiledRank:
    rank: Rank
    keys: tuple[RankKey, ...]  # `by` first, then the `then` keys
    partition: exp.Expr | None
    among: exp.Expr


@dataclass(frozen=True)
class CompiledManagerLists:
    """`[managers.lists]` compiled: the conditions and the grades `streak()` reads."""

    red: exp.Expr | None
    black: exp.Expr | None
    streak_grades: frozenset[str]


@dataclass(frozen=True)
class Compiled:
    """Everything compiled from one rule set (what `LoadedRuleSet` carries)."""

    rules: tuple[CompiledRule, ...]
    overrides: tuple[tuple[Override, exp.Expr], ...]
    caps: tuple[tuple[Cap, exp.Expr], ...]
    facts: tuple[CompiledFact, ...]
    ranks: tuple[CompiledRank, ...]
    grade_by: exp.Expr | None
    include: exp.Expr | None
    red: exp.Expr | None
    black: exp.Expr | None
    streak_grades: frozenset[str]
    manager_lists: CompiledManagerLists | None = None


class _Compiler:
    def __init__(self, definition: RuleSet, problems: ProblemCollector, origin: str) -> None:
        self.definition = definition
        self.problems = problems
        self.origin = origin
        self.mode = definition.rounding_mode

    def attempt(self, text: str | None, context: Context, rule: str, field: str) -> exp.Expr | None:
        if text is None:
            return None
        try:
            return compile_expression(text, context)
        except ExpressionError as exc:
            self.problems.add(exc.code, f"{field}: {exc}", file=self.origin, rule=rule)
            return None

    def rule(self, rule: Rule) -> CompiledRule | None:
        ctx = record_context(rule.source, self.mode)
        when = self.attempt(rule.when, ctx, rule.id, "when")
        value = self.attempt(rule.value, ctx, rule.id, "value")
        of = self.attempt(rule.of, ctx, rule.id, "of")
        points = None
        used = set(ctx.used)
        if isinstance(rule.points, str):
            points_ctx = (
                ctx
                if rule.measure == "each"
                else value_context(project=rule.target == "project", rounding=self.mode)
            )
            points = self.attempt(rule.points, points_ctx, rule.id, "points")
            used |= points_ctx.used
        elif rule.points is not None:
            points = exp.Literal.number(format(rule.points, "f"))
        used |= {c for c in (rule.window.until_column, rule.window.rectified_column) if c}
        if rule.target == "manager" and rule.source == "events":
            used.add("manager_no")  # events against a manager name them
        if when is None:
            return None
        project = frozenset(
            n.removeprefix(PROJECT_PREFIX) for n in used if n.startswith(PROJECT_PREFIX)
        )
        columns = frozenset(n for n in used if not n.startswith(PROJECT_PREFIX) and n != "value")
        return CompiledRule(rule, when, value, of, points, columns, project)

    def fact(self, fact: Fact) -> CompiledFact | None:
        ctx = results_context(self.definition, self.mode)
        when = self.attempt(fact.when, ctx, fact.id, "when")
        value = self.attempt(fact.value, ctx, fact.id, "value")
        of = self.attempt(fact.of, ctx, fact.id, "of")
        if when is None:
            return None
        return CompiledFact(fact, when, value, of, frozenset(ctx.calls))

    def rank(self, rank: Rank) -> CompiledRank | None:
        def ctx() -> Context:
            return company_context(self.definition, ranks=False, rounding=self.mode)

        by = self.attempt(rank.by, ctx(), rank.id, "by")
        keys = [RankKey(by, rank.order)] if by is not None else []
        for i, key in enumerate(rank.then):
            node = self.attempt(key.by, ctx(), rank.id, f"then[{i}].by")
            if node is not None:
                keys.append(RankKey(node, key.order))
        partition = self.attempt(rank.partition, ctx(), rank.id, "partition")
        among = self.attempt(rank.among, ctx(), rank.id, "among")
        if by is None or among is None or len(keys) != 1 + len(rank.then):
            return None
        if rank.partition is not None and partition is None:
            return None
        return CompiledRank(rank, tuple(keys), partition, among)

    def conditions(self) -> tuple[list[tuple[Override, exp.Expr]], list[tuple[Cap, exp.Expr]]]:
        overrides, caps = [], []
        for override in self.definition.grades.overrides:
            ctx = company_context(self.definition, rounding=self.mode)
            node = self.attempt(override.when, ctx, override.id, "when")
            if node is not None:
                overrides.append((override, node))
        for cap in self.definition.grades.caps:
            ctx = company_context(self.definition, rounding=self.mode)
            node = self.attempt(cap.when, ctx, cap.id, "when")
            if node is not None:
                caps.append((cap, node))
        return overrides, caps


def compile_ruleset(definition: RuleSet, problems: ProblemCollector, origin: str) -> Compiled:
    """Compile every expression of `definition`; refused ones are added to `problems`."""
    c = _Compiler(definition, problems, origin)
    rules = tuple(r for r in (c.rule(rule) for rule in definition.rules) if r is not None)
    facts = tuple(f for f in (c.fact(fact) for fact in definition.facts) if f is not None)
    ranks = tuple(r for r in (c.rank(rank) for rank in definition.ranks) if r is not None)
    overrides, caps = c.conditions()
    grade_by = c.attempt(
        definition.grades.by,
        company_context(definition, rounding=c.mode),
        "grades.by",
        "by",
    )
    include = c.attempt(definition.project.include, project_context(c.mode), "project", "include")
    lists_ctx = company_context(definition, lists=True, rounding=c.mode)
    red = black = None
    if definition.lists.red:
        red = c.attempt(definition.lists.red.when, lists_ctx, "lists.red", "when")
    if definition.lists.black:
        black = c.attempt(definition.lists.black.when, lists_ctx, "lists.black", "when")
    return Compiled(
        rules,
        tuple(overrides),
        tuple(caps),
        facts,
        ranks,
        grade_by,
        include,
        red,
        black,
        frozenset(lists_ctx.called("streak")),
        _manager_lists(c, definition),
    )


def _manager_lists(c: _Compiler, definition: RuleSet) -> CompiledManagerLists | None:
    part = definition.managers
    if part is None or part.lists is None:
        return None
    ctx = manager_list_context(c.mode)
    red = black = None
    if part.lists.red:
        red = c.attempt(part.lists.red.when, ctx, "managers.lists.red", "when")
    if part.lists.black:
        black = c.attempt(part.lists.black.when, ctx, "managers.lists.black", "when")
    grades = {b.grade for b in part.bands}
    for grade in sorted(set(ctx.called("streak")) - grades):
        c.problems.add(
            "RULESET_EXPRESSION",
            f"streak('{grade}'): not a manager grade (managers.bands: {', '.join(sorted(grades))})",
            file=c.origin,
            rule="managers.lists",
        )
    return CompiledManagerLists(red, black, frozenset(ctx.called("streak")))
