"""A consequence table checked, resolved for one company, and tested for monotonicity.

* `check_consequences` — structural faults (unknown grades or tiers, a measure missing what
  its kind needs), collected as problems like every other rule-set fault.
* `matches` / `combine` — which measures apply to a company state (and a project), and what
  they amount to together. Where several measures set the same thing, **the strictest
  applies**: the most inspections and the highest sampling ratio per level, the lowest fee
  tier, the smallest reward, the fewest tender points (exclusion above all), the weakest
  honours standing. So a red-list bonus larger than its grade's is written on the grade row
  with `red = false`.
* `monotone_problems` — what `rating rules validate` warns about: a better grade (or list
  standing, or a shorter streak, or a better project grade) that brings more inspections,
  a lower fee ceiling, smaller rewards, fewer tender points or weaker honours than a worse
  one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from rating.errors import Problem, ProblemCollector
from rating.ruleset.consequences import KINDS, PROJECT_KINDS, Consequences, Measure, Selector
from rating.ruleset.definition import RuleSet

HONOURS_ORDER = ("priority", "eligible", "reduced", "excluded")
INFINITE = Decimal("1e9")


# ------------------------------------------------------------------------ structure


def check_consequences(rs: RuleSet, problems: ProblemCollector, origin: str) -> None:
    """Add a problem for every structural fault of `rs.consequences` (none when absent)."""
    table = rs.consequences
    if table is None:
        return
    grades, project_grades = set(rs.grade_order), {b.grade for b in rs.project_grades}
    if table.standard is not None and table.standard not in grades:
        problems.add(
            "RULESET_CONSEQUENCES", f"standard '{table.standard}' is not a grade", file=origin
        )
    for name, tiers in (("fee_tiers", table.fee_tiers), ("reward_tiers", table.reward_tiers)):
        if len(set(tiers)) < len(tiers):
            problems.add("RULESET_CONSEQUENCES", f"{name}: a tier is listed twice", file=origin)
    for mid, n in Counter(m.id for m in table.measures).items():
        if n > 1:
            problems.add("RULESET_CONSEQUENCES", "measure id used twice", file=origin, rule=mid)
    for m in table.measures:
        for fault in measure_faults(m, table, grades, project_grades):
            problems.add("RULESET_CONSEQUENCES", fault, file=origin, rule=m.id)


def _selector_faults(s: Selector, grades: set[str], project_grades: set[str]) -> list[str]:
    faults = [f"when.grades: '{g}' is not a grade" for g in s.grades if g not in grades]
    faults += [
        f"when.project_grades: '{g}' is not a project grade"
        for g in s.project_grades
        if g not in project_grades
    ]
    if s.streak is not None and s.streak.grade not in grades:
        faults.append(f"when.streak: '{s.streak.grade}' is not a grade")
    if s.rated is False and (s.grades or s.streak or s.red or s.black or s.project_grades):
        faults.append("when.rated = false selects companies without a grade: nothing else holds")
    return faults


def _value_fields(m: Measure) -> dict[str, object]:
    values = {
        "level": m.level,
        "per_year": m.per_year,
        "sampling": m.sampling,
        "tier": m.tier,
        "points": m.points,
        "honours": m.honours,
    }
    return {k: v for k, v in values.items() if v is not None} | (
        {"excluded": True} if m.excluded else {}
    )


ALLOWED = {
    "inspection": {"level", "per_year", "sampling"},
    "fee_ceiling": {"tier"},
    "reward": {"tier", "excluded"},
    "tender": {"points", "excluded"},
    "honours": {"honours"},
    "new_projects": set(),
    "market_exit": set(),
    "notice": set(),
}


def measure_faults(
    m: Measure, table: Consequences, grades: set[str], project_grades: set[str]
) -> list[str]:
    """Every structural fault of one measure, in plain words."""
    faults = _selector_faults(m.when, grades, project_grades)
    given = set(_value_fields(m))
    extra = given - ALLOWED[m.kind]
    if extra:
        faults.append(f"kind '{m.kind}' takes no {', '.join(sorted(extra))}")
    if m.kind == "inspection" and (m.level is None or (m.per_year is None and m.sampling is None)):
        faults.append("kind 'inspection' needs `level` and `per_year` and/or `sampling`")
    if m.kind == "fee_ceiling" and m.tier not in table.fee_tiers:
        faults.append(f"kind 'fee_ceiling' needs `tier` from fee_tiers {list(table.fee_tiers)}")
    if m.kind == "reward" and (m.tier is None) == (not m.excluded):
        faults.append("kind 'reward' needs exactly one of `tier` or `excluded = true`")
    if m.kind == "reward" and m.tier is not None and m.tier not in table.reward_tiers:
        faults.append(f"reward tier '{m.tier}' is not in reward_tiers {list(table.reward_tiers)}")
    if m.kind == "tender" and (m.points is None) == (not m.excluded):
        faults.append("kind 'tender' needs exactly one of `points` or `excluded = true`")
    if m.kind == "honours" and m.honours is None:
        faults.append("kind 'honours' needs `honours` (priority, eligible, reduced or excluded)")
    if m.when.per_project and m.kind not in PROJECT_KINDS:
        faults.append(
            f"when.project_grades selects projects: only {', '.join(sorted(PROJECT_KINDS))} "
            "apply to a project"
        )
    if m.lasts == "listing" and m.when.black is not True:
        faults.append("lasts = 'listing' needs when.black = true (it lasts as long as the entry)")
    return faults


# ------------------------------------------------------------------------ resolution


@dataclass(frozen=True)
class CompanyState:
    """What a consequence table reads of a company in one run."""

    rated: bool
    grade: str | None
    red: bool = False
    black: bool = False
    streaks: Mapping[str, int] = field(default_factory=dict)  # grade → consecutive periods


def matches(s: Selector, company: CompanyState, project_grade: str | None = None) -> bool:
    """Whether selector `s` holds for `company` (and, for per-project selectors, the project
    graded `project_grade`)."""
    if s.rated is not None and s.rated != company.rated:
        return False
    if s.grades and company.grade not in s.grades:
        return False
    if s.red is not None and s.red != company.red:
        return False
    if s.black is not None and s.black != company.black:
        return False
    if s.streak is not None and company.streaks.get(s.streak.grade, 0) < s.streak.min:
        return False
    return not s.project_grades or project_grade in s.project_grades


def key_of(m: Measure) -> str:
    """What a measure sets: measures with the same key are combined (the strictest wins)."""
    if m.kind == "inspection":
        return f"inspection:{m.level}"
    if m.kind == "notice":
        return f"notice:{m.id}"
    return m.kind


def severity(m: Measure, table: Consequences, part: str = "") -> Decimal:
    """How harsh a measure is on its key (larger is harsher). `part` for inspections:
    `per_year` or `sampling`."""
    if m.kind == "inspection":
        got = m.per_year if part == "per_year" else m.sampling
        return got if got is not None else Decimal(-1)  # sets nothing on this part
    if m.kind == "fee_ceiling":
        return Decimal(table.fee_tiers.index(m.tier)) if m.tier in table.fee_tiers else Decimal(0)
    if m.kind == "reward":
        if m.excluded:
            return Decimal(len(table.reward_tiers) + 1)
        tiers = table.reward_tiers
        return Decimal(tiers.index(m.tier)) if m.tier in tiers else Decimal(len(tiers))
    if m.kind == "tender":
        return INFINITE if m.excluded else -(m.points or Decimal(0))
    if m.kind == "honours":
        return Decimal(HONOURS_ORDER.index(m.honours or "eligible"))
    return Decimal(1)


def absent_severity(key: str, table: Consequences, part: str = "") -> Decimal:
    """The severity of a key no measure sets: no inspection planned, no fee ceiling, no
    reward, 0 tender points, eligible for honours, no bar, no exit."""
    kind = key.split(":", 1)[0]
    if kind == "inspection":
        return Decimal(0)
    if kind == "fee_ceiling":
        return Decimal(-1)
    if kind == "reward":
        return Decimal(len(table.reward_tiers))
    if kind == "honours":
        return Decimal(HONOURS_ORDER.index("eligible"))
    return Decimal(0)


@dataclass(frozen=True)
class Combined:
    """What the measures of one key amount to, and the measures that decide it."""

    key: str
    deciding: tuple[Measure, ...]  # the strictest measures (for inspections: of either part)
    per_year: Decimal | None = None
    sampling: Decimal | None = None

    @property
    def first(self) -> Measure:
        return self.deciding[0]


def combine(measures: Iterable[Measure], table: Consequences) -> list[Combined]:
    """The strictest of the measures per key, in the order keys first appear."""
    by_key: dict[str, list[Measure]] = {}
    for m in measures:
        by_key.setdefault(key_of(m), []).append(m)
    out = []
    for key, group in by_key.items():
        if key.startswith("inspection:"):
            per_year = max((m.per_year for m in group if m.per_year is not None), default=None)
            sampling = max((m.sampling for m in group if m.sampling is not None), default=None)
            deciding = tuple(
                m
                for m in group
                if (per_year is not None and m.per_year == per_year)
                or (sampling is not None and m.sampling == sampling)
            )
            out.append(Combined(key, deciding, per_year, sampling))
            continue
        worst = max(severity(m, table) for m in group)
        out.append(Combined(key, tuple(m for m in group if severity(m, table) == worst)))
    return out


def resolve(
    table: Consequences, company: CompanyState, project_grade: str | None = None
) -> list[Combined]:
    """The combined measures for a company (and one project of it, when `project_grade` is
    given: per-project measures too, and only the kinds that apply to a project)."""
    if project_grade is None:
        found = [m for m in table.measures if not m.when.per_project and matches(m.when, company)]
    else:
        found = [
            m
            for m in table.measures
            if m.kind in PROJECT_KINDS and matches(m.when, company, project_grade)
        ]
    return combine(found, table)


# ------------------------------------------------------------------------ monotonicity


def _profile(combined: list[Combined], table: Consequences) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for c in combined:
        if c.key.startswith("notice:"):
            continue
        if c.key.startswith("inspection:"):
            out[c.key + ":per_year"] = c.per_year if c.per_year is not None else Decimal(0)
            out[c.key + ":sampling"] = c.sampling if c.sampling is not None else Decimal(0)
        else:
            out[c.key] = severity(c.first, table)
    return out


def _harsher(
    better: dict[str, Decimal], worse: dict[str, Decimal], table: Consequences
) -> list[str]:
    """Keys on which the better state is treated more harshly than the worse one."""
    out = []
    for key in sorted(set(better) | set(worse)):
        base = key.rsplit(":", 1)[0] if key.startswith("inspection:") else key
        part = key.rsplit(":", 1)[1] if key.startswith("inspection:") else ""
        missing = absent_severity(base, table, part)
        if better.get(key, missing) > worse.get(key, missing):
            out.append(key)
    return out


LIST_STATES = ((True, False), (False, False), (False, True))  # (red, black), best first


def _states(rs: RuleSet) -> list[tuple[str, CompanyState]]:
    """Company states to compare, each with its name, best grade first per list state."""
    out = []
    for red, black in LIST_STATES:
        for grade in rs.grade_order:
            name = f"grade {grade}" + (" on the red list" if red else "")
            name += " on the black list" if black else ""
            out.append((name, CompanyState(True, grade, red, black, {grade: 1})))
    return out


def monotone_problems(rs: RuleSet, origin: str = "") -> list[Problem]:
    """Pairs of states where the better one meets a harsher measure (warnings, not errors)."""
    table = rs.consequences
    if table is None:
        return []
    found: list[Problem] = []

    def compare(better: tuple[str, CompanyState], worse: tuple[str, CompanyState]) -> None:
        for project_grade in (None, *(b.grade for b in rs.project_grades)):
            a = _profile(resolve(table, better[1], project_grade), table)
            b = _profile(resolve(table, worse[1], project_grade), table)
            for key in _harsher(a, b, table):
                where = f" (project graded {project_grade})" if project_grade else ""
                found.append(
                    Problem(
                        "CONSEQUENCE_NOT_MONOTONE",
                        f"{better[0]} meets a harsher {key} than {worse[0]}{where}: a better "
                        "standing must never bring more inspections or fewer rewards",
                        file=origin or None,
                    )
                )

    states = _states(rs)
    n = len(rs.grade_order)
    for i in range(len(LIST_STATES)):
        chain = states[i * n : (i + 1) * n]
        for better, worse in zip(chain, chain[1:], strict=False):
            compare(better, worse)
    for g in range(n):  # red ≤ neither ≤ black at the same grade
        for i in range(len(LIST_STATES) - 1):
            compare(states[i * n + g], states[(i + 1) * n + g])
    for m in table.measures:  # a longer streak is never treated better
        if m.when.streak is not None:
            s = m.when.streak
            for red, black in LIST_STATES:
                short = CompanyState(True, s.grade, red, black, {s.grade: s.min - 1})
                long = CompanyState(True, s.grade, red, black, {s.grade: s.min})
                compare(
                    (f"{s.grade} for {s.min - 1} period(s)", short),
                    (f"{s.grade} for {s.min} period(s)", long),
                )
    for name, state in states:  # a better project grade under the same company standing
        grades = [b.grade for b in rs.project_grades]
        for a, b in zip(grades, grades[1:], strict=False):
            pa = _profile(resolve(table, state, a), table)
            pb = _profile(resolve(table, state, b), table)
            for key in _harsher(pa, pb, table):
                found.append(
                    Problem(
                        "CONSEQUENCE_NOT_MONOTONE",
                        f"a project graded {a} meets a harsher {key} than one graded {b} ({name})",
                        file=origin or None,
                    )
                )
    return list({(p.message): p for p in found}.values())


__all__ = [
    "KINDS",
    "CompanyState",
    "Combined",
    "check_consequences",
    "combine",
    "matches",
    "monotone_problems",
    "resolve",
]
