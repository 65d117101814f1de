"""The earlier periods a run reads, checked before it runs — never silently missing.

Every run reads the previous period's grades (the `prev_grade` it stores, downgrades on a
drop or on entering the black list); a rule set with `streak('C')` reads `history_periods`
periods back. A run needs, for each of those periods from the first period with data on, a
run that counts for it (`rating.engine.standing.period_runs`: published first, else a draft
or a run in publicity). Before the first period with data there is nothing to rate, so a
streak that reaches it is complete: it *starts at the beginning of the data* — which is what
explain and the public card say, rather than "no history".

"The first period with data" is the earliest period (of the kind being rated) in which a
record of a source the rule set reads is dated, as of the run's batch watermark.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from rating.engine.context import OPEN_START, window_start
from rating.engine.inputs import ints_sql, visible_batches, whole_stored_batches
from rating.engine.shapes import HistoryRecord, Manifest, StreakRecord
from rating.engine.standing import PeriodRun, period_runs
from rating.periods import Period
from rating.ruleset.loader import LoadedRuleSet
from rating.ruleset.names import streak_column
from rating.schema import CONTRACTS
from rating.schema.fingerprints import TABLE as FINGERPRINTS
from rating.schema.fingerprints import signature
from rating.schema.tables import RUN_STATUS
from rating.sql import lit, rows, sql_text
from rating.warehouse import visible_rows


def depth_needed(ruleset: LoadedRuleSet) -> int:
    """Periods back the results depend on: `history_periods` with streaks (of companies or
    of managers), else one."""
    managers = ruleset.manager_lists.streak_grades if ruleset.manager_lists else frozenset()
    return ruleset.definition.history_periods if ruleset.streak_grades or managers else 1


def period_containing(day: date, like: Period) -> Period:
    """The period of `like`'s kind (quarter, half-year, year) that contains `day`."""
    return Period(day.year, like.kind, (day.month - 1) // like.months + 1)


@dataclass(frozen=True)
class DataSpan:
    """What the rule set's sources hold as of a watermark: the first dated record (of the
    sources read by period or rolling windows; of registers read while in force only when
    there is nothing else), and how many records are in the period's scope — dated within the windows of the rules reading
    them and not after the period (an event in force from earlier counts; a period before
    the data, or a typo, holds none)."""

    first_day: date | None
    in_scope: int
    first_record: date | None = None  # the first dated record of any source, registers too
    watermark: int | None = None  # the batch watermark it was read at


def data_span(
    con: duckdb.DuckDBPyConnection, ruleset: LoadedRuleSet, period: Period, watermark: int
) -> DataSpan:
    """What the rule set's sources hold at `watermark` for `period` (`DataSpan`): the first dated
    record — of the sources read by period or rolling windows, of registers read while in force only
    when nothing else has one — and how many records fall in the windows of the rules that read
    them, up to the period's end."""
    first: list[date] = []
    registers: list[date] = []
    count = 0
    for kind in ruleset.sources():
        start = min(
            window_start(c.rule.window, period) for c in ruleset.rules if c.rule.source == kind
        )
        day, n = _source_span(con, kind, watermark, start, period.end)
        if day is not None:
            # A source read only while its records are in force (bad information valid for
            # years, until rectified) is a register older than the rating: its first record
            # does not mark when rated activity began.
            (registers if start == OPEN_START else first).append(day)
        count += n
    every = first + registers
    return DataSpan(
        min(first or registers) if every else None, count, min(every, default=None), watermark
    )


def _source_span(
    con: duckdb.DuckDBPyConnection, kind: str, watermark: int, start: date, end: date
) -> tuple[date | None, int]:
    """(first dated record, records dated `start` … `end`) of `kind`'s rows visible at
    `watermark`: from the rows and days kept per batch when it arrived
    (`rating.schema.fingerprints`) for the batches seen whole, row by row for the others —
    the row-by-row figures exactly (`tests/test_run_costs.py`). The scan of every row's date
    cost a 10M city's run 0.1 s of CPU (issue 21)."""
    contract = CONTRACTS[kind]
    params: dict[str, Any] = {
        "watermark": watermark, "extra_batches": [], "start": start, "end": end,
        "kind": kind, "signature": signature(contract),
    }  # fmt: skip
    kept = whole_stored_batches(con, contract, params)
    found: list[tuple[Any, ...]] = []
    if kept:
        found += rows(
            con,
            f"""SELECT min(day), coalesce(sum(rows) FILTER (WHERE day BETWEEN $start AND $end), 0)
                FROM {FINGERPRINTS} WHERE kind = $kind AND signature = $signature
                  AND batch_id IN ({ints_sql(kept)})""",
            params,
        )
    rest = visible_batches(con, contract, params) - set(kept) if kept else None
    if rest is None or rest:
        only = f" AND s._batch IN ({ints_sql(rest)})" if rest else ""
        found += rows(
            con,
            f"""SELECT min(s._date), count(*) FILTER (WHERE s._date BETWEEN $start AND $end)
                FROM {visible_rows(contract)}{only}""",
            params,
        )
    days = [d for d, _ in found if d is not None]
    return min(days, default=None), sum(int(n) for _, n in found)


@dataclass(frozen=True)
class HistoryCheck:
    """The periods a run of `period` needs, the run that counts for each, and what is missing."""

    period: str
    depth: int
    first_data_period: str | None
    needed: list[str]  # oldest first
    runs: dict[str, PeriodRun] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [p for p in self.needed if p not in self.runs]

    def as_dict(self) -> HistoryRecord:
        return {
            "depth": self.depth,
            "first_data_period": self.first_data_period,
            "needed": self.needed,
            "runs": {
                p: {"run_id": r.run_id, "status": r.status} for p, r in sorted(self.runs.items())
            },
            "missing": self.missing,
        }


def needed_periods(
    ruleset: LoadedRuleSet, period: Period, first_day: date | None
) -> tuple[str | None, list[str]]:
    """(first period with data, the earlier periods a run needs, oldest first)."""
    if first_day is None:
        return None, []
    first = period_containing(first_day, period)
    back = [period.previous(k) for k in range(depth_needed(ruleset), 0, -1)]
    return str(first), [str(p) for p in back if p >= first]


def check(
    con: duckdb.DuckDBPyConnection,
    ruleset: LoadedRuleSet,
    period: Period,
    watermark: int,
    pinned: tuple[tuple[int, str], ...] | None = None,
    span: DataSpan | None = None,
) -> HistoryCheck:
    """The history a run of `period` needs and has: the runs that count now, or — for a run
    already made — the runs it pinned (`pinned`, as (periods back, run id)). `span` is
    `data_span` at `watermark` when the caller has it already (it reads every source)."""
    if span is None or span.watermark != watermark:
        span = data_span(con, ruleset, period, watermark)
    first, needed = needed_periods(ruleset, period, span.first_day)
    if pinned is None:
        found = period_runs(con, needed, prefer_ruleset=ruleset.definition.ruleset.name)
    else:
        status = dict(
            rows(
                con,
                f"SELECT run_id, status FROM {RUN_STATUS} s WHERE list_contains($ids, run_id)",
                {"ids": [r for _, r in pinned]},
            )
        )
        by_period = {str(period.previous(k)): r for k, r in pinned}
        found = {
            p: PeriodRun(by_period[p], str(status.get(by_period[p], "draft")))
            for p in needed
            if p in by_period
        }
    return HistoryCheck(str(period), depth_needed(ruleset), first, needed, found)


def streak_sql(grade: str, depth: int, *, history: str, key: str, row: str) -> str:
    """One select-list item: the periods in a row, this one included, in which `row` had
    `grade` (0 when this period's grade differs), named `streak_column(grade)` — the column
    `streak('GRADE')` of a rule reads. Companies (`grading`) and managers (`managerlists`)
    count the same way. `history` is a table (`key`, `k` periods back from 1 to `depth`,
    `grade`) and `row` the alias of the current period's rows (`key`, `grade`); the three are
    the engine's own identifiers, never user input; `grade` goes in as a quoted SQL literal (`sql.lit`)."""
    g = sql_text(lit(grade))
    earlier = f"""(SELECT coalesce(min(r.k), {depth + 1}) - 1 FROM range(1, {depth + 1}) r(k)
                   LEFT JOIN {history} h ON h.{key} = {row}.{key} AND h.k = r.k
                   WHERE h.grade IS DISTINCT FROM {g})"""
    return f'CASE WHEN {row}.grade = {g} THEN 1 + {earlier} ELSE 0 END AS "{streak_column(grade)}"'


@dataclass(frozen=True)
class Streak:
    """A company's run of one grade up to a run's period, as the run's rules counted it."""

    grade: str
    periods: int  # consecutive periods with the grade, this one included
    since: str  # the first of them
    from_data_start: bool  # it reaches the first period with data: nothing earlier to count
    capped: bool  # it reaches the deepest period the rule set reads
    history_missing: bool = False  # the period before had no run when this one was made

    def text(self) -> str:
        head = f"{self.periods} consecutive period(s) graded {self.grade}, since {self.since}"
        if self.from_data_start:
            return f"{head}: {self.since} is the first period with data, so the count starts there"
        if self.capped:
            return f"{head}: the rule set reads no further back"
        if self.history_missing:
            return f"{head}: the period before had no run when this run was made (history missing)"
        return head

    def as_dict(self) -> StreakRecord:
        return {
            "grade": self.grade,
            "periods": self.periods,
            "since": self.since,
            "from_data_start": self.from_data_start,
            "capped": self.capped,
            "history_missing": self.history_missing,
        }


def streaks(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    manifest: Manifest,
    grades: Collection[str],
    uscc: str | None = None,
) -> dict[str, Streak]:
    """uscc → streak of its grade in run `run_id`, for companies graded one of `grades`
    (the grades the rule set's `streak()` reads), from the history runs the run pinned."""
    if not grades:
        return {}
    period = Period.parse(manifest["period"]["name"])
    pinned = manifest.get("history_runs", [])
    recorded: Mapping[str, Any] = (
        manifest.get("history") or {}
    )  # runs made before history checks lack it
    depth = int(recorded.get("depth") or max([h["periods_back"] for h in pinned], default=0))
    first = (
        Period.parse(recorded["first_data_period"]) if recorded.get("first_data_period") else None
    )
    found = rows(
        con,
        """WITH pins AS (SELECT unnest($ks) AS k, unnest($ids) AS run_id),
           hist AS (SELECT c.uscc, p.k, c.grade FROM run_companies c JOIN pins p USING (run_id))
           SELECT cur.uscc, cur.grade,
                  (SELECT coalesce(min(r.k), $depth + 1) FROM range(1, $depth + 1) r(k)
                   LEFT JOIN hist h ON h.uscc = cur.uscc AND h.k = r.k
                   WHERE h.grade IS DISTINCT FROM cur.grade) AS streak
           FROM run_companies cur
           WHERE cur.run_id = $run AND cur.rated AND list_contains($grades, cur.grade)
             AND ($uscc IS NULL OR cur.uscc = $uscc)""",
        {
            "ks": [h["periods_back"] for h in pinned],
            "ids": [h["run_id"] for h in pinned],
            "depth": depth,
            "run": run_id,
            "grades": sorted(grades),
            "uscc": uscc,
        },
    )
    out = {}
    for company, grade, streak in found:
        since = period.previous(int(streak) - 1)
        out[company] = Streak(
            grade=grade,
            periods=int(streak),
            since=str(since),
            from_data_start=first is not None and since <= first,
            capped=int(streak) > depth,
            history_missing=str(since.previous()) in recorded.get("missing", []),
        )
    return out
