"""12345 orders as callers describe their compound and call-takers type it — with the truth.

A noise model for measuring hotline matching that we did not tune our matcher to: each kind of
noise and its rate is set from what real exports show (`benchmarks/quality/HOTLINE_NOISE.md`
gives the source or reasoning for every rate, from `reference/real-export-formats.md`). Every
order draws, independently, one form for each field:

* the compound (`NAME`): as registered, 小区 appended, the stem alone, a generic 小区 for its
  suffix, the phase in another notation or dropped, the city or district in front, a misheard
  character, traditional characters, full-width forms and spaces, a building appended;
* the district (`DISTRICT`), the street (`STREET`), the address (`ADDRESS`) and the company
  (`COMPANY`: full name, brand, city + brand, none, a former company, a wrong one);
* and `UNREGISTERED` of the orders are about compounds not in the register at all: a new
  name, a phase or a suffix class the register lacks (兰亭小区五期, 金色名邸), or a name
  registered only in another district.

`realistic_orders` returns the export as a polars frame with the truth (`true_project`, NULL
for unregistered compounds) and the noise `kinds` of each order, for per-kind figures.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from rating.schema import CONTRACTS
from rating.sql import frame
from rating.synth import vocab
from rating.synth.hotline import HEADERS, _source
from rating.synth.hotline_words import (
    HOMOPHONES,
    NEW_STEMS,
    NEW_SUFFIXES,
    NEW_WORK_UNITS,
    NUMERALS,
    ROMAN,
)
from rating.warehouse import visible_rows

VERSION = "hotline-realistic/2"
UNREGISTERED = 0.12
# A new compound's suffix: not 小区, which callers append to any compound's name (华府小区 is
# how people say 华府府), so it names no other compound.
DISTINCT_SUFFIXES = tuple(s for s in vocab.COMPOUND_SUFFIXES if s != "小区")
UNREGISTERED_KINDS = {"new_name": 0.45, "new_phase": 0.15, "new_suffix": 0.2, "elsewhere": 0.2}
NAME = {
    "as_registered": 0.50, "xiaoqu_appended": 0.08, "stem_only": 0.05, "generic_xiaoqu": 0.03,
    "place_prefix": 0.05, "misheard": 0.04,
    "traditional": 0.02, "width_spaces": 0.05, "building": 0.09,
}  # fmt: skip
PHASED = {"phase_notation": 0.45, "phase_dropped": 0.15}  # of names with a phase
DISTRICT = {
    "as_registered": 0.70,
    "missing": 0.08,
    "city_prefix": 0.10,
    "short": 0.10,
    "wrong": 0.02,
}
STREET = {
    "as_registered": 0.45, "no_suffix": 0.30, "missing": 0.15, "wrong": 0.05, "district_prefix": 0.05,
}  # fmt: skip
ADDRESS = {"road_number": 0.40, "name_building": 0.30, "road_only": 0.10, "missing": 0.20}
COMPANY = {
    "full": 0.30, "brand": 0.20, "city_brand": 0.05, "brand_core": 0.05, "spaces_branch": 0.05,
    "missing": 0.20, "former": 0.07, "wrong": 0.08,
}  # fmt: skip
# Names forms that keep every piece of information an unregistered name carries.
KEEPS_INFORMATION = ("as_registered", "xiaoqu_appended", "place_prefix", "traditional",
                     "width_spaces", "building")  # fmt: skip


def _choose(rng: np.random.Generator, shares: dict[str, float], n: int) -> pl.Series:
    names = list(shares)
    p = np.array([shares[k] for k in names], dtype=np.float64)
    return pl.Series(np.array(names, dtype=object)[rng.choice(len(names), n, p=p / p.sum())]).cast(
        pl.Utf8
    )


def _register(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Projects (current name, district, street, company) and every service period's company."""
    p, c = CONTRACTS["projects"], CONTRACTS["companies"]
    periods = frame(
        con,
        f"""SELECT p.project_id, p.project_name, p.district, p.street, p.service_start,
                   coalesce(p.service_end, DATE '9999-12-31') AS service_end, co.name AS company
            FROM (SELECT s.* FROM {visible_rows(p)}) p
            JOIN (SELECT s.uscc, s.name FROM {visible_rows(c)}) co ON co.uscc = p.company_uscc
            ORDER BY p.project_id, p.service_start""",
        {"watermark": 2**31 - 1},
    )
    projects = periods.group_by("project_id", maintain_order=True).last()
    return projects, periods


def _split(names: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Registered name → (base without phase, phase or '', suffix or '') by the generator's words."""
    phases = "|".join(vocab.COMPOUND_PHASES)
    suffixes = "|".join(sorted(vocab.COMPOUND_SUFFIXES, key=len, reverse=True))
    base = names.str.replace(f"({phases})$", "")
    phase = names.str.extract(f"({phases})$", 1).fill_null("")
    suffix = base.str.extract(f"({suffixes})$", 1).fill_null("")
    return base, phase, suffix


def _phase_text(number: pl.Expr, form: pl.Expr) -> pl.Expr:
    """Phase `number` (1–10) written in one of five notations (3期, 第三期, (三期), Ⅲ期, 三区)."""
    n = number.clip(1, 10)
    chinese = n.replace_strict(list(range(1, 11)), list(NUMERALS), return_dtype=pl.Utf8)
    roman = n.replace_strict(list(range(1, 11)), list(ROMAN), return_dtype=pl.Utf8)
    return (
        pl.when(form == 0).then(n.cast(pl.Utf8) + "期")
        .when(form == 1).then("第" + chinese + "期")
        .when(form == 2).then("(" + chinese + "期)")
        .when(form == 3).then(roman + "期")
        .otherwise(chinese + "区")
    )  # fmt: skip


def _phase_number(phase: pl.Expr) -> pl.Expr:
    return phase.str.slice(0, 1).replace_strict(
        list(NUMERALS[:3]), [1, 2, 3], default=0, return_dtype=pl.Int64
    )


def _rand(rng: np.random.Generator, n: int, high: int) -> pl.Series:
    return pl.Series(rng.integers(0, high, n))


def _pick_in_district(
    rng: np.random.Generator, district: pl.Series, projects: pl.DataFrame, column: str
) -> pl.Series:
    """For each row, `column` of a random project of the row's district (vectorised per district)."""
    out = np.empty(len(district), dtype=object)
    values = district.to_numpy()
    # One step per district, not per order; in the register's order, since the draws are taken
    # group by group and polars yields groups in any order otherwise (the same seed gave two
    # different cities: one unregistered compound auto-matched in one CI run, not in another).
    for name, members in projects.group_by("district", maintain_order=True):
        rows = np.flatnonzero(values == name[0])
        if len(rows):
            pool = members[column].to_numpy()
            out[rows] = pool[rng.integers(0, len(pool), len(rows))]
    return pl.Series(out.tolist(), dtype=pl.Utf8)


def _unregistered(
    df: pl.DataFrame, projects: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    """A compound the register lacks for every row: name, kind, the sibling's company, street."""
    n = df.height
    kind = _choose(rng, UNREGISTERED_KINDS, n)
    base, phase, suffix = _split(pl.col("community_name"))
    stem = base.str.slice(0, base.str.len_chars() - suffix.str.len_chars())
    fresh = (
        pl.Series(NEW_STEMS)[rng.integers(0, len(NEW_STEMS), n)]
        + pl.Series(NEW_SUFFIXES)[rng.integers(0, len(NEW_SUFFIXES), n)]
    )
    unit = pl.Series(NEW_WORK_UNITS)[rng.integers(0, len(NEW_WORK_UNITS), n)]
    other = _pick_in_district(
        rng, df["district"].shuffle(int(rng.integers(2**31))), projects, "project_name"
    )
    named = df.with_columns(
        kind=kind.replace("new_name", "fresh"),
        fresh=pl.when(pl.Series(rng.random(n) < 0.2)).then(unit).otherwise(fresh),
        new_phase=base + _phase_text(pl.lit(pl.Series(rng.integers(4, 9, n))), pl.lit(_rand(rng, n, 5))),
        new_suffix=stem + pl.Series(DISTINCT_SUFFIXES)[rng.integers(0, len(DISTINCT_SUFFIXES), n)],
        elsewhere=other,
    ).with_columns(
        name=pl.when(pl.col("kind") == "new_phase").then("new_phase")
        .when(pl.col("kind") == "new_suffix").then("new_suffix")
        .when(pl.col("kind") == "elsewhere").then("elsewhere")
        .otherwise("fresh")
    )  # fmt: skip
    # Taken: a registered name, or a registered name without its phase (嘉和苑 of 嘉和苑一期).
    names = projects.select("district", "project_name", base=_split(pl.col("project_name"))[0])
    registered = (
        pl.concat([names.select("district", name=c) for c in ("project_name", "base")])
        .unique()
        .with_columns(taken=pl.lit(True))
    )
    city_names = registered["name"].unique().to_list()
    named = named.join(
        registered, on=["district", "name"], how="left", maintain_order="left"
    ).with_columns(
        taken=pl.col("taken").fill_null(False)
        | ((pl.col("kind") != "elsewhere") & pl.col("name").is_in(city_names))
        | ((pl.col("kind") == "new_suffix") & (suffix == ""))  # 纺织厂宿舍 has no suffix class
    )
    return named.select(  # a name taken after all becomes a work unit's (never registered)
        name=pl.when(pl.col("taken")).then(pl.lit(unit)).otherwise(pl.col("name")),
        kind=pl.when(pl.col("taken") | (pl.col("kind") == "fresh"))
        .then(pl.lit("new_name"))
        .otherwise(pl.col("kind")),
        sibling=pl.when(pl.col("kind").is_in(["new_phase", "new_suffix"])).then(
            pl.col("company_name")
        ),
        street=_pick_in_district(rng, df["district"], projects, "street"),
        address=df["district"]
        + pl.Series(vocab.ROADS)[rng.integers(0, len(vocab.ROADS), n)]
        + pl.Series(rng.integers(1, 999, n)).cast(pl.Utf8)
        + "号",
    )


def _name_forms(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """`community_name` rewritten by each row's `name_form`; forms that do not apply → as_registered."""
    n = df.height
    name = pl.col("community_name")
    base, phase, suffix = _split(name)
    stem = base.str.slice(0, base.str.len_chars() - suffix.str.len_chars())
    number = _phase_number(phase)
    form = pl.col("name_form")  # read after the phase override below
    place = pl.Series(["云港", "", "d"])[rng.integers(0, 3, n)]
    at = pl.Series(rng.integers(0, 64, n))
    spaced = name.str.slice(0, 2) + " " + name.str.slice(2)
    rewritten = (
        pl.when(form == "xiaoqu_appended").then(name + "小区")
        .when((form == "stem_only") & (suffix != "") & (stem.str.len_chars() >= 2)).then(stem + phase)
        .when((form == "generic_xiaoqu") & ~suffix.is_in(["", "小区"]) & (stem.str.len_chars() >= 2))
        .then(stem + "小区" + phase)
        .when((form == "phase_notation") & (number > 0)).then(base + _phase_text(number, pl.lit(_rand(rng, n, 5))))
        .when((form == "phase_notation") & (phase != "")).then(base + "(" + phase + ")")
        .when((form == "phase_dropped") & (phase != "")).then(base)
        .when(form == "place_prefix").then(
            pl.when(pl.lit(place) == "d").then(pl.col("district")).otherwise(pl.lit(place))
            .str.replace("区$", pl.when(pl.lit(_rand(rng, n, 2)) == 0).then(pl.lit("区")).otherwise(pl.lit("")))
            + name
        )
        .when(form == "width_spaces").then(
            spaced.str.replace_many(list("0123456789()"), list("０１２３４５６７８９（）"))
        )
        .when(form == "building").then(
            name + pl.lit(pl.Series(rng.integers(1, 40, n))).cast(pl.Utf8)
            + pl.lit(pl.Series(["栋", "号楼", "幢"])[rng.integers(0, 3, n)])
        )
        .otherwise(None)
    )  # fmt: skip
    phased = pl.lit(pl.Series(rng.random(n)))  # a phase is rewritten or dropped more often
    form = (
        pl.when((phase != "") & (phased < PHASED["phase_notation"])).then(pl.lit("phase_notation"))
        .when((phase != "") & (phased < sum(PHASED.values())) & ~pl.col("unregistered"))
        .then(pl.lit("phase_dropped"))
        .otherwise(pl.col("name_form"))
    )  # fmt: skip
    out = df.with_columns(name_form=form).with_columns(_rewritten=rewritten, _at=at)
    out = _misheard(out)
    out = _traditional(out)
    return out.with_columns(
        name_form=pl.when(pl.col("_rewritten").is_null())
        .then(pl.lit("as_registered"))
        .otherwise(form),
        community_name=pl.coalesce("_rewritten", "community_name"),
    ).drop("_rewritten", "_at")


def _misheard(df: pl.DataFrame) -> pl.DataFrame:
    """One character replaced by a homophone (the first of three positions that has one)."""
    name = pl.col("community_name")
    length = name.str.len_chars()
    keys, values = list(HOMOPHONES), list(HOMOPHONES.values())
    tries = []
    for k in range(3):
        pos = (pl.col("_at") + 7 * k) % length
        sounds = name.str.slice(pos, 1).replace_strict(keys, values, default="")
        pick = sounds.str.slice(pl.col("_at") % sounds.str.len_chars().clip(1), 1)
        tries.append(
            pl.when(sounds != "").then(name.str.slice(0, pos) + pick + name.str.slice(pos + 1))
        )
    return df.with_columns(
        _rewritten=pl.when(pl.col("name_form") == "misheard")
        .then(pl.coalesce(tries))
        .otherwise(pl.col("_rewritten"))
    )


def _traditional(df: pl.DataFrame) -> pl.DataFrame:
    """Traditional characters (OpenCC s2t), converted once per distinct name."""
    import opencc

    chosen = df.filter(pl.col("name_form") == "traditional")["community_name"].unique()
    if chosen.is_empty():
        return df
    converted = opencc.OpenCC("s2t").convert("\n".join(chosen.to_list())).split("\n")
    table = pl.DataFrame({"community_name": chosen, "_trad": converted})
    return (
        df.join(table, on="community_name", how="left", maintain_order="left")
        .with_columns(
            _rewritten=pl.when(pl.col("name_form") == "traditional")
            .then(pl.col("_trad"))
            .otherwise(pl.col("_rewritten"))
        )
        .drop("_trad")
    )


def _places(df: pl.DataFrame, rng: np.random.Generator, projects: pl.DataFrame) -> pl.DataFrame:
    """District, street and address as written, by each row's form."""
    n = df.height
    districts = projects["district"].unique().sort()
    d, s, a = pl.col("district_form"), pl.col("street_form"), pl.col("address_form")
    other_district = pl.lit(districts[rng.integers(0, len(districts), n)])
    other_street = pl.lit(_pick_in_district(rng, df["home"], projects, "street"))
    unit = (
        pl.lit(pl.Series(rng.integers(1, 40, n))).cast(pl.Utf8) + "栋"
        + pl.lit(pl.Series(rng.integers(1, 6, n))).cast(pl.Utf8) + "单元"
    )  # fmt: skip
    return df.with_columns(
        district=pl.when(d == "missing").then(None)
        .when(d == "city_prefix").then(vocab.CITY + pl.col("district"))
        .when(d == "short").then(pl.col("district").str.replace("区$", ""))
        .when(d == "wrong").then(other_district)
        .otherwise(pl.col("district")),
        street=pl.when(s == "missing").then(None)
        .when(s == "no_suffix").then(pl.col("street").str.replace("(街道|镇)$", ""))
        .when(s == "wrong").then(other_street)
        .when(s == "district_prefix").then(pl.col("district") + pl.col("street"))
        .otherwise(pl.col("street")),
        address=pl.when(a == "missing").then(None)
        .when(a == "name_building").then(pl.col("community_name") + unit)
        .when(a == "road_only").then(pl.col("address").str.replace("^.*?区", "").str.replace("\\d+号$", "") + "附近")
        .when(pl.lit(pl.Series(rng.random(n) < 0.5))).then(pl.col("address") + unit)
        .otherwise(pl.col("address")),
    )  # fmt: skip


def _company(df: pl.DataFrame, rng: np.random.Generator, projects: pl.DataFrame) -> pl.DataFrame:
    """The company as the caller named it, by each row's form."""
    c, name = pl.col("company_form"), pl.col("company_name")
    brand = name.str.replace("^" + vocab.CITY[:-1], "").str.replace("(物业服务|物业管理).*$", "")
    wrong = pl.lit(_pick_in_district(rng, df["home"], projects, "company"))
    return df.with_columns(
        company_name=pl.when(c == "missing").then(None)
        .when(c == "brand").then(brand + "物业")
        .when(c == "city_brand").then(vocab.CITY[:-1] + brand + "物业")
        .when(c == "brand_core").then(brand)
        .when(c == "spaces_branch").then(name.str.slice(0, 2) + " " + name.str.slice(2) + "分公司")
        .when(c == "former").then(pl.col("former"))
        .when(c == "wrong").then(wrong)
        .otherwise(name)
    )  # fmt: skip


def _former(df: pl.DataFrame, periods: pl.DataFrame) -> pl.Series:
    """The company that served each order's project before the one serving it that day."""
    ended = periods.select(
        pl.col("project_id").alias("true_project"), "service_end", former=pl.col("company")
    ).sort("service_end")
    found = df.select("true_project", day=pl.col("received_at").cast(pl.Date)).with_row_index("_i")
    matched = found.sort("day").join_asof(
        ended,
        left_on="day",
        right_on="service_end",
        by="true_project",
        strategy="backward",
        check_sortedness=False,  # both sides are sorted on the key; groups make polars unsure
    )
    return matched.sort("_i")["former"]


def realistic_orders(
    con: duckdb.DuckDBPyConnection,
    *,
    seed: int,
    unregistered: float = UNREGISTERED,
    period: tuple[str, str] = ("1900-01-01", "9999-12-31"),
) -> pl.DataFrame:
    """The warehouse's complaints as realistic 12345 orders: the HEADERS columns (by contract
    name) plus `true_project` (NULL: the compound is not registered) and `kinds` (list of
    `field:form` and `unregistered:kind` or `registered`). Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    projects, periods = _register(con)
    df = _source(con, *period)
    n = df.height
    df = df.with_columns(former=_former(df, periods), home=pl.col("district"))
    unreg = pl.Series(rng.random(n) < unregistered)
    fake = _unregistered(df, projects, rng)
    only_unreg = pl.Series(rng.random(n))
    df = df.with_columns(
        unregistered=unreg,
        community_name=pl.when(unreg).then(fake["name"]).otherwise(pl.col("community_name")),
        street=pl.when(unreg).then(fake["street"]).otherwise(pl.col("street")),
        address=pl.when(unreg).then(fake["address"]).otherwise(pl.col("address")),
        true_project=pl.when(unreg).then(None).otherwise(pl.col("true_project")),
        unregistered_kind=pl.when(unreg).then(fake["kind"]).otherwise(pl.lit("registered")),
        name_form=_choose(rng, NAME, n),
        district_form=_choose(rng, DISTRICT, n),
        street_form=_choose(rng, STREET, n),
        address_form=_choose(rng, ADDRESS, n),
        company_form=_choose(rng, COMPANY, n),
    ).with_columns(
        name_form=pl.when(pl.col("unregistered") & ~pl.col("name_form").is_in(KEEPS_INFORMATION))
        .then(pl.lit("as_registered"))
        .otherwise(pl.col("name_form")),
        company_form=pl.when(pl.col("unregistered"))  # the sibling's company, another, or none
        .then(
            pl.when(pl.lit(only_unreg) < 0.4).then(pl.lit("missing"))
            .when((pl.lit(only_unreg) < 0.7) & fake["sibling"].is_not_null()).then(pl.lit("full"))
            .otherwise(pl.lit("wrong"))
        )
        .when((pl.col("company_form") == "former") & pl.col("former").is_null())
        .then(pl.lit("full"))  # a project that never changed hands has no former company
        .otherwise(pl.col("company_form")),
        company_name=pl.coalesce(pl.when(unreg).then(pl.lit(fake["sibling"])), "company_name"),
    )  # fmt: skip
    df = _name_forms(df, rng)
    df = _places(df, rng, projects)
    df = _company(df, rng, projects)
    kinds = pl.concat_list(
        "name:" + pl.col("name_form"), "district:" + pl.col("district_form"),
        "street:" + pl.col("street_form"), "address:" + pl.col("address_form"),
        "company:" + pl.col("company_form"),
        pl.when(pl.col("unregistered")).then("unregistered:" + pl.col("unregistered_kind"))
        .otherwise(pl.lit("registered")),
    )  # fmt: skip
    return df.with_columns(kinds=kinds).select(*HEADERS, "true_project", "kinds")


def write_realistic(
    con: duckdb.DuckDBPyConnection, out: Path, *, seed: int, unregistered: float = UNREGISTERED
) -> tuple[Path, Path, int]:
    """Write `out` (GB18030 CSV, Chinese headers) and `out`.truth.parquet; returns the row count."""
    df = realistic_orders(con, seed=seed, unregistered=unregistered)
    truth = out.with_name(out.name + ".truth.parquet")
    df.select("complaint_id", "true_project", "kinds").write_parquet(truth)
    export = df.select([pl.col(c).alias(h) for c, h in HEADERS.items()])
    text = export.write_csv(null_value="", datetime_format="%Y-%m-%d %H:%M:%S")
    out.write_bytes(text.encode("gb18030"))
    return out, truth, df.height
