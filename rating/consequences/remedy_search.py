"""The search behind the way back up: levers, the fewest records of one, and levers combined.

A *lever* is one rule at one project (or one company rule) that takes points off: its
records, most harmful first. For every lever the search finds the fewest of its records
that, not counted, reach the goal — every count checked by recomputing the company's grade
from the rule set (`rating.consequences.whatif`), so steps of bands, caps, project clamps,
overrides and the veto are taken into account exactly. Levers that reach the goal alone are
the options; when none does, levers are combined, best points per record first, the last
one trimmed. A veto item is part of every option (a veto gives the lowest grade whatever
the score). Averages and shares can move either way when records go: not levers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from rating.consequences import remedy_words as words
from rating.consequences.remedy_shapes import Change, Goal, Option
from rating.consequences.remedy_words import PathWords
from rating.consequences.whatif import (
    Company,
    Outcome,
    RecordId,
    Slot,
    Slotted,
    evaluate,
    recompute,
)
from rating.periods import Period

MAX_RECORDS = 400  # records of one lever tried one by one
Check = Callable[[Outcome], bool]


@dataclass
class Lever:
    slot: Slot
    rule: Slotted
    records: list[RecordId]  # most harmful first


@dataclass
class Search:
    """What every step of one company's search reads."""

    con: duckdb.DuckDBPyConnection
    company: Company
    period: Period
    words: PathWords


def _harm(company: Company) -> dict[RecordId, Decimal]:
    """Points each record takes off, over every rule that counted it."""
    harm: dict[RecordId, Decimal] = {}
    for slot in company.slots.values():
        if slot.points < 0 and slot.records:
            share = slot.points / slot.records
            for h in slot.hits:
                harm[h.record] = harm.get(h.record, Decimal(0)) + (
                    h.points if slot.rule.measure == "each" else share
                )
    return harm


def levers(company: Company, w: PathWords) -> tuple[list[Lever], list[str]]:
    """Levers (rules taking points off, with their records) and notes on the others."""
    harm = _harm(company)
    found: list[Lever] = []
    unlevered: dict[str, list[Slotted]] = {}  # avg/share rules: one note each, naming projects
    for key, slot in sorted(company.slots.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        takes = slot.points < 0 or (slot.rule.veto and slot.records > 0)
        if not takes or not slot.hits:
            continue
        if slot.rule.measure in ("avg", "share"):
            unlevered.setdefault(slot.rule.id, []).append(slot)
            continue
        seen: dict[RecordId, Any] = {}
        for h in slot.hits:
            seen.setdefault(
                h.record, (harm.get(h.record, Decimal(0)), h.points, str(h.record_date))
            )
        order = sorted(seen, key=lambda r: (seen[r][0], seen[r][1], r[1]))
        found.append(Lever(key, slot, order))
    return found, [words.lever_note(w, slots) for slots in unlevered.values()]


def meets(goal: str, target_rank: int, order: tuple[str, ...], o: Outcome) -> bool:
    """Whether outcome `o` reaches the goal: off the list, or a grade ranked `target_rank`
    or better in `order` (best first)."""
    if goal == "off_black":
        return not o.black
    return o.grade is not None and o.grade in order and order.index(o.grade) <= target_rank


def first(
    s: Search, base: frozenset[RecordId], records: list[RecordId], check: Check
) -> tuple[int, Outcome] | None:
    """The fewest of `records` (in order) that, removed on top of `base`, meet `check`."""
    tried = records[:MAX_RECORDS]
    outcomes = evaluate(
        s.con, s.company, [base | frozenset(tried[:k]) for k in range(1, len(tried) + 1)]
    )
    for k, o in enumerate(outcomes, start=1):
        if check(o):
            return k, o
    return None


def change(s: Search, lever: Lever, k: int, removed: frozenset[RecordId]) -> Change:
    """The first `k` records of `lever` not counted (with everything in `removed`)."""
    slot, company, w = lever.rule, s.company, s.words
    slots, _scores, _facts = recompute(s.con, company, removed)
    out = Change(
        rule_id=slot.rule.id,
        title=slot.rule.title,
        clause=slot.rule.clause,
        source=slot.rule.source,
        project_id=slot.project_id,
        project_name=company.projects.get(slot.project_id or "", {}).get("project_name"),
        records=k,
        counted=slot.records,
        keys=[key.replace("\x1f", "#") for _src, key in lever.records[:k]],
        points_before=slot.points,
        points_after=slots[lever.slot][1],
        counts_until=words.counts_until(w, slot, s.period),
        record_ids=list(lever.records[:k]),
        veto=slot.rule.veto,
    )
    if slot.rule.per_1000_households and slot.value is not None and slot.records:
        out.value_before = round(float(slot.value), 2)
        out.value_after = round(float(slot.value) * (slot.records - k) / slot.records, 2)
    out.notes = words.change_notes(w, company, slot)
    out.text = words.change_text(w, out)
    return out


def alone(
    s: Search, levers_: list[Lever], base: frozenset[RecordId], check: Check
) -> list[tuple[int, Lever, Outcome]]:
    """Levers reaching the goal alone (on top of the veto items in `base`), fewest first."""
    vetoes = [lv for lv in levers_ if lv.rule.rule.veto]
    found: list[tuple[int, Lever, Outcome]] = []
    if base:
        (o,) = evaluate(s.con, s.company, [base])
        if check(o):
            return [(len(vetoes[0].records), vetoes[0], o)]
    tried = [
        Lever(lv.slot, lv.rule, [r for r in lv.records if r not in base][:MAX_RECORDS])
        for lv in levers_
        if not lv.rule.rule.veto
    ]
    # every lever's first 1, 2, … records in one statement: `first` for each, batched
    outcomes = evaluate(
        s.con,
        s.company,
        [base | frozenset(lv.records[:k]) for lv in tried for k in range(1, len(lv.records) + 1)],
    )
    at = 0
    for lever in tried:
        mine, at = outcomes[at : at + len(lever.records)], at + len(lever.records)
        k = next((k for k, o in enumerate(mine, start=1) if check(o)), None)
        if k is not None:
            found.append((k, lever, mine[k - 1]))
    found.sort(key=lambda f: (f[0], f[1].slot[0], f[1].slot[1] or ""))
    return found


def goal(s: Search, kind: str, levers_: list[Lever], max_options: int) -> Goal:
    """Up one grade (`kind` "up") or off the black list ("off_black"): its options."""
    order = s.company.ruleset.definition.grade_order
    grade = s.company.row["grade"]
    rank = order.index(grade) if grade in order else len(order)
    target = order[rank - 1] if kind == "up" and rank > 0 else None
    out = Goal(kind, target, False, aim=words.goal_aim(s.words, kind, target))

    def check(o: Outcome) -> bool:
        return meets(kind, rank - 1, order, o)

    vetoes = [lv for lv in levers_ if lv.rule.rule.veto]
    base = frozenset(r for lv in vetoes for r in lv.records)
    for k, lever, o in alone(s, levers_, base, check)[:max_options]:
        removed = base | frozenset(lever.records[:k])
        changes = [change(s, v, len(v.records), removed) for v in vetoes]
        if not lever.rule.rule.veto:
            changes.append(change(s, lever, k, removed))
        out.options.append(Option(changes, o.score, o.grade, o.black, False))
    if not out.options:
        combined = combine(s, levers_, base, vetoes, check)
        if combined is not None:
            out.options.append(combined)
    out.reachable = bool(out.options)
    for option in out.options:
        option.text = words.option_text(s.words, option)
    if not out.reachable:
        out.notes.append(words.unreachable_note(s.words, _best(s, levers_)))
    out.text = words.goal_text(s.words, out, s.company)
    return out


def _best(s: Search, levers_: list[Lever]) -> Option | None:
    everything = frozenset(r for lv in levers_ for r in lv.records)
    if not everything:
        return None
    (best,) = evaluate(s.con, s.company, [everything])
    return Option([], best.score, best.grade, best.black, True)


def combine(
    s: Search,
    levers_: list[Lever],
    base: frozenset[RecordId],
    vetoes: list[Lever],
    check: Check,
) -> Option | None:
    """Levers together, best points per record first, the last one trimmed to the fewest."""
    others = [lv for lv in levers_ if not lv.rule.rule.veto]
    if not others:
        return None
    (start,) = evaluate(s.con, s.company, [base])
    full = evaluate(s.con, s.company, [base | frozenset(lv.records) for lv in others])
    gain = {
        id(lv): ((o.score or Decimal(0)) - (start.score or Decimal(0))) / len(lv.records)
        for lv, o in zip(others, full, strict=True)
    }
    ranked = sorted(others, key=lambda lv: (-gain[id(lv)], lv.slot[0], lv.slot[1] or ""))
    sets, acc = [], base
    for lv in ranked:
        acc = acc | frozenset(lv.records)
        sets.append(acc)
    outcomes = evaluate(s.con, s.company, sets)
    n = next((i for i, o in enumerate(outcomes) if check(o)), None)
    if n is None:
        return None
    before = sets[n - 1] if n > 0 else base
    hit = first(s, before, ranked[n].records, check)
    assert hit is not None  # all of its records reach the goal
    k, o = hit
    removed = before | frozenset(ranked[n].records[:k])
    changes = [change(s, v, len(v.records), removed) for v in vetoes]
    changes += [change(s, v, len(v.records), removed) for v in ranked[:n]]
    changes.append(change(s, ranked[n], k, removed))
    return Option(changes, o.score, o.grade, o.black, True)
