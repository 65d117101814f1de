"""The way back up, typed: a change in what the rule set counts, an option (changes and the
result they give), a goal (up one grade, or off the black list) and a company's remedy."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any


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
    veto: bool = False  # a veto item: rectified or revoked, not fewer


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
    """Up one grade (`kind` "up", to `target`) or off the black list ("off_black")."""

    kind: str
    target: str | None
    reachable: bool
    options: list[Option] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    text: str = ""
    aim: str = ""  # the goal in words, without its options


@dataclass
class Remedy:
    """The way back up for one company of one run, in `language` (zh or en)."""

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
    language: str = "zh"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
