"""Rating a period as a user asks for it (CLI `rating run`, `POST /v1/bureau/runs`): the
checks that keep a quarter from going wrong quietly, then the run.

1. The rule set: the version named (refused outside its validity without `force`), else the
   version in force for the period.
2. The period: refused while it has not ended by the bureau's clock (`PERIOD_NOT_ENDED`: a
   typo such as 2030Q1), when no record of the rule set's sources is in its scope, or when it
   ends before the rated data starts and only a register in force reaches back to it
   (`PERIOD_NO_DATA`) — unless `force_period`, which the manifest records as an override.
3. The history (`rating.engine.history`): every earlier period the results read, from the
   first period with data on (`history.data_span`: registers read while in force do not
   start it), must have a run that counts. Missing ones are refused with
   their list and the commands that fix it (`HISTORY_MISSING`), or — with `with_history` —
   rated first, oldest first, each a run of its own; the manifest lists them
   (`parameters.history_made`) and each of them names the run it was made for
   (`parameters.history_for`).
4. Nothing new to rate: a run of the period that still counts (draft, in publicity or published)
   made under the same rule set files, over the same ingested records, holds and history runs,
   would be made again byte for byte. It is refused (`RUN_UNCHANGED`, naming that run) unless
   `again`: two identical drafts — one of them perhaps in publicity — leave staff unsure which
   one the public sees.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from rating.engine import grading, history
from rating.engine.runner import Progress, RunReport, execute_run
from rating.engine.shapes import RateRecord, RefusalRecord
from rating.errors import ConflictError
from rating.periods import Period
from rating.ruleset import registry
from rating.ruleset.loader import LoadedRuleSet
from rating.schema.holds import holds_watermark
from rating.schema.tables import RUN_STATUS
from rating.settings import Settings
from rating.sql import rows
from rating.warehouse import watermark


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str

    def as_dict(self) -> RefusalRecord:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class RunRequest:
    """What a user asks for; `command()` writes it back as the CLI command that does it."""

    period: Period
    rules: str | None = None
    force: bool = False
    with_history: bool = False
    force_period: bool = False
    again: bool = False

    def command(self, period: Period | None = None, with_history: bool = False) -> str:
        words = ["rating run --period", str(period or self.period)]
        words += [f"--rules {self.rules}"] if self.rules else []
        words += ["--force"] if self.force else []
        words += ["--with-history"] if with_history else []
        return " ".join(words)


@dataclass
class RateResult:
    report: RunReport
    history: history.HistoryCheck
    history_made: list[RunReport] = field(default_factory=list)
    overrides: list[Refusal] = field(default_factory=list)

    def as_dict(self) -> RateRecord:
        return {
            **self.report.as_dict(),
            "history": self.history.as_dict(),
            "history_made": [r.as_dict() for r in self.history_made],
            "overrides": [o.as_dict() for o in self.overrides],
        }


def period_refusals(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    ruleset: LoadedRuleSet,
    period: Period,
    span: history.DataSpan | None = None,
) -> list[Refusal]:
    """Why `period` may not be rated now (empty when it may); `span`: `history.data_span`
    at the current watermark, when the caller has it."""
    out = []
    today = settings.current_time().date()
    if today <= period.end:
        out.append(
            Refusal(
                "PERIOD_NOT_ENDED",
                f"{period} runs until {period.end} and today is {today} ({settings.timezone}): "
                "rate a period after it has ended",
            )
        )
    if span is None or span.watermark != watermark(con):
        span = history.data_span(con, ruleset, period, watermark(con))
    if span.in_scope == 0:
        where = f"; the data starts on {span.first_record}" if span.first_record else ""
        out.append(
            Refusal(
                "PERIOD_NO_DATA",
                f"no record of {', '.join(ruleset.sources())} is in the scope of {period} "
                f"(up to {period.end}){where}: is the period right?",
            )
        )
    elif span.first_day is not None and period.end < span.first_day:
        # Only a register in force reaches back here (bad information valid for years): a
        # grade of this period would be made of it alone, and later streaks would count it.
        out.append(
            Refusal(
                "PERIOD_NO_DATA",
                f"{period} ends on {period.end}, before the rated data starts "
                f"({span.first_day}); only records in force from a register reach back to it: "
                "is the period right?",
            )
        )
    return out


def _missing_history(request: RunRequest, check: history.HistoryCheck) -> ConflictError:
    fixes = [request.command(Period.parse(p)) for p in check.missing]
    found = ", ".join(f"{p} {r.run_id} ({r.status})" for p, r in sorted(check.runs.items()))
    return ConflictError(
        f"{request.period} reads the grades of {', '.join(check.needed)} (streaks, downgrades; "
        f"the data starts in {check.first_data_period}) but no run counts for "
        f"{', '.join(check.missing)}"
        + (f" (found: {found})" if found else "")
        + f". Rate them first, oldest first: {', '.join(f'`{c}`' for c in fixes)} — or `"
        + request.command(with_history=True)
        + "` rates them in order, then this period",
        code="HISTORY_MISSING",
        details={**check.as_dict(), "commands": fixes},
    )


def unchanged_run(
    con: duckdb.DuckDBPyConnection, ruleset: LoadedRuleSet, period: Period
) -> tuple[str, str] | None:
    """The newest run of `period` that still counts and that a new run would repeat byte for
    byte — same rule set files, watermark, holds watermark and pinned history runs — as
    `(run_id, status)`; None when a new run would differ (or there is no such run)."""
    history_runs = grading.resolve_history(
        con, period, ruleset.definition.ruleset.name, ruleset.definition.history_periods
    )
    found = rows(
        con,
        f"""SELECT r.run_id, s.status, r.manifest->>'$.holds_watermark',
                  coalesce(CAST(r.manifest->'$.history_runs' AS VARCHAR), '[]')
           FROM runs r JOIN {RUN_STATUS} s USING (run_id)
           WHERE r.period = $period AND r.ruleset = $ref AND r.ruleset_files_sha256 = $files
             AND r.watermark = $wm AND NOT r.shadow
             AND s.status IN ('draft', 'publicity', 'published')
           ORDER BY r.created_at DESC, r.run_id DESC""",
        {
            "period": str(period),
            "ref": ruleset.ref,
            "files": ruleset.fingerprint.files,
            "wm": watermark(con),
        },
    )
    holds = holds_watermark(con)
    pinned = [[k, r] for k, r in history_runs]
    for run_id, status, run_holds, run_history in found:
        same_holds = (None if run_holds is None else int(run_holds)) == holds
        same_history = [[h["periods_back"], h["run_id"]] for h in json.loads(run_history)] == pinned
        if same_holds and same_history:
            return str(run_id), str(status)
    return None


def _unchanged(request: RunRequest, run_id: str, status: str) -> ConflictError:
    return ConflictError(
        f"{request.period} already has run {run_id}, made under the same rule set over the same "
        "records, integrity holds and history runs: a new run would repeat it byte for byte. "
        f"See it with `rating show {run_id}`; `{request.command()} --again` rates anyway",
        code="RUN_UNCHANGED",
        details={"run_id": run_id, "status": status},
    )


def rate(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    request: RunRequest,
    *,
    progress: Progress | None = None,
    extra: dict[str, Any] | None = None,
) -> RateResult:
    """Check the period and its history, make the missing history runs when asked, then rate.

    Raises ConflictError `PERIOD_NOT_ENDED`, `PERIOD_NO_DATA` (unless `force_period`),
    `HISTORY_MISSING` (unless `with_history`), `RUN_UNCHANGED` (unless `again`), and whatever rule set selection and the run raise.
    """
    period = request.period
    ruleset = registry.select(
        settings.rules_dir, request.rules, settings.ruleset, period, request.force
    )
    # What the sources hold depends on the ingested batches only (making history runs below
    # ingests nothing), so one reading serves the refusals and every history check.
    span = history.data_span(con, ruleset, period, watermark(con))
    refusals = period_refusals(con, settings, ruleset, period, span)
    if refusals and not request.force_period:
        first = refusals[0]
        raise ConflictError(
            first.message + " (--force-period rates it anyway; the manifest records that)",
            code=first.code,
            details={"refusals": [r.as_dict() for r in refusals]},
        )
    check = history.check(con, ruleset, period, watermark(con), span=span)
    made: list[RunReport] = []
    if check.missing and not request.with_history:
        raise _missing_history(request, check)
    same = None if request.again or check.missing else unchanged_run(con, ruleset, period)
    if same is not None:
        raise _unchanged(request, *same)
    while check.missing:
        # Oldest first; an earlier period may need history of its own (a rule set reading
        # eight quarters back needs, for the first of them, the eight before it): it makes
        # that first, so the loop re-reads what is still missing after each.
        earlier = RunRequest(
            Period.parse(check.missing[0]),
            request.rules,
            request.force,
            with_history=True,
            force_period=request.force_period,
        )
        done = rate(con, settings, earlier, progress=progress, extra={"history_for": str(period)})
        made += [*done.history_made, done.report]
        check = history.check(con, ruleset, period, watermark(con), span=span)
        if str(earlier.period) in check.missing:  # made, yet it does not count: say so
            raise _missing_history(request, check)
    parameters = dict(extra or {})
    if made:
        parameters["history_made"] = [r.run_id for r in made]
    if refusals:
        parameters["overrides"] = [r.as_dict() for r in refusals]
    report = execute_run(
        con,
        settings,
        ruleset,
        period,
        forced=request.force and not registry.in_force(ruleset, period),
        progress=progress,
        extra=parameters,
        span=span,
    )
    return RateResult(report, check, made, refusals)
