"""The benchmark sizes and the generated data behind each.

Every size covers four quarters (2025Q4 … 2026Q3) and rates the last one. From 1M up, the
whole city grows with the complaints: one project per 333⅓ complaints (about 83 complaints
a project a quarter) and one company per five projects, so inspections, contract checks,
opinions and events (all generated per project or company) grow in proportion too and
1M → 10M → 100M is ten times everything. The 100M city reaches the generator's cap of
300,000 projects, which fixes that ratio. The generator sizes households to the complaints
(about 50 12345 orders a year per 1,000 households), so these projects hold ≈ 4,900
households each and their complaint rates stay realistic. `quick` (CI) keeps the
generator's own defaults (ten complaints a project a quarter) for a more varied small city.
"""

from __future__ import annotations

from dataclasses import dataclass

SEED = 7
END = "2026Q3"
PERIOD = "2026Q3"  # the quarter every contender rates
QUARTERS = 4
PROBE_ROWS = 10_000_000  # the format probes read at most this many complaint rows


@dataclass(frozen=True)
class Size:
    name: str
    complaints: int
    projects: int | None = None  # None: the generator's default
    companies: int | None = None

    def generator_args(self) -> dict[str, object]:
        return {
            "complaints": self.complaints,
            "seed": SEED,
            "projects": self.projects,
            "companies": self.companies,
            "quarters": QUARTERS,
            "end": END,
        }


SIZES = {
    "quick": Size("quick", 20_000),
    "1M": Size("1M", 1_000_000, 3_000, 600),
    "10M": Size("10M", 10_000_000, 30_000, 6_000),
    "100M": Size("100M", 100_000_000, 300_000, 60_000),
}
