"""What `rating rules check` reports: each broken invariant with the rule and an example."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One broken invariant: which, the rule (band set, list) behind it, and the example."""

    invariant: str
    rule: str | None
    message: str
    counterexample: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckReport:
    ruleset: str
    period: str
    checked: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "ruleset": self.ruleset,
            "period": self.period,
            "checked": self.checked,
            "findings": [f.as_dict() for f in self.findings],
        }
