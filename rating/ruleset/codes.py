"""Which rules of a version count each behaviour code (行为代码) of good and bad information.

A bureau clerk filling in `code` needs to know what a code does under the version in force.
`code_uses` answers from the rules themselves, not from their wording: one in-force event of
each code in the contract's vocabulary (`rating.schema.vocabularies.EVENT_CODES`: its 信息类别
and seriousness, 1 point, not rectified) is put in an empty warehouse and every rule over
events is evaluated on it (its `when`, windows aside).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from rating.ruleset.names import project_attributes, project_column
from rating.ruleset.typecheck import PARAMS, empty_warehouse
from rating.schema.derived import scope_columns_sql
from rating.schema.vocabularies import EVENT_CODES
from rating.sql import sql_text

if TYPE_CHECKING:
    from rating.ruleset.loader import LoadedRuleSet


@dataclass(frozen=True)
class CodeUse:
    """A behaviour code, its meaning, and the rules of a version that count it."""

    code: str
    info_kind: str
    meaning: str
    serious: bool
    rules: tuple[str, ...]
    veto: bool  # a rule counting it is a veto

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_INSERT = """INSERT INTO src_events (event_id, uscc, info_kind, code, description, authority,
    decided_on, points, serious, status, _batch, _row, _date)
    VALUES ($id, '', $kind, $code, $text, '', $day, 1, $serious, '有效', 1, $row, $day)"""


def code_uses(rs: LoadedRuleSet) -> list[CodeUse]:
    """Every vocabulary code with the rules of `rs` that count it (in rule order)."""
    rules = [c for c in rs.rules if c.rule.source == "events"]
    day: date = PARAMS["period_end"]
    counted: dict[str, list[str]] = {code: [] for code in EVENT_CODES}
    with empty_warehouse() as con:
        for row, (code, (kind, text, serious)) in enumerate(EVENT_CODES.items(), 1):
            params = {"id": code, "kind": kind, "code": code, "text": text}
            con.execute(_INSERT, {**params, "day": day, "serious": serious, "row": row})
        project = ", ".join(f'NULL AS "{project_column(a.name)}"' for a in project_attributes())
        for c in rules:
            cols = ", ".join(
                ["s.code AS _code", *scope_columns_sql("events", set(c.columns)), project]
            )
            when = sql_text(c.when)
            sql = (
                f"SELECT _code FROM (SELECT {cols} FROM src_events s) WHERE coalesce({when}, false)"
            )
            found = con.execute(sql, {k: v for k, v in PARAMS.items() if f"${k}" in sql}).fetchall()
            for (code,) in found:
                counted[code].append(c.rule.id)
    vetoes = {c.rule.id for c in rules if c.rule.veto}
    return [
        CodeUse(code, kind, text, serious, tuple(counted[code]), bool(vetoes & set(counted[code])))
        for code, (kind, text, serious) in EVENT_CODES.items()
    ]
