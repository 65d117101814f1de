"""A run: the ordered list of named steps, the stored results and the manifest.

Each step logs rows out and milliseconds (`RunReport.steps`); the manifest records
everything needed to replay the run exactly: engine and DuckDB versions, the rule set and
its fingerprints, the batch watermark, per-source rows in scope with a content hash, the
period, the as-of time and time zone, the history runs and every parameter.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import duckdb

from rating import __version__
from rating.calendar import WorkingCalendar
from rating.engine import (
    companyfacts,
    evaluations,
    evaluator,
    grading,
    guard,
    history,
    managerlists,
    managers,
    scope,
    shrinkage,
)
from rating.engine.context import RunContext
from rating.engine.inputs import input_fingerprints
from rating.engine.shapes import (
    Manifest,
    RunReportRecord,
    RunSummary,
    StepLog,
)
from rating.engine.store import (
    DIGEST,
    RESULT_TABLES,
    results_digest,
    source_table,
    stores_groups,
    stores_references,
)
from rating.errors import UsageError
from rating.periods import Period
from rating.ruleset import registry
from rating.ruleset.loader import LoadedRuleSet
from rating.schema.holds import holds_watermark
from rating.settings import Settings
from rating.sql import rows, run, value
from rating.warehouse import appending_results, temp_work, transaction, watermark

Progress = Callable[[str, int, int], None]


@dataclass
class RunReport:
    run_id: str
    period: str
    rules: str
    results_sha256: str
    summary: RunSummary
    manifest: Manifest
    steps: list[StepLog] = field(default_factory=list)

    def as_dict(self) -> RunReportRecord:
        return {
            "run_id": self.run_id,
            "period": self.period,
            "rules": self.rules,
            **self.summary,
            "results_sha256": self.results_sha256,
        }


def _scope_of(kind: str, con: duckdb.DuckDBPyConnection, ctx: RunContext) -> int | None:
    return scope.build_scope(con, ctx, kind)


def _steps(
    ctx: RunContext,
) -> list[tuple[str, Callable[[duckdb.DuckDBPyConnection, RunContext], int | None]]]:
    steps: list[tuple[str, Callable[[duckdb.DuckDBPyConnection, RunContext], int | None]]] = [
        ("service periods", scope.build_service),
        ("rated units", scope.build_units),
        ("exposure", scope.build_exposure),
    ]
    for kind in ctx.ruleset.sources():
        steps.append((f"scope {kind}", functools.partial(_scope_of, kind)))
    steps += [
        ("evaluations", evaluations.build_targets),
        ("rule hits", evaluator.build_hits),  # and the scope of the streamed sources
        ("unattributed records", scope.build_unattributed),
        ("fair rates", shrinkage.build_fair_rates),
        ("rule points", evaluator.build_rule_points),
        ("project scores", evaluations.build_project_scores),
        ("buckets", evaluator.build_buckets),
        ("company facts", companyfacts.build_company_facts),
        ("company scores", evaluator.build_company_scores),
        ("history", grading.build_history),
        ("grades", grading.build_grades),
        ("lists and downgrades", grading.build_decisions),
        ("project managers", managers.build_managers),
        ("manager lists", managerlists.build_manager_lists),
    ]
    return steps


def compute(
    con: duckdb.DuckDBPyConnection, ctx: RunContext, progress: Progress | None = None
) -> list[StepLog]:
    """Run every step into temp tables (no automatic checkpoint meanwhile:
    `warehouse.temp_work`); returns the step log."""
    log: list[StepLog] = []
    steps = _steps(ctx)
    guard.prepare(con)
    with temp_work(con):
        for i, (name, step) in enumerate(steps):
            started = time.perf_counter()
            out = guard.run_step(name, step, con, ctx)
            log.append(
                {"step": name, "rows": out, "ms": round((time.perf_counter() - started) * 1000, 1)}
            )
            if progress:
                progress(name, i + 1, len(steps))
    return log


STORE = {
    "run_companies": """SELECT $run, uscc, name, district, rated, projects, households, project_score,
        score, band_grade, grade, grade_reason, veto, veto_rules, prev_grade, red, black, black_reason,
        downgrade, downgrade_reason, sanctions_suspended FROM decided ORDER BY uscc""",
    "run_projects": """SELECT $run, project_id, company, project_name, district, street, households,
        floor_area, days_served, weight, points, score, grade FROM project_scores ORDER BY project_id, company""",
    "run_buckets": "SELECT $run, company, bucket, records, raw_points, points FROM buckets ORDER BY company, bucket",
    "run_rule_points": """SELECT $run, company, project_id, rule_id, target, bucket, value, records,
        raw_points, points FROM rule_points rp WHERE (records > 0 OR points <> 0)
        AND (target = 'company' OR EXISTS (SELECT 1 FROM target_scores t WHERE t.in_force
             AND t.company = rp.company AND t.project_id = rp.project_id AND t._eval = rp._eval))
        ORDER BY company, project_id, rule_id""",
    "run_evidence": """SELECT $run, rule_id, _company, _project, source, _key, _batch, _row, _date,
        contribution, NULL FROM hits""",
    "run_fair_rates": """SELECT $run, rule_id, company, project_id, pool, records, households,
        raw_rate, pool_records, pool_households, pool_rate, prior_households, fair_rate, fair_low,
        fair_high FROM fair_rates ORDER BY rule_id, company, project_id""",
    "run_unattributed": "SELECT $run, source, record_key, batch_id, line, project_id, record_date FROM unattributed",
    "run_evaluations": """SELECT $run, project_id, company, evaluation_id, evaluated_on, points, score,
        grade, in_force, carried_from FROM evaluation_results
        ORDER BY project_id, company, evaluated_on, evaluation_id""",
    "run_facts": "SELECT $run, company, fact_id, value FROM fact_rows ORDER BY company, fact_id",
    "run_ranks": """SELECT $run, uscc, rank_id, partition, value, position, count FROM rank_rows
        ORDER BY rank_id, uscc""",
    "run_managers": """SELECT $run, certificate_no, name, employer_uscc, projects, days_in_charge,
        points, score, grade, veto, veto_rules FROM manager_scores ORDER BY certificate_no""",
    "run_manager_points": """SELECT $run, certificate_no, rule_id, target, value, records,
        raw_points, points FROM manager_points WHERE records > 0 OR points <> 0
        ORDER BY certificate_no, rule_id""",
    "run_manager_evidence": """SELECT $run, rule_id, _manager, _company, _project, source, _key,
        _batch, _row, _date, contribution FROM manager_hits""",
    "run_manager_lists": """SELECT $run, certificate_no, list, reason FROM manager_lists
        ORDER BY certificate_no, list""",
}


# Under `sha256-sorted-v4` an evidence row is a reference to its record (source, batch, line):
# its key and date stay in the source row (`store.REFERENCED`, decision 0013).
REFERENCE_STORE = {
    "run_evidence": """SELECT $run, rule_id, _company, _project, source, NULL, _batch, _row, NULL,
        contribution, NULL FROM hits""",
}

# Under `sha256-sorted-v5` the references of one rule, company, project, source, batch and
# contribution are one row, their lines an ascending list (`store.GROUPED`, decision 0015).
GROUPED_STORE = {
    "run_evidence": """SELECT $run, rule_id, _company, _project, source, NULL, _batch, NULL, NULL,
        contribution, list(_row ORDER BY _row) FROM hits
        GROUP BY rule_id, _company, _project, source, _batch, contribution""",
}


def _selects(scheme: str) -> dict[str, str]:
    """What `store` inserts per result table for a run hashed with `scheme`."""
    if stores_groups(scheme):
        return {**STORE, **GROUPED_STORE}
    if stores_references(scheme):
        return {**STORE, **REFERENCE_STORE}
    return STORE


def store(
    con: duckdb.DuckDBPyConnection, run_id: str, prefix: str = "", scheme: str = DIGEST
) -> None:
    """Write the computed temp tables as results of `run_id` (into temp copies with a prefix),
    as runs hashed with `scheme` store them: evidence grouped under `sha256-sorted-v5`, as
    references under `-v4`, with every column under the earlier schemes (a replay of an older
    run stores as it did)."""
    for table, select in _selects(scheme).items():
        if prefix:
            run(
                con,
                f"CREATE OR REPLACE TEMP TABLE {source_table(table, prefix)} AS SELECT * FROM {table} LIMIT 0",
            )
        run(con, f"INSERT INTO {source_table(table, prefix)} {select}", {"run": run_id})


def computed_relations(con: duckdb.DuckDBPyConnection, scheme: str = DIGEST) -> dict[str, str]:
    """Per result table, a SELECT of the computed temp tables as `store` would store them for
    `$run` (columns named and cast as the stored table's), for `results_digest` to hash
    results without storing them (a replay that matches stores nothing)."""
    out = {}
    for table, select in _selects(scheme).items():
        described = rows(con, f"DESCRIBE {source_table(table)}")
        names = ", ".join(f"c{i}" for i in range(len(described)))
        typed = ", ".join(f'CAST(c{i} AS {d[1]}) AS "{d[0]}"' for i, d in enumerate(described))
        out[table] = f"SELECT {typed} FROM ({select}) AS computed({names})"
    return out


def next_run_id(con: duckdb.DuckDBPyConnection, period: Period) -> str:
    """The id the next run of `period` gets: `<period>-NN`, NN one more than the runs of the period
    so far (two digits, from 01; discarded runs count, so ids are never reused)."""
    n = int(value(con, "SELECT count(*) FROM runs WHERE period = $p", {"p": str(period)}))
    return f"{period}-{n + 1:02d}"


def manifest(
    con: duckdb.DuckDBPyConnection,
    ctx: RunContext,
    settings: Settings,
    span: history.DataSpan | None = None,
) -> Manifest:
    """The run's manifest (`shapes.Manifest`): engine and DuckDB versions, the rule set with its
    fingerprints and validity, the period, watermarks and correction batches, as-of time and zone,
    the working-day calendar, the pinned history runs and the history check, the parameters, each
    input's rows and hash, and the results digest scheme — everything `rating replay` needs to
    recompute the run. Reads the temp tables `compute` made. `span`: `history.data_span` at
    the run's watermark when the caller read it already (used only if its watermark is the
    run's)."""
    rs = ctx.ruleset
    header = rs.definition.ruleset
    return {
        "engine_version": __version__,
        "duckdb_version": duckdb.__version__,
        "ruleset": {
            "name": header.name,
            "version": header.version,
            **rs.fingerprint.as_dict(),
            "effective_from": str(header.effective_from),
            "expires_on": str(header.expires_on) if header.expires_on else None,
            "shadow_until": str(header.shadow_until) if header.shadow_until else None,
        },
        "period": {
            "name": str(ctx.period),
            "start": str(ctx.period.start),
            "end": str(ctx.period.end),
        },
        "watermark": ctx.watermark,
        "extra_batches": list(ctx.extra_batches),
        "holds_watermark": ctx.holds_watermark,
        "as_of": ctx.as_of.isoformat(),
        "timezone": settings.timezone,
        # The working days the run's publicity and objection deadlines will count.
        "calendar": WorkingCalendar.official(
            rs.definition.disclosure.holidays, rs.definition.disclosure.working_days
        ).describe(),
        "history_runs": [{"periods_back": k, "run_id": r} for k, r in ctx.history_runs],
        # The periods the results read, from the first with data on, and the run (and its
        # status) pinned for each: a streak that reaches the first period is complete.
        "history": history.check(
            con, rs, ctx.period, ctx.watermark, pinned=ctx.history_runs, span=span
        ).as_dict(),
        "parameters": {"forced": ctx.forced, "shadow": ctx.shadow, **ctx.extra},
        "inputs": input_fingerprints(con, ctx),
        "results_digest": DIGEST,
    }


def summary(con: duckdb.DuckDBPyConnection, ctx: RunContext) -> RunSummary:
    """The run's counts (`shapes.RunSummary`) from the computed `decided` table: rated and known
    companies, rated companies per grade, red, black, downgrades, vetoes on rated companies, project
    scores and records no project or company could be attributed."""
    counts = rows(
        con,
        """SELECT count(*), count(*) FILTER (WHERE rated), count(*) FILTER (WHERE red),
                  count(*) FILTER (WHERE black), count(*) FILTER (WHERE downgrade),
                  count(*) FILTER (WHERE veto AND rated)
           FROM decided""",
    )[0]
    return {
        "companies": int(counts[1]),
        "companies_known": int(counts[0]),
        "grades": grading.grade_counts(con, ctx),
        "red": int(counts[2]),
        "black": int(counts[3]),
        "downgrades": int(counts[4]),
        "vetoes": int(counts[5]),
        "projects": int(value(con, "SELECT count(*) FROM project_scores")),
        "unattributed_records": int(value(con, "SELECT count(*) FROM unattributed")),
        "shadow": ctx.shadow,
    }


def _store_ruleset(con: duckdb.DuckDBPyConnection, rs: LoadedRuleSet, now: datetime) -> None:
    files = {name: data.decode("utf-8") for name, data in rs.files.items()}
    header = rs.definition.ruleset
    run(
        con,
        """INSERT INTO rulesets VALUES ($name, $version, $logic, $wording, $files_sha, $files, $at)
           ON CONFLICT DO NOTHING""",
        {
            "name": header.name,
            "version": header.version,
            "logic": rs.fingerprint.logic,
            "wording": rs.fingerprint.wording,
            "files_sha": rs.fingerprint.files,
            "files": json.dumps(files, ensure_ascii=False, sort_keys=True),
            "at": now,
        },
    )


def fresh_context(
    con: duckdb.DuckDBPyConnection,
    ruleset: LoadedRuleSet,
    period: Period,
    as_of: datetime,
    *,
    forced: bool = False,
    extra: dict[str, Any] | None = None,
) -> RunContext:
    """The context of a new run of `period` under `ruleset` over everything ingested so far:
    the warehouse's watermarks now and the history the rule set reads (`grading.resolve_history`)."""
    return RunContext(
        period=period,
        ruleset=ruleset,
        watermark=watermark(con),
        holds_watermark=holds_watermark(con),
        as_of=as_of,
        history_runs=grading.resolve_history(
            con, period, ruleset.definition.ruleset.name, ruleset.definition.history_periods
        ),
        forced=forced,
        extra=dict(extra or {}),
    )


def execute_run(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ruleset: LoadedRuleSet,
    period: Period,
    *,
    forced: bool = False,
    progress: Progress | None = None,
    revision_of: RunContext | None = None,
    extra: dict[str, Any] | None = None,
    span: history.DataSpan | None = None,
) -> RunReport:
    """Rate `period` under `ruleset` over everything ingested so far, and store the results.

    `revision_of` re-rates an earlier run's inputs (its watermark, correction batches and
    history) instead: used when an upheld objection corrects records during publicity.
    `span`: `history.data_span` as the caller read it (`planner.rate`), not read again when
    its watermark is the run's.
    """
    if int(value(con, "SELECT count(*) FROM src_companies")) == 0:
        raise UsageError("the warehouse holds no companies: ingest data first", code="NO_DATA")
    registry.assert_unchanged(con, ruleset)
    now = settings.current_time()
    if revision_of is not None:
        ctx = replace(revision_of, as_of=now, extra={**revision_of.extra, **(extra or {})})
    else:
        ctx = fresh_context(con, ruleset, period, now, forced=forced, extra=extra)
    steps = compute(con, ctx, progress)
    appending_results(con)  # the checkpoint that writes the results re-packs no older ones
    with transaction(con):
        run_id = next_run_id(con, period)
        store(con, run_id)
        digest, _ = results_digest(con, run_id)
        made = manifest(con, ctx, settings, span)
        made["run_id"] = run_id
        info = summary(con, ctx)
        _store_ruleset(con, ruleset, now)
        run(
            con,
            """INSERT INTO runs VALUES ($id, $period, $rules, $files_sha, $logic, $wm, $as_of, $tz,
               $engine, $shadow, $forced, $manifest, $summary, $digest, $at)""",
            {
                "id": run_id,
                "period": str(period),
                "rules": ruleset.ref,
                "files_sha": ruleset.fingerprint.files,
                "logic": ruleset.fingerprint.logic,
                "wm": ctx.watermark,
                "as_of": now,
                "tz": settings.timezone,
                "engine": __version__,
                "shadow": ctx.shadow,
                "forced": forced,
                "manifest": json.dumps(made, ensure_ascii=False, sort_keys=True),
                "summary": json.dumps(info, ensure_ascii=False, sort_keys=True),
                "digest": digest,
                "at": now,
            },
        )
    return RunReport(run_id, str(period), ruleset.ref, digest, info, made, steps)


__all__ = ["execute_run", "compute", "input_fingerprints", "RunReport", "RESULT_TABLES"]
