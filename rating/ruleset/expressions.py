"""Rule expressions: parsed with sqlglot, checked node by node, rewritten, then rendered.

An expression in a rule file (`when`, `value`, `points`, `of`, an override's or a list's
`when`) may use only: the names its context offers (a source's columns and derived columns,
`value` in an indicator formula, company facts in grade and list conditions), literals,
arithmetic, comparison, boolean logic, IN over literal lists, CASE, and the functions in
`FUNCTIONS`. Anything else — a subquery, a table-qualified column, an unknown function, a
parameter — is refused with the rule id and the reason. Names are rewritten to the engine's
own qualified columns, so the text a user wrote never reaches DuckDB as text.

Bounded: an expression longer than `MAX_CHARS`, nested deeper than `MAX_DEPTH` or with more
than `MAX_NODES` parts is refused (`RULESET_EXPRESSION_TOO_COMPLEX`) before the parser can
recurse without end. Safe at run time: a cast becomes TRY_CAST (a value that does not convert
is NULL, not an error halfway through a run) and `a % b` becomes `a % NULLIF(b, 0)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from rating.sql import DIALECT

NODES: tuple[type[exp.Expr], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.Neg,
    exp.Case,
    exp.If,
    exp.Like,
    exp.ILike,
    exp.Cast,
    exp.DataType,
)
# Functions a rule may call, by the sqlglot node they parse to.
FUNCTIONS: dict[type[exp.Expr], str] = {
    exp.Coalesce: "coalesce",
    exp.Greatest: "greatest",
    exp.Least: "least",
    exp.Abs: "abs",
    exp.Round: "round",
    exp.Floor: "floor",
    exp.Ceil: "ceil",
    exp.Sqrt: "sqrt",
    exp.Ln: "ln",
    exp.Nullif: "nullif",
    exp.Length: "length",
    exp.Lower: "lower",
    exp.Upper: "upper",
    exp.Contains: "contains",
    exp.StartsWith: "starts_with",
    exp.Year: "year",
    exp.Month: "month",
    exp.Quarter: "quarter",
    exp.DateDiff: "date_diff",
}
CAST_TYPES = {"DOUBLE", "INT", "BIGINT", "DECIMAL", "VARCHAR", "TEXT", "DATE", "BOOLEAN"}
MAX_CHARS = 2000
MAX_DEPTH = 32
MAX_NODES = 400
DATE_UNITS = {"DAY", "MONTH", "YEAR", "HOUR", "QUARTER"}


class ExpressionError(ValueError):
    """An expression that is refused; the message says why in plain words, `code` what kind."""

    def __init__(self, message: str, code: str = "RULESET_EXPRESSION") -> None:
        super().__init__(message)
        self.code = code


def _too_complex(why: str) -> ExpressionError:
    return ExpressionError(
        f"the expression is too complex: {why}", "RULESET_EXPRESSION_TOO_COMPLEX"
    )


def _check_size(text: str) -> None:
    """Refuse what would make the parser recurse deeply or work long, before parsing."""
    if len(text) > MAX_CHARS:
        raise _too_complex(f"{len(text)} characters, at most {MAX_CHARS}")
    depth = deepest = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise _too_complex(f"parentheses nested {deepest} deep, at most {MAX_DEPTH}")


def _check_tree(tree: exp.Expr) -> None:
    nodes = 0
    for node in tree.walk():
        nodes += 1
        if nodes > MAX_NODES:
            raise _too_complex(f"more than {MAX_NODES} parts")
        depth, parent = 0, node.parent
        while parent is not None:
            depth += 1
            parent = parent.parent
        if depth > MAX_DEPTH * 2:
            raise _too_complex(f"nested more than {MAX_DEPTH * 2} levels")


@dataclass
class Context:
    """What an expression may name, and what each name becomes in SQL."""

    names: dict[str, Callable[[], exp.Expr]]
    description: str
    allow_streak: bool = False
    streak_grades: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)


def column_node(name: str, table: str | None = None) -> Callable[[], exp.Expr]:
    def make() -> exp.Expr:
        return exp.column(exp.to_identifier(name, quoted=True), table=table)

    return make


def streak_column(grade: str) -> str:
    return f"streak__{grade.encode().hex()}"


def compile_expression(text: str, context: Context) -> exp.Expr:
    """Parse, check and rewrite `text`; raise ExpressionError on anything not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if ";" in text:
        raise ExpressionError("only one expression is allowed (found ';')")
    _check_size(text)
    try:
        tree = sqlglot.parse_one(text, dialect=DIALECT)
    except ParseError as exc:
        first = exc.errors[0]["description"] if exc.errors else str(exc)
        raise ExpressionError(f"cannot parse: {first}") from None
    except RecursionError:
        raise _too_complex("nested too deeply to parse") from None
    if tree is None:
        raise ExpressionError("the expression is empty")
    _check_tree(tree)
    for node in list(tree.walk()):
        _check_node(node, context)
    return _made_safe(tree.transform(lambda n: _rewrite(n, context)))


def _check_node(node: exp.Expr, context: Context) -> None:
    if isinstance(node, exp.Anonymous):
        _check_streak(node, context)
        return
    if isinstance(node, exp.Var) and isinstance(node.parent, exp.DateDiff):
        if node.name.upper() not in DATE_UNITS:
            raise ExpressionError(
                f"date_diff unit '{node.name}' is not one of {sorted(DATE_UNITS)}"
            )
        return
    if type(node) in FUNCTIONS:
        return
    if not isinstance(node, NODES):
        raise ExpressionError(
            f"'{node.sql(dialect=DIALECT)}' is not allowed in a rule ({_kind(node)})"
        )
    if isinstance(node, exp.Column):
        if node.table:
            raise ExpressionError(f"'{node.sql()}': name columns without a table")
        if node.name not in context.names:
            known = ", ".join(sorted(context.names))
            raise ExpressionError(
                f"unknown name '{node.name}' in {context.description}; known: {known}"
            )
        context.used.add(node.name)
    if isinstance(node, exp.DataType) and node.this.name.upper() not in CAST_TYPES:
        raise ExpressionError(f"cast to {node.sql()} is not allowed")
    if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
        raise ExpressionError("IN takes a list of values, not a query")


def _check_streak(node: exp.Anonymous, context: Context) -> None:
    name = str(node.this).lower()
    if name != "streak" or not context.allow_streak:
        raise ExpressionError(f"unknown function '{node.this}' in {context.description}")
    args = node.expressions
    if len(args) != 1 or not (isinstance(args[0], exp.Literal) and args[0].is_string):
        raise ExpressionError("streak takes one grade in quotes, e.g. streak('C')")
    context.streak_grades.add(args[0].this)


def _rewrite(node: exp.Expr, context: Context) -> exp.Expr:
    if isinstance(node, exp.Column):
        return context.names[node.name]()
    if isinstance(node, exp.Anonymous):
        return exp.column(exp.to_identifier(streak_column(node.expressions[0].this), quoted=True))
    return node


def _made_safe(tree: exp.Expr) -> exp.Expr:
    """What could fail halfway through a run, made total (in place, nested ones too): a cast
    that does not convert gives NULL (TRY_CAST), a remainder by zero gives NULL."""
    for node in list(tree.find_all(exp.Cast, exp.Mod)):
        if isinstance(node, exp.Cast) and not isinstance(node, exp.TryCast):
            safe: exp.Expr = exp.TryCast(this=node.this, to=node.args["to"])
        elif isinstance(node, exp.Mod) and not isinstance(node.expression, exp.Nullif):
            divisor = exp.Nullif(this=node.expression, expression=exp.Literal.number(0))
            safe = exp.Mod(this=node.this, expression=divisor)
        else:
            continue
        if node is tree:
            tree = safe
        else:
            node.replace(safe)
    return tree


def _kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Subquery | exp.Select):
        return "subqueries are not allowed"
    if isinstance(node, exp.Placeholder | exp.Parameter):
        return "parameters are not allowed"
    if isinstance(node, exp.Func):
        return "function not in the allow-list: " + ", ".join(sorted(set(FUNCTIONS.values())))
    return f"{type(node).__name__} is not an allowed construct"
