"""Attach hotline orders to projects: compound name, district, street, address and company, weighed.

Vectorised throughout (DuckDB SQL over whole tables; TF-IDF over distinct spellings):

1. `_register` — the bureau's projects as of the watermark, names split into parts
   (`rating.matching.normalize`), the company serving each period, the vocabulary of each
   district's names, which district each street office belongs to;
2. `_orders` — the orders' names, places and companies normalised the same way; the districts
   each order points at; the characters of its name never seen in those districts (`oov`);
3. `candidates` — blocking (`rating.matching.candidates`); `misheard` — which one-character
   differences sound alike (`rating.matching.sounds`);
4. `_pairs` — one comparison level per field and the vetoes per pair (`rating.matching.evidence`);
5. `_score` — Fellegi–Sunter weights and each candidate's probability (`rating.matching.model`);
6. `decide` — per order: an analyst's earlier decision on this spelling (`alias`, `rejected`),
   else the best candidate if its probability reaches the model's threshold and nothing vetoes
   it (`exact` when the name is the registered one, else `fuzzy`), else the review queue with
   every candidate's evidence for and against.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from rating.matching.candidates import candidates
from rating.matching.evidence import levels_sql
from rating.matching.gazetteer import places as place_names
from rating.matching.model import Model, load_model, scored_sql
from rating.matching.normalize import (
    company_core,
    compound_parts,
    place_core,
    road_number,
    simplify,
)
from rating.matching.reasons import candidates_sql
from rating.matching.sounds import misheard
from rating.schema import CONTRACTS
from rating.sql import rows, run
from rating.warehouse import visible_rows

SHOWN = 5  # candidates kept for the reviewer


@dataclass(frozen=True)
class Thresholds:
    """`auto_probability` overrides the model's threshold (None: the model's own)."""

    auto_probability: float | None = None


def _register(con: duckdb.DuckDBPyConnection, params: dict[str, object], places: str) -> None:
    projects = CONTRACTS["projects"]
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_ref AS
        SELECT project_id, arg_max(project_name, service_start) AS project_name,
               {place_core("arg_max(district, service_start)", places)} AS district_n,
               {place_core("arg_max(street, service_start)", places)} AS street_n,
               {road_number("arg_max(address, service_start)")} AS rn
        FROM {visible_rows(projects)} GROUP BY project_id""",
        params,
    )
    simplify(con, "m_ref", ("project_name",))
    compound_parts(con, "m_ref", "project_name", places)
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_ref_rn AS
        SELECT * EXCLUDE (rn), nullif(rn['road'], '') AS road, nullif(rn['no'], '') AS no FROM m_ref""",
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_service AS
        SELECT p.project_id, p.service_start, coalesce(p.service_end, DATE '9999-12-31') AS service_end,
               {company_core("c.name", places)} AS company_n, c.name AS company_name
        FROM (SELECT * FROM {visible_rows(projects)}) p
        LEFT JOIN (SELECT s.uscc, s.name FROM {visible_rows(CONTRACTS["companies"])}) c
          ON c.uscc = p.company_uscc""",
        params,
    )
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_former AS
        SELECT project_id, list(DISTINCT company_n) FILTER (WHERE company_n IS NOT NULL) AS former
        FROM m_service GROUP BY project_id""",
    )
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_streets AS
        SELECT street_n, any_value(district_n) AS district_n FROM m_ref WHERE street_n IS NOT NULL
        GROUP BY street_n HAVING count(DISTINCT district_n) = 1""",
    )
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_vocab AS
        WITH c AS (SELECT DISTINCT coalesce(district_n, '') AS district_n,
                          unnest(string_split(regexp_replace(concat(stem, suffix), '[0-9A-Z]', '', 'g'), '')) AS ch
                   FROM m_ref)
        SELECT DISTINCT d.district_n, c.ch FROM c, (SELECT c.district_n UNION ALL SELECT '') d(district_n)
        WHERE c.ch <> ''""",
    )


def _orders(con: duckdb.DuckDBPyConnection, orders: str, places: str) -> None:
    has_address = bool(
        rows(con, f"SELECT 1 FROM (DESCRIBE {orders}) WHERE column_name = 'address'")
    )
    address = road_number("address") if has_address else "{'road': '', 'no': ''}"
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_orders AS
        SELECT _line, CAST(_when AS DATE) AS day, community_name,
               {place_core("district", places)} AS district_n, {place_core("street", places)} AS street_n,
               {company_core("company_name", places)} AS company_n, {address} AS rn
        FROM {orders}""",
    )
    simplify(con, "m_orders", ("community_name",))
    compound_parts(con, "m_orders", "community_name", places)
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_orders AS
        SELECT o.* EXCLUDE (rn), nullif(o.rn['road'], '') AS road, nullif(o.rn['no'], '') AS no,
               d.district_n AS district_k, s.district_n AS street_district,
               array_to_string(list_sort(list_distinct(list_filter([d.district_n, s.district_n],
                   lambda x: x IS NOT NULL))), '|') AS search,
               o.stem IN (SELECT stem FROM m_ref WHERE stem IS NOT NULL) AS stem_registered
        FROM m_orders o
        LEFT JOIN (SELECT DISTINCT district_n FROM m_ref) d ON d.district_n = o.district_n
        LEFT JOIN m_streets s ON s.street_n = o.street_n""",
    )
    _out_of_vocabulary(con)


def _out_of_vocabulary(con: duckdb.DuckDBPyConnection) -> None:
    """`oov` on m_orders: characters of the name never seen in the names of its districts."""
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_oov AS
        WITH k AS (SELECT DISTINCT concat(stem, suffix) AS nm, search FROM m_orders WHERE stem IS NOT NULL),
        ch AS (SELECT DISTINCT nm, search,
                      unnest(string_split(regexp_replace(nm, '[0-9A-Z]', '', 'g'), '')) AS ch FROM k),
        sd AS (SELECT DISTINCT search, unnest(CASE WHEN search = '' THEN [''] ELSE string_split(search, '|') END) AS d FROM k),
        known AS (SELECT DISTINCT ch.nm, ch.search, ch.ch FROM ch JOIN sd USING (search)
                  JOIN m_vocab v ON v.district_n = sd.d AND v.ch = ch.ch)
        SELECT nm, search, string_agg(DISTINCT ch, '' ORDER BY ch) AS oov
        FROM (SELECT * FROM ch WHERE ch <> '' EXCEPT SELECT * FROM known) GROUP BY ALL""",
    )
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_orders AS
        SELECT o.*, v.oov FROM m_orders o
        LEFT JOIN m_oov v ON v.nm = concat(o.stem, o.suffix) AND v.search = o.search""",
    )
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE m_keys AS
        SELECT row_number() OVER (ORDER BY core, stem, search) AS key_id, core, stem, search
        FROM (SELECT DISTINCT core, stem, search FROM m_orders WHERE core IS NOT NULL)""",
    )


def _pairs(con: duckdb.DuckDBPyConnection) -> None:
    """`m_pairs`: order line × candidate, its levels and vetoes (narrow: the evidence shown to
    a reviewer is looked up again for review orders only, in `decide`)."""
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_pairs AS
        SELECT o._line, c.project_id, {levels_sql()}
        FROM m_orders o
        JOIN m_keys mk ON mk.core = o.core AND mk.stem IS NOT DISTINCT FROM o.stem AND mk.search = o.search
        JOIN m_candidates k ON k.key_id = mk.key_id
        JOIN m_ref_rn c ON c.project_id = k.project_id
        LEFT JOIN m_service s ON s.project_id = c.project_id AND o.day BETWEEN s.service_start AND s.service_end
        LEFT JOIN m_former f ON f.project_id = c.project_id
        LEFT JOIN m_misheard h ON h.o_stem = o.stem AND h.c_stem = c.stem""",
    )


def _score(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    run(con, f"CREATE OR REPLACE TEMP TABLE m_scored AS {scored_sql(model)}")


def _aliases(con: duckdb.DuckDBPyConnection) -> None:
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_alias AS
        SELECT o._line, a.project_id FROM m_orders o
        JOIN (SELECT alias_key, project_id FROM match_aliases
              QUALIFY row_number() OVER (PARTITION BY alias_key ORDER BY seq DESC) = 1) a
          ON a.alias_key = {alias_key_sql("o")}""",
    )


def decide(con: duckdb.DuckDBPyConnection, threshold: float) -> None:
    """`m_decided`: per order, the project (or NULL: review), the method, the confidence, and —
    for orders going to review — the candidates with their evidence (those sharing something of
    the name first, then by weight: 锦绣家园 before 阳光花园 for 锦绣花园)."""
    auto = f"b.probability >= {float(threshold)!r} AND len(b.vetoes) = 0"
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_decided AS
        SELECT o._line,
               CASE WHEN a._line IS NOT NULL THEN a.project_id WHEN {auto} THEN b.project_id END AS project_id,
               CASE WHEN a._line IS NOT NULL AND a.project_id IS NULL THEN 'rejected'
                    WHEN a.project_id IS NOT NULL THEN 'alias'
                    WHEN {auto} AND b.l_name = 'exact' AND b.l_part IN ('same', 'none') THEN 'exact'
                    WHEN {auto} THEN 'fuzzy'
                    ELSE 'review' END AS method,
               CASE WHEN a.project_id IS NOT NULL THEN 1.0 ELSE coalesce(b.probability, 0) END AS confidence
        FROM m_orders o LEFT JOIN m_alias a USING (_line)
        LEFT JOIN (SELECT * FROM m_scored WHERE rank = 1) b USING (_line)""",
    )
    run(
        con,
        f"""CREATE OR REPLACE TEMP TABLE m_decided AS
        SELECT d.*, coalesce(c.candidates, []) AS candidates FROM m_decided d
        LEFT JOIN (SELECT _line, list({candidates_sql()} ORDER BY l_name = 'other', rank) AS candidates
                   FROM (SELECT p.*, c.project_name, c.district_n, c.street_n, c.road, c.no,
                                c.part AS c_part, c.suffix AS c_suffix, o.part AS o_part,
                                o.suffix AS o_suffix, o.oov AS o_oov, s.company_name
                         FROM m_scored p JOIN m_orders o USING (_line)
                         JOIN m_ref_rn c ON c.project_id = p.project_id
                         LEFT JOIN m_service s ON s.project_id = p.project_id
                              AND o.day BETWEEN s.service_start AND s.service_end
                         WHERE p.rank <= {SHOWN}
                           AND p._line IN (SELECT _line FROM m_decided WHERE method = 'review'))
                   GROUP BY _line) c USING (_line)""",
    )


def match(
    con: duckdb.DuckDBPyConnection,
    orders: str,
    params: dict[str, object],
    thresholds: Thresholds = Thresholds(),
    model: Model | None = None,
) -> None:
    """Match the temp table `orders` (_line, _when, community_name, company_name, district,
    street[, address]); leaves `m_decided` (see `decide`) and the intermediate m_* tables."""
    model = model or load_model()
    places = place_names(con, params)
    _register(con, params, places)
    _orders(con, orders, places)
    candidates(con)
    misheard(con)
    _pairs(con)
    _score(con, model)
    _aliases(con)
    decide(con, thresholds.auto_probability or model.threshold)


def alias_key_sql(alias: str = "o") -> str:
    """The spelling an analyst's decision is remembered under: name|district|street|company."""
    return f"concat_ws('|', {alias}.core, {alias}.district_n, {alias}.street_n, {alias}.company_n)"
