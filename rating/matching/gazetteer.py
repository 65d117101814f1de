"""Place names that callers and companies put in front of names: from the register and a gazetteer.

A company registered as `云港金鼎物业服务有限公司` is `金鼎物业` on the phone; a caller says
`东湖阳光花园` for 阳光花园 in 东湖区 and writes the district as `云港市东湖区`. Those prefixes
carry no evidence about which compound or company is meant — every 云港 company "agrees" on
云港 — so they are removed before comparing. Where they come from:

* the register's districts (`东湖区` and `东湖`);
* the register's own city names: `X市` found in front of any registered name or address, and
  the 2–3 character prefix that at least `MIN_SHARED` companies put in front of *different*
  brands while no company is called by it alone (云港 in 云港金鼎, 云港华宇 …) — the shortest
  such prefix only (云港, not 云港金 when several 云港金… brands exist);
* the provinces and their short forms (`PROVINCES`), for companies named after them.
"""

from __future__ import annotations

import re

import duckdb

from rating.schema import CONTRACTS
from rating.schema.vocabularies import COMPANY_WORDS
from rating.sql import rows
from rating.warehouse import visible_rows

# Province-level divisions (GB/T 2260), full names without 省/市/自治区 and their short forms.
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
    "云南", "陕西", "甘肃", "青海", "内蒙古", "广西", "西藏", "宁夏", "新疆",
)  # fmt: skip
MIN_SHARED = 3


def register_places(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> list[str]:
    """Place names of the bureau's register (districts, its city), longest first."""
    from rating.matching.normalize import bare

    projects, companies = CONTRACTS["projects"], CONTRACTS["companies"]
    districts = rows(
        con,
        f"""SELECT DISTINCT {bare("district")} FROM {visible_rows(projects)}
            AND district IS NOT NULL""",
        params,
    )
    names = [str(d) for (d,) in districts if d]
    names += [re.sub("(区|县|市)$", "", n) for n in names]
    cities = rows(
        con,
        f"""SELECT DISTINCT regexp_extract(t, '^([\\p{{Han}}]{{2,3}}?)市', 1) FROM (
              SELECT {bare("name")} AS t FROM {visible_rows(companies)}
              UNION ALL SELECT {bare("project_name")} FROM {visible_rows(projects)}
              UNION ALL SELECT {bare("address")} FROM {visible_rows(projects)})""",
        params,
    )
    names += [str(c) for (c,) in cities if c]
    core = bare("name")
    for word in COMPANY_WORDS:
        core = f"replace({core}, '{word}', '')"
    shared = rows(
        con,
        f"""WITH c AS (SELECT DISTINCT {core} AS core FROM {visible_rows(companies)}),
        p AS (SELECT left(core, k) AS prefix, substr(core, k + 1) AS rest
              FROM c, range(2, 4) r(k) WHERE length(core) >= k + 2)
        SELECT prefix FROM p WHERE prefix NOT IN (SELECT core FROM c)
        GROUP BY prefix HAVING count(DISTINCT rest) >= {MIN_SHARED}""",
        params,
    )
    prefixes = sorted((str(p) for (p,) in shared if p), key=len)
    # The shortest wins: with 云港 a place, 云港豪 (云港 + a brand's first syllable) is not one.
    names += [p for i, p in enumerate(prefixes) if not any(p.startswith(q) for q in prefixes[:i])]
    return sorted({n for n in names if len(n) >= 2}, key=lambda n: (-len(n), n))


def alternation(names: list[str]) -> str:
    """A regular-expression alternation of the names (escaped), longest first; '' for none."""
    ordered = sorted(set(names), key=lambda n: (-len(n), n))
    return "|".join(re.escape(n) for n in ordered)


def places(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> str:
    """The alternation of register places and provinces used by `rating.matching.normalize`."""
    return alternation(register_places(con, params) + list(PROVINCES))
