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

The lookup answers one manager at a time, by the full certificate number (written in any case,
with or without spaces: `normalise_certificate`): it never lists the managers, or masking them
on the cards would achieve nothing. Only a *published* run is shown (a run in publicity names no manager: a person's grade is not
put up before objections are decided). The run read is the newest published run, or the
newest published run of the period asked for.

A company card (`card_managers`) shows less than this lookup: the card is the page every
resident and search engine reaches, so the manager in charge of each compound appears masked —
surname and stars (张**), the certificate number masked as identity numbers are (its first two
and last two characters, `rating.idnumber.mask`) — with the period's grade and whether a
managers' red or black list holds them. Whoever knows the full certificate number (it hangs in
the compound's service office) looks the person up with `public_managers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from rating import idnumber
from rating.engine import explainer
from rating.engine.shapes import RunRow
from rating.errors import NotFoundError, UsageError
from rating.periods import Period
from rating.public.shapes import ProjectManager
from rating.ruleset.definition import RuleSet
from rating.schema import CONTRACTS
from rating.schema.tables import RUN_STATUS
from rating.sql import rows
from rating.warehouse import visible_rows


@dataclass(frozen=True)
class PublicManager:
    """One manager as the public sees them (publish = "name_and_certificate")."""

    certificate_no: str
    name: str | None
    grade: str


@dataclass(frozen=True)
class PublicManagers:
    """The manager a lookup found in one published run (none or one): `shown` False (and no
    one named) when the rule set publishes nothing of managers. `ruleset_title` is the rule
    set's name a resident reads (上海市物业服务企业和项目经理信用信息管理办法), `ruleset` its id."""

    run_id: str
    period: str
    ruleset: str
    ruleset_title: str
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


def normalise_certificate(text: str | None) -> str:
    """A certificate number as registers write them: no spaces, upper case (` wyjl 000048` →
    `WYJL000048`); empty when nothing is left."""
    return "".join((text or "").split()).upper()


def public_managers(
    con: duckdb.DuckDBPyConnection, period: str | None, certificate_no: str | None
) -> PublicManagers:
    """The manager holding `certificate_no` (compared as `normalise_certificate` writes it) in
    the newest published run (or `period`'s), as the public may see them: `managers` holds that
    one manager, or nobody when the run did not score that number.

    Raises UsageError `CERTIFICATE_REQUIRED` (400) without a certificate number — the lookup
    names nobody without one — and NotFoundError `RUN_NOT_FOUND` without a published run."""
    wanted = normalise_certificate(certificate_no)
    if not wanted:
        raise UsageError(
            "give the full certificate number: the public lookup names no manager without one",
            code="CERTIFICATE_REQUIRED",
        )
    run_id, run_period = _published_run(con, period)
    info = explainer.run_row(con, run_id)
    rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"]).definition
    publish = rs.managers.publish if rs.managers is not None else "none"
    shown = publish == "name_and_certificate"
    found = (
        rows(
            con,
            """SELECT certificate_no, name, grade FROM run_managers WHERE run_id = $run
               AND upper(regexp_replace(certificate_no, '\\s', '', 'g')) = $cert
               ORDER BY certificate_no LIMIT 1""",
            {"run": run_id, "cert": wanted},
        )
        if shown
        else []
    )
    return PublicManagers(
        run_id,
        run_period,
        rs.ref,
        rs.ruleset.title,
        publish,
        shown=shown,
        managers=[PublicManager(*r) for r in found],
        total=len(found),
    )


def mask_name(name: str | None) -> str:
    """A person's name as a card shows it: the first character (the surname, for all but the
    rare two-character surnames) and one `*` for each other character — 张三 → 张*, 欧阳娜娜 →
    欧***; empty or missing → `*`."""
    n = (name or "").strip()
    return n[:1] + "*" * (len(n) - 1) if n else "*"


def _in_charge_sql() -> str:
    """Per (company, project) of a run: the manager in charge on the last day the company
    served the project in the period (the latest-ending assignment overlapping that service,
    the later start on a tie), with their grade and lists in the run."""
    far = "DATE '9999-12-31'"
    return f"""
    WITH served AS (
        SELECT p.company_uscc, p.project_id,
               greatest(min(s.service_start), $period_start) AS first_day,
               least(max(coalesce(s.service_end, {far})), $period_end) AS last_day
        FROM (SELECT DISTINCT company_uscc, project_id FROM run_projects WHERE run_id = $run) p
        JOIN (SELECT project_id, company_uscc, service_start, service_end
              FROM {visible_rows(CONTRACTS["projects"], extras=True)}) s
          ON s.project_id = p.project_id AND s.company_uscc = p.company_uscc
         AND s.service_start <= $period_end AND coalesce(s.service_end, {far}) >= $period_start
        GROUP BY ALL),
    a AS (SELECT project_id, certificate_no, start_on, coalesce(end_on, {far}) AS end_on
          FROM {visible_rows(CONTRACTS["assignments"], extras=True)}),
    picked AS (
        SELECT v.company_uscc, v.project_id, a.certificate_no,
               row_number() OVER (PARTITION BY v.company_uscc, v.project_id
                                  ORDER BY least(a.end_on, v.last_day) DESC, a.start_on DESC) AS n
        FROM served v JOIN a ON a.project_id = v.project_id
         AND a.start_on <= v.last_day AND a.end_on >= v.first_day)
    SELECT k.company_uscc, k.project_id, m.certificate_no, m.name, m.grade,
           EXISTS (SELECT 1 FROM run_manager_lists l WHERE l.run_id = $run
                   AND l.certificate_no = m.certificate_no AND l.list = 'red') AS red,
           EXISTS (SELECT 1 FROM run_manager_lists l WHERE l.run_id = $run
                   AND l.certificate_no = m.certificate_no AND l.list = 'black') AS black
    FROM picked k JOIN run_managers m ON m.run_id = $run AND m.certificate_no = k.certificate_no
    WHERE k.n = 1 ORDER BY ALL"""


def card_managers(
    con: duckdb.DuckDBPyConnection, info: RunRow, rs: RuleSet
) -> dict[tuple[str, str], ProjectManager]:
    """(company USCC, project id) -> the manager in charge as a company card shows them
    (masked: `mask_name`, `rating.idnumber.mask`), for run `info`; empty when its rule set
    `rs` scores no managers or publishes nothing of them (`[managers] publish = "none"`).
    Whether the run is published yet is the caller's question (a card in publicity shows no
    manager, `rating.public.snapshot`)."""
    if rs.managers is None or rs.managers.publish != "name_and_certificate":
        return {}
    period = Period.parse(info["period"])
    params = {
        "run": info["run_id"],
        "watermark": info["watermark"],
        "extra_batches": info["manifest"].get("extra_batches", []),
        "period_start": period.start,
        "period_end": period.end,
    }
    return {
        (uscc, project): ProjectManager(
            name=mask_name(name),
            certificate_no=idnumber.mask(certificate) or "*",
            grade=grade,
            red=bool(red),
            black=bool(black),
        )
        for uscc, project, certificate, name, grade, red, black in rows(
            con, _in_charge_sql(), params
        )
    }
