"""Which run to read project managers from: only a run whose rule set has a `[managers]` part
scored any (`rating managers show`, `rating managers explain`).

A warehouse often holds runs under several rule sets (the demo rates 2026Q3 under both
`shanghai-2023`, which scores managers, and `yantai-2022`, which does not). When no run is
named, the managers' commands read the newest run that scored managers — ordered as
`standing.latest_run` orders runs — rather than failing on a newer run that scored none.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from rating.engine import standing
from rating.engine.explainer import stored_ruleset
from rating.engine.managers import scoring_rulesets
from rating.engine.standing import COUNTING, ReadRun
from rating.errors import NotFoundError
from rating.periods import Period
from rating.schema.tables import RUN_STATUS
from rating.sql import rows

NEWEST_SCORING = "the newest run that scores project managers"


def scoring_runs(con: duckdb.DuckDBPyConnection) -> list[ReadRun]:
    """Every counting run (draft, publicity, published) whose stored rule set scores project
    managers, newest first in `standing.latest_run`'s order: published before the rest, then
    the latest period's end, the latest made, the highest run id."""
    found = rows(
        con,
        f"""SELECT r.run_id, r.period, s.status, r.created_at, r.ruleset, r.ruleset_files_sha256
            FROM runs r JOIN {RUN_STATUS} s USING (run_id)
            WHERE list_contains($counting, s.status)""",
        {"counting": list(COUNTING)},
    )
    scores: dict[tuple[str, str], bool] = {}
    for *_, ref, sha in found:  # a handful of rule sets, each loaded once
        if (ref, sha) not in scores:
            scores[(ref, sha)] = stored_ruleset(con, ref, sha).definition.managers is not None
    kept = sorted(
        (r for r in found if scores[(r[4], r[5])]),
        key=lambda r: (r[2] == "published", Period.parse(r[1]).end, r[3], r[0]),
        reverse=True,
    )
    return [ReadRun(str(r[0]), str(r[1]), str(r[2]), NEWEST_SCORING) for r in kept]


def latest_scoring_run(con: duckdb.DuckDBPyConnection, rules_dir: Path) -> ReadRun:
    """The run the managers' commands read when none is named: the latest run
    (`standing.latest_run`) when its rule set scores managers, else the newest run that does
    (`why` = `NEWEST_SCORING`).

    Raises NotFoundError `RUN_NOT_FOUND` when no run counts, `MANAGERS_NOT_SCORED` when no
    counting run scored managers (naming the rule sets under `rules_dir` that do)."""
    latest = standing.latest_run(con)
    found = scoring_runs(con)
    if not found:
        scoring = ", ".join(scoring_rulesets(rules_dir)) or "–"
        raise NotFoundError(
            f"no run scores project managers (the latest is {latest.run_id}); rate a period "
            f"under a rule set that does: {scoring}",
            code="MANAGERS_NOT_SCORED",
        )
    if found[0].run_id == latest.run_id:
        return latest
    return found[0]


def require_scoring(
    con: duckdb.DuckDBPyConnection, run_id: str, ref: str, files_sha: str, rules_dir: Path
) -> None:
    """Raise NotFoundError `MANAGERS_NOT_SCORED` when run `run_id` (rated under `ref`, files
    `files_sha`) scored no project managers, naming the newest runs that did (up to three,
    `rating managers show RUN` reads one) and the rule sets under `rules_dir` that do."""
    if stored_ruleset(con, ref, files_sha).definition.managers is not None:
        return
    runs = ", ".join(r.run_id for r in scoring_runs(con)[:3]) or "–"
    scoring = ", ".join(scoring_rulesets(rules_dir)) or "–"
    raise NotFoundError(
        f"run {run_id} was rated under {ref}, which does not score project managers; "
        f"runs that do: {runs}; rule sets that do: {scoring}",
        code="MANAGERS_NOT_SCORED",
    )
