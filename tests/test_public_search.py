"""Address search in the public lookup (`rating.public.search`), over hand-made compounds: a
query's road and house number must both be a compound's for an address hit, a compound named in
the query comes first, and a district in the query narrows without tying (issue 16, item 4)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rating.matching.gazetteer import alternation
from rating.public import search
from rating.public.addresses import road_and_number

# 南湾区中山路993号: 中山 is also a district (中山区), the old index read 路993号 as its address
COMPOUNDS = [
    ("C1", "金色园", "南湾区", "清河街道", "南湾区光明路993号"),
    ("C2", "东方小区", "海滨区", "观海街道", "海滨区光明路993号"),
    ("C3", "康居苑", "南湾区", "长江路街道", "南湾区中山路993号"),
    ("C4", "海韵苑", "西岭区", "青年路街道", "西岭区光明路993号"),
    ("C5", "阳光新村", "中山区", "南关街道", "中山区园林路993号"),
    ("C6", "金色园", "西岭区", "青年路街道", "西岭区胜利路241号"),
]


@pytest.fixture(scope="module")
def index() -> search.SearchIndex:
    districts = {c[2] for c in COMPOUNDS}  # as `gazetteer.register_places`: with and without 区
    places = alternation([*districts, *(d.removesuffix("区") for d in districts)])
    docs = [SimpleNamespace(project_id=i, name=n, district=d, street=s, address=a)
            for i, n, d, s, a in COMPOUNDS]  # fmt: skip
    return search.build_index(places, docs, {})


def ranked(index: search.SearchIndex, q: str) -> list[tuple[str, str | None, float]]:
    query = search.normalise_query(q, index.places, tuple(index.place_names))
    literal = search.normalise_query(q, index.places, ()) if query.places else None
    hits = search.rank_compounds(query, literal, index.compounds)
    hits.sort(key=lambda h: (-h[1], h[0].name, h[0].project_id))
    return [(k.name, k.district, r) for k, r, _m in hits]


def test_road_and_number_must_both_match(index: search.SearchIndex) -> None:
    assert ranked(index, "光明路993号") == [
        ("东方小区", "海滨区", 0.85),
        ("海韵苑", "西岭区", 0.85),
        ("金色园", "南湾区", 0.85),
    ]
    assert ranked(index, "中山路993号") == [("康居苑", "南湾区", 0.85)]  # 中山: a road here
    assert ranked(index, "光明路 993") == ranked(index, "光明路993号")  # 号 may be left out
    assert ranked(index, "光明路99号") == []  # another number is not a near miss


def test_a_compound_named_with_its_address_comes_first(index: search.SearchIndex) -> None:
    first, *others = ranked(index, "光明路993号金色园")
    assert first == ("金色园", "南湾区", 1.0)
    assert {name for name, _d, r in others} == {"东方小区", "海韵苑"}
    assert all(r == 0.85 for _n, _d, r in others)
    assert ranked(index, "金色园 光明路993号")[0] == first  # in either order


def test_a_district_in_the_query_narrows(index: search.SearchIndex) -> None:
    assert ranked(index, "南湾区光明路993号金色园") == [
        ("金色园", "南湾区", 1.0),
        ("东方小区", "海滨区", 0.55),
        ("海韵苑", "西岭区", 0.55),
    ]
    assert ranked(index, "南湾区光明路993号")[0] == ("金色园", "南湾区", 0.9)


def test_road_and_number_of_an_address() -> None:
    assert road_and_number("南湾区光明路993号", "南湾区", "清河街道") == ("光明路", "993")
    assert road_and_number("云港市南湾区长江路街道中山路０９９３号") == ("中山路", "993")
    assert road_and_number("市府路7号之2") == ("市府路", "7")  # 市 of a road stays
    assert road_and_number("光明路") == (None, None)


def test_an_index_written_before_roads_reads_them(index: search.SearchIndex) -> None:
    old = index.model_dump()
    for k in old["compounds"]:
        del k["road"], k["number"]
    assert search.SearchIndex.model_validate(old) == index
