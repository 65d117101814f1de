"""Hotline matching weighs evidence and never matches what the register lacks (issue 24).

Golden scenarios from the cases that went wrong — 兰亭小区五期 matched to 兰亭小区二期, 云港X物业
agreeing with every 云港 company, 云港市西岭区 not recognised, a bare stem taken for 金色小区 —
plus the normalisation of names as officials write them, the review queue's evidence, and
precision/recall on realistic orders from a noise model we did not tune the matcher to.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating.ingest.folder import plan_folder
from rating.ingest.loader import ingest_file
from rating.matching import review
from rating.matching.model import load_model
from rating.matching.normalize import company_core, compound_parts, place_core
from rating.settings import Settings
from rating.synth import generate
from rating.synth.hotline_realistic import write_realistic
from rating.warehouse import open_warehouse
from tests.factories import Bureau, examples, load
from tests.test_matching import order, write_orders


def parts(names: list[str], places: str = "") -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE t (name VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[n] for n in names])
    compound_parts(con, "t", "name", places)
    found = con.execute("SELECT name, stem, suffix, part, b_lo, b_hi FROM t").fetchall()
    return [tuple(r[1:]) for r in sorted(found, key=lambda r: names.index(r[0]))]


@pytest.mark.parametrize(
    "written",
    ["阳光花园二期", "阳光花园2期", "阳光花园Ⅱ期", "阳光花园第二期", "阳光花园（二期）", "阳光花园二区",
     "阳光花园 (II期)", "阳光花园二期小区", "阳光花园小区二期", "阳光花园２期", "陽光花園二期"],
)  # fmt: skip
def test_every_phase_notation_is_the_same_phase(written: str) -> None:
    from rating.matching.normalize import simplify

    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE t AS SELECT $n AS name", {"n": written})
    simplify(con, "t", ("name",))
    compound_parts(con, "t", "name", "")
    assert con.execute("SELECT stem, suffix, part FROM t").fetchone() == ("阳光", "花园", "2")


def test_names_split_into_stem_suffix_part_and_building() -> None:
    assert parts(
        [
            "金色",
            "金色小区",
            "金色名邸",
            "阳光花园东区",
            "兰亭小区(1-20栋)",
            "阳光花园3号楼",
            "纺织厂宿舍",
        ]
    ) == [
        ("金色", None, None, None, None),  # the stem alone: the suffix is unknown, not 小区
        ("金色", "小区", None, None, None),
        ("金色", "名邸", None, None, None),
        ("阳光", "花园", "东", None, None),
        ("兰亭", "小区", None, 1, 20),
        ("阳光", "花园", None, 3, 3),
        ("纺织厂", "宿舍", None, None, None),
    ]
    # A place in front goes when a name remains; 东湖花园 keeps its 东湖.
    assert parts(["东湖区阳光花园", "云港阳光花园", "东湖花园"], "云港|东湖") == [
        ("阳光", "花园", None, None, None),
        ("阳光", "花园", None, None, None),
        ("东湖", "花园", None, None, None),
    ]


def test_companies_and_places_lose_their_place_prefixes() -> None:
    con = duckdb.connect()
    places = "云港|西岭|东湖"
    got = con.execute(
        f"""SELECT {company_core("'云港市金鼎物业服务有限公司东湖分公司'", places)},
                   {company_core("'云港金鼎物业'", places)}, {company_core("'金鼎 物业'", places)},
                   {company_core("'西岭物业服务有限公司'", places)},
                   {place_core("'云港市西岭区'", places)}, {place_core("'西岭'", places)},
                   {place_core("'滨海路街道办事处'", places)}"""
    ).fetchone()
    # 西岭物业 is a brand that is a place name: it keeps it rather than become nothing.
    assert got == ("金鼎", "金鼎", "金鼎", "西岭", "西岭", "西岭", "滨海路")


def issue_city() -> tuple[Bureau, dict[str, str]]:
    """The cases of issue 24 in a small register; three 云港 companies make 云港 a place."""
    b = Bureau()
    c = {
        "lanting": b.company(1, "云港兰亭物业服务有限公司"),
        "jinding": b.company(2, "金鼎物业管理有限公司"),
        "huayu": b.company(3, "云港华宇物业服务有限公司"),
        "hengtai": b.company(4, "云港恒泰物业服务有限公司"),
        "jinse": b.company(5, "海港物业服务有限公司"),
    }
    west = {"district": "西岭区", "street": "松山街道"}
    b.project("L2", c["lanting"], project_name="兰亭小区二期", address="西岭区中山路8号", **west)
    b.project("J1", c["jinding"], project_name="翠湖花园", address="西岭区人民路12号", **west)
    b.project("J2", c["huayu"], project_name="翠湖花园", district="东湖区", street="桃源街道")
    b.project("G1", c["jinse"], project_name="金色小区", district="东湖区", street="桃源街道")
    b.project("G2", c["jinse"], project_name="金色名邸", district="东湖区", street="朝阳街道")
    b.project("H1", c["hengtai"], project_name="和谐家园", district="东湖区", street="东风街道")
    b.project("H2", c["hengtai"], project_name="和谐家园", district="东湖区", street="湖光街道")
    return b, c


ISSUE_ORDERS = [  # the address is 幸福路1号 (no project's) unless given
    # No fifth phase in the register: never 兰亭小区二期, even with its own company.
    order("U1", "2025-07-10", community_name="兰亭小区五期", district="西岭区", street="松山街道",
          company_name="云港兰亭物业"),
    # 云港X物业 for X物业管理有限公司: 云港 carries nothing, the brand agrees.
    order("U2", "2025-07-10", community_name="翠湖花园", district="西岭区", company_name="云港金鼎物业",
          address=None),
    # The district with the city in front: 西岭, not the 东湖 翠湖花园.
    order("U3", "2025-07-10", community_name="翠湖花园", district="云港市西岭区", street="松山",
          address="人民路12号3栋2单元"),
    # A bare stem whose street is 金色名邸's: never 金色小区.
    order("U4", "2025-07-10", community_name="金色", district="东湖区", street="朝阳街道",
          company_name="海港物业"),
    # Unique name + district + street, no company: matched.
    order("U5", "2025-07-10", community_name="金色名邸", district="东湖区", street="朝阳"),
    # A company contradicting a strong name match: review.
    order("U6", "2025-07-10", community_name="金色名邸", district="东湖区", street="朝阳街道",
          company_name="华宇物业"),
    # Characters no name of the district has: never matched.
    order("U7", "2025-07-10", community_name="星河湾", district="东湖区", street="桃源街道",
          company_name="海港物业"),
    # Two 和谐家园 in one district and nothing to tell them apart: review.
    order("U8", "2025-07-10", community_name="和谐家园", district="东湖区", company_name="恒泰物业"),
    # 苑 appears in no name of 东湖区: not 金色名邸, however well the rest agrees.
    order("U10", "2025-07-10", community_name="金色名苑", district="东湖区", street="朝阳街道",
          company_name="海港物业", address=None),
    # The street decides between them.
    order("U9", "2025-07-10", community_name="和谐家园", district="东湖区", street="湖光街道",
          address=None),
]  # fmt: skip


@pytest.fixture(scope="module")  # read only by its tests: ingested once
def issue(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    bureau, usccs = issue_city()
    tmp_path = tmp_path_factory.mktemp("issue")
    con, settings, _ = load(bureau, tmp_path)
    result = ingest_file(
        con, settings, "complaints", write_orders(tmp_path / "orders.csv", ISSUE_ORDERS)
    )
    stored = dict(con.execute("SELECT complaint_id, project_id FROM src_complaints").fetchall())
    queued = {i["complaint_id"]: i for i in review.pending(con)}
    return {"con": con, "result": result, "stored": stored, "queued": queued}


def test_the_issue_cases_are_matched_or_reviewed_as_a_bureau_would(issue: dict[str, Any]) -> None:
    stored, queued, r = issue["stored"], issue["queued"], issue["result"]
    assert r.rows_read == r.rows_loaded + r.rows_in_review + r.rows_quarantined == len(ISSUE_ORDERS)
    assert stored == {"U2": "J1", "U3": "J1", "U4": "G2", "U5": "G2", "U9": "H2"}
    assert set(queued) == {"U1", "U6", "U7", "U8", "U10"}


def test_the_review_queue_shows_evidence_for_and_against(issue: dict[str, Any]) -> None:
    queued = issue["queued"]
    lanting = queued["U1"]["candidates"][0]
    assert lanting["project_id"] == "L2"
    assert "期/区不符：工单5，登记2" in lanting["against"] and "小区名称一致" in lanting["for"]
    jinse = queued["U6"]["candidates"][0]
    assert jinse["project_id"] == "G2" and any(
        a.startswith("物业公司不符") for a in jinse["against"]
    )
    assert "街道一致：朝阳" in jinse["for"]
    assert queued["U7"]["candidates"] == []  # nothing like 星河湾 is registered in 东湖区
    oov = queued["U10"]["candidates"][0]
    assert oov["project_id"] == "G2" and "名称含本区登记名称中没有的字：苑" in oov["against"]
    twins = {c["project_id"]: c["score"] for c in queued["U8"]["candidates"]}
    assert set(twins) >= {"H1", "H2"} and abs(twins["H1"] - twins["H2"]) < 1e-6


def test_the_weights_file_is_valid_versioned_data() -> None:
    model = load_model()
    assert model.version.startswith("fs-") and 0 < model.threshold < 1 and 0 < model.prior < 1
    # Agreement is evidence for, contradiction against, whatever the fit.
    assert model.weight("name", "exact") > 0 > model.weight("name", "other")
    assert model.weight("company", "same") > 0 > model.weight("company", "differs")
    assert model.weight("street", "same") > 0 > model.weight("street", "differs")
    assert model.weight("address", "road_no") > 0 > model.weight("address", "differs")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2061, 2062])
def test_realistic_orders_meet_the_targets_in_every_draw(tmp_path: Path, seed: int) -> None:
    """A small independent city (not the training draw): precision ≥ 99.5 %, no unregistered
    compound matched, recall ≥ 60 % — the figures for the record are in MATCHING.md."""
    generate(tmp_path / "data", complaints=6000, seed=seed, quarters=2)
    plan = plan_folder(tmp_path / "data")
    source = open_warehouse(Settings(db_path=tmp_path / "source.duckdb"))
    for kind, path in plan:
        if kind in ("companies", "projects", "complaints"):
            ingest_file(source, Settings(db_path=tmp_path / "source.duckdb"), kind, path)
    export, truth_file, n = write_realistic(source, tmp_path / "orders.csv", seed=seed)
    source.close()
    settings = Settings(db_path=tmp_path / "bureau.duckdb")
    con = open_warehouse(settings)
    for kind, path in plan:
        if kind in ("companies", "projects"):
            ingest_file(con, settings, kind, path)
    result = ingest_file(con, settings, "complaints", export)
    assert (
        result.rows_read
        == n
        == result.rows_loaded + result.rows_in_review + result.rows_quarantined
    )
    con.register("truth", pl.read_parquet(truth_file))
    auto, right, unregistered, registered = con.execute(
        """SELECT count(c.project_id), count(*) FILTER (WHERE c.project_id = t.true_project),
                  count(c.project_id) FILTER (WHERE t.true_project IS NULL),
                  count(*) FILTER (WHERE t.true_project IS NOT NULL)
           FROM truth t LEFT JOIN src_complaints c USING (complaint_id)"""
    ).fetchone()
    assert n - registered >= 0.1 * n  # ≥ 10 % of the orders are about unregistered compounds
    assert unregistered == 0
    assert right / auto >= 0.995 and right / n >= 0.60, (right / auto, right / n)


_DRAW = """
import hashlib, sys
from pathlib import Path
from rating.settings import Settings
from rating.synth.hotline_realistic import realistic_orders
from rating.warehouse import open_warehouse
con = open_warehouse(Settings(db_path=Path(sys.argv[1])))
frame = realistic_orders(con, seed=2062).drop("kinds")
print(hashlib.sha256(frame.write_csv().encode()).hexdigest())
"""


@pytest.mark.slow
def test_a_draw_is_the_same_city_in_every_process(tmp_path: Path) -> None:
    """Same register, same seed → the same orders, whichever process draws them: polars yields
    groups in any order unless told, and a draw taken group by group then differed from run to
    run (one CI run auto-matched an unregistered compound of draw 2062, the next did not)."""
    import subprocess
    import sys

    generate(tmp_path / "data", complaints=1500, seed=11, quarters=1)
    settings = Settings(db_path=tmp_path / "source.duckdb")
    con = open_warehouse(settings)
    for kind, path in plan_folder(tmp_path / "data"):
        if kind in ("companies", "projects", "complaints"):
            ingest_file(con, settings, kind, path)
    con.close()
    digests = {
        subprocess.run(
            [sys.executable, "-c", _DRAW, str(tmp_path / "source.duckdb")],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        for _ in range(3)
    }  # fmt: skip
    assert len(digests) == 1, digests


@functools.cache
def _s2t() -> Any:
    import opencc

    return opencc.OpenCC("s2t")  # ~75 ms to build: once, not per example


@functools.cache
def _scratch() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB for every example (a connection costs ~25 ms); each example
    replaces its table `t`."""
    return duckdb.connect()


@given(
    prefix=st.sampled_from(["阳光", "锦绣", "翠湖", "兰亭", "金色"]),
    suffix=st.sampled_from(["花园", "家园", "苑", "公寓", "名邸", "新村"]),
    phase=st.integers(min_value=0, max_value=9),
    notation=st.integers(min_value=0, max_value=5),
    spaces=st.booleans(),
    xiaoqu=st.booleans(),
    traditional=st.booleans(),
)
@settings(max_examples=examples(25), deadline=None)
def test_cosmetic_forms_never_change_the_parts(
    prefix: str,
    suffix: str,
    phase: int,
    notation: int,
    spaces: bool,
    xiaoqu: bool,
    traditional: bool,
) -> None:
    """Width, spaces, brackets, 小区 appended, traditional characters and the phase notation are
    how a name is written, not which compound it is: the parts stay the same."""
    from rating.matching.normalize import simplify

    numerals = "一二三四五六七八九十"
    forms = [f"{phase}期", f"第{numerals[phase - 1]}期", f"（{numerals[phase - 1]}期）",
             f"{'ⅠⅡⅢⅣⅤⅥⅦⅧⅨ'[phase - 1]}期", f"{numerals[phase - 1]}区", f"{phase}期".translate(
                 str.maketrans("0123456789", "０１２３４５６７８９"))] if phase else [""] * 6  # fmt: skip
    written = (
        prefix + (" " if spaces else "") + suffix + forms[notation] + ("小区" if xiaoqu else "")
    )
    if traditional:
        written = _s2t().convert(written)
    con = _scratch()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE t AS SELECT $a AS name UNION ALL SELECT $b",
        {"a": written, "b": prefix + suffix},
    )
    simplify(con, "t", ("name",))
    compound_parts(con, "t", "name", "")
    got = dict(
        con.execute(
            "SELECT name = $b, (stem, suffix, part) FROM t", {"b": prefix + suffix}
        ).fetchall()
    )
    stem, suf, part = got[False] if False in got else got[True]
    assert (stem, suf) == (prefix, suffix) and part == (str(phase) if phase else None)


@pytest.mark.slow  # end to end through the CLI: not in `make test-fast`
def test_the_cli_review_list_shows_the_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rating.cli import main

    bureau, _ = issue_city()
    con, settings, _ = load(bureau, tmp_path)
    ingest_file(con, settings, "complaints", write_orders(tmp_path / "o.csv", ISSUE_ORDERS))
    con.close()
    capsys.readouterr()
    assert main(["match", "review", "list", "--db", str(settings.db_path)]) == 0
    shown = capsys.readouterr().out
    assert "L2 兰亭小区二期" in shown and "期/区不符：工单5，登记2" in shown
    assert "+ 小区名称一致" in shown and "− " in shown


def test_the_city_prefix_is_found_in_the_register_and_the_shortest_wins(tmp_path: Path) -> None:
    """云港 prefixes many brands; 云港豪 (云港 + a brand's first syllable) is not a place."""
    from rating.matching.gazetteer import register_places

    b = Bureau()
    names = ["云港豪安海", "云港豪金鼎", "云港豪华宇", "云港恒泰", "豪安海", "金鼎"]
    for i, name in enumerate(names, start=1):
        b.project(
            f"P{i}", b.company(i, f"{name}物业服务有限公司"), district="东湖区", street="桃源街道"
        )
    con, _, _ = load(b, tmp_path)
    found = register_places(con, {"watermark": 99})
    assert "云港" in found and "云港豪" not in found and {"东湖区", "东湖"} <= set(found)
