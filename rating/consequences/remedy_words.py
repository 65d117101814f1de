"""The way back up in words, in the reader's language (gettext domain `consequences`).

Source strings are English; `rating/locale/zh/LC_MESSAGES/consequences.po` gives Chinese,
the default. The command line passes its `RATING_LANG`, the API and the public card the
server's language. `scripts/report_messages.py update|check` keeps the catalog.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from rating.consequences.measure_words import DOMAIN, Words
from rating.consequences.remedy_shapes import Change, Goal, Option
from rating.consequences.whatif import Company, Slotted
from rating.engine.context import OPEN_START
from rating.periods import Period
from rating.scores import shown_text

__all__ = ["DOMAIN", "PathWords"]


class PathWords(Words):
    """`w("…", name=value)` → the text in `language` (zh, the default, or en)."""


def _fixed(x: Decimal | float | None) -> str:
    return "–" if x is None else shown_text(x)  # floored, as every channel shows a score


def _signed(x: Decimal) -> str:
    return format(x, "+.2f")


def counts_until(w: PathWords, slot: Slotted, period: Period) -> str:
    """How long the rule's records keep counting (when the way up opens by itself)."""
    win = slot.rule.window
    if win.mode == "period":
        return w("counted in {period} only: the next period starts afresh", period=period)
    if win.mode == "calendar_year":
        return w(
            "counted until {year}-12-31 (the score resets each 1 January)", year=period.end.year
        )
    if win.mode == "until_rectified":
        return w("counted until its rectification is confirmed")
    dates = [h.record_date for h in slot.hits if h.record_date and h.record_date > OPEN_START]
    if win.until_column is None and dates:
        oldest = min(dates) + timedelta(days=win.days - 1)
        return w(
            "each counts for {days} days from its date (the oldest until {oldest})",
            days=win.days,
            oldest=w.day(oldest),
        )
    return w("counted for {days} days from its date, or until its own validity ends", days=win.days)


def change_notes(w: PathWords, company: Company, slot: Slotted) -> list[str]:
    """Why a change is not simply additive (caps, bands, fair rates, veto, project floor)."""
    rule, notes = slot.rule, []
    raw = sum((h.points for h in slot.hits), Decimal(0)) if rule.measure == "each" else None
    if rule.cap is not None and raw is not None and abs(raw) > rule.cap:
        notes.append(
            w(
                "capped at {cap} points: records beyond the cap change nothing until it is "
                "reached (not additive)",
                cap=rule.cap,
            )
        )
    if rule.bands:
        notes.append(w("points change by band, not per record (not additive)"))
    if rule.shrink is not None:
        notes.append(w("a fair rate: the district's rate is recomputed without these records too"))
    if rule.veto:
        notes.append(w("a veto item: the lowest grade whatever the score until it is rectified"))
    if slot.project_id is not None:
        low = company.ruleset.definition.project.min
        score = company.projects.get(slot.project_id, {}).get("score")
        base = company.ruleset.definition.project.base
        if low is not None and score is not None and score <= low and base > low:
            notes.append(
                w("the project's score is held at its floor of {low} (not additive)", low=low)
            )
    return notes


def _head(w: PathWords, c: Change) -> str:
    n, title = c.records, c.title
    where = w(" at {project}", project=c.project_name or c.project_id) if c.project_id else ""
    one = n == 1
    if c.source == "complaints":
        if one:
            return w("1 fewer complaint counted by «{title}»{where}", title=title, where=where)
        return w("{n} fewer complaints counted by «{title}»{where}", n=n, title=title, where=where)
    if c.source == "inspections":
        if one:
            return w("1 fewer inspection finding of «{title}»{where}", title=title, where=where)
        return w("{n} fewer inspection findings of «{title}»{where}", n=n, title=title, where=where)
    if c.source == "contracts":
        if one:
            return w("1 open contract item of «{title}»{where} fulfilled", title=title, where=where)
        return w(
            "{n} open contract items of «{title}»{where} fulfilled", n=n, title=title, where=where
        )
    if c.source == "events":
        if one:
            return w(
                "1 credit record of «{title}» lifted (revoked, expired or repaired)", title=title
            )
        return w(
            "{n} credit records of «{title}» lifted (revoked, expired or repaired)",
            n=n,
            title=title,
        )
    return w("{n} fewer records of «{title}»{where}", n=n, title=title, where=where)


def change_text(w: PathWords, c: Change, keys: bool = True) -> str:
    """One change in a sentence, with its records' keys (the first six) unless `keys` is
    False (the public card: no record ids)."""
    shown = (" [" + ", ".join(c.keys[:6]) + (" …" if len(c.keys) > 6 else "") + "]") if keys else ""
    if c.veto:
        return w("the veto item «{title}» rectified or revoked", title=c.title) + shown
    head = _head(w, c)
    if c.value_before is not None and c.value_after is not None:
        head += w(
            " (rate {before}‰ → {after}‰ per 1,000 households)",
            before=_fixed(c.value_before),
            after=_fixed(c.value_after),
        )
    if c.points_before != c.points_after:
        head += w(
            ": {before} → {after} points",
            before=_signed(c.points_before),
            after=_signed(c.points_after),
        )
    return head + shown


def option_text(w: PathWords, o: Option, keys: bool = True) -> str:
    """An option's changes and the score and grade they give (`keys`: as `change_text`)."""
    text = w(" and ").join(c.text if keys else change_text(w, c, keys=False) for c in o.changes)
    if o.score is not None:
        text += w(" → {score}, {grade}", score=_fixed(o.score), grade=o.grade or "–")
    return text


def lever_note(w: PathWords, slots: list[Slotted]) -> str:
    """Why an average or a share is not a lever: once per rule, naming the projects whose
    result it is (`slots`: that rule's results for the company, at least one)."""
    rule = slots[0].rule
    projects = w(", ").join(s.project_id for s in slots if s.project_id)
    if rule.measure == "avg":
        if projects:
            return w(
                "«{title}» ({projects}) is an average of its records: removing some can move "
                "it either way, so it is not in the path",
                title=rule.title,
                projects=projects,
            )
        return w(
            "«{title}» is an average of its records: removing some can move it either way, "
            "so it is not in the path",
            title=rule.title,
        )
    if projects:
        return w(
            "«{title}» ({projects}) is a share of its records: removing some can move it "
            "either way, so it is not in the path",
            title=rule.title,
            projects=projects,
        )
    return w(
        "«{title}» is a share of its records: removing some can move it either way, "
        "so it is not in the path",
        title=rule.title,
    )


def goal_aim(w: PathWords, kind: str, target: str | None) -> str:
    """The goal in words: up one grade (to `target`), or off the black list."""
    return (
        w("up one grade, to {target}", target=target) if kind == "up" else w("off the black list")
    )


def goal_text(w: PathWords, goal: Goal, company: Company) -> str:
    """The goal and its options in one sentence (or why it cannot be reached)."""
    if goal.reachable:
        return goal.aim + w(": ") + w("; or ").join(o.text for o in goal.options)
    reason = company.row.get("grade_reason") or ""
    why = (
        w(
            " (the grade comes from the override «{name}», not from points)",
            name=reason.split(":", 1)[1],
        )
        if reason.startswith("override:")
        else ""
    )
    return goal.aim + w(": ") + w("no change in the records this run counted gets there") + why


def unreachable_note(w: PathWords, best: Option | None) -> str:
    """Why a goal cannot be reached: the best score with every lever pulled, or none."""
    if best is None:
        return w("nothing this run counted takes points off")
    return w(
        "with every deduction the path may use removed the company would score {score} ({grade})",
        score=_fixed(best.score),
        grade=best.grade or "–",
    )


def goal_lines(goal: Goal, language: str = "zh") -> list[str]:
    """The goal in lines for a terminal: the aim, each option and its changes' notes."""
    w = PathWords(language)
    out = [goal.text if not goal.reachable else goal.aim + w(": ").rstrip()]
    for i, option in enumerate(goal.options, start=1):
        out.append("  " + (w("or ") if i > 1 else "") + option.text)
        for c in option.changes:
            out += [f"      · {n}" for n in (*c.notes, c.counts_until) if n]
    out += [f"  ({n})" for n in goal.notes]
    return out


def listing_text(w: PathWords, durations: Any, entry: Any | None) -> str:
    """The minimum listing time and the way off the list (entry: the published one)."""
    if entry is None:
        return w(
            "the black-list entry starts when the run is published: it cannot end before "
            "{min} months (minimum listing time, {safety} for a safety matter), then by credit "
            "repair on application; at the latest after {max} months",
            min=durations.min_months,
            safety=durations.min_months_safety,
            max=durations.max_months,
        )
    return w(
        "cannot leave the black list before {min_until} (minimum listing time); from then on by "
        "credit repair (信用修复) on application once a rating no longer lists it; at the "
        "latest on {max_until}",
        min_until=w.day(entry.min_until),
        max_until=w.day(entry.max_until),
    )


def listed_earlier_note(w: PathWords, run_id: str) -> str:
    """The company is on the black list by an earlier run's publication, not by this run."""
    return w(
        "on the black list in force since run {run_id}: this run does not list it, so it "
        "leaves by the listing time and credit repair (信用修复), not by records of this run",
        run_id=run_id,
    )


def basis_note(w: PathWords) -> str:
    """What every path is computed from (this run's records, its own rule set)."""
    return w(
        "computed from the records this run counted, under its own rule set: each option is "
        "checked by recomputing the grade; the next run counts its own period's records"
    )


def next_results_text(w: PathWords, period: Period, day: date) -> str:
    """With the results of `period`, not before `day`."""
    return w("with the results of {period} (not before {day})", period=period, day=w.day(day))


def off_list_text(w: PathWords, day: date) -> str:
    """Off the black list not before `day` (the minimum listing time)."""
    return w("off the black list not before {day} (minimum listing time)", day=w.day(day))
