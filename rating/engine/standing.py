"""Which run counts: for a period (history, early warning) and overall ("the latest run").

Defined once, here, and read by every command, endpoint and report that picks a run the user
did not name:

* A run **counts** while it is a draft, in publicity or published. A run *discarded* by the
  bureau (`rating runs discard`) or *superseded* by its revision after an upheld objection
  never counts again — it stays in the warehouse and the ledger for auditors.
* **The run of a period** is its published run (the newest, if it was published twice), else
  its newest run that counts; `prefer_ruleset` breaks ties among unpublished runs in favour
  of the same rule set (history under the rule set being applied).
* **The latest run** is the newest published run, else — when nothing is published yet — the
  newest run that counts. "Newest" means the latest period (by its last day), then the run
  made last. A typo period can therefore never become "latest" without being published.

Every output that reads a run says which one and why (`ReadRun.why`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb

from rating.errors import NotFoundError
from rating.periods import Period
from rating.schema.tables import RUN_STATUS
from rating.sql import rows

COUNTING = ("draft", "publicity", "published")


@dataclass(frozen=True)
class ReadRun:
    """The run an output was read from, and why that one."""

    run_id: str
    period: str
    status: str
    why: str
    # Another run in publicity, if any: what residents see proposed while staff read this one.
    in_publicity: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def line(self) -> str:
        seen = f"; run {self.in_publicity} is in publicity" if self.in_publicity else ""
        return f"run {self.run_id} ({self.period}, {self.status}): {self.why}{seen}"


@dataclass(frozen=True)
class PeriodRun:
    run_id: str
    status: str


def period_runs(
    con: duckdb.DuckDBPyConnection,
    periods: list[str] | None = None,
    prefer_ruleset: str | None = None,
) -> dict[str, PeriodRun]:
    """Period → the run that counts for it (only periods that have one; all when None)."""
    found = rows(
        con,
        f"""SELECT r.period,
                  arg_max(r.run_id, (s.status = 'published',
                                     coalesce(starts_with(r.ruleset, $prefix), false),
                                     r.created_at, r.run_id)),
                  arg_max(s.status, (s.status = 'published',
                                     coalesce(starts_with(r.ruleset, $prefix), false),
                                     r.created_at, r.run_id))
           FROM runs r JOIN {RUN_STATUS} s USING (run_id)
           WHERE list_contains($counting, s.status)
             AND ($periods IS NULL OR list_contains($periods, r.period))
           GROUP BY r.period""",
        {
            "prefix": f"{prefer_ruleset}@" if prefer_ruleset else None,
            "counting": list(COUNTING),
            "periods": periods,
        },
    )
    return {str(p): PeriodRun(str(r), str(s)) for p, r, s in found}


def latest_run(con: duckdb.DuckDBPyConnection) -> ReadRun:
    """The newest published run, else the newest draft or run in publicity (never a
    discarded or superseded one). Raises NotFoundError `RUN_NOT_FOUND` when none counts."""
    found = rows(
        con,
        f"""SELECT r.run_id, r.period, s.status, r.created_at FROM runs r
           JOIN {RUN_STATUS} s USING (run_id) WHERE list_contains($counting, s.status)""",
        {"counting": list(COUNTING)},
    )
    if not found:
        raise NotFoundError(
            "no run counts yet (none, or all discarded): run `rating run --period …` first",
            code="RUN_NOT_FOUND",
        )
    run_id, period, status, _ = max(
        found, key=lambda r: (r[2] == "published", Period.parse(r[1]).end, r[3], r[0])
    )
    why = (
        "the latest run: the newest published run"
        if status == "published"
        else f"the latest run: nothing is published yet, so the newest {status} run"
    )
    return ReadRun(str(run_id), str(period), str(status), why, _in_publicity(con, str(run_id)))


def _in_publicity(con: duckdb.DuckDBPyConnection, other_than: str) -> str | None:
    found = rows(
        con,
        f"""SELECT r.run_id FROM runs r JOIN {RUN_STATUS} s USING (run_id)
           WHERE s.status = 'publicity' AND r.run_id <> $id
           ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1""",
        {"id": other_than},
    )
    return str(found[0][0]) if found else None


def read_run(con: duckdb.DuckDBPyConnection, run_id: str | None) -> ReadRun:
    """The run named, or the latest run; says which and why."""
    if run_id is None:
        return latest_run(con)
    found = rows(
        con,
        f"SELECT r.period, s.status FROM runs r JOIN {RUN_STATUS} s USING (run_id) WHERE run_id = $id",
        {"id": run_id},
    )
    if not found:
        raise NotFoundError(f"no run '{run_id}'", code="RUN_NOT_FOUND")
    period, status = found[0]
    why = "named" + (
        "" if status in COUNTING else f" (it is {status}: it no longer counts anywhere)"
    )
    return ReadRun(run_id, str(period), str(status), why, _in_publicity(con, run_id))
