"""Calibration report: a generated city against the published outcomes it is tuned to.

    python -m benchmarks.calibration                 # 400,000 complaints, 8 quarters (~2 minutes)
    python -m benchmarks.calibration --quick         # CI: 100,000 complaints, 6 quarters, wider ranges
    python -m benchmarks.calibration --mode demo     # the city `rating demo` builds (1M, 4 quarters)

Generates a city, ingests it, rates every quarter **in order** under the rule set in force
(`yantai-2022`), so streaks and downgrades read the quarters before, then measures every
figure of `rating/synth/targets.toml` on the warehouse and prints generated against target,
with the target's basis and source. Appends one JSON line with provenance to
`results/calibration.jsonl`, rewrites `CALIBRATION.md` from the newest line of each mode, and
exits 1 when a figure falls outside its range (`--quick` widens each range by its
`quick_slack`: a few hundred companies make shares noisy).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.calibration_report import GRADES, latest, markdown, text_table
from benchmarks.quality.run import provenance
from rating.engine.runner import execute_run
from rating.ingest.folder import ingest_folder
from rating.periods import Period
from rating.ruleset import registry
from rating.settings import Settings
from rating.sql import rows, value
from rating.synth import generate
from rating.synth.targets import Target, load_targets
from rating.warehouse import open_warehouse

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "calibration.jsonl"
REPORT = HERE / "CALIBRATION.md"
MODES = {
    "quick": {"complaints": 100_000, "quarters": 6, "seed": 2027},
    "full": {"complaints": 400_000, "quarters": 8, "seed": 2026},
    "demo": {"complaints": 1_000_000, "quarters": 4, "seed": 2026},
}
END = "2026Q3"
NOW = datetime(2026, 11, 1, 9, 0, 0)
STEADY_FROM = 3  # black-list entries count from the 4th rated quarter: three earlier ones exist


@dataclass(frozen=True)
class Row:
    """One figure: the target and what the generated city shows."""

    id: str
    figure: str
    target: float
    low: float
    high: float
    measured: float | None
    ok: bool
    unit: str
    basis: str
    source: str


def build_city(work: Path, args: dict[str, Any], log: Any) -> tuple[Settings, dict[str, float]]:
    """Generate, ingest and rate every quarter in order into a fresh warehouse in `work`."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    settings = Settings(db_path=work / "warehouse.duckdb", now=NOW)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    result = generate(work / "exports", end=END, **args)
    timings["generate_s"] = round(time.perf_counter() - started, 2)
    con = open_warehouse(settings)
    started = time.perf_counter()
    ingest_folder(con, settings, work / "exports")
    timings["ingest_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    for name in result.periods:
        period = Period.parse(name)
        ruleset = registry.select(settings.rules_dir, None, settings.ruleset, period, False)
        execute_run(con, settings, ruleset, period)
    timings["rate_s"] = round(time.perf_counter() - started, 2)
    con.close()
    log(
        f"generated {args['complaints']:,} complaints in {timings['generate_s']} s, ingested in "
        f"{timings['ingest_s']} s, rated {len(result.periods)} quarters in {timings['rate_s']} s"
    )
    return settings, timings


COMPANY_QUARTERS = """
    CREATE OR REPLACE TEMP TABLE cq AS
    SELECT r.period, c.uscc, c.rated, c.grade, c.black, c.downgrade, c.veto,
           lag(c.grade) OVER w AS prev_grade, coalesce(lag(c.black) OVER w, false) AS prev_black,
           dense_rank() OVER (ORDER BY r.period) - 1 AS q
    FROM run_companies c JOIN runs r USING (run_id)
    WINDOW w AS (PARTITION BY c.uscc ORDER BY r.period)"""


@dataclass(frozen=True)
class Quarter:
    """One rated quarter of the city: `steady` once three earlier quarters are rated."""

    period: str
    graded: int
    grades: dict[str, int]
    black: int
    black_entries: int
    downgrades: int
    vetoed: int
    steady: bool


def quarters(con: duckdb.DuckDBPyConnection) -> list[Quarter]:
    """Per rated quarter: companies graded, grade counts, black list, entries, downgrades."""
    grade_cols = ", ".join(f"count(*) FILTER (WHERE grade = '{g}')" for g in GRADES)
    out = []
    for row in rows(
        con,
        f"""SELECT period, q, count(*) FILTER (WHERE rated AND grade IN {GRADES}), {grade_cols},
                   count(*) FILTER (WHERE black), count(*) FILTER (WHERE black AND NOT prev_black),
                   count(*) FILTER (WHERE downgrade), count(*) FILTER (WHERE rated AND veto)
            FROM cq GROUP BY ALL ORDER BY period""",
    ):
        period, q, graded, *grades, black, entries, downgrades, vetoed = row
        out.append(
            Quarter(
                str(period),
                int(graded),
                dict(zip(GRADES, map(int, grades), strict=True)),
                int(black),
                int(entries),
                int(downgrades),
                int(vetoed),
                int(q) >= STEADY_FROM,
            )
        )
    return out


def _grade_figures(per_quarter: list[Quarter]) -> dict[str, float | None]:
    graded = sum(q.graded for q in per_quarter)
    out: dict[str, float | None] = {
        f"grade_share_{g}": sum(q.grades[g] for q in per_quarter) / graded if graded else None
        for g in GRADES
    }
    steady = [q for q in per_quarter if q.steady]
    out["black_entries_per_1000"] = (
        1000 * sum(q.black_entries for q in steady) / sum(q.graded for q in steady)
        if steady
        else None
    )
    return out


FIGURES_SQL = {
    "grade_kept": """SELECT avg((grade = prev_grade)::INT) FROM cq
        WHERE rated AND prev_grade IS NOT NULL AND grade IS NOT NULL""",
    "hotline_per_1000_households": """
        WITH served AS (
          SELECT sum(households * (least(coalesce(service_end, $end), $end)
                                   - greatest(service_start, $start) + 1)) / 365.0 AS hh_years
          FROM src_projects WHERE service_start <= $end AND coalesce(service_end, $end) >= $start)
        SELECT 1000.0 * (SELECT count(*) FROM src_complaints WHERE channel = '12345热线')
               / hh_years FROM served""",
    "repeat_share": "SELECT avg(coalesce(is_repeat, false)::INT) FROM src_complaints",
    "verified_share": "SELECT avg((fact_finding IN ('属实', '部分属实'))::INT) FROM src_complaints",
    "top11_project_share": """
        WITH p AS (SELECT project_id, count(*) AS n FROM src_complaints GROUP BY ALL),
             r AS (SELECT n, row_number() OVER (ORDER BY n DESC) AS k, count(*) OVER () AS m FROM p)
        SELECT sum(n) FILTER (WHERE k <= ceil(0.11 * m)) / sum(n) FROM r""",
    "august_to_january": """
        WITH m AS (SELECT month(_date) AS m, count(*) / count(DISTINCT year(_date)) AS n
                   FROM src_complaints WHERE month(_date) IN (1, 8) GROUP BY ALL)
        SELECT (SELECT n FROM m WHERE m = 8) / (SELECT n FROM m WHERE m = 1)""",
    "top3_category_share": """SELECT avg((category IN ('房屋维修', '邻里纠纷', '停车管理'))::INT)
        FROM src_complaints""",
    "inspection_item_pass": "SELECT avg((deducted = 0)::INT) FROM src_inspections",
    "inspection_pass": """SELECT avg((got >= 0.6 * total)::INT) FROM (
        SELECT sum(max_points - deducted) AS got, sum(max_points) AS total
        FROM src_inspections GROUP BY inspection_id)""",
    "veto_events_per_1000": """
        SELECT 1000.0 * count(*) FILTER (WHERE code LIKE 'V%' AND decided_on BETWEEN $start AND $end)
               / $years / (SELECT count(DISTINCT uscc) FROM cq WHERE rated)
        FROM src_events""",
    "bad_events_per_1000": """
        SELECT 1000.0 * count(*) FILTER (WHERE info_kind = '不良' AND decided_on BETWEEN $start AND $end)
               / $years / (SELECT count(DISTINCT uscc) FROM cq WHERE rated)
        FROM src_events""",
    "bad_information_share": """
        SELECT count(*) FILTER (WHERE b.records > 0) / count(*) FROM run_companies c
        LEFT JOIN run_buckets b ON b.run_id = c.run_id AND b.company_uscc = c.uscc
             AND b.bucket = 'bad'
        WHERE c.rated AND c.grade <> 'C(缺失)'""",
    "bad_events_on_worst_decile": """
        WITH served AS (
          SELECT company_uscc AS uscc, sum(households * (least(coalesce(service_end, $end), $end)
                 - greatest(service_start, $start) + 1)) / 365.0 AS hh_years
          FROM src_projects WHERE service_start <= $end AND coalesce(service_end, $end) >= $start
          GROUP BY ALL),
        orders AS (
          SELECT p.company_uscc AS uscc, count(*) AS n FROM src_complaints c JOIN src_projects p
            ON p.project_id = c.project_id
           AND c._date BETWEEN p.service_start AND coalesce(p.service_end, $end)
          GROUP BY ALL),
        ranked AS (
          SELECT s.uscc, percent_rank() OVER (ORDER BY coalesce(o.n, 0) / s.hh_years DESC) AS r
          FROM served s LEFT JOIN orders o USING (uscc) WHERE s.hh_years > 0),
        bad AS (SELECT uscc FROM src_events
                WHERE info_kind = '不良' AND decided_on BETWEEN $start AND $end)
        SELECT avg((r < 0.1)::INT) FROM bad JOIN ranked USING (uscc)""",
}

MEASURED = (*(f"grade_share_{g}" for g in GRADES), "black_entries_per_1000", *FIGURES_SQL)

DETAILS_SQL = {  # reported, no target
    "households_per_project": "SELECT avg(households) FROM src_projects",
    "black_list_share": "SELECT avg(black::INT) FROM cq WHERE rated",
    "downgrade_share": "SELECT avg(downgrade::INT) FROM cq WHERE rated AND prev_grade IS NOT NULL",
}


@dataclass(frozen=True)
class City:
    """What the report measured: each target's figure (None when it cannot be measured, e.g.
    no quarter is steady yet), the rated quarters, and figures reported without a target."""

    figures: dict[str, float | None]
    quarters: list[Quarter]
    details: dict[str, float]


def measure_city(settings: Settings, n_quarters: int) -> City:
    """Every target figure and the per-quarter table of a rated warehouse."""
    con = open_warehouse(settings, read_only=True)
    con.execute(COMPANY_QUARTERS)
    per_quarter = quarters(con)
    first, last = Period.parse(per_quarter[0].period), Period.parse(per_quarter[-1].period)
    params = {"start": first.start, "end": last.end, "years": n_quarters / 4}
    figures: dict[str, float | None] = _grade_figures(per_quarter)
    for name, sql in FIGURES_SQL.items():
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        got = value(con, sql, used)
        figures[name] = None if got is None else float(got)
    details = {k: float(value(con, sql) or 0) for k, sql in DETAILS_SQL.items()}
    con.close()
    return City(figures, per_quarter, details)


def compare(
    figures: dict[str, float | None], targets: tuple[Target, ...], quick: bool
) -> list[Row]:
    """Generated against target for every target, in the targets file's order."""
    out = []
    for t in targets:
        got = figures.get(t.id)
        slack = t.quick_slack if quick else 0.0
        low, high = max(t.low - slack, 0.0), t.high + slack  # no figure is negative
        if t.unit == "share":
            high = min(high, 1.0)
        out.append(
            Row(
                t.id,
                t.figure,
                t.value,
                low,
                high,
                got,
                t.accepts(got, quick=quick),
                t.unit,
                t.basis,
                t.source,
            )
        )
    return out


def measure(mode: str, work: Path, log: Any = print, **override: Any) -> dict[str, Any]:
    """Build the mode's city in `work` and return the report record (JSON-able)."""
    args = MODES[mode] | override
    settings, timings = build_city(work, args, log)
    city = measure_city(settings, int(args["quarters"]))
    table = compare(city.figures, load_targets(), quick=mode == "quick")
    return {
        "mode": mode,
        "generator": {**args, "end": END},
        "provenance": provenance(),
        "timings": timings,
        "rows": [asdict(r) for r in table],
        "quarters": [asdict(q) for q in city.quarters],
        "details": city.details,
        "ok": all(r.ok for r in table),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small CI city, wider ranges")
    parser.add_argument("--mode", choices=sorted(MODES), default="full", help="city size")
    parser.add_argument("--work", type=Path, default=HERE / "work" / "calibration")
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON lines to append to")
    parser.add_argument("--report", type=Path, default=REPORT, help="markdown to rewrite")
    opts = parser.parse_args(argv)
    record = measure("quick" if opts.quick else opts.mode, opts.work)
    print(text_table(record))
    opts.results.parent.mkdir(parents=True, exist_ok=True)
    with opts.results.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    opts.report.write_text(markdown(latest(opts.results)), encoding="utf-8")
    print(f"wrote {opts.report}")
    return 0 if record["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
