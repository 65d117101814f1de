"""What every screen of a run shares: the rule set's grade order and decimal places, the
run's summary lines, and the reasons the engine stores as codes, in words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rating.cli.common import say
from rating.cli.display import listing, score, word
from rating.cli.i18n import _, error_text

if TYPE_CHECKING:
    import duckdb

    from rating.engine.shapes import RunRow
    from rating.ruleset.definition import RuleSet

SHADOW_SUFFIX = " (shadow period: not in effect)"


@dataclass(frozen=True)
class Shown:
    """What a screen of a run needs from its rule set: the grade order and the places."""

    order: tuple[str, ...]
    places: int
    definition: RuleSet | None = None

    def grades(self, counts: dict[str, int]) -> dict[str, int]:
        """Grade counts best grade first (the rule set's order, not the alphabet)."""
        known = [g for g in self.order if g in counts]
        return {g: counts[g] for g in known + sorted(set(counts) - set(known))}

    def score(self, value: Any) -> str:
        return score(value, self.places)


def shown_for(con: duckdb.DuckDBPyConnection, info: RunRow) -> Shown:
    """The stored rule set of a run (what it was rated under), as `Shown`."""
    from rating.engine import explainer

    rs = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"]).definition
    return Shown(rs.grade_order, rs.score_places, rs)


def reason_text(text_: str | None) -> str:
    """A stored list or downgrade reason (the rule set's words), its engine suffix translated."""
    if not text_:
        return ""
    return text_.replace(SHADOW_SUFFIX, _(" (shadow period: not in effect)"))


def render_run(report: Mapping[str, Any], shown: Shown) -> None:
    """Print what a run made (`RunReport.as_dict`: run id, period, rules and the summary's counts):
    shadow mark, companies rated and grade counts, red and black lists, downgrades, vetoes and
    unattributed records, in the current language."""
    grades = _(", ").join(f"{g} {n:,}" for g, n in shown.grades(report["grades"]).items())
    say(
        _("{run_id} {period} under {rules}").format(
            run_id=report["run_id"], period=report["period"], rules=report["rules"]
        )
        + (_(" (shadow period: no sanctions)") if report.get("shadow") else "")
    )
    say(
        "  "
        + _("companies rated {companies:,}; grades: {grades}").format(
            companies=report["companies"], grades=grades or "–"
        )
    )
    say(
        "  "
        + _(
            "red list {red:,}; black list {black:,}; downgrades {downgrades:,}; vetoes {vetoes:,}; "
            "records no company could be given {unattributed:,}"
        ).format(
            red=report["red"],
            black=report["black"],
            downgrades=report["downgrades"],
            vetoes=report["vetoes"],
            unattributed=report["unattributed_records"],
        )
    )


def problem_text(code: str, message: str) -> str:
    """A quarantine row's message in words: its reason code's sentence translated, the detail
    after it (the column, the value's problem) kept as it is."""
    from rating.ingest.reasons import PROBLEM_CODES

    reason = PROBLEM_CODES.get(code)
    if reason is not None and message.startswith(reason):
        return _(reason) + message[len(reason) :]
    return error_text(code, message)


def grade_reason(row: Mapping[str, Any], shown: Shown) -> str:
    """Why the company has its grade, in words (the engine stores a code)."""
    code = row.get("grade_reason") or ""
    defn = shown.definition
    if code == "veto":
        title = defn.grades.veto_title if defn else _("veto")
        return f"{title} ({listing(row.get('veto_rules'))})"
    if code.startswith("override:") and defn is not None:
        for override in defn.grades.overrides:
            if override.id == code.split(":", 1)[1]:
                return override.title + (f" — {override.clause}" if override.clause else "")
    if code == "not_rated":
        return _("not rated: the company served no project in the period")
    return _("score {score} is in the range of grade {grade}").format(
        score=shown.score(row.get("score")), grade=row.get("band_grade") or row.get("grade")
    )


def read_text(read: Mapping[str, Any]) -> str:
    """Which run an output read and why (rating.engine.standing.ReadRun), in words."""
    status = read["status"]
    if read["why"] == "the newest run that scores project managers":  # rating.engine.manager_runs
        why = _("the newest run whose rule set scores project managers")
    elif read["why"].startswith("the latest run"):
        why = (
            _("the latest run: the newest published run")
            if status == "published"
            else _("the latest run: nothing is published yet, so the newest {status} run").format(
                status=word("status", status)
            )
        )
    else:
        why = _("named") + (
            _(" (it is {status}: it no longer counts anywhere)").format(
                status=word("status", status)
            )
            if read["why"] != "named"
            else ""
        )
    text = _("read run {run_id} ({period}, {status}): {why}").format(
        run_id=read["run_id"], period=read["period"], status=word("status", status), why=why
    )
    if read.get("in_publicity"):
        text += _("; run {run_id} is in publicity: residents see its proposed lists").format(
            run_id=read["in_publicity"]
        )
    return text


def streak_text(streak: Mapping[str, Any]) -> str:
    """A company's streak of one grade (rating.engine.history.Streak), in words."""
    head = _("{periods} consecutive period(s) graded {grade}, since {since}").format(
        periods=streak["periods"], grade=streak["grade"], since=streak["since"]
    )
    if streak["from_data_start"]:
        return _("{head}: {since} is the first period with data, so the count starts there").format(
            head=head, since=streak["since"]
        )
    if streak["capped"]:
        return _("{head}: the rule set reads no further back").format(head=head)
    if streak["history_missing"]:
        return _(
            "{head}: the period before had no run when this run was made (history missing)"
        ).format(head=head)
    return head
