"""The calibration targets of the generated city (`targets.toml`), as typed data.

Each target names a figure a bureau would recognise (grade shares under the 烟台/山东 model,
black-list entries, complaint density, repeats, inspection pass rates …), its value, the
range a full-size generated city must fall in, and where the number comes from: published,
derived from published numbers, or a stated design choice. `benchmarks.calibration`
measures a generated city against them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rating.errors import UsageError

TARGETS_FILE = Path(__file__).with_name("targets.toml")
Basis = Literal["published", "derived", "design"]


@dataclass(frozen=True)
class Target:
    id: str
    figure: str
    value: float
    low: float
    high: float
    quick_slack: float  # how much wider the range is for the small CI city
    unit: str
    basis: Basis
    source: str

    def accepts(self, measured: float | None, *, quick: bool = False) -> bool:
        """Is `measured` inside the range (widened by `quick_slack` in quick mode)?"""
        if measured is None:
            return False
        slack = self.quick_slack if quick else 0.0
        return self.low - slack <= measured <= self.high + slack


def load_targets(path: Path = TARGETS_FILE) -> tuple[Target, ...]:
    """Every target of `path`, in file order.

    Raises UsageError (code SYNTH_BAD_TARGETS) when a target lacks a field, has an unknown
    basis, or a value outside its own range.
    """
    raw = tomllib.loads(path.read_text(encoding="utf-8")).get("target", [])
    out = []
    for entry in raw:
        try:
            target = Target(**entry)
        except TypeError as exc:
            raise UsageError(f"{path.name}: {exc}", code="SYNTH_BAD_TARGETS") from exc
        if target.basis not in ("published", "derived", "design"):
            raise UsageError(
                f"{path.name}: target {target.id} has basis '{target.basis}'",
                code="SYNTH_BAD_TARGETS",
            )
        if not target.low <= target.value <= target.high:
            raise UsageError(
                f"{path.name}: target {target.id} lies outside its own range",
                code="SYNTH_BAD_TARGETS",
            )
        out.append(target)
    return tuple(out)
