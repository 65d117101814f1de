"""Exact decimal arithmetic for rule expressions and the engine's quotients.

Thresholds compare exact numbers (docs/decisions/0009-exact-thresholds.md): DuckDB divides
decimals in binary floating point (and gives ±inf for x / 0), so a quotient the engine makes
— an indicator's value, a share, a company's mean score, `/` in an expression — is computed
here in integers instead: both operands scaled to whole numbers (HUGEINT), divided, and
rounded once, half up (half away from zero) or half to even, to a fixed number of places.
So 3 complaints over 300 households per 1,000 is exactly 10.0000000000 and meets `upto = 10`.

The macros are TEMP macros: `install` puts them on a connection before rule SQL runs
(the engine's, the type checker's, the invariant checker's), read-only ones included.
"""

from __future__ import annotations

import duckdb
from sqlglot import exp

from rating.sql import DIALECT

PLACES = 10  # places of every quotient the engine makes
MODES = ("half_up", "half_even")

_SCALE = 10**PLACES


def _unit(places: int) -> str:
    """The literal 10⁻ᵖˡᵃᶜᵉˢ (a DECIMAL literal: multiplying by it is exact)."""
    return "1" if places == 0 else "0." + "0" * (places - 1) + "1"


MACROS = (
    # An operand as a whole number of 10⁻¹⁰ units (exact for inputs of ≤ 10 places).
    f"CREATE OR REPLACE TEMP MACRO rating_scaled(x) AS "
    f"CAST(CAST(x AS DECIMAL(38,{PLACES})) * {_SCALE} AS HUGEINT)",
    # n ÷ d for whole numbers, d not 0, rounded to a whole number (empty when d is 0, by
    # `nullif`). No CASE: a macro's arguments are pasted in as text and DuckDB computes a
    # repeated expression once only outside a CASE, so the quotient and remainder of |n| by
    # |d| are divided once each (a third fewer CPU seconds than the CASE form, issue 21).
    """CREATE OR REPLACE TEMP MACRO rating_qround(n, d, even) AS
       (1 - 2 * CAST((n < 0) <> (d < 0) AS INTEGER))
       * (abs(n) // abs(nullif(d, 0))
          + CAST(2 * (abs(n) % abs(nullif(d, 0))) > abs(d)
                 OR (2 * (abs(n) % abs(nullif(d, 0))) = abs(d)
                     AND (NOT even OR (abs(n) // abs(nullif(d, 0))) % 2 = 1)) AS INTEGER))""",
    # n ÷ d for whole numbers, rounded to a whole number; empty when d is 0 (n is then not
    # computed, as before: an n too large for HUGEINT over 0 stays empty, not an error).
    """CREATE OR REPLACE TEMP MACRO rating_qdiv(n, d, even) AS
       rating_qround(CASE WHEN d = 0 THEN 0 ELSE n END, d, even)""",
    # a ÷ b to 10 places, as DECIMAL(38,10).
    f"""CREATE OR REPLACE TEMP MACRO rating_div(a, b, even) AS
       CAST(rating_qdiv(rating_scaled(a) * {_SCALE}, rating_scaled(b), even) AS DECIMAL(38,0))
       * {_unit(PLACES)}""",
    "CREATE OR REPLACE TEMP MACRO rating_mod(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a % b END",
)


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Create the arithmetic macros on `con` (idempotent; works on read-only connections)."""
    for statement in MACROS:
        con.execute(statement)


def _even(mode: str) -> exp.Expr:
    if mode not in MODES:
        raise ValueError(f"unknown rounding mode {mode!r}")
    return exp.Boolean(this=mode == "half_even")


def division(a: exp.Expr, b: exp.Expr, mode: str) -> exp.Expr:
    """`a / b` as the exact quotient rounded to 10 places (empty when b is 0)."""
    return exp.Anonymous(this="rating_div", expressions=[a, b, _even(mode)])


def modulo(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """`a % b`, empty when b is 0 (DuckDB would stop the run)."""
    return exp.Anonymous(this="rating_mod", expressions=[a, b])


def rounding(x: exp.Expr, places: exp.Expr | None, mode: str) -> exp.Expr:
    """`round(x, n)` on the decimal value of x (so 2.675 rounds to 2.68, as on paper)."""
    decimal = exp.Cast(this=x, to=exp.DataType.build(f"DECIMAL(38,{PLACES})", dialect=DIALECT))
    digits = places if places is not None else exp.Literal.number(0)
    name = "round_even" if mode == "half_even" else "round"
    return exp.Anonymous(this=name, expressions=[decimal, digits])


def quotient_sql(numerator: str, denominator: str, mode: str, places: int = PLACES) -> str:
    """SQL for numerator ÷ denominator rounded once to `places`, as DECIMAL(38,places).

    Both are SQL expressions of numbers with at most 10 places; empty when the denominator
    is 0 or either is empty."""
    even = "true" if mode == "half_even" else "false"
    if places == PLACES:
        return f"rating_div({numerator}, {denominator}, {even})"
    whole = f"rating_qdiv(rating_scaled({numerator}) * {10**places}, rating_scaled({denominator}), {even})"
    return f"(CAST({whole} AS DECIMAL(38,0)) * {_unit(places)})"


def to_decimal_sql(expression: str, mode: str, places: int = 4, width: int = 18) -> str:
    """`expression` rounded once to `places` (half up or half to even) as DECIMAL(width,places)."""
    if mode == "half_even":
        expression = f"round_even({expression}, {places})"
    return f"CAST({expression} AS DECIMAL({width},{places}))"
