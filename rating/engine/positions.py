"""Where a company stands in a stored run (its positions): its rankings, its facts over projects, and the
evaluations behind its projects' results — each as one line an auditor can redo.

* a rank says its position, how many were ranked, the value ranked on, the partition, and
  how ties were broken (`rating explain`: "city 3 of 120 by score desc (80.0) …");
* a fact over projects says its value and what it counts;
* an evaluation says its date, score, grade, and whether it is the one in force or was
  carried from an earlier run.

Wording (titles) comes from the rule set stored with the run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

import duckdb

from rating.engine.shapes import EvaluationRecord, FactRecord, RankRecord
from rating.ruleset.definition import Rank, RuleSet
from rating.sql import dicts


@dataclass(frozen=True)
class RankLine:
    rank_id: str
    title: str
    position: int
    count: int
    value: float | None
    partition: str | None
    text: str

    def as_dict(self) -> RankRecord:
        return cast(RankRecord, asdict(self))


@dataclass(frozen=True)
class FactLine:
    fact_id: str
    title: str
    value: Decimal | None
    text: str

    def as_dict(self) -> FactRecord:
        return cast(FactRecord, asdict(self))


@dataclass(frozen=True)
class EvaluationLine:
    project_id: str
    evaluation_id: str | None
    evaluated_on: date | None
    score: Decimal | None
    grade: str | None
    in_force: bool
    carried_from: str | None

    def as_dict(self) -> EvaluationRecord:
        return cast(EvaluationRecord, asdict(self))


def tie_break_text(rank: Rank) -> str:
    """How a ranking orders companies, in words: its keys, then how remaining ties end."""
    keys = [f"{rank.by} {rank.order}", *(f"{k.by} {k.order}" for k in rank.then)]
    ending = (
        "companies still equal share the position"
        if rank.ties == "shared"
        else "companies still equal are ordered by USCC"
    )
    return f"ordered by {', then '.join(keys)}; {ending}"


def _number(x: Any) -> str:
    return "–" if x is None else f"{float(x):,.4f}".rstrip("0").rstrip(".")


def ranks(
    con: duckdb.DuckDBPyConnection, run_id: str, uscc: str, definition: RuleSet
) -> list[RankLine]:
    """The company's position in each ranking of the rule set (none when it was not ranked)."""
    by_id = {r.id: r for r in definition.ranks}
    if not by_id:
        return []  # and a warehouse older than run_ranks is never asked
    found = dicts(
        con,
        """SELECT rank_id, position, count, value, partition FROM run_ranks
           WHERE run_id = $run AND company_uscc = $u ORDER BY rank_id""",
        {"run": run_id, "u": uscc},
    )
    out = []
    for row in found:
        rank = by_id.get(row["rank_id"])
        if rank is None:
            continue
        within = (
            f" within {rank.partition} = {row['partition']}" if rank.partition is not None else ""
        )
        text = (
            f"{row['position']} of {row['count']}{within} (value {_number(row['value'])}); "
            f"{tie_break_text(rank)}"
        )
        out.append(
            RankLine(
                rank.id,
                rank.title,
                int(row["position"]),
                int(row["count"]),
                row["value"],
                row["partition"],
                text,
            )
        )
    return out


def facts(
    con: duckdb.DuckDBPyConnection, run_id: str, uscc: str, definition: RuleSet
) -> list[FactLine]:
    """The company's `[[facts]]` values, in file order."""
    if not definition.facts:
        return []
    found = {
        r["fact_id"]: r["value"]
        for r in dicts(
            con,
            "SELECT fact_id, value FROM run_facts WHERE run_id = $run AND company_uscc = $u",
            {"run": run_id, "u": uscc},
        )
    }
    out = []
    for f in definition.facts:
        what = f"{f.measure} of projects where {f.when}"
        if f.value is not None:
            what = f"{f.measure} of {f.value} over projects where {f.when}"
        if f.of is not None:
            what += f", of those where {f.of}"
        out.append(FactLine(f.id, f.title, found.get(f.id), f"{_number(found.get(f.id))} = {what}"))
    return out


def evaluations(
    con: duckdb.DuckDBPyConnection, run_id: str, uscc: str, definition: RuleSet
) -> list[EvaluationLine]:
    """Every evaluation result and carried result of the company's projects in the run."""
    scoring = definition.project
    if scoring.unit != "evaluation" and scoring.without_records != "latest":
        return []
    found = dicts(
        con,
        """SELECT project_id, evaluation_id, evaluated_on, score, grade, in_force, carried_from
           FROM run_evaluations WHERE run_id = $run AND company_uscc = $u
           ORDER BY project_id, evaluated_on, evaluation_id""",
        {"run": run_id, "u": uscc},
    )
    return [EvaluationLine(**row) for row in found]
