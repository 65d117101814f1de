"""Toronto's RentSafeTO building evaluations, reproduced by a rule file over the real data.

The rule file (`rules/rentsafeto/1.0.0`) scores each evaluation on its own (the evaluation
unit): the mean of its item scores as a percentage, rounded half up, tiered 86 / 66 / 51 /
Building Audit — and the latest evaluation stays in force until the next. Rated quarter by
quarter from 2017Q3 to 2023Q2, every one of the 11,760 published evaluations gets its
published SCORE and tier, including the buildings evaluated twice in one quarter.
"""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

import pytest

from rating.engine.runner import execute_run
from rating.periods import Period, quarter_of, quarters_between
from rating.ruleset.loader import load_ruleset
from rating.sql import rows
from tests.foreign.conftest import RULES, ingested
from tests.foreign.registries import external_data, rentsafe_exports

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rentsafe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    con, settings, _exports = ingested(tmp_path_factory.mktemp("rentsafe"), rentsafe_exports)
    rs = load_ruleset(RULES, "rentsafeto@1.0.0")
    runs = {}
    for quarter in quarters_between(Period.parse("2017Q3"), Period.parse("2023Q2")):
        runs[str(quarter)] = execute_run(con, settings, rs, quarter, forced=True).run_id
    data = external_data()
    assert data is not None
    with (data / "toronto-rentsafeto" / "evaluations_2017-2023.csv").open(encoding="utf-8") as fh:
        published = list(csv.DictReader(fh))
    return {"con": con, "runs": runs, "published": published}


def test_every_evaluation_gets_its_published_score_and_tier(rentsafe: dict[str, Any]) -> None:
    ours = {
        evaluation: (run, int(score), grade)
        for run, evaluation, score, grade in rows(
            rentsafe["con"],
            """SELECT run_id, evaluation_id, score, grade FROM run_evaluations
               WHERE carried_from IS NULL""",
        )
    }
    assert len(rentsafe["published"]) == len(ours) == 11_760
    for row in rentsafe["published"]:
        run, score, tier = ours["RS" + row["_id"]]
        assert (score, tier) == (int(row["SCORE"]), row["RESULTS_OF_SCORE"]), row["_id"]
        evaluated = quarter_of(date.fromisoformat(row["EVALUATION_COMPLETED_ON"]))
        assert run == rentsafe["runs"][str(evaluated)]  # scored in the run of its quarter


def test_buildings_evaluated_twice_in_a_quarter_keep_each_result(rentsafe: dict[str, Any]) -> None:
    twice = rows(
        rentsafe["con"],
        """SELECT run_id, project_id, count(*), count(*) FILTER (WHERE in_force)
           FROM run_evaluations WHERE carried_from IS NULL
           GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL""",
    )
    assert len(twice) == 15  # (building, quarter) pairs in the published data
    assert all(in_force == 1 for *_, in_force in twice)
    # the one in force is the latest: its score is the building's score that quarter
    mismatched = rows(
        rentsafe["con"],
        """SELECT e.run_id, e.project_id FROM run_evaluations e
           JOIN run_projects p ON p.run_id = e.run_id AND p.project_id = e.project_id
           WHERE e.in_force AND p.score IS DISTINCT FROM e.score""",
    )
    assert mismatched == []


def test_the_latest_evaluation_stays_in_force_until_the_next(rentsafe: dict[str, Any]) -> None:
    con, runs = rentsafe["con"], rentsafe["runs"]
    # RSN 4152758: evaluated 2019-11-26 (67), next on 2021-10-14 and 2021-10-16 (80 in force)
    carried = rows(
        con,
        """SELECT p.score, e.evaluation_id, e.evaluated_on, e.carried_from IS NOT NULL
           FROM run_projects p JOIN run_evaluations e USING (run_id, project_id)
           WHERE p.run_id = $run AND p.project_id = 'RSN4152758' AND e.in_force""",
        {"run": runs["2020Q3"]},
    )
    assert len(carried) == 1
    score, _evaluation, evaluated_on, was_carried = carried[0]
    assert (int(score), str(evaluated_on), was_carried) == (67, "2019-11-26", True)
    later = rows(
        con,
        "SELECT score FROM run_projects WHERE run_id = $run AND project_id = 'RSN4152758'",
        {"run": runs["2022Q1"]},
    )
    assert [int(s) for (s,) in later] == [80]
