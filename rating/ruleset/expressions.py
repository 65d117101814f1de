"""Rule expressions: parsed with sqlglot, checked node by node, rewritten, then rendered.

An expression in a rule file (`when`, `value`, `points`, `of`, an override's or a list's
`when`) may use only: the names its context offers (a source's columns and derived columns,
`value` in an indicator formula, company facts in grade and list conditions), literals,
arithmetic, comparison, boolean logic, IN over literal lists, CASE, and the functions in
`FUNCTIONS`. Anything else — a subquery, a table-qualified column, an unknown function, a
parameter — is refused with the rule id and the reason. Names are rewritten to the engine's
own qualified columns, so the text a user wrote never reaches DuckDB as text.

Arithmetic is decimal (docs/decisions/0009-exact-thresholds.md): `/` gives the exact quotient
to 10 places (empty when dividing by zero), `%` by zero is empty, and `round` rounds the
decimal value half up or half to even as the rule set says (`rating.ruleset.arithmetic`).

Bounded: an expression longer than `MAX_CHARS`, nested deeper than `MAX_DEPTH` or with more
than `MAX_NODES` parts is refused (`RULESET_EXPRESSION_TOO_COMPLEX`) before the parser can
recurse without end. Safe at run time: a cast becomes TRY_CAST (a value that does not convert
is NULL, not an error halfway through a run) and `a % b` is empty when b is 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from rating.ruleset.arithmetic import division, modulo, rounding
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


@dataclass(frozen=True)
class Function:
    """A function of one quoted argument a context offers, e.g. streak('C') or value('P-X')."""

    make: Callable[[str], exp.Expr]  # the engine's column for the argument
    allowed: frozenset[str] | None  # arguments it accepts (None: any)
    example: str


@dataclass
class Context:
    """What an expression may name, and what each name becomes in SQL.

    `names` maps a name (`households`, or `project.households` for a project attribute) to
    the node it is rewritten to; `functions` the one-argument functions offered; `used` and
    `calls` record what an expression used (for the scope and the engine's joins).
    """

    names: dict[str, Callable[[], exp.Expr]]
    description: str
    functions: dict[str, Function] = field(default_factory=dict)
    rounding: str = "half_up"
    used: set[str] = field(default_factory=set)
    calls: set[tuple[str, str]] = field(default_factory=set)

    def called(self, function: str) -> set[str]:
        """The arguments `function` was called with."""
        return {arg for f, arg in self.calls if f == function}


def column_node(name: str, table: str | None = None) -> Callable[[], exp.Expr]:
    """A factory of the quoted engine column `name` (optionally table-qualified)."""

    def make() -> exp.Expr:
        return exp.column(exp.to_identifier(name, quoted=True), table=table)

    return make


def quoted_column(name: str) -> exp.Expr:
    """The quoted engine column `name`."""
    return exp.column(exp.to_identifier(name, quoted=True))


def compile_expression(text: str, context: Context) -> exp.Expr:
    """Parse, check and rewrite `text`; raise ExpressionError on anything not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if ";" in text:
        raise ExpressionError("only one expression is allowed (found ';')")
    _check_size(text)
    try:
        tree = sqlglot.parse_one(text, dialect=DIALECT)
    except SqlglotError as exc:
        errors = getattr(exc, "errors", None)
        first = errors[0]["description"] if errors else str(exc).splitlines()[0]
        raise ExpressionError(f"cannot parse: {first}") from None
    except RecursionError:
        raise _too_complex("nested too deeply to parse") from None
    if tree is None:
        raise ExpressionError("the expression is empty")
    _check_tree(tree)
    for node in list(tree.walk()):
        _check_node(node, context)
    try:
        return _made_safe(_bottom_up(tree.copy(), context))
    except RecursionError:
        raise _too_complex("nested too deeply to rewrite") from None


def _bottom_up(node: exp.Expr, context: Context) -> exp.Expr:
    """Rewrite children before their parent (a rewritten `/` still gets its columns renamed)."""
    for key, child in list(node.args.items()):
        if isinstance(child, exp.Expr):
            node.set(key, _bottom_up(child, context))
        elif isinstance(child, list):
            node.set(key, [_bottom_up(c, context) if isinstance(c, exp.Expr) else c for c in child])
    return _rewrite(node, context)


def _name_of(node: exp.Column) -> str:
    return f"{node.table}.{node.name}" if node.table else node.name


def _check_node(node: exp.Expr, context: Context) -> None:
    if isinstance(node, exp.Anonymous):
        _check_function(node, context)
        return
    if isinstance(node, exp.Var) and isinstance(node.parent, exp.DateDiff):
        if node.name.upper() not in DATE_UNITS:
            raise ExpressionError(
                f"date_diff unit '{node.name}' is not one of {sorted(DATE_UNITS)}"
            )
        return
    if isinstance(node, exp.Round):
        _check_round(node)
    if type(node) in FUNCTIONS:
        return
    if not isinstance(node, NODES):
        raise ExpressionError(
            f"'{node.sql(dialect=DIALECT)}' is not allowed in a rule ({_kind(node)})"
        )
    if isinstance(node, exp.Column):
        _check_column(node, context)
    if isinstance(node, exp.DataType) and node.this.name.upper() not in CAST_TYPES:
        raise ExpressionError(f"cast to {node.sql()} is not allowed")
    if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
        raise ExpressionError("IN takes a list of values, not a query")


def _check_column(node: exp.Column, context: Context) -> None:
    name = _name_of(node)
    if node.args.get("db") or node.args.get("catalog"):
        raise ExpressionError(f"'{node.sql()}': name columns without a table")
    if name in context.names:
        context.used.add(name)
        return
    if node.table == "project":
        known = ", ".join(sorted(n for n in context.names if n.startswith("project.")))
        where = f"known: {known}" if known else "project attributes are not available here"
        raise ExpressionError(f"unknown name '{name}' in {context.description}; {where}")
    if node.table:
        raise ExpressionError(f"'{node.sql()}': name columns without a table")
    known = ", ".join(sorted(context.names))
    raise ExpressionError(f"unknown name '{name}' in {context.description}; known: {known}")


def _check_round(node: exp.Round) -> None:
    places = node.args.get("decimals")
    if places is None:
        return
    if not (isinstance(places, exp.Literal) and not places.is_string and places.this.isdigit()):
        raise ExpressionError("round takes a whole number of places, e.g. round(x, 2)")
    if int(places.this) > 10:
        raise ExpressionError("round keeps at most 10 places")


def _check_function(node: exp.Anonymous, context: Context) -> None:
    name = str(node.this).lower()
    spec = context.functions.get(name)
    if spec is None:
        raise ExpressionError(f"unknown function '{node.this}' in {context.description}")
    args = node.expressions
    if len(args) != 1 or not (isinstance(args[0], exp.Literal) and args[0].is_string):
        raise ExpressionError(f"{name} takes one argument in quotes, e.g. {spec.example}")
    if spec.allowed is not None and args[0].this not in spec.allowed:
        choices = ", ".join(sorted(spec.allowed)) or "none"
        raise ExpressionError(f"{name}('{args[0].this}'): not one of {choices}")
    context.calls.add((name, args[0].this))


def _rewrite(node: exp.Expr, context: Context) -> exp.Expr:
    if isinstance(node, exp.Column):
        return context.names[_name_of(node)]()
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        return context.functions[name].make(node.expressions[0].this)
    if isinstance(node, exp.Div):
        return division(node.this, node.expression, context.rounding)
    if isinstance(node, exp.Mod):
        return modulo(node.this, node.expression)
    if isinstance(node, exp.Round):
        return rounding(node.this, node.args.get("decimals"), context.rounding)
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
