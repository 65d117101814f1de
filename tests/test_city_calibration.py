"""The generated city is calibrated to published outcomes (rating/synth/targets.toml).

The quick calibration runs here as it does in CI: generate a small city, rate every quarter
in order under yantai-2022, and every figure must fall in its target's range (widened by the
target's `quick_slack`). CALIBRATION.md must be what the report renders from its results.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import calibration
from rating.errors import UsageError
from rating.synth.targets import load_targets


def test_every_target_has_a_source_a_basis_and_a_measurement() -> None:
    targets = load_targets()
    assert len({t.id for t in targets}) == len(targets)
    for t in targets:
        assert t.basis in ("published", "derived", "design") and len(t.source) > 40, t.id
        assert t.low <= t.value <= t.high and t.quick_slack >= 0, t.id
        assert t.id in calibration.MEASURED, t.id
    grades = [t for t in targets if t.id.startswith("grade_share_")]
    assert {t.basis for t in grades} == {"published"}
    assert abs(sum(t.value for t in grades) - 1) < 0.002  # 济南's five grades, pooled


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('basis = "rumour"', "basis 'rumour'"),
        ("value = 2.0", "outside its own range"),
    ],
)
def test_a_broken_targets_file_is_a_usage_error(tmp_path: Path, line: str, problem: str) -> None:
    good = 'id = "x"\nfigure = "x"\nvalue = 0.5\nlow = 0.4\nhigh = 0.6\nquick_slack = 0.0\nunit = "share"\nbasis = "design"\nsource = "x"\n'
    key = line.split(" = ")[0]
    body = "\n".join(line if row.startswith(key + " ") else row for row in good.splitlines())
    (tmp_path / "t.toml").write_text("[[target]]\n" + body + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match=problem):
        load_targets(tmp_path / "t.toml")
    (tmp_path / "u.toml").write_text("[[target]]\nid = 'x'\n", encoding="utf-8")
    with pytest.raises(UsageError, match="SYNTH_BAD_TARGETS|missing"):
        load_targets(tmp_path / "u.toml")


@pytest.mark.slow
def test_quick_calibration_meets_every_target(tmp_path: Path) -> None:
    record = calibration.measure("quick", tmp_path / "work", log=lambda _msg: None)
    missed = [r for r in record["rows"] if not r["ok"]]
    assert not missed, calibration.text_table(record)
    quarters = record["quarters"]
    assert len(quarters) == calibration.MODES["quick"]["quarters"]
    for q in quarters:  # a city a bureau would recognise, every quarter
        graded = q["graded"]
        assert q["grades"]["B"] > 0.7 * graded and q["grades"]["C"] < 0.15 * graded, q
        assert q["black"] < 0.1 * graded, q
    assert "## quick: 100,000 complaints, 6 quarters" in calibration.markdown([record])


def test_calibration_md_is_generated_from_the_results_file() -> None:
    """CALIBRATION.md is never edited by hand: the report renders it from the JSON lines."""
    if not calibration.RESULTS.exists():
        pytest.skip("no calibration recorded yet")
    expected = calibration.markdown(calibration.latest(calibration.RESULTS))
    assert calibration.REPORT.read_text(encoding="utf-8") == expected
