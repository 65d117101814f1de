"""The typed shapes (`rating.engine.shapes`) say what a run really hands over.

A `TypedDict` is not checked at run time, so a key the engine adds, renames or drops would
leave the type checker trusting a stale shape. These tests read a real run back and compare
every dict — nested ones and list items too — with its declared shape: every required key
present, no key the shape does not name.
"""

from __future__ import annotations

import json
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any, NotRequired, get_args, get_origin, get_type_hints, is_typeddict

import pytest

from rating.engine import explainer, shapes
from rating.engine.planner import RateResult, RunRequest, rate
from rating.periods import Period
from tests.factories import Bureau, load


def _bureau() -> tuple[Bureau, str]:
    b = Bureau()
    jia = b.company(1, "甲物业")
    b.project("P1", jia, households=500)
    b.project("P2", b.company(2, "乙物业"), households=400)
    b.event(jia, "2025-07-10", code="B01", description="擅自停水停电", points=5)
    for day in ("2025-07-11", "2025-08-15"):
        b.complaint("P1", day)
    b.complaint("P2", "2025-05-12")  # data from 2025Q2: rating 2025Q3 makes its history run
    return b, jia


def _typeddicts(hint: Any) -> list[Any]:
    """The TypedDicts a type hint may hold a value of (through `X | None`)."""
    if is_typeddict(hint):
        return [hint]
    if get_origin(hint) in (typing.Union, types.UnionType):
        return [a for a in get_args(hint) if is_typeddict(a)]
    return []


def mismatches(value: Any, shape: Any, where: str = "") -> list[str]:
    """Where `value` departs from the TypedDict `shape`, recursively (empty when it fits)."""
    if not isinstance(value, dict):
        return [f"{where or '.'}: {type(value).__name__}, not a dict"]
    hints = get_type_hints(shape, include_extras=True)
    found = [f"{where}.{k}: missing" for k in sorted(shape.__required_keys__ - set(value))]
    found += [f"{where}.{k}: not in {shape.__name__}" for k in sorted(set(value) - set(hints))]
    for key in set(value) & set(hints):
        hint = hints[key]
        if get_origin(hint) is NotRequired:
            hint = get_args(hint)[0]
        item = value[key]
        inner = _typeddicts(hint)
        if inner and item is not None:
            found += mismatches(item, inner[0], f"{where}.{key}")
        elif get_origin(hint) is list and _typeddicts(get_args(hint)[0]):
            for n, element in enumerate(item):
                found += mismatches(element, get_args(hint)[0], f"{where}.{key}[{n}]")
        elif get_origin(hint) is dict and _typeddicts(get_args(hint)[1]):
            for k, element in item.items():
                found += mismatches(element, get_args(hint)[1], f"{where}.{key}[{k!r}]")
    return found


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, RateResult, str]:
    b, jia = _bureau()
    con, settings, _ = load(b, tmp_path_factory.mktemp("shapes"))
    result = rate(con, settings, RunRequest(Period.parse("2025Q3"), with_history=True))
    return con, settings, result, jia


@pytest.fixture(scope="module")
def rated(made: tuple[Any, Any, RateResult, str]) -> tuple[Any, str, str]:
    con, _, result, jia = made
    return con, result.report.run_id, jia


def test_a_run_just_made_reports_in_its_declared_shape(
    made: tuple[Any, Any, RateResult, str],
) -> None:
    _, _, result, _ = made
    assert result.history_made  # the history runs report in the same shape
    for report in (result.report, *result.history_made):
        assert mismatches(report.as_dict(), shapes.RunReportRecord) == []
        assert mismatches(report.summary, shapes.RunSummary) == []
        assert mismatches(report.manifest, shapes.Manifest) == []
        assert report.steps and all(mismatches(s, shapes.StepLog) == [] for s in report.steps)
    assert mismatches(result.as_dict(), shapes.RateRecord) == []


def test_an_export_says_its_provenance_in_the_declared_shape(
    made: tuple[Any, Any, RateResult, str], tmp_path: Path
) -> None:
    from rating.audit.export import export_run
    from rating.audit.shapes import ExportProvenance

    con, settings, result, _ = made
    written = export_run(con, settings, result.report.run_id, tmp_path / "x.csv", ("lists",))
    assert mismatches(dict(written.provenance), ExportProvenance) == []


def test_a_run_row_its_manifest_and_summary_have_their_declared_shapes(
    rated: tuple[Any, str, str],
) -> None:
    con, run_id, _ = rated
    info = explainer.run_row(con, run_id)
    assert mismatches(info, shapes.RunRow) == []
    assert "calendar" in info["manifest"] and "history" in info["manifest"]
    assert mismatches(explainer.provenance(info), shapes.Provenance) == []
    for item in explainer.runs_list(con):
        assert mismatches(item, shapes.RunListItem) == []


def test_an_explanation_and_the_lists_have_their_declared_shapes(
    rated: tuple[Any, str, str],
) -> None:
    con, run_id, jia = rated
    card = explainer.explain(con, run_id, jia)
    assert card["reasons"] and card["evidence"] and card["buckets"]  # the nested rows are read
    assert mismatches(card, shapes.Explanation) == []
    found, _ = explainer.list_companies(con, run_id, "grades")
    assert found and all(mismatches(row, shapes.CompanyListRow) == [] for row in found)


def test_the_checker_sees_a_missing_an_unknown_and_a_nested_key() -> None:
    good: dict[str, Any] = {"name": "2025Q3", "start": "2025-07-01", "end": "2025-09-30"}
    assert mismatches(good, shapes.PeriodRecord) == []
    assert mismatches({**good, "days": 92}, shapes.PeriodRecord) == [".days: not in PeriodRecord"]
    bad = {"rows": 1, "hash": "0" * 16}
    assert mismatches({"x": bad, "y": {"rows": 2}}, _Inputs) == [".y.hash: missing"]


class _Inputs(typing.TypedDict):
    x: shapes.InputFingerprint
    y: shapes.InputFingerprint


def test_the_stored_manifest_is_plain_json_unchanged_by_typing(
    rated: tuple[Any, str, str],
) -> None:
    """The manifest is stored as sorted JSON; reading it back and dumping it the same way
    gives the stored text (a TypedDict is a plain dict: nothing is added on the way)."""
    con, run_id, _ = rated
    stored = con.execute("SELECT manifest FROM runs WHERE run_id = $r", {"r": run_id}).fetchone()
    assert stored is not None
    parsed = explainer.run_row(con, run_id)["manifest"]
    assert type(parsed) is dict
    assert json.loads(stored[0]) == parsed
    assert isinstance(date.fromisoformat(parsed["period"]["start"]), date)


def test_a_replay_compares_tables_in_the_declared_shape(rated: tuple[Any, str, str]) -> None:
    from rating.audit import shapes as audit_shapes
    from rating.audit.compare import diff_table

    con, run_id, _ = rated
    same = diff_table(con, "run_companies", ("", run_id), ("", run_id))
    assert same == {"only_in_original": 0, "only_in_replay": 0, "changed": 0, "examples": []}
    other = diff_table(con, "run_companies", ("", run_id), ("", "2025Q2-01"))
    assert other["changed"] > 0 and other["examples"]  # 甲's 2025Q3 penalty moved its score
    assert mismatches(other, audit_shapes.DiffCounts) == []
