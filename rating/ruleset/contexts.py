"""The contexts rule expressions are checked in, built from `rating.ruleset.names`.

A context says which names an expression may use and which engine column each becomes;
see `rating.ruleset.expressions.Context`. Every context of a rule set is made here, so the
loader (which compiles) and the type checker (which binds against typed empty rows) agree.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from rating.ruleset.definition import RuleSet
from rating.ruleset.expressions import Context, Function, column_node, quoted_column
from rating.ruleset.names import (
    MANAGER_FACTS,
    RULE_FUNCTIONS,
    company_names,
    project_attributes,
    project_column,
    project_result_names,
    rule_column,
    streak_column,
)
from rating.schema import CONTRACTS
from rating.schema.derived import record_names

Names = dict[str, Callable[[], exp.Expr]]


def _project_names(qualified: bool) -> Names:
    out: Names = {}
    for attribute in project_attributes():
        key = f"project.{attribute.name}" if qualified else attribute.name
        out[key] = column_node(project_column(attribute.name) if qualified else attribute.name)
    return out


def record_context(kind: str, rounding: str = "half_up") -> Context:
    """A rule's `when`, `value`, `of` and per-record `points` over source `kind`."""
    names = {n: column_node(n) for n in record_names(kind)}
    if "project_id" in CONTRACTS[kind].columns:
        names.update(_project_names(qualified=True))
    return Context(names, f"a rule over {kind}", rounding=rounding)


def value_context(*, project: bool, rounding: str = "half_up") -> Context:
    """An indicator formula: `value`, and in project rules the project's attributes."""
    names: Names = {"value": column_node("value")}
    what = "an indicator formula (`value`"
    if project:
        names.update(_project_names(qualified=True))
        what += " and project.<attribute>"
    return Context(names, what + ")", rounding=rounding)


def project_context(rounding: str = "half_up") -> Context:
    """`[project] include`: the attributes of a project (no results yet)."""
    names = _project_names(qualified=False)
    return Context(names, "project.include (project attributes)", rounding=rounding)


def results_context(definition: RuleSet, rounding: str = "half_up") -> Context:
    """A `[[facts]]` expression: a project's results and attributes, and its rules' numbers."""
    names: Names = {n.name: column_node(n.name) for n in project_result_names()}
    project_rules = frozenset(r.id for r in definition.rules if r.target == "project")
    functions = {
        name: Function(
            make=lambda rule_id, f=name: quoted_column(rule_column(f, rule_id)),  # type: ignore[misc]
            allowed=project_rules,
            example=f"{name}('P-CMP-RATE')",
        )
        for name in RULE_FUNCTIONS
    }
    return Context(
        names,
        "a company fact over projects ([[facts]])",
        functions=functions,
        rounding=rounding,
    )


def company_context(
    definition: RuleSet, *, ranks: bool = True, lists: bool = False, rounding: str = "half_up"
) -> Context:
    """A company condition: overrides, caps, `grades.by`, ranks (`ranks=False`), lists."""
    names: Names = {
        n.name: column_node(n.name) for n in company_names(definition, ranks=ranks, lists=lists)
    }
    functions: dict[str, Function] = {}
    if lists:
        functions["streak"] = Function(
            make=lambda grade: quoted_column(streak_column(grade)),
            allowed=None,
            example="streak('C')",
        )
    if lists:
        what = "a list condition"
    elif ranks:
        what = "a company condition (grade overrides, caps, grades.by)"
    else:
        what = "a ranking"
    return Context(names, what, functions=functions, rounding=rounding)


def manager_list_context(rounding: str = "half_up") -> Context:
    """A manager list condition (`[managers.lists]`): `MANAGER_FACTS` and `streak('…')`."""
    names: Names = {n.name: column_node(n.name) for n in MANAGER_FACTS}
    functions = {
        "streak": Function(
            make=lambda grade: quoted_column(streak_column(grade)),
            allowed=None,
            example="streak('记满18分')",
        )
    }
    return Context(names, "a manager list condition", functions=functions, rounding=rounding)
