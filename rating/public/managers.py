"""What the public sees of project managers: only what the scheme publishes, only once published.

A manager is a person. A rule set's `[managers] publish` says what of them the public may see
(`rules/README.md`):

* `"none"` (the default) — nothing: the public lookup answers that the scheme does not publish
  managers, and names nobody.
* `"name_and_certificate"` — the manager's name, certificate number and grade, as Shanghai's
  public lookup of project managers' demerit points (项目经理信用信息记分) shows them. Never the
  identity number (the warehouse does not even hold it in clear, `rating.idnumber`), nor the
  score, the employer, the projects or the records behind the points — those are for the bureau
  (`/v1/bureau/runs/{run_id}/managers`).

Only a *published* run is shown (a run in publicity names no manager: a person's grade is not
put up before objections are decided). The run read is the newest published run, or the
newest published run of the period asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from rating.engine import explainer
from rating.errors import NotFoundError
from rating.schema.tables import RUN_STATUS
from rating.sql import rows, value


@dataclass(frozen=True)
class PublicManager:
    """One manager as the public sees them (publish = "name_and_certificate")."""

    certificate_no: str
    name: str | None
    grade: str


@dataclass(frozen=True)
class PublicManagers:
    """The managers of one published run: `shown` False (and no one listed) when the rule set
    publishes nothing of managers."""

    run_id: str
    period: str
    ruleset: str
    publish: str
    shown: bool
    managers: list[PublicManager] = field(default_factory=list)
    total: int = 0


def _published_run(con: duckdb.DuckDBPyConnection, period: str | None) -> tuple[str, str]:
    found = rows(
        con,
        f"""SELECT r.run_id, r.period FROM runs r JOIN {RUN_STATUS} s USING (run_id)
            WHERE s.status = 'published' AND ($period IS NULL OR r.period = $period)
            ORDER BY r.created_at DESC, r.run_id DESC LIMIT 1""",
        {"period": period},
    )
    if not found and period:
        raise NotFoundError(f"the results of {period} are not published yet", code="RUN_NOT_FOUND")
    if not found:
        raise NotFoundError("no results are published yet", code="RUN_NOT_FOUND")
    return str(found[0][0]), str(found[0][1])


def public_managers(
    con: duckdb.DuckDBPyConnection,
    period: str | None = None,
    certificate_no: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> PublicManagers:
    """The newest published run's (or `period`'s) managers as the public may see them, worst
    grade first by score then certificate; only `certificate_no` when given.

    Raises NotFoundError `RUN_NOT_FOUND` without a published run."""
    run_id, run_period = _published_run(con, period)
    info = explainer.run_row(con, run_id)
    rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"]).definition
    publish = rs.managers.publish if rs.managers is not None else "none"
    if publish != "name_and_certificate":
        return PublicManagers(run_id, run_period, rs.ref, publish, shown=False)
    where = "run_id = $run AND ($cert IS NULL OR certificate_no = $cert)"
    params = {"run": run_id, "cert": certificate_no}
    found = rows(
        con,
        f"""SELECT certificate_no, name, grade FROM run_managers
            WHERE {where} ORDER BY score, certificate_no LIMIT $limit OFFSET $offset""",
        {**params, "limit": limit, "offset": offset},
    )
    total = int(value(con, f"SELECT count(*) FROM run_managers WHERE {where}", params))
    return PublicManagers(
        run_id,
        run_period,
        rs.ref,
        publish,
        shown=True,
        managers=[PublicManager(*r) for r in found],
        total=total,
    )
