"""Search by what residents know: a compound's name (and its district or street), an address
fragment, a company's name — its brand, a former name — or its USCC; ranked by relevance.

Names are split with the hotline matcher's normalisation (`rating.matching.normalize`, DuckDB
SQL: width, punctuation, traditional characters, place prefixes, 有限公司 and trade words,
phase notation, suffix classes), on both sides: the register when the snapshot is built, and
each query in a private in-memory DuckDB (cached per spelling) — never the warehouse. Places a
query names (a registered district or street) narrow it: compounds there come first.

Relevance (0–1), best first, ties by name:

| what matched | relevance |
| --- | --- |
| the USCC (prefix), a company's full name | 1.0 |
| a compound's name, phase and suffix class (阳光花园二期) | 1.0 |
| a company's brand (金鼎 of 云港金鼎物业服务有限公司) | 0.95; a former name 0.9 |
| a compound's stem and suffix class, any phase (阳光花园 → 阳光花园二期) | 0.9 |
| the same stem and suffix class, another phase (阳光花园三期 → 阳光花园二期, 阳光花园) | 0.7 |
| a compound's address and its name in one query (中山路12号金色公寓, 金色公寓 中山路12号) | 1.0 |
| a compound's address: the query's road (…路/街/大道…) and house number, both the compound's | 0.85 |
| part of a company's name 0.8, of a compound's 0.75, of an address without a house number (光明路) or a number alone (993号) 0.7 |
| the same stem with another suffix class (金色公寓 → 金色名邸) | 0.6 |
| close spellings: 0.5 × Dice similarity of character bigrams (≥ 0.5) |

A query holding a house number matches addresses by road and number only (光明路993号 is not
中山路993号). Naming a place adds 0.05 to the compounds there (at most 1.0) and takes 0.3 from
the others; a place name starting a road (中山 of 中山路993号) names no place.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import duckdb
import polars as pl
from pydantic import BaseModel, ConfigDict, model_validator

from rating.matching.normalize import (
    bare,
    company_core,
    compound_parts,
    place_core,
    simplify,
    strip_places,
)
from rating.public.addresses import ROAD_WORDS, road_and_number
from rating.sql import frame, run

PLACE_BOOST, PLACE_PENALTY = 0.05, 0.3
# The name with another phase than the query's (世纪花园二期 asked, 世纪花园 registered): the
# same compound more likely than one of another suffix class (世纪佳苑), so above its 0.6.
OTHER_PHASE = 0.7
ADDRESS = 0.85  # a query's road and house number, both the compound's


class CompoundKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    project_id: str
    name: str
    district: str | None
    street: str | None
    address: str | None
    core: str | None
    stem: str | None
    suffix: str | None
    part: str | None
    district_n: str | None
    street_n: str | None
    address_bare: str | None
    address_tail: str | None = None  # the address without its leading place names
    road: str | None = (
        None  # the address's road (光明路 of 南湾区光明路993号), see `road_and_number`
    )
    number: str | None = None  # its house number (993)

    @model_validator(mode="before")
    @classmethod
    def _road(cls, data: Any) -> Any:
        """Snapshots written before `road`/`number` existed: read them off the address."""
        if isinstance(data, dict) and "road" not in data and data.get("address"):
            road, number = road_and_number(
                data["address"], data.get("district"), data.get("street")
            )
            data = {**data, "road": road, "number": number}
        return data


class CompanyKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    uscc: str
    name: str
    district: str
    former_names: list[str]
    cores: list[str]  # the brand of the name, then of each former name ('' when none)
    bares: list[str]


class UnratedCompany(CompanyKey):
    """A registered company with no published result: why (`not_rated`: it served no rated
    compound in `period`; `not_in_run`: the rating of `period` did not include it)."""

    reason: str
    period: str


class SearchIndex(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    places: str  # the regular-expression alternation of place prefixes (gazetteer)
    compounds: list[CompoundKey]
    companies: list[CompanyKey]
    unrated: list[UnratedCompany] = []  # registered, not rated: a search says so
    place_names: list[
        str
    ]  # registered districts and streets, bare and without 区/街道, longest first


@dataclass(frozen=True)
class Hit:
    kind: str  # "compound" | "company"
    key: str  # project id or USCC
    relevance: float
    matched: str
    sort_name: str


# ------------------------------------------------------------------ normalising names

_QUERIES_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _queries() -> duckdb.DuckDBPyConnection:
    """The in-memory DuckDB where queries are normalised, one at a time (never the warehouse):
    made on the first search, not at import (a DuckDB instance costs ~20 ms to start, which
    every command and test that imports `rating.public` paid)."""
    return duckdb.connect()


def _normalise_compounds(
    con: duckdb.DuckDBPyConnection, names: pl.DataFrame, places: str
) -> pl.DataFrame:
    con.register("p_names_in", names)
    try:
        run(con, "CREATE OR REPLACE TEMP TABLE p_names AS SELECT * FROM p_names_in")
    finally:
        con.unregister("p_names_in")
    simplify(con, "p_names", ("name",))
    compound_parts(con, "p_names", "name", places)
    return frame(
        con,
        f"""SELECT *, {place_core("district", places)} AS district_n, {place_core("street", places)} AS street_n,
                   nullif({bare("address")}, '') AS address_bare, {bare("name")} AS name_bare,
                   nullif({strip_places(bare("address"), places)}, '') AS address_tail
            FROM p_names""",
    )


def build_index(
    places: str,
    compounds: Iterable[object],
    names: dict[str, tuple[str, list[str], str]],
    unrated: dict[str, tuple[str, list[str], str, str, str]] | None = None,
) -> SearchIndex:
    """The index of `compounds` (CompoundDoc), companies with a published result (`uscc ->
    (name, former, district)`) and registered companies without one (`uscc -> (name, former,
    district, reason, period)`, see `UnratedCompany`)."""
    con = duckdb.connect()
    rows = [
        {
            "project_id": c.project_id,  # type: ignore[attr-defined]
            "name": c.name,  # type: ignore[attr-defined]
            "district": c.district,  # type: ignore[attr-defined]
            "street": c.street,  # type: ignore[attr-defined]
            "address": c.address,  # type: ignore[attr-defined]
        }
        for c in compounds
    ]
    schema = {k: pl.Utf8 for k in ("project_id", "name", "district", "street", "address")}
    parts = _normalise_compounds(con, pl.DataFrame(rows, schema=schema), places)
    keys = _compound_keys(parts, rows)
    unrated = unrated or {}
    all_names = sorted(
        {n for n, former, *_rest in [*names.values(), *unrated.values()] for n in [n, *former]}
    )
    cores = _company_cores(con, all_names, places)

    def keyed(u: str, n: str, former: list[str], d: str) -> dict[str, object]:
        return {"uscc": u, "name": n, "district": d, "former_names": former,
                "cores": [cores[x][0] or "" for x in [n, *former]],
                "bares": [cores[x][1] for x in [n, *former]]}  # fmt: skip

    companies = [CompanyKey.model_validate(keyed(u, *v)) for u, v in sorted(names.items())]
    others = [
        UnratedCompany.model_validate({**keyed(u, n, former, d), "reason": why, "period": p})
        for u, (n, former, d, why, p) in sorted(unrated.items())
    ]
    place_list = sorted(
        {p for k in keys for p in (k.district_n, k.street_n) if p and len(p) >= 2},
        key=lambda p: (-len(p), p),
    )
    con.close()
    return SearchIndex(
        places=places, compounds=keys, companies=companies, unrated=others, place_names=place_list
    )


def _compound_keys(parts: pl.DataFrame, rows: list[dict[str, str | None]]) -> list[CompoundKey]:
    raw = {r["project_id"]: r["name"] for r in rows}
    return [
        CompoundKey(
            project_id=r["project_id"],
            road=(found := road_and_number(r["address"], r["district"], r["street"]))[0],
            number=found[1],
            name=raw[r["project_id"]] or "",
            district=r["district"],
            street=r["street"],
            address=r["address"],
            core=r["core"],
            stem=r["stem"],
            suffix=r["suffix"],
            part=r["part"],
            district_n=r["district_n"],
            street_n=r["street_n"],
            address_bare=r["address_bare"],
            address_tail=r["address_tail"],
        )
        for r in parts.sort("project_id").iter_rows(named=True)
    ]


def _company_cores(
    con: duckdb.DuckDBPyConnection, names: list[str], places: str
) -> dict[str, tuple[str | None, str]]:
    if not names:
        return {}
    con.register("p_companies_in", pl.DataFrame({"name": names}, schema={"name": pl.Utf8}))
    try:
        found = frame(
            con,
            f"SELECT name, {company_core('name', places)} AS core, {bare('name')} AS b FROM p_companies_in",
        )
    finally:
        con.unregister("p_companies_in")
    return {r["name"]: (r["core"], r["b"]) for r in found.iter_rows(named=True)}


@dataclass(frozen=True)
class Query:
    text: str  # bare: upper case, half width, no spaces or punctuation
    places: tuple[str, ...]  # registered places the query names
    core: str | None
    stem: str | None
    suffix: str | None
    part: str | None
    company_core: str | None
    road: str | None = None  # the text before a house number (光明路 of 光明路993号金色园)
    number: str | None = None  # that number (993)


@lru_cache(maxsize=4096)
def normalise_query(q: str, places: str, place_names: tuple[str, ...]) -> Query:
    """A query as the index's names are: places it names taken out, then split into parts."""
    with _QUERIES_LOCK:
        return _normalise(_queries(), q, places, place_names)


def _normalise(
    cur: duckdb.DuckDBPyConnection, q: str, places: str, place_names: tuple[str, ...]
) -> Query:
    text = str(cur.execute(f"SELECT {bare('$q')}", {"q": q}).fetchall()[0][0] or "")
    named = []
    rest = text
    for place in place_names:
        for form in (place + "街道", place + "区", place + "县", place + "镇", place):
            if form in rest and len(rest) > len(form) and not _a_road(rest, form):
                named.append(place)
                rest = rest.replace(form, "", 1)
                break
    parts = _normalise_compounds(
        cur,
        pl.DataFrame(
            {
                "project_id": ["q"],
                "name": [rest],
                "district": [None],
                "street": [None],
                "address": [None],
            },
            schema={k: pl.Utf8 for k in ("project_id", "name", "district", "street", "address")},
        ),
        places,
    ).row(0, named=True)
    brand = _company_cores(cur, [rest], places).get(rest, (None, rest))[0]
    road, number = road_and_number(text)
    if not (road and (road.endswith(ROAD_WORDS) or f"{number}号" in text)):
        road = number = None  # 翠竹新村2期 holds a phase, not an address
    return Query(
        text,
        tuple(named),
        parts["core"],
        parts["stem"],
        parts["suffix"],
        parts["part"],
        brand,
        road,
        number,
    )


def _a_road(text: str, place: str) -> bool:
    """Whether `place` in `text` is the start of a road or an address: 中山 of 中山路993号 (a
    road, not 中山区), 长江路 of 长江路12号 (a road, not 长江路街道)."""
    after = text[text.index(place) + len(place) :]
    return after[:1].isdigit() or after.startswith(ROAD_WORDS)


# ------------------------------------------------------------------ ranking


def bigrams(text: str | None) -> set[str]:
    """The set of two-character pieces of `text` (Chinese names have no spaces to split on); a
    one-character text is its own piece, None or "" gives the empty set."""
    t = text or ""
    return {t[i : i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def dice(a: set[str], b: set[str]) -> float:
    """Dice similarity of two bigram sets: 2·|a∩b| ÷ (|a| + |b|), in [0, 1]; 0 if one is empty."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def looks_like_uscc(q: str) -> bool:
    """Whether a query could be (the start of) a USCC: 2 to 18 ASCII letters and digits after
    trimming."""
    q = q.strip()
    return 2 <= len(q) <= 18 and q.isascii() and q.isalnum()


def score_compound(q: Query, k: CompoundKey) -> tuple[float, str]:
    """(relevance, what matched) of one compound for a query; relevance 0 when nothing did.
    A query holding a road and house number (`Query.road`, `Query.number`) is an address hit
    only where both are the compound's; its name in the same query puts it first (1.0)."""
    best, matched = 0.0, "compound"
    if q.core and q.core == k.core:
        best = 1.0
    elif q.stem and q.stem == k.stem and (q.suffix is None or q.suffix == k.suffix):
        best = 0.9 if q.part is None else OTHER_PHASE
    elif q.stem and q.stem == k.stem:
        best = 0.6
    elif len(q.text) >= 2 and q.text in bare_name(k):
        best = 0.75
    named = len(bare_name(k)) >= 2 and bare_name(k) in q.text
    if q.road and q.number:
        if k.road and q.number == k.number and q.road.endswith(k.road):
            address = 1.0 if named else ADDRESS
            if best <= address:
                best, matched = address, "address"
    elif k.address_bare and len(q.text) >= 3 and q.text in k.address_bare and best < 0.7:
        best, matched = 0.7, "address"  # part of an address: a road, or a number alone
    if best == 0.0 and q.core and k.core and not q.number:  # an address is no misspelt name
        similarity = dice(bigrams(q.core), bigrams(k.core))
        best = 0.5 * similarity if similarity >= 0.5 else 0.0
    if best and q.places:
        here = {k.district_n, k.street_n}
        best = min(best + PLACE_BOOST, 1.0) if here & set(q.places) else best - PLACE_PENALTY
    return round(max(best, 0.0), 4), matched


def rank_compounds(
    query: Query, literal: Query | None, compounds: list[CompoundKey]
) -> list[tuple[CompoundKey, float, str]]:
    """(compound, relevance, what matched) of each compound `query` matches. A query naming a
    place is read with the place taken out (莱山区阳光花园 → 阳光花园 in 莱山区); when that
    reading finds no compound at 0.9 or more, its `literal` reading (no place taken out)
    counts too: 龙湾小区 is a compound's name though 龙湾(街道) is a street."""
    scored = [(k, *score_compound(query, k)) for k in compounds]
    if literal is not None and not any(r >= 0.9 for _k, r, _m in scored):
        scored = [
            max(first, (k, *score_compound(literal, k)), key=lambda x: x[1])
            for first, k in zip(scored, compounds, strict=True)
        ]
    return [(k, r, m) for k, r, m in scored if r > 0]


def bare_name(k: CompoundKey) -> str:
    """A compound's name without its place words: stem and suffix (e.g. 阳光花园)."""
    return (k.stem or "") + (k.suffix or "")


def score_company(q: Query, raw: str, k: CompanyKey) -> tuple[float, str]:
    """(relevance in [0, 1], what matched) of one company for a query: 1.0 for a USCC prefix; for
    the name — then each former name, a little lower — an exact name, the same brand core, the query
    inside the name, or half the Dice similarity of the cores when that is at least 0.5; 0 when
    nothing did. What matched is "uscc", "name" or "former_name"."""
    if looks_like_uscc(raw) and k.uscc.startswith(raw.strip().upper()):
        return 1.0, "uscc"
    best, matched = 0.0, "name"
    for i, (core, whole) in enumerate(zip_cores(k)):
        former = i > 0
        if q.text == whole:
            value = 1.0 if not former else 0.9
        elif q.company_core and q.company_core == core:
            value = 0.95 if not former else 0.9
        elif len(q.text) >= 2 and q.text in whole:
            value = 0.8 if not former else 0.75
        else:
            similarity = dice(bigrams(q.company_core), bigrams(core))
            value = 0.5 * similarity if similarity >= 0.5 else 0.0
        if value > best:
            best, matched = value, ("former_name" if former else "name")
    return round(best, 4), matched


def zip_cores(k: CompanyKey) -> list[tuple[str, str]]:
    """(brand core, bare name) of a company's name, then of each former name."""
    return list(zip(k.cores, k.bares, strict=True))
