"""The way back up: the smallest changes in what the rule set counts that would move a company
up one grade, or off the black list, at the next run.

A *lever* is one rule at one project (or one company rule) that takes points off: its
records, most harmful first. For every lever the search finds the fewest of its records
that, not counted, reach the goal — every count checked by recomputing the company's grade
from the rule set (`rating.consequences.whatif`), so steps of bands, caps, project clamps,
overrides and the veto are taken into account exactly. Levers that reach the goal alone are
the options ("2 fewer complaints at 滨江小区, or the 2 open contract items closed"); when none
does, levers are combined, best points per record first, the last one trimmed. A veto item
is part of every option (a veto gives the lowest grade whatever the score).

Averages and shares (a street opinion's mean, the share of complaints closed on time) can
move either way when records go, so they are not levers; the answer says so. A black-list
entry also has a minimum listing time: the company cannot leave before it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from rating.audit.disclosure import history
from rating.consequences.whatif import (
    Company,
    Outcome,
    RecordId,
    Slot,
    Slotted,
    evaluate,
    load_company,
    recompute,
    require_rated,
)
from rating.engine import explainer
from rating.engine.context import OPEN_START
from rating.periods import Period

MAX_RECORDS = 400  # records of one lever tried one by one
NOUNS = {
    "complaints": ("complaint", "complaints", "fewer"),
    "inspections": ("inspection finding", "inspection findings", "fewer"),
    "contracts": ("contract item", "contract items", "fewer open"),
    "opinions": ("opinion", "opinions", "fewer"),
    "events": ("credit record", "credit records", "fewer"),
}


@dataclass
class Change:
    """Fewer records of one rule at one project (or of one company rule)."""

    rule_id: str
    title: str
    clause: str
    source: str
    project_id: str | None
    project_name: str | None
    records: int  # how many fewer
    counted: int  # how many the run counted
    keys: list[str]  # the records, as people write their keys
    points_before: Decimal
    points_after: Decimal
    value_before: float | None = None
    value_after: float | None = None
    counts_until: str | None = None
    notes: list[str] = field(default_factory=list)
    text: str = ""
    record_ids: list[tuple[str, str]] = field(default_factory=list)  # (source, stored key)


@dataclass
class Option:
    """One way to the goal: its changes, and the result they give."""

    changes: list[Change]
    score: Decimal | None
    grade: str | None
    black: bool
    combined: bool
    text: str = ""


@dataclass
class Goal:
    kind: str  # "up" (one grade up) or "off_black"
    target: str | None  # the grade aimed at (up)
    reachable: bool
    options: list[Option] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    text: str = ""


@dataclass
class Remedy:
    """The way back up for one company of one run."""

    uscc: str
    name: str | None
    run_id: str
    period: str
    rules: str
    grade: str | None
    score: Decimal | None
    black: bool
    goals: list[Goal] = field(default_factory=list)
    listing: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ------------------------------------------------------------------------ levers


@dataclass
class Lever:
    slot: Slot
    rule: Slotted
    records: list[RecordId]  # most harmful first


def _levers(company: Company) -> tuple[list[Lever], list[str]]:
    """Levers (rules taking points off, with their records) and notes on the others."""
    harm: dict[RecordId, Decimal] = {}
    for slot in company.slots.values():
        if slot.points < 0 and slot.records:
            share = slot.points / slot.records
            for h in slot.hits:
                harm[h.record] = harm.get(h.record, Decimal(0)) + (
                    h.points if slot.rule.measure == "each" else share
                )
    levers, notes = [], []
    for key, slot in sorted(company.slots.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        takes = slot.points < 0 or (slot.rule.veto and slot.records > 0)
        if not takes or not slot.hits:
            continue
        if slot.rule.measure in ("avg", "share"):
            notes.append(
                f"«{slot.rule.title}» is {'an average' if slot.rule.measure == 'avg' else 'a share'}"
                " of its records: removing some can move it either way, so it is not in the path"
            )
            continue
        seen: dict[RecordId, Any] = {}
        for h in slot.hits:
            seen.setdefault(
                h.record, (harm.get(h.record, Decimal(0)), h.points, str(h.record_date))
            )
        order = sorted(seen, key=lambda r: (seen[r][0], seen[r][1], r[1]))
        levers.append(Lever(key, slot, order))
    return levers, notes


def _meets(goal: str, target_rank: int, order: tuple[str, ...], o: Outcome) -> bool:
    if goal == "off_black":
        return not o.black
    return o.grade is not None and o.grade in order and order.index(o.grade) <= target_rank


def _first(
    con: duckdb.DuckDBPyConnection,
    company: Company,
    base: frozenset[RecordId],
    records: list[RecordId],
    check: Any,
) -> tuple[int, Outcome] | None:
    """The fewest of `records` (in order) that, removed on top of `base`, meet `check`."""
    tried = records[:MAX_RECORDS]
    outcomes = evaluate(
        con, company, [base | frozenset(tried[:k]) for k in range(1, len(tried) + 1)]
    )
    for k, o in enumerate(outcomes, start=1):
        if check(o):
            return k, o
    return None


# ------------------------------------------------------------------------ words


def _counts_until(company: Company, slot: Slotted, period: Period) -> str | None:
    w = slot.rule.window
    if w.mode == "period":
        return f"counted in {period} only: the next period starts afresh"
    if w.mode == "calendar_year":
        return f"counted until {period.end.year}-12-31 (the score resets each 1 January)"
    if w.mode == "until_rectified":
        return "counted until its rectification is confirmed"
    dates = [h.record_date for h in slot.hits if h.record_date and h.record_date > OPEN_START]
    if w.until_column is None and dates:
        oldest = min(dates) + timedelta(days=w.days - 1)
        return f"each counts for {w.days} days from its date (the oldest until {oldest})"
    return f"counted for {w.days} days from its date, or until its own validity ends"


def _change(
    con: duckdb.DuckDBPyConnection,
    company: Company,
    lever: Lever,
    k: int,
    removed: frozenset[RecordId],
    period: Period,
) -> Change:
    slot = lever.rule
    slots, _scores, _facts = recompute(con, company, removed)
    after = slots[lever.slot][1]
    name = company.projects.get(slot.project_id or "", {}).get("project_name")
    keys = [key.replace("\x1f", "#") for _src, key in lever.records[:k]]
    change = Change(
        rule_id=slot.rule.id,
        title=slot.rule.title,
        clause=slot.rule.clause,
        source=slot.rule.source,
        project_id=slot.project_id,
        project_name=name,
        records=k,
        counted=slot.records,
        keys=keys,
        points_before=slot.points,
        points_after=after,
        counts_until=_counts_until(company, slot, period),
        record_ids=list(lever.records[:k]),
    )
    if slot.rule.per_1000_households and slot.value is not None and slot.records:
        change.value_before = round(float(slot.value), 2)
        change.value_after = round(float(slot.value) * (slot.records - k) / slot.records, 2)
    change.notes = _notes(company, slot, k)
    change.text = _text(change)
    return change


def _notes(company: Company, slot: Slotted, k: int) -> list[str]:
    rule, notes = slot.rule, []
    raw = sum((h.points for h in slot.hits), Decimal(0)) if rule.measure == "each" else None
    if rule.cap is not None and raw is not None and abs(raw) > rule.cap:
        notes.append(
            f"capped at {rule.cap} points: records beyond the cap change nothing until it is "
            "reached (not additive)"
        )
    if rule.bands:
        notes.append("points change by band, not per record (not additive)")
    if rule.shrink is not None:
        notes.append("a fair rate: the district's rate is recomputed without these records too")
    if rule.veto:
        notes.append("a veto item: the lowest grade whatever the score until it is rectified")
    if slot.project_id is not None:
        low = company.ruleset.definition.project.min
        score = company.projects.get(slot.project_id, {}).get("score")
        base = company.ruleset.definition.project.base
        if low is not None and score is not None and score <= low and base > low:
            notes.append(f"the project's score is held at its floor of {low} (not additive)")
    return notes


def _text(c: Change) -> str:
    shown = ", ".join(c.keys[:6]) + (" …" if len(c.keys) > 6 else "")
    where = f" at {c.project_name or c.project_id}" if c.project_id else ""
    n = c.records
    if c.rule_id and "veto item" in " ".join(c.notes):
        return f"the veto item{'s' if n > 1 else ''} «{c.title}» rectified or revoked [{shown}]"
    heads = {
        "complaints": f"{n} fewer complaint{'s' if n > 1 else ''} counted by «{c.title}»{where}",
        "inspections": f"{n} fewer inspection finding{'s' if n > 1 else ''} of «{c.title}»{where}",
        "contracts": f"{n} open contract item{'s' if n > 1 else ''} of «{c.title}»{where} fulfilled",
        "events": f"{n} credit record{'s' if n > 1 else ''} of «{c.title}» lifted "
        "(revoked, expired or repaired)",
    }
    head = heads.get(c.source, f"{n} fewer records of «{c.title}»{where}")
    if c.value_before is not None and c.value_after is not None:
        head += f" (rate {c.value_before:.2f}‰ → {c.value_after:.2f}‰ per 1,000 households)"
    if c.points_before != c.points_after:
        head += f": {c.points_before:+.2f} → {c.points_after:+.2f} points"
    return f"{head} [{shown}]"


# ------------------------------------------------------------------------ search


def _goal(
    con: duckdb.DuckDBPyConnection,
    company: Company,
    kind: str,
    levers: list[Lever],
    period: Period,
    max_options: int,
) -> Goal:
    order = company.ruleset.definition.grade_order
    grade = company.row["grade"]
    rank = order.index(grade) if grade in order else len(order)
    target = order[rank - 1] if kind == "up" and rank > 0 else None
    goal = Goal(kind, target, False)

    def check(o: Outcome) -> bool:
        return _meets(kind, rank - 1, order, o)

    vetoes = [lv for lv in levers if lv.rule.rule.veto]
    base = frozenset(r for lv in vetoes for r in lv.records)
    found: list[tuple[int, Lever, int, Outcome]] = []
    if base:
        (o,) = evaluate(con, company, [base])
        if check(o):
            found.append((0, vetoes[0], len(vetoes[0].records), o))
    if not found:
        for lever in (lv for lv in levers if not lv.rule.rule.veto):
            lever = Lever(lever.slot, lever.rule, [r for r in lever.records if r not in base])
            hit = _first(con, company, base, lever.records, check) if lever.records else None
            if hit is not None:
                found.append((hit[0], lever, hit[0], hit[1]))
    found.sort(key=lambda f: (f[0], f[1].slot[0], f[1].slot[1] or ""))
    for _n, lever, k, o in found[:max_options]:
        removed = base | frozenset(lever.records[:k])
        changes = [_change(con, company, v, len(v.records), removed, period) for v in vetoes]
        if not lever.rule.rule.veto:
            changes.append(_change(con, company, lever, k, removed, period))
        goal.options.append(Option(changes, o.score, o.grade, o.black, False))
    if not goal.options:
        combined = _combine(con, company, levers, base, vetoes, check, period)
        if combined is not None:
            goal.options.append(combined)
    goal.reachable = bool(goal.options)
    for option in goal.options:
        option.text = " and ".join(c.text for c in option.changes) + (
            f" → {option.score:.2f}, {option.grade}" if option.score is not None else ""
        )
    if not goal.reachable:
        everything = frozenset(r for lv in levers for r in lv.records)
        if everything:
            (best,) = evaluate(con, company, [everything])
            goal.notes.append(
                f"with every deduction the path may use removed the company would score "
                f"{best.score:.2f} ({best.grade})"
            )
        else:
            goal.notes.append("nothing this run counted takes points off")
    goal.text = _goal_text(kind, target, goal, company)
    return goal


def _combine(
    con: duckdb.DuckDBPyConnection,
    company: Company,
    levers: list[Lever],
    base: frozenset[RecordId],
    vetoes: list[Lever],
    check: Any,
    period: Period,
) -> Option | None:
    """Levers together, best points per record first, the last one trimmed to the fewest."""
    others = [lv for lv in levers if not lv.rule.rule.veto]
    if not others:
        return None
    (start,) = evaluate(con, company, [base])
    full = evaluate(con, company, [base | frozenset(lv.records) for lv in others])
    gain = {
        id(lv): ((o.score or Decimal(0)) - (start.score or Decimal(0))) / len(lv.records)
        for lv, o in zip(others, full, strict=True)
    }
    ranked = sorted(others, key=lambda lv: (-gain[id(lv)], lv.slot[0], lv.slot[1] or ""))
    sets, acc = [], base
    for lv in ranked:
        acc = acc | frozenset(lv.records)
        sets.append(acc)
    outcomes = evaluate(con, company, sets)
    n = next((i for i, o in enumerate(outcomes) if check(o)), None)
    if n is None:
        return None
    before = sets[n - 1] if n > 0 else base
    hit = _first(con, company, before, ranked[n].records, check)
    assert hit is not None  # all of its records reach the goal
    k, o = hit
    removed = before | frozenset(ranked[n].records[:k])
    changes = [_change(con, company, v, len(v.records), removed, period) for v in vetoes]
    changes += [_change(con, company, v, len(v.records), removed, period) for v in ranked[:n]]
    changes.append(_change(con, company, ranked[n], k, removed, period))
    return Option(changes, o.score, o.grade, o.black, True)


def _goal_text(kind: str, target: str | None, goal: Goal, company: Company) -> str:
    aim = f"up one grade, to {target}" if kind == "up" else "off the black list"
    if not goal.reachable:
        reason = company.row.get("grade_reason") or ""
        why = (
            f" (the grade comes from the override «{reason.split(':', 1)[1]}», not from points)"
            if reason.startswith("override:")
            else ""
        )
        return f"{aim}: no change in the records this run counted gets there{why}"
    return f"{aim}: " + "; or ".join(o.text for o in goal.options)


def goal_lines(goal: Goal) -> list[str]:
    """The goal in lines for a terminal: the aim, each option and its changes' notes."""
    out = [goal.text if not goal.reachable else goal.text.split(": ", 1)[0] + ":"]
    for i, option in enumerate(goal.options, start=1):
        out.append(f"  {'or ' if i > 1 else ''}{option.text}")
        for c in option.changes:
            out += [f"      · {n}" for n in (*c.notes, c.counts_until) if n]
    out += [f"  ({n})" for n in goal.notes]
    return out


def _listing(
    con: duckdb.DuckDBPyConnection, company: Company, today: date
) -> dict[str, Any] | None:
    if not company.row["black"]:
        return None
    entry = history(con).entry(company.uscc, today)
    durations = company.ruleset.definition.disclosure.black_list
    if entry is None:
        return {
            "published": False,
            "text": f"the black-list entry starts when the run is published: it cannot end before "
            f"{durations.min_months} months (minimum listing time, {durations.min_months_safety} "
            "for a safety matter), then by credit repair on application; at the latest after "
            f"{durations.max_months} months",
        }
    return {
        "published": True,
        "entry_id": entry.entry_id,
        "start": entry.start,
        "min_until": entry.min_until,
        "max_until": entry.max_until,
        "text": f"cannot leave the black list before {entry.min_until} (minimum listing time); "
        f"from then on by credit repair (信用修复) on application once a rating no longer lists "
        f"it; at the latest on {entry.max_until}",
    }


def remedy(
    con: duckdb.DuckDBPyConnection,
    uscc: str,
    run_id: str | None = None,
    today: date | None = None,
    max_options: int = 3,
) -> Remedy:
    """The way back up for `uscc` in `run_id` (default: the latest run). Raises NotFoundError
    RUN_NOT_FOUND / COMPANY_NOT_FOUND / COMPANY_NOT_RATED."""
    info = explainer.run_row(con, run_id)
    company = load_company(con, info["run_id"], uscc)
    require_rated(company)
    period = Period.parse(info["period"])
    levers, notes = _levers(company)
    out = Remedy(
        uscc,
        company.row.get("name"),
        info["run_id"],
        info["period"],
        info["ruleset"],
        company.row["grade"],
        company.row["score"],
        bool(company.row["black"]),
        notes=notes,
    )
    if company.ruleset.definition.grade_order.index(company.row["grade"]) > 0:
        out.goals.append(_goal(con, company, "up", levers, period, max_options))
    if company.row["black"]:
        out.goals.append(_goal(con, company, "off_black", levers, period, max_options))
        out.listing = _listing(con, company, today or period.end)
    out.notes.append(
        "computed from the records this run counted, under its own rule set: each option is "
        "checked by recomputing the grade; the next run counts its own period's records"
    )
    return out
