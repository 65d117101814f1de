"""The SQL of a supervision plan: projects, their class, the inspections due, the draws.

Bound parameters: `$watermark` (the batches the plan sees), `$start`/`$end` (the planned
period), `$basis` (the run the classes come from), `$listed` (companies with a black-list
entry in force on `$start`), `$measures` (inspection measures as JSON), `$streaks`,
`$risky` (companies the early warning puts in band 高, as JSON), `$held` (projects with held
complaints, as JSON), `$period` (the planned period's name, seeding the draw).
"""

from __future__ import annotations

import json

from rating.consequences.matching import CONDITION, STREAKS_CTE, WHEN_TYPES
from rating.schema import CONTRACTS
from rating.warehouse import visible_rows

INSPECTION_SCHEMA = json.dumps(
    [
        {
            "id": "VARCHAR",
            "title": "VARCHAR",
            **WHEN_TYPES,
            "level": "VARCHAR",
            "per_year": "DOUBLE",
            "sampling": "DOUBLE",
        }
    ]
)


def projects_sql() -> str:
    """`plan_projects`: every project served during the planned period, with the company
    serving it last, that company's class in the basis run and the project's grade."""
    return f"""
CREATE OR REPLACE TEMP TABLE plan_projects AS
WITH served AS (
  SELECT project_id, arg_max(company_uscc, service_start) AS company_uscc,
         arg_max(project_name, service_start) AS project_name,
         arg_max(district, service_start) AS district, arg_max(street, service_start) AS street
  FROM (SELECT s.* FROM {visible_rows(CONTRACTS["projects"])}) p
  WHERE service_start <= $end AND (service_end IS NULL OR service_end >= $start)
  GROUP BY project_id),
{STREAKS_CTE},
rp AS (SELECT project_id, arg_max(grade, days_served) AS grade
       FROM run_projects WHERE run_id = $basis GROUP BY project_id)
SELECT s.*, rc.name AS company_name, coalesce(rc.rated, false) AS rated, rc.grade,
       coalesce(rc.red, false) AS red,
       coalesce(rc.black, false) OR list_contains($listed::VARCHAR[], s.company_uscc) AS black,
       coalesce(st.periods, 0) AS streak, rp.grade AS project_grade
FROM served s
LEFT JOIN run_companies rc ON rc.run_id = $basis AND rc.uscc = s.company_uscc
LEFT JOIN st ON st.uscc = s.company_uscc
LEFT JOIN rp ON rp.project_id = s.project_id"""


def classes_sql() -> str:
    """`plan_classes`: per project and level, the most inspections a year and the highest
    sampling ratio its matched measures set, and the measures that set them."""
    return f"""
CREATE OR REPLACE TEMP TABLE plan_classes AS
WITH m AS (SELECT unnest(from_json($measures, '{INSPECTION_SCHEMA}'), recursive := true)),
hit AS (SELECT c.project_id, m.level, m.id, m.title, m.per_year, m.sampling
        FROM plan_projects c JOIN m ON {CONDITION}
          AND (len(m.project_grades) = 0 OR list_contains(m.project_grades, c.project_grade))),
agg AS (SELECT project_id, level, max(per_year) AS per_year, max(sampling) AS sampling
        FROM hit GROUP BY ALL)
SELECT a.project_id, a.level, a.per_year, a.sampling,
       list(h.id ORDER BY h.id) AS measures,
       list(h.title ORDER BY h.id) FILTER (WHERE h.per_year = a.per_year) AS routine_titles
FROM agg a JOIN hit h USING (project_id, level)
WHERE h.per_year IS NOT DISTINCT FROM a.per_year OR h.sampling IS NOT DISTINCT FROM a.sampling
GROUP BY ALL"""


# Whole routine inspections due in [$start, $end] of a project at a level, from `iv` (365 ÷
# per_year days, NULL: none set) and `last_inspected` (the last one before $start, NULL:
# never): an overdue or never made one is due on $start, then one every iv days; else the
# first falls due iv days after the last. A bureau plans whole inspections: 1 a year is one
# inspection in the quarter it falls due and none in the other three, never 0.25 each.
ROUTINE_DUE = """CAST(CASE WHEN iv IS NULL THEN 0
     WHEN last_inspected IS NULL OR date_diff('day', last_inspected, $start) > iv
       THEN floor(date_diff('day', $start, $end) / iv) + 1
     ELSE floor(date_diff('day', last_inspected, $end) / iv) END AS INTEGER)"""


def due_sql() -> str:
    """`plan_due`: inspections due in the period per project and level, from the last one
    before it (an overdue or never made inspection is due on the first day, then every
    365 ÷ per_year days); and the 双随机 draw: in each (level, ratio) class, the projects
    whose md5 of (period, level, project) ranks within ceil(ratio × class size)."""
    return f"""
CREATE OR REPLACE TEMP TABLE plan_due AS
WITH last AS (
  SELECT project_id, level, max(inspected_on) AS last_inspected
  FROM (SELECT s.* FROM {visible_rows(CONTRACTS["inspections"])}) i
  WHERE inspected_on < $start GROUP BY ALL),
k AS (
  SELECT c.*, l.last_inspected, 365.0 / nullif(c.per_year, 0) AS iv
  FROM plan_classes c LEFT JOIN last l USING (project_id, level)),
d AS (
  SELECT *, iv IS NOT NULL AND (last_inspected IS NULL
            OR date_diff('day', last_inspected, $start) > iv) AS overdue FROM k),
draw AS (
  SELECT project_id, level,
         row_number() OVER (PARTITION BY level, sampling
                            ORDER BY md5($period || '|' || level || '|' || project_id)) AS n,
         count(*) OVER (PARTITION BY level, sampling) AS size, sampling
  FROM plan_classes WHERE sampling > 0)
SELECT d.project_id, d.level, d.per_year, d.sampling, d.measures, d.routine_titles,
       d.last_inspected,
       CASE WHEN d.iv IS NULL THEN NULL WHEN d.overdue THEN $start
            ELSE d.last_inspected + CAST(ceil(d.iv) AS INTEGER) END AS next_due,
       {ROUTINE_DUE} AS routine,
       CAST(coalesce(dr.n <= ceil(dr.sampling * dr.size), false) AS INTEGER) AS sampled
FROM d LEFT JOIN draw dr USING (project_id, level)"""


def raised_sql() -> str:
    """`plan_raised`: extra inspections per project and level, each with its reason."""
    return """
CREATE OR REPLACE TEMP TABLE plan_raised AS
WITH risky AS (SELECT unnest(from_json($risky, '[{"uscc": "VARCHAR", "level": "VARCHAR",
                 "extra": "INTEGER", "reason": "VARCHAR"}]'), recursive := true)),
held AS (SELECT unnest(from_json($held, '[{"project_id": "VARCHAR", "level": "VARCHAR",
                 "extra": "INTEGER", "reason": "VARCHAR"}]'), recursive := true)),
hits AS (SELECT p.project_id, r.level, r.extra, r.reason FROM plan_projects p
         JOIN risky r ON r.uscc = p.company_uscc
         UNION ALL
         SELECT h.project_id, h.level, h.extra, h.reason FROM held h
         WHERE h.project_id IN (SELECT project_id FROM plan_projects))
SELECT project_id, level, CAST(sum(extra) AS INTEGER) AS raised,
       list(reason ORDER BY reason) AS raise_reasons
FROM hits GROUP BY ALL"""


def held_sql() -> str:
    """Projects whose complaints of the rated period are held by an integrity scan (waiting
    for review, or confirmed), with the count and reasons."""
    from rating.schema.holds import LATEST_ACTIONS

    return f"""
SELECT c.project_id, count(*) AS held, list(DISTINCT l.reason ORDER BY l.reason) AS reasons
FROM {LATEST_ACTIONS} l
JOIN (SELECT s.* FROM {visible_rows(CONTRACTS["complaints"])}) c USING (complaint_id)
WHERE l.n_ = 1 AND l.action IN ('hold', 'confirm')
  AND CAST(c.received_at AS DATE) BETWEEN $basis_start AND $basis_end
  AND c.project_id IS NOT NULL
GROUP BY ALL ORDER BY 1"""


# An item's `next_due` is the day its first routine inspection of the period falls due (on
# or after $start, never after $end); an item planned only for a 双随机 draw or a raise
# has none (due within the period), and its reasons say when the routine one falls due
# after the period ("不在本期计划内"): a plan for a quarter lists what falls due in it.
ITEMS_SQL = """
SELECT $plan_id AS plan_id, p.project_id, p.project_name, p.district, p.street, p.company_uscc,
       p.company_name, p.grade AS company_grade, p.project_grade, p.black, x.level,
       d.per_year, d.sampling, d.last_inspected,
       CASE WHEN coalesce(d.routine, 0) > 0 THEN d.next_due END AS next_due,
       d.next_due AS routine_next,
       coalesce(d.routine, 0) AS routine, coalesce(d.sampled, 0) AS sampled,
       coalesce(r.raised, 0) AS raised,
       coalesce(d.routine, 0) + coalesce(d.sampled, 0) + coalesce(r.raised, 0) AS planned,
       coalesce(d.measures, []) AS measures,
       coalesce(d.routine_titles, []) AS routine_titles,
       coalesce(r.raise_reasons, []) AS raise_reasons
FROM (SELECT project_id, level FROM plan_due UNION SELECT project_id, level FROM plan_raised) x
JOIN plan_projects p USING (project_id)
LEFT JOIN plan_due d USING (project_id, level)
LEFT JOIN plan_raised r USING (project_id, level)
ORDER BY p.district, p.street, p.project_id,
         CASE x.level WHEN '市' THEN 1 WHEN '区' THEN 2 ELSE 3 END"""
