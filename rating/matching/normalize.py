"""Names as officials write them: DuckDB SQL that splits a compound or company name into parts.

Orders name a compound and a company as a call-taker typed them: full-width characters,
brackets, spaces, traditional characters, the city or district in front, a phase in any notation
(一期, 1期, Ⅰ期, 第一期, (一期), 一区, 东区), a building (3栋, 1-5号楼), 小区 appended. Both
sides — the orders and the bureau's register — go through the same expressions, so that the
comparison (`rating.matching.evidence`) is between parts:

* compound: `stem` (阳光), `suffix` class (花园, 家园, 苑, 公寓, 名邸, 新村 … or NULL when the
  caller said only the stem), `part` (phase or section: '2', '东'), building `b_lo`–`b_hi`;
* company: its core, the brand (`云港市金鼎物业服务有限公司东湖分公司` → `金鼎`);
* district and street: without 区/县/街道/镇 and without the city in front.

Place prefixes (the city, its districts, provinces) come from the register itself and a small
gazetteer (`rating.matching.gazetteer`); they are passed in as a regular-expression
alternation built from escaped names, never from user input. Traditional characters are
converted with OpenCC per distinct spelling (`simplify`), not per row.
"""

from __future__ import annotations

import duckdb
import polars as pl

from rating.schema.vocabularies import COMPANY_WORDS
from rating.sql import frame, run, text_literal

FULL = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
HALF = "".join(chr(c) for c in range(0x21, 0x7F)) + " "

# Suffix classes of compound names, longest first (RE2 alternation takes the first that fits).
SUFFIXES = (
    "家属院", "家属楼", "家属区", "生活区", "教师楼", "宿舍", "花园", "家园", "嘉园", "佳园", "佳苑",
    "雅苑", "花苑", "名苑", "雅居", "华庭", "名邸", "公寓", "新村", "公馆", "山庄", "新城",
    "广场", "大厦", "名都", "小区", "社区", "苑", "府", "里", "园", "城", "湾", "庭", "居", "邸",
    "村", "院", "坊",
)  # fmt: skip
NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
            "十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十")  # fmt: skip
ROMAN = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "Ⅵ", "Ⅶ", "Ⅷ", "Ⅸ", "Ⅹ", "Ⅺ", "Ⅻ")
ASCII_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
PLACE_TAIL = "(街道办事处|街道办|街道|镇|乡|区|县)$"
GENERIC_TAIL = "(小区|社区)$"
BUILDING = "(\\d+)(?:至(\\d+))?(?:号楼|栋|幢|座|号院|号)(?:\\d+单元)?(?:\\d+室?)?$"
PART = (
    "(?:第)?([一二三四五六七八九十]{1,3}|\\d{1,2}|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ]|[IVX]{1,4})(?:期|区)$"
    "|([东西南北中])区$"
)


_q = text_literal


def width(expr: str) -> str:
    """Full-width letters, digits, brackets and spaces as their half-width forms."""
    return f"translate({expr}, {_q(FULL)}, {_q(HALF)})"


def bare(expr: str) -> str:
    """Upper-cased, half-width, no spaces or punctuation; a range `1-5`/`1～5`/`1至5` → `1至5`."""
    t = f"regexp_replace({width(expr)}, '(\\d)\\s*[-~—–至到]\\s*(\\d)', '\\1至\\2', 'g')"
    return f"upper(regexp_replace({t}, '[\\s\\pP\\pS]', '', 'g'))"


def strip_places(expr: str, places: str, keep: int = 2) -> str:
    """Drop leading place names (`云港`, `东湖区`, `云港市东湖区`) when `keep`+ characters remain."""
    if not places:
        return expr
    pattern = f"^(?:(?:{places})(?:省|市|区|县)?)+"
    stripped = f"regexp_replace({expr}, {_q(pattern)}, '')"
    return f"CASE WHEN length({stripped}) >= {keep} + 1 THEN {stripped} ELSE {expr} END"


def _number(token: str) -> str:
    """A phase token (三, 3, Ⅲ, III) as its number, as text; NULL when empty."""
    return (
        f"CASE WHEN {token} = '' THEN NULL "
        f"WHEN regexp_matches({token}, '^\\d+$') THEN CAST(CAST({token} AS INTEGER) AS VARCHAR) "
        f"ELSE CAST(nullif(greatest(list_position({_list(NUMERALS)}, {token}), "
        f"list_position({_list(ROMAN)}, {token}), list_position({_list(ASCII_ROMAN)}, {token})), 0) "
        "AS VARCHAR) END"
    )


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _tail_generic(expr: str) -> str:
    """`阳光花园小区` → `阳光花园`, `阳光花园二期小区` → `阳光花园二期`; `金色小区` stays."""
    before = "|".join(s for s in SUFFIXES if s not in ("小区", "社区")) + "|期|区|栋|幢|号楼|座"
    return (
        f"CASE WHEN regexp_matches({expr}, {_q(f'({before})(小区|社区)$')}) "
        f"THEN regexp_replace({expr}, {_q(GENERIC_TAIL)}, '') ELSE {expr} END"
    )


def compound_parts(con: duckdb.DuckDBPyConnection, table: str, column: str, places: str) -> None:
    """Add `core, stem, suffix, part, b_lo, b_hi` to `table` from its name column `column`.

    `core` is `stem || suffix || part` (the name the comparison sees). Runs as a few whole-table
    statements over the distinct names of `table`.
    """
    parts = f"{table}__parts"
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE {parts} AS
        WITH raw AS (SELECT DISTINCT "{column}" AS raw FROM {table} WHERE "{column}" IS NOT NULL),
        b AS (SELECT raw, {_tail_generic(strip_places(bare("raw"), places))} AS t0 FROM raw),
        bl AS (SELECT raw, t0, regexp_extract(t0, {_q(BUILDING)}, ['lo', 'hi']) AS bld FROM b),
        pt AS (SELECT raw, bld, {_tail_generic(f"regexp_replace(t0, {_q(BUILDING)}, '')")} AS t1 FROM bl),
        ph AS (SELECT raw, bld, t1, regexp_extract(t1, {_q(PART)}, ['n', 'd']) AS ph FROM pt),
        rest AS (SELECT raw, bld, ph, {_tail_generic(f"regexp_replace(t1, {_q(PART)}, '')")} AS t2 FROM ph),
        sx AS (SELECT raw, bld, ph, t2,
                      nullif(regexp_extract(t2, {_q("(" + "|".join(SUFFIXES) + ")$")}), '') AS suffix FROM rest)
        SELECT raw,
               CASE WHEN length(t2) > length(coalesce(suffix, '')) THEN suffix END AS suffix,
               CASE WHEN length(t2) > length(coalesce(suffix, ''))
                    THEN left(t2, length(t2) - length(coalesce(suffix, ''))) ELSE t2 END AS stem,
               coalesce({_number("ph['n']")}, nullif(ph['d'], '')) AS part,
               TRY_CAST(nullif(bld['lo'], '') AS INTEGER) AS b_lo,
               coalesce(TRY_CAST(nullif(bld['hi'], '') AS INTEGER),
                        TRY_CAST(nullif(bld['lo'], '') AS INTEGER)) AS b_hi
        FROM sx""",
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT t.*, nullif(p.stem, '') AS stem, p.suffix, p.part, p.b_lo, p.b_hi,
               nullif(concat(p.stem, p.suffix, CASE WHEN p.part IS NOT NULL THEN '#' || p.part END), '') AS core
        FROM {table} t LEFT JOIN {parts} p ON p.raw = t."{column}" """,
    )
    run(con, f"DROP TABLE {parts}")


def company_core(expr: str, places: str) -> str:
    """`云港市金鼎物业服务有限公司东湖分公司` → `金鼎`; NULL when nothing is left.

    Legal forms and trade words go first, then the place in front (city, district, province) —
    but only when two characters remain, so that a brand that is a place name (中山物业) stays.
    """
    t = bare(expr)
    t = f"regexp_replace({t}, '(有限责任公司|股份有限公司|有限公司|公司)?[^司]{{0,10}}(分公司|分部|项目部)$', '')"
    for word in COMPANY_WORDS:
        t = f"replace({t}, {_q(word)}, '')"
    pattern = "^(?:[\\p{Han}]{2,3}(?:省|市)" + (f"|(?:{places})(?:区|县)?" if places else "") + ")+"
    stripped = f"regexp_replace({t}, {_q(pattern)}, '')"
    return f"nullif(CASE WHEN length({stripped}) >= 2 THEN {stripped} ELSE {t} END, '')"


def place_core(expr: str, places: str = "") -> str:
    """Districts and streets: `云港市西岭区` → `西岭`, `滨海路街道办事处` → `滨海路`."""
    t = f"regexp_replace({bare(expr)}, '^[\\p{{Han}}]{{2,3}}市', '')"
    if places:
        t = strip_places(t, places, keep=1)
    t = f"regexp_replace({t}, {_q(PLACE_TAIL)}, '')"
    return f"nullif({t}, '')"


def road_number(expr: str) -> str:
    """`东湖区中山路123号3栋` → {'road': '中山路', 'no': '123'} (empty strings when absent)."""
    pattern = "([\\p{Han}]{1,6}?(?:大道|路|街|巷|弄|道))(\\d+)号"
    t = f"regexp_replace({width(expr)}, '^.*?[区县市]', '')"
    return f"regexp_extract({t}, {_q(pattern)}, ['road', 'no'])"


def simplify(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...]) -> None:
    """Traditional characters → simplified (OpenCC t2s), once per distinct spelling.

    DuckDB's `translate` with the ~3,500-character map takes minutes on 400,000 rows; OpenCC
    converts all distinct spellings of a column in one call (joined by newlines).
    """
    import opencc

    converter = opencc.OpenCC("t2s")
    for column in columns:
        found = frame(
            con, f'SELECT DISTINCT "{column}" AS raw FROM {table} WHERE "{column}" IS NOT NULL'
        ).get_column("raw")
        if found.is_empty():
            continue
        text = "\n".join(v.replace("\n", " ") for v in found.to_list())
        changed = pl.DataFrame(
            {"raw": found, "simple": converter.convert(text).split("\n")}
        ).filter(pl.col("raw") != pl.col("simple"))
        if changed.is_empty():
            continue
        con.register("m_simplified", changed)
        try:
            run(
                con,
                f"""UPDATE {table} AS t SET "{column}" = s.simple FROM m_simplified s
                    WHERE t."{column}" = s.raw""",
            )
        finally:
            con.unregister("m_simplified")
