"""Fair rates: counts per 1,000 households of small projects, shrunk towards their pool's rate.

A rule with `shrink` (rule-set option; `rules/README.md`) rates each unit (project, company)
over the rule's rate window by

* its `records` x and `households` E (households × days served ÷ days in the window),
* its pool's rate r = 1000 × Σx ÷ ΣE over the units of the pool — its district, or the city —
  in the same run, counted by the same rule,
* the fair rate (1000·x + k·r) ÷ (E + k), with k = `prior_households`: the household-weighted
  mean of the raw rate 1000·x/E (weight E) and the pool's rate (weight k). It is the mean of
  the Gamma posterior of the unit's rate when its count is Poisson and the prior is a Gamma
  with mean r worth k households: shape x + k·r/1000, rate (E + k)/1000 (in thousands).
* a credible interval of that posterior (`interval`, default 90 %). DuckDB has no gamma
  quantile, so for a shape a ≥ 1 it uses Wilson–Hilferty, a·(1 − 1/(9a) ± z/(3√a))³: the
  upper bound within 1.1 % of the exact one, the lower within 1.4 % of the mean
  (`tests/test_shrinkage.py` checks it against scipy). Below shape 1 (less than one record's
  worth of evidence) it gives 0 to the exact quantile of shape 1, −ln((1 − level)/2) (the
  "rule of three" at 90 %), never narrower than the exact interval.

k is a fixed number of the rule set, not estimated from each pool's dispersion (method of
moments): the same complaint count on the same households then gets the same weight in every
district and quarter, an auditor can redo it with a calculator, and a pool of few, alike
projects cannot drive the estimate to "all pool, no project" (a moment estimate of the
between-project variance is often zero or negative there).

The bands of the rule read the fair rate. Every unit gets a row (`fair_rates`, stored as
`run_fair_rates`), so the pool's rate can be recomputed from the stored rows. Stored numbers
are DECIMAL(18,6); the fair rate and its bounds are computed from the stored households and
pool rate, so they do not depend on the order in which DuckDB adds doubles.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import duckdb

from rating.engine.context import RunContext, exposure_window
from rating.ruleset.definition import Shrink
from rating.ruleset.loader import CompiledRule
from rating.sql import lit, run, sql_text, value

RATE = "DECIMAL(18,6)"
POOLS = {"district": "u.district", "city": "NULL::VARCHAR"}  # allow-list of pool columns

COLUMNS = f"""rule_id VARCHAR, company VARCHAR, project_id VARCHAR, pool VARCHAR,
    records BIGINT, households {RATE}, raw_rate {RATE}, pool_records BIGINT,
    pool_households {RATE}, pool_rate {RATE}, prior_households INTEGER, fair_rate {RATE},
    fair_low {RATE}, fair_high {RATE}"""


def shrunk(c: CompiledRule) -> bool:
    """Whether a compiled rule reads fair (shrunk) rates: it has a `shrink` option."""
    return c.rule.shrink is not None


def z_value(level: float) -> float:
    """The standard normal quantile of a two-sided `level` interval's upper end."""
    return NormalDist().inv_cdf((1 + level) / 2)


def quantile_sql(shape: str, z: float, level: float, upper: bool) -> str:
    """A Gamma(shape, 1) quantile, by Wilson–Hilferty for shape ≥ 1 (see the module doc)."""
    zed = sql_text(lit(z))
    wilson_hilferty = (
        f"{shape} * pow(greatest(1 - 1 / (9 * {shape}) + ({zed}) / (3 * sqrt({shape})), 0), 3)"
    )
    below_one = sql_text(lit(-math.log((1 - level) / 2) if upper else 0))
    return f"CASE WHEN {shape} >= 1 THEN {wilson_hilferty} ELSE {below_one} END"


def fair_rates_insert(c: CompiledRule, ctx: RunContext) -> str:
    """The rows of one shrunk rule: units → pooled sums → rates → fair rate and interval."""
    rule, shrink = c.rule, c.rule.shrink
    assert isinstance(shrink, Shrink)
    rid = sql_text(lit(rule.id))
    start, end = exposure_window(rule.window, ctx.period)
    window_id = sql_text(lit(f"{start}:{end}"))
    k = sql_text(lit(int(shrink.prior_households)))
    z = z_value(shrink.interval)
    low = quantile_sql("shape", -z, shrink.interval, upper=False)
    high = quantile_sql("shape", z, shrink.interval, upper=True)
    per_thousand = f"((CAST(households AS DOUBLE) + {k}) / 1000)"  # the posterior's rate
    return f"""INSERT INTO fair_rates
        WITH unit AS (
          SELECT u.company, u.project_id, {POOLS[shrink.towards]} AS pool,
                 coalesce(h.n, 0) AS records, CAST(coalesce(e.exposure, 0) AS {RATE}) AS households
          FROM units u
          LEFT JOIN (SELECT _company AS company, _project AS project_id, count(*) AS n
                     FROM hits WHERE rule_id = {rid} GROUP BY ALL) h USING (company, project_id)
          LEFT JOIN (SELECT company, project_id, sum(households) AS exposure FROM exposure
                     WHERE window_id = {window_id} GROUP BY ALL) e USING (company, project_id)),
        pooled AS (
          SELECT *, sum(records) OVER pool_units AS pool_records,
                 CAST(sum(households) OVER pool_units AS {RATE}) AS pool_households
          FROM unit WINDOW pool_units AS (PARTITION BY pool)),
        rated AS (
          SELECT *,
                 CAST(CASE WHEN households > 0
                      THEN records * 1000 / CAST(households AS DOUBLE) END AS {RATE}) AS raw_rate,
                 CAST(CASE WHEN pool_households > 0
                      THEN pool_records * 1000 / CAST(pool_households AS DOUBLE) END AS {RATE})
                   AS pool_rate
          FROM pooled),
        posterior AS (
          SELECT *, records + {k} * coalesce(CAST(pool_rate AS DOUBLE), 0) / 1000 AS shape
          FROM rated)
        SELECT {rid}, company, project_id, pool, records, households, raw_rate, pool_records,
               pool_households, pool_rate, {k},
               CAST(CASE WHEN households > 0 THEN shape / {per_thousand} END AS {RATE}),
               CAST(CASE WHEN households > 0 THEN ({low}) / {per_thousand} END AS {RATE}),
               CAST(CASE WHEN households > 0 THEN ({high}) / {per_thousand} END AS {RATE})
        FROM posterior"""


def build_fair_rates(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int:
    """`fair_rates`: one row per unit and shrunk rule (empty when no rule shrinks)."""
    run(con, f"CREATE OR REPLACE TEMP TABLE fair_rates ({COLUMNS})")
    for compiled in ctx.ruleset.rules:
        if shrunk(compiled):
            run(con, fair_rates_insert(compiled, ctx), ctx.params)
    return int(value(con, "SELECT count(*) FROM fair_rates"))
