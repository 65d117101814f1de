"""`rating rules check`: the invariants of a candidate version, on a generated city.

The shipped versions keep every invariant; a candidate that rewards complaints, or
black-lists a better grade where it spares a worse one, is caught with the rule named and
the smallest counterexample (the smallest project tried first, the plainest complaint).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rating.audit.invariants import check_periods
from rating.ruleset.loader import load_from_bytes, load_ruleset
from rating.settings import Settings
from rating.synth.city import generated_warehouse
from tests.factories import RULES_DIR

pytestmark = pytest.mark.slow
YANTAI = (RULES_DIR / "yantai-2022" / "1.0.0" / "ruleset.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("city")
    found = generated_warehouse(folder, Settings(rules_dir=RULES_DIR), seed=3, complaints=3000)
    yield found, folder
    found.con.close()


def _check(city: Any, text: str, name: str, tmp: Path) -> Any:
    found, _folder = city
    rs = load_from_bytes({"ruleset.toml": text.encode()}, origin=name)
    return check_periods(found.con, found.settings, rs, list(found.periods), projects=2, folder=tmp)


def test_a_shipped_version_keeps_every_invariant(city: Any, tmp_path: Path) -> None:
    found, _folder = city
    rs = load_ruleset(RULES_DIR, "yantai-2022@1.0.0")
    report = check_periods(
        found.con, found.settings, rs, list(found.periods), projects=2, folder=tmp_path
    )
    assert report.ok, report.as_dict()
    assert report.checked["complaint_monotone"] == 8 and report.checked["veto_lowest"] >= 7
    assert report.checked["bands"] > 0 and report.checked["consequences"] > 0


def test_a_rule_that_rewards_complaints_is_named(city: Any, tmp_path: Path) -> None:
    reward = """
[[buckets]]
id = "bonus"
title = "uncapped bonus"

[[rule]]
id = "X-REWARD"
title = "an unsatisfied complainant earns the company good points (wrong)"
source = "complaints"
target = "company"
bucket = "bonus"
when = "verified AND dissatisfied"
measure = "each"
points = 30
"""
    text = YANTAI.replace('version = "1.0.0"', 'version = "9.0.1"').replace(
        "# ---------------------------------------------------------------- lists and downgrades",
        reward,
    )
    report = _check(city, text, "rewarding", tmp_path)
    [finding] = report.findings
    assert finding.invariant == "complaint_monotone" and finding.rule == "X-REWARD"
    assert finding.counterexample["complaint"] == "unsatisfied"  # the plainest that shows it


def test_a_black_list_for_a_better_grade_is_named(city: Any, tmp_path: Path) -> None:
    text = YANTAI.replace('version = "1.0.0"', 'version = "9.0.2"').replace(
        "when = \"veto OR streak('C') >= 3\"", "when = \"veto OR grade = 'AA'\""
    )
    report = _check(city, text, "harsher", tmp_path)
    assert [f.invariant for f in report.findings] == ["consequences"]
    assert report.findings[0].rule == "lists.black"
    assert "black-listed at AA but not at the worse A" in report.findings[0].message


def test_the_same_seed_gives_the_same_findings(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rating.cli import app

    runner = CliRunner()
    env = {"RATING_RULES_DIR": str(RULES_DIR)}
    args = [
        "rules",
        "check",
        "haikou-2019@1.0.0",
        "--seed",
        "5",
        "--complaints",
        "1000",
        "--projects",
        "1",
        "--json",
    ]
    first = runner.invoke(app, args, env=env)
    second = runner.invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
