"""The floor: one hand-written DuckDB query computing the default rule set's indicator values.

It reads the same warehouse tables as the engine and produces, per rule and target (a
(company, project) unit for project rules, a company for company rules), the number of
records the rule counts and their indicator value (`total`: the sum of per-record points for
`each` rules, the rate per 1,000 households for P-CMP-RATE, the mean for P-STREET). No bands,
caps, grades, evidence, manifest or storage: it is what a DuckDB expert would write to get
the numbers and nothing else, so engine time / floor time is the price of everything else.

It is written for `yantai-2022@1.0.0` by hand (not generated from the rule files) and it
ignores corrections (`supersessions`): the harness checks there are none in its data.

`python -m benchmarks.floor DB PERIOD WATERMARK OUT [--threads N] [--memory-limit X]` is the
floor as a whole process, timed the way `rating run` is: interpreter start-up, importing
DuckDB (nothing of `rating`), opening the warehouse read-only, the query, and its result
written to OUT as Parquet by DuckDB. It prints `{"seconds": …, "rows": …}` (the query and
write alone, for the in-process breakdown).
"""

from __future__ import annotations

import argparse
import json
import sys
import time as clock
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb

RULESET = "yantai-2022@1.0.0"
RULES = (
    "P-CMP-RATE", "P-CMP-LATE", "P-CMP-DISSAT", "P-CMP-COLLECTIVE", "P-INSP-DEDUCT",
    "P-INSP-UNRECTIFIED", "P-CONTRACT-KEY", "P-CONTRACT-OTHER", "P-STREET", "G-INFO", "B-INFO",
    "B-SERIOUS", "V-VETO", "V-SAFETY",
)  # fmt: skip

FLOOR_SQL = """
WITH svc AS (
  SELECT project_id, company_uscc AS company, households, service_start,
         coalesce(service_end, DATE '9999-12-31') AS service_end
  FROM src_projects WHERE _batch <= $wm),
served AS (
  SELECT *, date_diff('day', greatest(service_start, $ps), least(service_end, $pe)) + 1 AS days
  FROM svc WHERE service_start <= $pe AND service_end >= $ps),
units AS (
  SELECT company, project_id, sum(households * days) / $period_days AS exposure
  FROM served GROUP BY ALL),
cmp AS (
  SELECT s.company, c.project_id,
    count(*) FILTER (ok AND order_type = '投诉举报类') AS n_rate,
    count(*) FILTER (ok AND coalesce(closed_at > deadline, deadline < $pe_ts)) AS n_late,
    count(*) FILTER (ok AND satisfaction = '不满意') AS n_dissat,
    count(*) FILTER (fact_finding IN ('属实', '部分属实') AND coalesce(petitioners, 1) >= 10) AS n_coll
  FROM (SELECT project_id, _date, order_type, closed_at, deadline, satisfaction, fact_finding,
               petitioners, fact_finding IN ('属实', '部分属实')
                 AND NOT (coalesce(is_repeat, false) OR repeat_of IS NOT NULL) AS ok
        FROM src_complaints WHERE _batch <= $wm AND _date BETWEEN $ps AND $pe) c
  JOIN svc s ON s.project_id = c.project_id AND c._date BETWEEN s.service_start AND s.service_end
  GROUP BY ALL),
insp AS (
  SELECT s.company, i.project_id,
    count(*) FILTER (deducted > 0) AS n_deduct,
    sum(-0.25 * deducted * CASE level WHEN '市' THEN 1.0 WHEN '区' THEN 0.8 ELSE 0.6 END)
      FILTER (deducted > 0) AS t_deduct,
    count(*) FILTER (severity = '严重' AND rectify_by IS NOT NULL AND rectify_by <= $pe
                     AND (rectified_on IS NULL OR rectified_on > rectify_by)) AS n_unrect
  FROM src_inspections i
  JOIN svc s ON s.project_id = i.project_id AND i._date BETWEEN s.service_start AND s.service_end
  WHERE i._batch <= $wm AND i._date BETWEEN $ps AND $pe GROUP BY ALL),
ctr AS (
  SELECT s.company, k.project_id,
    count(*) FILTER (performance = '未履行' AND obligation IN ('应急演练', '收费标准公示', '服务标准公示')) AS n_key,
    count(*) FILTER ((performance = '未履行' AND obligation NOT IN ('应急演练', '收费标准公示', '服务标准公示'))
                     OR performance = '基本履行') AS n_other,
    sum(CASE WHEN performance = '未履行' THEN -3 ELSE -1 END)
      FILTER ((performance = '未履行' AND obligation NOT IN ('应急演练', '收费标准公示', '服务标准公示'))
              OR performance = '基本履行') AS t_other
  FROM src_contracts k
  JOIN svc s ON s.project_id = k.project_id AND k._date BETWEEN s.service_start AND s.service_end
  WHERE k._batch <= $wm AND k._date BETWEEN $ps AND $pe GROUP BY ALL),
opn AS (
  SELECT s.company, o.project_id, count(*) AS n_street,
    avg(CASE rating WHEN '优秀' THEN 2 WHEN '良好' THEN 0 WHEN '合格' THEN -2 ELSE -6 END) AS v_street
  FROM src_opinions o
  JOIN svc s ON s.project_id = o.project_id AND o._date BETWEEN s.service_start AND s.service_end
  WHERE o._batch <= $wm AND o._date BETWEEN $ps AND $pe GROUP BY ALL),
evt AS (
  SELECT uscc AS company,
    count(*) FILTER (info_kind = '良好' AND live_rolling) AS n_good,
    sum(points) FILTER (info_kind = '良好' AND live_rolling) AS t_good,
    count(*) FILTER (info_kind = '不良' AND NOT serious AND live_rolling) AS n_bad,
    -sum(points) FILTER (info_kind = '不良' AND NOT serious AND live_rolling) AS t_bad,
    count(*) FILTER (info_kind = '不良' AND serious AND live_unrectified) AS n_serious,
    -sum(points) FILTER (info_kind = '不良' AND serious AND live_unrectified) AS t_serious,
    count(*) FILTER (code IN ('V01', 'V02', 'V03', 'V05', 'V06', 'V07') AND live_unrectified) AS n_veto,
    count(*) FILTER (code = 'V04' AND live_unrectified) AS n_safety
  FROM (SELECT *,
          CASE WHEN valid_until IS NULL THEN _date > $pe - INTERVAL 365 DAY AND _date <= $pe
               ELSE _date <= $pe AND valid_until >= $pe END AS live_rolling,
          _date <= $pe AND (rectified_on IS NULL OR rectified_on > $pe) AS live_unrectified
        FROM src_events WHERE _batch <= $wm AND coalesce(status, '有效') = '有效' AND _date <= $pe)
  WHERE company IN (SELECT company FROM units) GROUP BY ALL),
long AS (
  SELECT 'P-CMP-RATE' AS rule_id, company, project_id, n_rate AS records,
         n_rate * 1000.0 / u.exposure AS value FROM cmp JOIN units u USING (company, project_id)
  UNION ALL SELECT 'P-CMP-LATE', company, project_id, n_late, -0.5 * n_late FROM cmp
  UNION ALL SELECT 'P-CMP-DISSAT', company, project_id, n_dissat, -0.3 * n_dissat FROM cmp
  UNION ALL SELECT 'P-CMP-COLLECTIVE', company, project_id, n_coll, -5.0 * n_coll FROM cmp
  UNION ALL SELECT 'P-INSP-DEDUCT', company, project_id, n_deduct, t_deduct FROM insp
  UNION ALL SELECT 'P-INSP-UNRECTIFIED', company, project_id, n_unrect, -3.0 * n_unrect FROM insp
  UNION ALL SELECT 'P-CONTRACT-KEY', company, project_id, n_key, -10.0 * n_key FROM ctr
  UNION ALL SELECT 'P-CONTRACT-OTHER', company, project_id, n_other, t_other FROM ctr
  UNION ALL SELECT 'P-STREET', company, project_id, n_street, v_street FROM opn
  UNION ALL SELECT 'G-INFO', company, NULL, n_good, t_good FROM evt
  UNION ALL SELECT 'B-INFO', company, NULL, n_bad, t_bad FROM evt
  UNION ALL SELECT 'B-SERIOUS', company, NULL, n_serious, t_serious FROM evt
  UNION ALL SELECT 'V-VETO', company, NULL, n_veto, 0.0 FROM evt
  UNION ALL SELECT 'V-SAFETY', company, NULL, n_safety, 0.0 FROM evt)
SELECT rule_id, company, project_id, records, CAST(value AS DOUBLE) AS value
FROM long WHERE records > 0
"""


def floor_params(period_start: date, period_end: date, watermark: int) -> dict[str, Any]:
    return {
        "ps": period_start,
        "pe": period_end,
        "pe_ts": datetime.combine(period_end + timedelta(days=1), time()),
        "period_days": (period_end - period_start).days + 1,
        "wm": watermark,
    }


def floor(
    con: duckdb.DuckDBPyConnection, period_start: date, period_end: date, watermark: int
) -> duckdb.DuckDBPyConnection:
    """The floor's result: (rule_id, company, project_id, records, value)."""
    return con.execute(FLOOR_SQL, floor_params(period_start, period_end, watermark))


def quarter(period: str) -> tuple[date, date]:
    """'2026Q3' → (first day, last day); the floor imports nothing of `rating`."""
    year, q = int(period[:4]), int(period[-1])
    start = date(year, 3 * q - 2, 1)
    after = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return start, after - timedelta(days=1)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.floor")
    ap.add_argument("db")
    ap.add_argument("period")
    ap.add_argument("watermark", type=int)
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--memory-limit", default="")
    args = ap.parse_args(argv)
    config: dict[str, Any] = {}
    if args.threads:
        config["threads"] = args.threads
    if args.memory_limit:
        config["memory_limit"] = args.memory_limit
    con = duckdb.connect(args.db, read_only=True, config=config)
    start, end = quarter(args.period)
    started = clock.perf_counter()
    con.execute(
        f"COPY ({FLOOR_SQL}) TO '{args.out}' (FORMAT parquet)",
        floor_params(start, end, args.watermark),
    )
    seconds = clock.perf_counter() - started
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{args.out}')").fetchone()
    con.close()
    print(json.dumps({"seconds": seconds, "rows": rows[0] if rows else 0}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
