"""The company × period table early warning learns from, built in DuckDB from stored runs.

One run stands for each period (`period_chain`: a published run first, then the newest).
A row describes a rated company at the end of period t using only that run and earlier ones:
score and grade (as a rank from 0 = best to 1 = lowest, so rule sets with other grade names
compare), distance to the bottom of its score band, list status, points by source kind
(complaints, inspections, contracts, opinions, events), good and bad information, complaints
per 1,000 households, and the trend against t−1 and t−2. Its labels say what happened in
period t+1 (NULL when t+1 has no run or the company is not rated in it): `label`, a
downgrade or a new black-list entry — which cannot happen to a company already at the
lowest grade and on the black list (`event_possible` is false for it) — and `label_black`,
on the black list in t+1, new or staying.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from rating.engine import explainer, standing
from rating.periods import Period
from rating.sql import dicts, frame, run

FEATURES = (
    "score",
    "project_score",
    "margin",
    "rank",
    "is_lowest",
    "veto",
    "red",
    "black",
    "downgraded",
    "log_households",
    "projects",
    "good",
    "bad",
    "pts_complaints",
    "pts_inspections",
    "pts_contracts",
    "pts_opinions",
    "pts_events",
    "complaint_rate",
    "complaint_rate_delta",
    "score_delta1",
    "score_delta2",
    "rank_delta1",
    "lowest_streak",
    "has_history",
)
SOURCES = ("complaints", "inspections", "contracts", "opinions", "events")
LABELS = {  # how a report names each feature (drivers of a warning)
    "score": "得分",
    "project_score": "项目得分",
    "margin": "高出档线分数",
    "rank": "等级次序(越大越差)",
    "is_lowest": "最低等级",
    "veto": "一票否决",
    "red": "红名单",
    "black": "黑名单",
    "downgraded": "本期已降级",
    "log_households": "服务户数",
    "projects": "项目数",
    "good": "良好信息分",
    "bad": "不良信息分",
    "pts_complaints": "投诉得分",
    "pts_inspections": "检查得分",
    "pts_contracts": "合同履行得分",
    "pts_opinions": "街道评价得分",
    "pts_events": "信用信息得分",
    "complaint_rate": "千户投诉率",
    "complaint_rate_delta": "投诉率环比",
    "score_delta1": "得分环比变化",
    "score_delta2": "得分两期变化",
    "rank_delta1": "等级环比下滑",
    "lowest_streak": "连续最低等级",
    "has_history": "有上期记录",
}


@dataclass(frozen=True)
class PeriodRun:
    period: Period
    run_id: str
    ruleset: str
    files_sha: str
    watermark: int

    @property
    def pos(self) -> int:
        """A number that grows by one from a period to the next of the same kind."""
        per_year = 12 // self.period.months
        return self.period.year * per_year + self.period.n - 1


def period_chain(con: duckdb.DuckDBPyConnection) -> list[PeriodRun]:
    """One run per period, oldest first: the run that counts for it (`standing.period_runs`:
    a published run wins, then the newest; discarded runs never count)."""
    out = []
    for period, counted in standing.period_runs(con).items():
        info = dicts(
            con,
            "SELECT ruleset, ruleset_files_sha256, watermark FROM runs WHERE run_id = $id",
            {"id": counted.run_id},
        )[0]
        out.append(
            PeriodRun(
                Period.parse(period),
                counted.run_id,
                info["ruleset"],
                info["ruleset_files_sha256"],
                int(info["watermark"]),
            )
        )
    return sorted(out, key=lambda r: r.period)


def _scales(con: duckdb.DuckDBPyConnection, chain: list[PeriodRun]) -> None:
    """Temp tables: grade → rank and band floor per run; rule → source kind per run."""
    scale, rules = [], []
    for r in chain:
        rs = explainer.stored_ruleset(con, r.ruleset, r.files_sha).definition
        order = rs.grade_order
        floors = {b.grade: b.min for b in rs.grades.bands}
        for i, grade in enumerate(order):
            floor = floors.get(grade)
            rank = i / max(len(order) - 1, 1)
            lowest = grade == rs.lowest_grade or grade in rs.grades.extra
            scale.append((r.run_id, grade, rank, None if floor is None else float(floor), lowest))
        rules += [(r.run_id, rule.id, rule.source) for rule in rs.rules]
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE ew_scale (run_id VARCHAR, grade VARCHAR, rank DOUBLE,
           floor DOUBLE, lowest BOOLEAN)""",
    )
    run(
        con,
        "CREATE OR REPLACE TEMP TABLE ew_rules (run_id VARCHAR, rule_id VARCHAR, source VARCHAR)",
    )
    if scale:
        con.executemany("INSERT INTO ew_scale VALUES (?, ?, ?, ?, ?)", scale)
    if rules:
        con.executemany("INSERT INTO ew_rules VALUES (?, ?, ?)", rules)


def _runs_table(con: duckdb.DuckDBPyConnection, chain: list[PeriodRun]) -> None:
    run(
        con,
        """CREATE OR REPLACE TEMP TABLE ew_runs (period VARCHAR, run_id VARCHAR, pos INTEGER,
           start_day DATE, end_day DATE, watermark INTEGER)""",
    )
    con.executemany(
        "INSERT INTO ew_runs VALUES (?, ?, ?, ?, ?, ?)",
        [
            (str(r.period), r.run_id, r.pos, r.period.start, r.period.end, r.watermark)
            for r in chain
        ],
    )


_PTS = """
CREATE OR REPLACE TEMP TABLE ew_pts AS
SELECT rp.run_id, rp.company_uscc AS uscc, coalesce(ru.source, 'other') AS source,
       sum(CASE WHEN rp.target = 'project' THEN rp.points * w.weight / nullif(w.total, 0)
                ELSE rp.points END) AS effect
FROM run_rule_points rp JOIN ew_runs USING (run_id)
LEFT JOIN (SELECT run_id, company_uscc, project_id, weight,
                  sum(weight) OVER (PARTITION BY run_id, company_uscc) AS total
           FROM run_projects WHERE run_id IN (SELECT run_id FROM ew_runs)) w
  ON w.run_id = rp.run_id AND w.company_uscc = rp.company_uscc AND w.project_id = rp.project_id
LEFT JOIN ew_rules ru ON ru.run_id = rp.run_id AND ru.rule_id = rp.rule_id
GROUP BY ALL
"""

_BASE = """
CREATE OR REPLACE TEMP TABLE ew_base AS
WITH complaints AS (
    SELECT r.run_id, p.company_uscc AS uscc,
           count(DISTINCT c.complaint_id) * 1000.0 / nullif(any_value(h.households), 0) AS rate
    FROM ew_runs r JOIN run_projects p USING (run_id)
    JOIN src_complaints c ON c.project_id = p.project_id AND c._batch <= r.watermark
     AND c.received_at >= r.start_day AND c.received_at < r.end_day + INTERVAL 1 DAY
    JOIN (SELECT run_id, company_uscc, sum(households) AS households FROM run_projects
          GROUP BY ALL) h ON h.run_id = r.run_id AND h.company_uscc = p.company_uscc
    GROUP BY ALL),
buckets AS (
    SELECT run_id, company_uscc AS uscc,
           sum(points) FILTER (WHERE bucket = 'good') AS good,
           sum(points) FILTER (WHERE bucket = 'bad') AS bad
    FROM run_buckets WHERE run_id IN (SELECT run_id FROM ew_runs) GROUP BY ALL)
SELECT r.period, r.pos, c.run_id, c.uscc, c.name, c.district, c.grade,
       CAST(c.score AS DOUBLE) AS score, CAST(c.project_score AS DOUBLE) AS project_score,
       coalesce(CAST(c.score AS DOUBLE) - s.floor, 0) AS margin,
       coalesce(g.rank, 1.0) AS rank, CAST(coalesce(g.lowest, false) AS DOUBLE) AS is_lowest,
       CAST(coalesce(c.veto, false) AS DOUBLE) AS veto, CAST(coalesce(c.red, false) AS DOUBLE) AS red,
       CAST(coalesce(c.black, false) AS DOUBLE) AS black,
       CAST(coalesce(c.downgrade, false) AS DOUBLE) AS downgraded,
       ln(1 + coalesce(c.households, 0)) AS log_households, coalesce(c.projects, 0) AS projects,
       coalesce(CAST(b.good AS DOUBLE), 0) AS good, coalesce(CAST(b.bad AS DOUBLE), 0) AS bad,
       coalesce(q.rate, 0) AS complaint_rate,
       c.downgrade AS is_downgrade, c.black AS is_black
FROM ew_runs r JOIN run_companies c USING (run_id)
LEFT JOIN ew_scale s ON s.run_id = c.run_id AND s.grade = c.band_grade
LEFT JOIN ew_scale g ON g.run_id = c.run_id AND g.grade = c.grade
LEFT JOIN buckets b ON b.run_id = c.run_id AND b.uscc = c.uscc
LEFT JOIN complaints q ON q.run_id = c.run_id AND q.uscc = c.uscc
WHERE c.rated
"""

_TABLE = """
SELECT b.period, b.run_id, b.uscc, b.name, b.district, b.grade, b.score, b.project_score,
       b.margin, b.rank, b.is_lowest, b.veto, b.red, b.black, b.downgraded, b.log_households,
       b.projects, b.good, b.bad,
       {pts},
       b.complaint_rate,
       coalesce(b.complaint_rate - p1.complaint_rate, 0) AS complaint_rate_delta,
       coalesce(b.score - p1.score, 0) AS score_delta1,
       coalesce(b.score - p2.score, 0) AS score_delta2,
       coalesce(b.rank - p1.rank, 0) AS rank_delta1,
       b.is_lowest + coalesce(p1.is_lowest, 0) + coalesce(p2.is_lowest, 0) AS lowest_streak,
       CAST(p1.uscc IS NOT NULL AS DOUBLE) AS has_history,
       n.period AS label_period,
       CASE WHEN n.uscc IS NULL THEN NULL
            ELSE CAST(n.is_downgrade OR (n.is_black AND NOT b.is_black) AS INTEGER) END AS label,
       CASE WHEN n.uscc IS NULL THEN NULL ELSE CAST(n.is_black AS INTEGER) END AS label_black,
       NOT (b.is_lowest = 1 AND b.black = 1) AS event_possible
FROM ew_base b
LEFT JOIN ew_base p1 ON p1.uscc = b.uscc AND p1.pos = b.pos - 1
LEFT JOIN ew_base p2 ON p2.uscc = b.uscc AND p2.pos = b.pos - 2
LEFT JOIN ew_base n ON n.uscc = b.uscc AND n.pos = b.pos + 1
LEFT JOIN (SELECT run_id, uscc, {pivot} FROM ew_pts GROUP BY ALL) x
  ON x.run_id = b.run_id AND x.uscc = b.uscc
ORDER BY b.pos, b.uscc
"""


def company_periods(con: duckdb.DuckDBPyConnection, chain: list[PeriodRun]) -> pl.DataFrame:
    """Features (`FEATURES`) and label of every rated company in every period of `chain`."""
    _runs_table(con, chain)
    _scales(con, chain)
    run(con, _BASE)
    run(con, _PTS)
    pivot = ", ".join(f"sum(effect) FILTER (WHERE source = '{s}') AS pts_{s}" for s in SOURCES)
    pts = ", ".join(f"coalesce(CAST(x.pts_{s} AS DOUBLE), 0) AS pts_{s}" for s in SOURCES)
    return frame(con, _TABLE.format(pts=pts, pivot=pivot))


def describe(driver: str) -> str:
    """A driver such as `margin-` in the bureau's words: 高出档线分数偏低."""
    name, sign = driver.rstrip("+-"), driver[-1:]
    return LABELS.get(name, name) + {"+": "偏高", "-": "偏低"}.get(sign, "")
