"""No rule file can crash a run: every failure is a coded `RuleSetError`, never INTERNAL.

Hypothesis mutates the shipped rule files (and the foreign ones) line by line — deleting,
duplicating, swapping and truncating lines, replacing numbers and words inside expressions,
inserting plausible but wrong options — then loads each mutant and, when it loads, rates a
small bureau with it. Loading may refuse the file and the run may refuse the data, but only
with a `RuleSetError` naming a code; any other exception is a defect.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rating.engine.runner import execute_run
from rating.errors import RuleSetError
from rating.periods import Period
from rating.ruleset.loader import load_from_bytes
from tests.factories import RULES_DIR, load
from tests.golden import scenarios

ROOT = Path(__file__).resolve().parent
BASES = sorted(
    [*RULES_DIR.glob("*/*/ruleset.toml"), *(ROOT / "foreign" / "rules").glob("*/*/ruleset.toml")]
)
NUMBERS = ["0", "-1", "1e12", "1e13", "-1e300", "1e400", "nan", "inf", "0.00000000001", "7"]
WORDS = [
    "score", "value", "households", "project.households", "project.nope", "grade", "count_bad",
    "1/0", "1 % 0", "ln(0)", "sqrt(-1)", "(", ")", "'", "NULL", "streak('C')", "value('X')",
    "round(value, 99)", "CAST(value AS VARCHAR)", "1e30 * value", "SELECT 1", "$1", "rank()",
    "true", "false", "deducted", "name", "district", "city", "watch_total", "🙂",
]  # fmt: skip
LINES = [
    "[[buckets]]", 'unit = "evaluation"', 'not_evaluated = "latest"', 'not_evaluated = "not_rated"',
    'evaluation = { source = "inspections", key = "inspection_id" }', 'ties = "uscc"',
    'measure = "share"', 'measure = "max"', 'target = "company"', 'bucket = "nope"',
    'by = "score / 0"', 'points = "ln(0)"', 'points = "1e11 * value"', 'when = "1/0 > 1"',
    'rounding = "half_even"', 'include = "households > 1"', 'evaluated_by = ["complaints"]',
    '[[ranks]]\nid = "r"\ntitle = "r"\nby = "score"', '[[facts]]\nid = "f"\ntitle = "f"\nmeasure = "count"',
    '[[grades.caps]]\nid = "c"\nwhen = "true"\ngrade = "B"\ntitle = "c"', "[lists.black]",
    'partition = "district"', 'then = [{ by = "name" }]', 'cap = 1e12', 'min = 1e12',
]  # fmt: skip


def _mutate(lines: list[str], data: st.DataObject) -> list[str]:
    kind = data.draw(
        st.sampled_from(["delete", "duplicate", "swap", "number", "word", "insert", "truncate"])
    )
    if not lines:
        return lines
    i = data.draw(st.integers(0, len(lines) - 1))
    if kind == "delete":
        return lines[:i] + lines[i + 1 :]
    if kind == "duplicate":
        return lines[: i + 1] + [lines[i]] + lines[i + 1 :]
    if kind == "swap":
        j = data.draw(st.integers(0, len(lines) - 1))
        lines = list(lines)
        lines[i], lines[j] = lines[j], lines[i]
        return lines
    if kind == "insert":
        return lines[:i] + [data.draw(st.sampled_from(LINES))] + lines[i:]
    if kind == "truncate":
        return lines[:i]
    if kind == "number":
        numbers = [m for m in re.finditer(r"(?<![\w.])-?\d+(\.\d+)?", lines[i])]
        if numbers:
            m = data.draw(st.sampled_from(numbers))
            new = data.draw(st.sampled_from(NUMBERS))
            lines = list(lines)
            lines[i] = lines[i][: m.start()] + new + lines[i][m.end() :]
        return lines
    words = [m for m in re.finditer(r"[A-Za-z_][A-Za-z_0-9.]*", lines[i])]
    if words:
        m = data.draw(st.sampled_from(words))
        lines = list(lines)
        lines[i] = lines[i][: m.start()] + data.draw(st.sampled_from(WORDS)) + lines[i][m.end() :]
    return lines


@pytest.fixture(scope="module")
def bureau(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    con, settings_, results = load(scenarios.yantai(), tmp_path_factory.mktemp("mutations"))
    assert all(r.rows_quarantined == 0 for r in results)
    return {"con": con, "settings": settings_}


@pytest.mark.slow
@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_rule_file_crashes_a_run(bureau: dict[str, Any], data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(BASES), label="base")
    lines = base.read_text(encoding="utf-8").splitlines()
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        lines = _mutate(lines, data)
    text = "\n".join(lines) + "\n"
    try:
        rs = load_from_bytes({"ruleset.toml": text.encode("utf-8")}, origin=base.parent.name)
    except RuleSetError as exc:
        assert exc.code.startswith("RULESET_") and exc.problems, str(exc)
        return
    try:
        execute_run(bureau["con"], bureau["settings"], rs, Period.parse("2025Q3"), forced=True)
    except RuleSetError as exc:
        assert exc.code == "RULESET_RUNTIME" and exc.problems, str(exc)
