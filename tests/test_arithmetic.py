"""The exact-quotient macros (rating.ruleset.arithmetic) give what the CASE form before them
gave (issue 21: the same values, NULLs and types, the divisions done once) and what rounding
on paper gives, in both modes, for every sign, tie and empty operand."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

import duckdb
import pytest

from rating.ruleset import arithmetic

# The macro as it was up to session 9 (the reference its replacement must equal).
CASE_QDIV = """CREATE OR REPLACE TEMP MACRO case_qdiv(n, d, even) AS
       CASE WHEN d = 0 THEN NULL ELSE
         (CASE WHEN (n < 0) <> (d < 0) THEN -1 ELSE 1 END)
         * (abs(n) // abs(d) + CASE
              WHEN 2 * (abs(n) % abs(d)) > abs(d) THEN 1
              WHEN 2 * (abs(n) % abs(d)) = abs(d) AND (NOT even OR (abs(n) // abs(d)) % 2 = 1)
                THEN 1
              ELSE 0 END) END"""

BIG = 10**37  # near HUGEINT's limit (≈ 1.7 × 10³⁸)


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    arithmetic.install(c)
    c.execute(CASE_QDIV)
    return c


def _on_paper(n: int, d: int, even: bool) -> int | None:
    if d == 0:
        return None
    mode = ROUND_HALF_EVEN if even else ROUND_HALF_UP
    with localcontext() as exact:
        exact.prec = 100
        return int((Decimal(n) / Decimal(d)).quantize(Decimal(1), rounding=mode))


def test_quotients_equal_the_case_form_and_paper(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TABLE q AS
           SELECT n::HUGEINT AS n, d::HUGEINT AS d, even
           FROM range(-41, 42) a(n), range(-9, 10) b(d), (VALUES (true), (false)) e(even)
           UNION ALL
           SELECT n::HUGEINT, d::HUGEINT, even FROM (VALUES
             (1, 0), (NULL, 3), (7, NULL), (NULL, NULL), (NULL, 0)) v(n, d),
             (VALUES (true), (false)) e(even)"""
    )
    for big_n, big_d in ((BIG + 5, 10), (-BIG - 5, 10), (BIG, 3), (BIG, -BIG // 2 + 1), (3, BIG)):
        for even in (True, False):
            con.execute("INSERT INTO q VALUES ($n, $d, $e)", {"n": big_n, "d": big_d, "e": even})
    found = con.execute(
        """SELECT n, d, even, rating_qdiv(n, d, even), case_qdiv(n, d, even),
                  typeof(rating_qdiv(n, d, even)), typeof(case_qdiv(n, d, even))
           FROM q"""
    ).fetchall()
    assert len(found) == 83 * 19 * 2 + 10 + 10
    for n, d, even, new, old, new_type, old_type in found:
        assert new_type == "HUGEINT", (n, d, even)
        assert (new, new_type) == (old, old_type), (n, d, even)
        if n is not None and d is not None:
            assert new == _on_paper(int(n), int(d), even), (n, d, even)


def test_decimal_quotients_equal_the_case_form(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""CREATE TEMP MACRO case_div(a, b, even) AS
            CAST(case_qdiv(rating_scaled(a) * {10**arithmetic.PLACES}, rating_scaled(b), even)
                 AS DECIMAL(38,0)) * 0.0000000001"""
    )
    same = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE rating_div(a, b, even)
                                             IS NOT DISTINCT FROM case_div(a, b, even))
           FROM (SELECT (i * 7919 % 200003 - 100000) / 1000.0 AS a,
                        (i * 104729 % 1999 - 999)::DECIMAL(18,4) / 8 AS b, i % 2 = 0 AS even
                 FROM range(20000) r(i))"""
    ).fetchone()
    assert same is not None and same[0] == same[1] == 20000


def test_an_operand_too_large_over_zero_stays_empty(con: duckdb.DuckDBPyConnection) -> None:
    """Over 0 the numerator is not computed, so one that would overflow HUGEINT is empty,
    not an error — as with the CASE form."""
    for sql in ("rating_div(1e20, 0, false)", "case_qdiv(rating_scaled(1e20) * 10^10, 0, true)"):
        assert con.execute(f"SELECT {sql}").fetchone() == (None,)
    assert con.execute("SELECT rating_div(1e20, 0, true)").fetchone() == (None,)
