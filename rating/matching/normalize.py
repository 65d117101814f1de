"""Name normalisation for matching hotline orders, as DuckDB SQL expressions.

Orders name a compound and a company as a call-taker typed them: full-width characters,
brackets, spaces, with or without 有限公司/有限责任公司, a branch (…分公司), the city in front.
Both sides — the orders and the bureau's registers — go through the same expressions, so a
comparison is between cores: the brand of a company, the name of a compound.
"""

from __future__ import annotations

from rating.sql import lit, sql_text

FULL = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ（）［］【】　"
HALF = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz()[][] "

# Company-form and trade words every name shares (order matters: longest first).
COMPANY_WORDS = (
    "有限责任公司",
    "股份有限公司",
    "有限公司",
    "集团",
    "公司",
    "物业服务",
    "物业管理",
    "服务",
    "物业",
    "管理",
)
COMPOUND_TAILS = ("小区", "社区")


def _width(expr: str) -> str:
    return f"translate({expr}, {sql_text(lit(FULL))}, {sql_text(lit(HALF))})"


def _bare(expr: str) -> str:
    """Upper-cased, widths unified, no spaces or punctuation (brackets dropped, content kept)."""
    return f"upper(regexp_replace({_width(expr)}, '[\\s\\pP\\pS]', '', 'g'))"


def company_core(expr: str) -> str:
    """`云港市金鼎物业服务有限公司东湖分公司` → `金鼎`."""
    t = _bare(expr)
    t = f"regexp_replace({t}, '(有限责任公司|股份有限公司|有限公司|公司)?[^司]{{0,10}}分公司$', '')"
    t = f"regexp_replace({t}, '^[\\p{{Han}}]{{2,3}}市', '')"
    for word in COMPANY_WORDS:
        t = f"replace({t}, {sql_text(lit(word))}, '')"
    return f"nullif({t}, '')"


def compound_core(expr: str) -> str:
    """`阳光花园（二期）小区` → `阳光花园二期`."""
    t = _bare(expr)
    t = f"regexp_replace({t}, '({'|'.join(COMPOUND_TAILS)})$', '')"
    return f"nullif({t}, '')"


def place_core(expr: str) -> str:
    """Districts and streets: `滨海路街道办事处` → `滨海路`, `海滨区` → `海滨`."""
    t = _bare(expr)
    t = f"regexp_replace({t}, '(街道办事处|街道办|街道|镇|乡|区)$', '')"
    return f"nullif({t}, '')"
