"""Audit: immutable rule versions, replay, impact, the publication ledger and verification."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from rating.audit import impact, publication, replay, verify
from rating.engine import explainer, runner
from rating.engine.runner import execute_run
from rating.engine.store import SCHEMES, results_digest
from rating.errors import ConflictError
from rating.ingest.loader import ingest_file
from rating.periods import Period
from rating.ruleset import registry
from rating.ruleset.diff import diff
from rating.ruleset.loader import load_ruleset
from rating.sql import rows, run, value
from tests.factories import RULES_DIR, Bureau, load, settings_for, write_csv
from tests.golden import scenarios

pytestmark = pytest.mark.slow  # end to end (CLI, API, generated cities): not in `make test-fast`

Q3 = Period.parse("2025Q3")


def _rules_copy(tmp: Path) -> Path:
    target = tmp / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def _variant(
    rules_dir: Path, edit: dict[str, str], version: str = "1.9.0", name: str = "yantai-2022"
) -> str:
    """A new version of Yantai with text replacements applied; returns its ref."""
    src = rules_dir / name / "1.0.0" / "ruleset.toml"
    text = src.read_text(encoding="utf-8").replace('version = "1.0.0"', f'version = "{version}"')
    for old, new in edit.items():
        assert old in text, old
        text = text.replace(old, new)
    (rules_dir / name / version).mkdir()
    (rules_dir / name / version / "ruleset.toml").write_text(text, encoding="utf-8")
    return f"{name}@{version}"


@pytest.fixture
def golden(tmp_path: Path) -> dict[str, Any]:
    rules_dir = _rules_copy(tmp_path)
    settings = settings_for(tmp_path).with_(rules_dir=rules_dir)
    con, settings, _ = load(scenarios.yantai(), tmp_path, settings)
    rs = load_ruleset(rules_dir, "yantai-2022@1.0.0")
    runs = {
        p: execute_run(con, settings, rs, Period.parse(p)).run_id
        for p in ("2025Q1", "2025Q2", "2025Q3")
    }
    return {"con": con, "settings": settings, "runs": runs, "rules_dir": rules_dir, "tmp": tmp_path}


def test_every_golden_run_replays_to_match(golden: dict[str, Any]) -> None:
    for run_id in golden["runs"].values():
        report = replay.replay(golden["con"], golden["settings"], run_id)
        assert report.status == "MATCH", report.as_dict()
        assert report.replay_sha256 == report.original_sha256


@pytest.mark.parametrize("scheme", SCHEMES)
def test_results_hashed_as_computed_equal_the_results_stored(
    golden: dict[str, Any], scheme: str
) -> None:
    """A replay hashes the recomputed results straight from the computed tables
    (`runner.computed_relations`) and stores them only when they differ from the record: under
    every scheme, each table's digest is the one of the rows `store` writes."""
    con, run_id = golden["con"], golden["runs"]["2025Q3"]
    info = explainer.run_row(con, run_id)
    ruleset = explainer.stored_ruleset(con, info["ruleset"], info["ruleset_files_sha256"])
    runner.compute(con, replay.context_from_manifest(info, ruleset))
    relations = runner.computed_relations(con, scheme)
    as_computed = results_digest(con, run_id, scheme=scheme, relations=relations)
    runner.store(con, run_id, prefix="replay_", scheme=scheme)
    assert as_computed == results_digest(con, run_id, prefix="replay_", scheme=scheme)
    assert len(as_computed[1]) >= 6


def test_a_matching_replay_stores_nothing(golden: dict[str, Any]) -> None:
    con = golden["con"]
    report = replay.replay(con, golden["settings"], golden["runs"]["2025Q3"])
    assert report.status == "MATCH"
    tables = rows(
        con, "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, 'replay_')"
    )
    assert tables == []


def test_evidence_stored_as_references_reads_back_every_record_as_counted(
    golden: dict[str, Any],
) -> None:
    """Runs store evidence as (source, batch, line) references (decision 0013), grouped per
    rule, company, project, source, batch and contribution with the lines in a list
    (`sha256-sorted-v5`, decision 0015); what readers see (`evidence_rows_sql`: explain,
    export, objections, what-if) is row for row what the run counted — its `hits`,
    recomputed by the replay — with each record's key and date read back from its source row."""
    from rating.engine.evidence import evidence_rows_sql

    con = golden["con"]
    for run_id in golden["runs"].values():
        assert replay.replay(con, golden["settings"], run_id).status == "MATCH"
        counted = rows(
            con,
            """SELECT rule_id, _company, _project, source, _key, _batch, _row, _date, contribution
               FROM hits ORDER BY ALL""",
        )
        shown = rows(
            con,
            f"""SELECT rule_id, company_uscc, project_id, source, record_key, batch_id, line,
                       record_date, points FROM ({evidence_rows_sql("e.run_id = $r")}) ORDER BY ALL""",
            {"r": run_id},
        )
        stored = rows(
            con,
            """SELECT sum(len(lines)), count(record_key), count(record_date), count(line),
                      count(*) FILTER (WHERE lines IS NULL)
               FROM run_evidence WHERE run_id = $r""",
            {"r": run_id},
        )
        groups = rows(
            con,
            "SELECT count(*) FROM (SELECT DISTINCT rule_id, _company, _project, source, _batch, contribution FROM hits)",
        )
        assert shown == counted and counted
        assert stored == [(len(counted), 0, 0, 0, 0)]
        assert (
            value(con, "SELECT count(*) FROM run_evidence WHERE run_id = $r", {"r": run_id})
            == (groups[0][0])
        )


def test_two_runs_over_the_same_inputs_store_byte_identical_grouped_evidence(
    golden: dict[str, Any],
) -> None:
    """A run's grouped evidence (decision 0015) does not depend on the order DuckDB's threads
    meet the hits: the same period rated again with four threads stores the same rows — each
    group's lines in the same order — and has the same results digest."""
    from rating.engine.store import RESULT_TABLES

    con, settings = golden["con"], golden["settings"]
    first = golden["runs"]["2025Q3"]
    con.execute("SET threads = 4")
    again = execute_run(
        con, settings, load_ruleset(golden["rules_dir"], "yantai-2022@1.0.0"), Q3, forced=True
    )
    columns = ", ".join(f'"{c}"' for c in RESULT_TABLES["run_evidence"])
    stored = {
        r: rows(con, f"SELECT {columns} FROM run_evidence WHERE run_id = $r ORDER BY ALL", {"r": r})
        for r in (first, again.run_id)
    }
    assert stored[first] == stored[again.run_id]
    assert stored[first] and all(row[-1] for row in stored[first])
    recorded = rows(
        con,
        "SELECT results_sha256 FROM runs WHERE run_id IN ($a, $b)",
        {"a": first, "b": again.run_id},
    )
    assert recorded == [(again.results_sha256,)] * 2


def test_replay_matches_after_later_ingests_and_corrections(golden: dict[str, Any]) -> None:
    con, settings, tmp = golden["con"], golden["settings"], golden["tmp"]
    later = Bureau()
    later.rows["complaints"] = [
        dict(r) for r in scenarios.yantai().rows["complaints"] if r["project_id"] == "P2"
    ]
    for r in later.rows["complaints"]:
        r["fact_finding"] = "不属实"  # the bureau corrects its finding
    later.complaint("P5", "2025-09-20", complaint_id="GD-LATE")  # and a late-arriving order
    for kind, path in later.write(tmp / "later"):
        result = ingest_file(con, settings, kind, path)
        assert result.rows_superseding == 5
    report = replay.replay(con, settings, golden["runs"]["2025Q3"])
    assert report.status == "MATCH", report.differences
    fresh = execute_run(con, settings, load_ruleset(golden["rules_dir"], "yantai-2022@1.0.0"), Q3)
    yi = rows(
        con,
        "SELECT score, grade FROM run_companies WHERE run_id = $r AND name = '乙物业'",
        {"r": fresh.run_id},
    )
    assert yi == [
        (60, "B")
    ]  # 80 − 20 (contracts) − 0 complaints: the correction counts in new runs only


def test_replay_names_what_differs(golden: dict[str, Any]) -> None:
    con, run_id = golden["con"], golden["runs"]["2025Q3"]
    run(
        con,
        "UPDATE run_companies SET score = 99 WHERE run_id = $r AND name = '甲物业'",
        {"r": run_id},
    )
    report = replay.replay(con, golden["settings"], run_id)
    assert report.status == "MISMATCH"
    assert report.tables["run_companies"]["changed"] == 1
    assert any("altered since" in d for d in report.differences)


def test_replay_names_a_row_stored_twice_and_a_row_deleted(golden: dict[str, Any]) -> None:
    """A copy of a stored row is one row only in the original (it was matched twice with the
    replay's one, and counted nowhere); a deleted row is one only in the replay, named by its
    own key (it was named by the missing side's empty key)."""
    con, run_id = golden["con"], golden["runs"]["2025Q3"]
    run(
        con,
        "INSERT INTO run_companies SELECT * FROM run_companies WHERE run_id = $r AND name = '甲物业'",
        {"r": run_id},
    )
    gone = rows(
        con,
        "SELECT project_id FROM run_projects WHERE run_id = $r ORDER BY project_id LIMIT 1",
        {"r": run_id},
    )[0][0]
    run(
        con,
        "DELETE FROM run_projects WHERE run_id = $r AND project_id = $p",
        {"r": run_id, "p": gone},
    )
    report = replay.replay(con, golden["settings"], run_id)
    assert report.status == "MISMATCH"
    twice = report.tables["run_companies"]
    assert (twice["only_in_original"], twice["only_in_replay"], twice["changed"]) == (1, 0, 0)
    assert twice["examples"][0]["only_left"] and twice["examples"][0]["key"].strip(" |")
    deleted = report.tables["run_projects"]
    assert (deleted["only_in_original"], deleted["only_in_replay"], deleted["changed"]) == (0, 1, 0)
    assert gone in deleted["examples"][0]["key"]


def test_replay_pairs_identical_rows_first(golden: dict[str, Any]) -> None:
    """A forged copy of a row that sorts before the true one is still the row only in the
    run (the true one was paired by rank and reported as changed), and a row moved onto
    another key is one row only in each side, not also a change of the other key's row
    (found by a fresh-eyes check)."""
    con, run_id = golden["con"], golden["runs"]["2025Q3"]
    uscc = rows(
        con, "SELECT uscc FROM run_companies WHERE run_id = $r ORDER BY uscc", {"r": run_id}
    )
    run(
        con,
        "INSERT INTO run_companies SELECT * REPLACE ('0' AS grade) FROM run_companies "
        "WHERE run_id = $r AND uscc = $u",
        {"r": run_id, "u": uscc[0][0]},
    )
    run(
        con,
        "UPDATE run_companies SET uscc = $to WHERE run_id = $r AND uscc = $u",
        {"r": run_id, "u": uscc[1][0], "to": uscc[2][0]},
    )
    diff = replay.replay(con, golden["settings"], run_id).tables["run_companies"]
    assert (diff["only_in_original"], diff["only_in_replay"], diff["changed"]) == (2, 1, 0)
    assert all(e["changed"] == [] for e in diff["examples"])
    assert {e["key"] for e in diff["examples"] if e["only_right"]} == {uscc[1][0]}


def test_published_rule_versions_are_immutable(golden: dict[str, Any]) -> None:
    con, settings, rules_dir = golden["con"], golden["settings"], golden["rules_dir"]
    publication.publish(con, settings, golden["runs"]["2025Q3"], force=True)
    path = rules_dir / "yantai-2022" / "1.0.0" / "ruleset.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("points = -0.5", "points = -0.7"), encoding="utf-8"
    )
    edited = load_ruleset(rules_dir, "yantai-2022@1.0.0")
    with pytest.raises(ConflictError) as err:
        execute_run(con, settings, edited, Q3)
    assert err.value.code == "RULESET_IMMUTABLE"
    problems = verify.verify(con, rules_dir).problems
    assert [p["code"] for p in problems] == ["RULE_FILE_ALTERED"]
    assert problems[0]["files"] == ["ruleset.toml"]


def test_verify_detects_each_kind_of_tampering(golden: dict[str, Any]) -> None:
    con, settings = golden["con"], golden["settings"]
    for run_id in (golden["runs"]["2025Q2"], golden["runs"]["2025Q3"]):
        publication.publish(con, settings, run_id, force=True)
    clean = verify.verify(con, golden["rules_dir"])
    assert clean.ok and clean.records == 2 and clean.published_runs == 2
    q3 = golden["runs"]["2025Q3"]
    uscc = value(
        con, "SELECT uscc FROM run_companies WHERE run_id = $r AND name = '丁物业'", {"r": q3}
    )
    run(
        con,
        "UPDATE run_companies SET black = false WHERE run_id = $r AND uscc = $u",
        {"r": q3, "u": uscc},
    )
    found = verify.verify(con, golden["rules_dir"]).problems
    assert [p["code"] for p in found] == ["RESULT_ALTERED"]
    assert (
        found[0]["rows"] == [{"row": uscc, "change": "altered"}]
        and found[0]["table"] == "run_companies"
    )
    run(
        con,
        "UPDATE runs SET manifest = json_object('forged', true) WHERE run_id = $r",
        {"r": golden["runs"]["2025Q2"]},
    )
    codes = {p["code"] for p in verify.verify(con, golden["rules_dir"]).problems}
    assert codes == {"RESULT_ALTERED", "MANIFEST_ALTERED", "RUN_RECORD_ALTERED"}
    run(con, "UPDATE ledger SET payload = json_object('forged', true) WHERE seq = 1")
    codes = {p["code"] for p in verify.verify(con, golden["rules_dir"]).problems}
    assert "LEDGER_RECORD_ALTERED" in codes


@pytest.mark.parametrize(
    "scheme", ["sha256-sorted-v2", "sha256-sorted-v3", "sha256-sorted-v4", "md5-sum-v1"]
)
def test_a_run_hashed_under_a_previous_digest_still_replays_publishes_and_verifies(
    golden: dict[str, Any], scheme: str
) -> None:
    """Runs keep the scheme they were made with (`sha256-sorted-v2` before issue 21 session 3,
    `sha256-sorted-v3` before session 6, both storing every evidence column; `-v4` before
    session 10, one reference per record; decisions 0013, 0015): a run made so — its evidence
    rewritten in the older layout, one row per (rule point, record) with `lines` NULL — is
    replayed, published and verified under it, and an altered row still fails under it."""
    from rating.engine.evidence import evidence_rows_sql, expanded_evidence_sql
    from rating.engine.store import DIGEST, stores_references

    con, settings = golden["con"], golden["settings"]
    q3 = golden["runs"]["2025Q3"]
    v5 = value(con, "SELECT results_sha256 FROM runs WHERE run_id = $r", {"r": q3})
    assert v5 == results_digest(con, q3, scheme=DIGEST)[0]
    assert (
        value(con, "SELECT count(record_key) FROM run_evidence WHERE run_id = $r", {"r": q3}) == 0
    )
    # The run as the older engine stored it: one row per (rule point, record), and before
    # `sha256-sorted-v4` with the record's key and date.
    run(
        con,
        f"""CREATE TEMP TABLE one_per_record AS
            SELECT *, NULL::BIGINT[] AS lines FROM ({expanded_evidence_sql("e.run_id = $r")})""",
        {"r": q3},
    )
    run(con, "DELETE FROM run_evidence WHERE run_id = $r", {"r": q3})
    run(con, "INSERT INTO run_evidence SELECT * FROM one_per_record")
    if not stores_references(scheme):
        run(
            con,
            f"""UPDATE run_evidence e SET record_key = f.record_key, record_date = f.record_date
                FROM ({evidence_rows_sql("e.run_id = $r")}) f
                WHERE e.run_id = $r AND f.rule_id = e.rule_id AND f.company_uscc = e.company_uscc
                  AND f.project_id IS NOT DISTINCT FROM e.project_id AND f.source = e.source
                  AND f.batch_id = e.batch_id AND f.line = e.line""",
            {"r": q3},
        )
    assert value(
        con,
        "SELECT count(*) FILTER (WHERE record_key IS NULL) FROM run_evidence WHERE run_id = $r",
        {"r": q3},
    ) == (value(con, "SELECT count(*) FROM one_per_record") if stores_references(scheme) else 0)
    older, _ = results_digest(con, q3, scheme=scheme)
    assert older != v5
    run(
        con,
        """UPDATE runs SET results_sha256 = $d,
               manifest = json_merge_patch(manifest, json_object('results_digest', $s))
           WHERE run_id = $r""",
        {"d": older, "s": scheme, "r": q3},
    )
    report = replay.replay(con, settings, q3)
    assert report.status == "MATCH" and report.replay_sha256 == older, report.as_dict()
    publication.publish(con, settings, q3, force=True)
    assert verify.verify(con, golden["rules_dir"]).ok
    # A list written into a row of the older layout changes what readers show (they expand
    # any list): it fails as any other edit does, though the older schemes never hashed it.
    one = "run_id = $r AND rule_id = $rule AND batch_id = $b AND line = $n"
    rule, batch, line = rows(
        con, "SELECT rule_id, batch_id, line FROM run_evidence WHERE run_id = $r LIMIT 1", {"r": q3}
    )[0]
    key = {"r": q3, "rule": rule, "b": batch, "n": line}
    run(con, f"UPDATE run_evidence SET lines = [line + 1] WHERE {one}", key)
    codes = {p["code"] for p in verify.verify(con, golden["rules_dir"]).problems}
    assert codes == {"RESULT_ALTERED"}
    assert replay.replay(con, settings, q3).status == "MISMATCH"
    run(con, f"UPDATE run_evidence SET lines = NULL WHERE {one}", key)
    assert verify.verify(con, golden["rules_dir"]).ok
    run(con, "UPDATE run_companies SET black = NOT black WHERE run_id = $r", {"r": q3})
    codes = {p["code"] for p in verify.verify(con, golden["rules_dir"]).problems}
    assert codes == {"RESULT_ALTERED"}
    assert replay.replay(con, settings, q3).status == "MISMATCH"


def test_publishing_twice_or_altered_results_is_refused(golden: dict[str, Any]) -> None:
    con, settings, q3 = golden["con"], golden["settings"], golden["runs"]["2025Q3"]
    publication.publish(con, settings, q3, force=True)
    with pytest.raises(ConflictError):
        publication.publish(con, settings, q3, force=True)
    q2 = golden["runs"]["2025Q2"]
    run(con, "UPDATE run_projects SET score = 1 WHERE run_id = $r", {"r": q2})
    with pytest.raises(ConflictError) as err:
        publication.publish(con, settings, q2, force=True)
    assert err.value.code == "RESULTS_ALTERED"


def test_impact_of_a_version_against_itself_is_empty(golden: dict[str, Any]) -> None:
    rs = load_ruleset(golden["rules_dir"], "yantai-2022@1.0.0")
    report = impact.impact_of_run(golden["con"], golden["runs"]["2025Q3"], rs)
    assert report.empty and report.companies == 10
    assert all(after == before for before, row in report.transitions.items() for after in row)


def test_impact_on_a_hand_made_case(golden: dict[str, Any]) -> None:
    """Drop 'stays B' and soften the 8–16 complaint band from −10 to −5. By hand: 乙 goes B → C
    (45 < 60 no longer saved), 戊 scores 75 instead of 70 (still A); nobody else moves."""
    ref = _variant(
        golden["rules_dir"],
        {
            '[[grades.overrides]]\nid = "stays-b"': '[[grades.overrides]]\nid = "stays-b-off"',
            'when = "score < 60 AND count_bad = 0"': 'when = "false"',
            "{ upto = 16, points = -10 }": "{ upto = 16, points = -5 }",
        },
    )
    candidate = load_ruleset(golden["rules_dir"], ref)
    report = impact.impact_of_run(golden["con"], golden["runs"]["2025Q3"], candidate)
    assert report.grades_changed == 1
    assert report.transitions["B"] == {"C": 1}
    changed = {c["name"]: c for c in report.changed}
    assert set(changed) == {"乙物业", "戊物业"}
    assert changed["乙物业"]["grade"] == ["B", "C"] and changed["乙物业"]["rules"] == []
    assert [float(x) for x in changed["戊物业"]["score"]] == [70.0, 75.0]
    assert changed["戊物业"]["rules"] == [{"rule_id": "P-CMP-RATE", "base": -10, "candidate": -5}]
    assert report.downgrades == {"added": [], "removed": []}
    assert all(not m["entering"] and not m["leaving"] for m in report.lists.values())
    between = impact.impact_between(
        golden["con"],
        golden["settings"],
        Q3,
        load_ruleset(golden["rules_dir"], "yantai-2022@1.0.0"),
        candidate,
    )
    assert between.transitions["B"] == {"C": 1} and between.grades_changed == 1


def test_rules_diff_names_each_change(golden: dict[str, Any]) -> None:
    ref = _variant(
        golden["rules_dir"],
        {"points = -0.5": "points = -0.6", "有效投诉整改后回访不满意": "回访不满意"},
    )
    d = diff(
        load_ruleset(golden["rules_dir"], "yantai-2022@1.0.0"),
        load_ruleset(golden["rules_dir"], ref),
    )
    assert not d["same_logic"]
    assert d["rules_changed"]["P-CMP-LATE"][0] == {
        "field": "points",
        "from": "-0.5",
        "to": "-0.6",
        "kind": "logic",
    }
    assert d["rules_changed"]["P-CMP-DISSAT"][0]["kind"] == "wording"
    assert any(c["field"] == "ruleset.version" for c in d["settings"])


def test_shadow_period_scores_without_sanctions(golden: dict[str, Any]) -> None:
    ref = _variant(
        golden["rules_dir"],
        {"effective_from = 2022-07-01": "effective_from = 2022-07-01\nshadow_until = 2025-12-31"},
    )
    report = execute_run(
        golden["con"], golden["settings"], load_ruleset(golden["rules_dir"], ref), Q3
    )
    assert (
        report.summary["shadow"]
        and report.summary["black"] == 0
        and report.summary["downgrades"] == 0
    )
    bing = rows(
        golden["con"],
        "SELECT grade, black, sanctions_suspended, black_reason FROM run_companies "
        "WHERE run_id = $r AND name = '丙物业'",
        {"r": report.run_id},
    )[0]
    assert bing[:3] == ("C", False, True) and "shadow" in bing[3]


def test_the_version_in_force_is_chosen_and_force_is_recorded(golden: dict[str, Any]) -> None:
    rules_dir = golden["rules_dir"]
    _variant(
        rules_dir, {"effective_from = 2022-07-01": "effective_from = 2025-07-01"}, version="2.0.0"
    )
    assert (
        registry.select(rules_dir, None, "yantai-2022", Period.parse("2025Q2"), False).ref
        == "yantai-2022@1.1.0"
    )
    assert registry.select(rules_dir, None, "yantai-2022", Q3, False).ref == "yantai-2022@2.0.0"
    haikou = registry.select(rules_dir, "haikou-2019@1.0.0", "yantai-2022", Q3, True)
    report = execute_run(golden["con"], golden["settings"], haikou, Q3, forced=True)
    assert report.manifest["parameters"]["forced"] is True
    assert (
        value(golden["con"], "SELECT forced FROM runs WHERE run_id = $r", {"r": report.run_id})
        is True
    )


def test_history_prefers_published_runs(golden: dict[str, Any]) -> None:
    con, settings = golden["con"], golden["settings"]
    rs = load_ruleset(golden["rules_dir"], "yantai-2022@1.0.0")
    again = execute_run(con, settings, rs, Period.parse("2025Q2"))  # a newer Q2 run
    publication.publish(
        con, settings, golden["runs"]["2025Q2"], force=True
    )  # but the older one is published
    q3 = execute_run(con, settings, rs, Q3)
    assert {"periods_back": 1, "run_id": golden["runs"]["2025Q2"]} in q3.manifest["history_runs"]
    assert again.run_id != golden["runs"]["2025Q2"]


def test_cli_exit_codes(
    golden: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rating.cli import main

    con, settings = golden["con"], golden["settings"]
    db = str(settings.db_path)
    con.close()
    monkeypatch.setenv("RATING_RULES_DIR", str(golden["rules_dir"]))
    q3 = golden["runs"]["2025Q3"]
    assert main(["publish", q3, "--force", "--db", db, "--json"]) == 0
    assert main(["replay", q3, "--db", db, "--json"]) == 0
    assert '"status": "MATCH"' in capsys.readouterr().out
    assert main(["verify", "--db", db, "--json"]) == 0
    capsys.readouterr()
    import duckdb

    with duckdb.connect(db) as raw:
        raw.execute("UPDATE run_companies SET grade = 'AAA' WHERE run_id = $r", {"r": q3})
    assert main(["verify", "--db", db, "--json"]) == 1
    assert '"ok": false' in capsys.readouterr().out
    assert main(["replay", q3, "--db", db, "--json"]) == 1
    capsys.readouterr()
    monkeypatch.setenv("RATING_LANG", "en")
    assert main(["replay", q3, "--db", db]) == 1
    text = capsys.readouterr().out
    assert "run_companies: 0 only in the run, 0 only in the replay" in text
    assert "    changed: " in text and "(grade" in text  # each differing row named
    write_csv  # noqa: B018 - imported for other tests' helpers
