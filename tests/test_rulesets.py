"""Rule sets load, check every expression, and refuse what is not allowed — with the rule id."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from rating.errors import RuleSetError
from rating.ruleset.fingerprint import logic_and_wording
from rating.ruleset.loader import list_rulesets, load_from_bytes, load_ruleset
from tests.factories import RULES_DIR

YANTAI = (RULES_DIR / "yantai-2022" / "1.0.0" / "ruleset.toml").read_text(encoding="utf-8")


def test_every_shipped_rule_set_loads() -> None:
    shipped = list_rulesets(RULES_DIR)
    assert ("yantai-2022", "1.0.0") in shipped and ("haikou-2019", "1.0.0") in shipped
    for name, version in shipped:
        rs = load_ruleset(RULES_DIR, f"{name}@{version}")
        assert rs.rules and all(r.rule.clause for r in rs.rules), "every rule cites its source"


def _with_rule(extra: str) -> dict[str, bytes]:
    return {"ruleset.toml": (YANTAI + "\n" + extra).encode()}


BAD_RULES = {
    "unknown column": ('when = "households_typo > 1"', "unknown name 'households_typo'"),
    "subquery": ('when = "project_id IN (SELECT project_id FROM src_projects)"', "IN takes a list"),
    "table name": ('when = "src_complaints.verified"', "without a table"),
    "function": ("when = \"read_csv('/etc/passwd') IS NOT NULL\"", "not allowed"),
    "two statements": ('when = "true; DROP TABLE runs"', "only one expression"),
    "parameter": ('when = "received_at > $1"', "not allowed"),
    "type": ('when = "category + 1 > 2"', "when:"),
    "not boolean": ('when = "content"', "when:"),
}


@pytest.mark.parametrize("case", sorted(BAD_RULES))
def test_bad_expressions_are_refused_with_the_rule_id(case: str) -> None:
    when, reason = BAD_RULES[case]
    rule = f'[[rule]]\nid = "X-BAD"\ntitle = "bad"\nclause = "none"\nsource = "complaints"\n{when}\nmeasure = "each"\npoints = -1\n'
    with pytest.raises(RuleSetError) as err:
        load_from_bytes(_with_rule(rule))
    problems = err.value.problems
    assert any(p.rule == "X-BAD" and reason in p.message for p in problems), [
        str(p) for p in problems
    ]


def test_all_problems_are_collected_at_once() -> None:
    rules = (
        "".join(
            f'[[rule]]\nid = "X{i}"\ntitle = "t"\nsource = "complaints"\nwhen = "nope{i}"\nmeasure = "each"\npoints = -1\n'
            for i in range(3)
        )
        + '[[rule]]\nid = "X9"\ntitle = "t"\nsource = "events"\nmeasure = "count"\n'
    )
    with pytest.raises(RuleSetError) as err:
        load_from_bytes(_with_rule(rules))
    ids = {p.rule for p in err.value.problems}
    assert {"X0", "X1", "X2", "X9"} <= ids


def test_structural_faults() -> None:
    text = YANTAI.replace('{ grade = "AA", min = 80 }', '{ grade = "AA", min = 90 }')
    with pytest.raises(RuleSetError) as err:
        load_from_bytes({"ruleset.toml": text.encode()})
    assert any("fall strictly" in p.message for p in err.value.problems)
    with pytest.raises(RuleSetError) as err2:
        load_from_bytes({"ruleset.toml": b"[ruleset\nname = 1"})
    assert err2.value.problems[0].code == "RULESET_SYNTAX"
    with pytest.raises(RuleSetError) as err3:
        load_from_bytes(
            {
                "ruleset.toml": YANTAI.replace(
                    "cap = 10\n", "cap = 10\nunknown_field = 1\n", 1
                ).encode()
            }
        )
    assert any(p.code == "RULESET_FIELD" and p.rule == "P-CMP-LATE" for p in err3.value.problems)


def test_fingerprint_separates_logic_from_wording() -> None:
    base = load_from_bytes({"ruleset.toml": YANTAI.encode()}).fingerprint
    reworded = load_from_bytes(
        {"ruleset.toml": YANTAI.replace("有效投诉未按规定时间办结", "投诉逾期办结").encode()}
    ).fingerprint
    renumbered = load_from_bytes(
        {"ruleset.toml": YANTAI.replace("points = -0.5", "points = -0.6").encode()}
    ).fingerprint
    assert reworded.logic == base.logic and reworded.wording != base.wording
    assert renumbered.logic != base.logic and renumbered.wording == base.wording
    assert len({base.files, reworded.files, renumbered.files}) == 3


def test_name_must_match_folder(tmp_path: Path) -> None:
    folder = tmp_path / "other" / "1.0.0"
    folder.mkdir(parents=True)
    (folder / "ruleset.toml").write_text(YANTAI, encoding="utf-8")
    with pytest.raises(RuleSetError) as err:
        load_ruleset(tmp_path, "other@1.0.0")
    assert err.value.problems[0].code == "RULESET_NAME_MISMATCH"


def test_shrink_is_refused_where_it_has_no_meaning() -> None:
    """`shrink` needs a project rule counting records per 1,000 households, and a prior."""
    from tests.derived import with_rule_option

    for rule_id in ("P-CMP-LATE", "P-STREET", "G-INFO"):  # each, avg, a company rule
        with pytest.raises(RuleSetError) as err:
            with_rule_option(
                "yantai-2022@1.0.0", rule_id, "shrink", {"prior_households": 500}, "1.1.0"
            )
        assert any(p.rule == rule_id and "shrink applies" in p.message for p in err.value.problems)
    for bad in (
        {"towards": "district"},
        {"prior_households": 0},
        {"prior_households": 500, "towards": "street"},
    ):
        with pytest.raises(RuleSetError) as err:
            with_rule_option("yantai-2022@1.0.0", "P-CMP-RATE", "shrink", bad, "1.9.0")
        assert [p.code for p in err.value.problems] == ["RULESET_FIELD"], bad
        assert err.value.problems[0].rule == "P-CMP-RATE"


def test_shrink_is_logic_and_leaves_published_fingerprints_alone() -> None:
    from tests.derived import with_rule_option

    base = load_ruleset(RULES_DIR, "yantai-2022@1.0.0")
    shrunk = with_rule_option(
        "yantai-2022@1.0.0", "P-CMP-RATE", "shrink", {"prior_households": 500}, "1.0.0"
    )
    assert shrunk.definition.rule("P-CMP-RATE").shrink is not None
    assert shrunk.fingerprint.logic != base.fingerprint.logic
    assert shrunk.fingerprint.wording == base.fingerprint.wording
    # unset, the option is not part of the fingerprint: versions published before it existed
    # keep the logic fingerprint their runs recorded (pinned in tests/test_shrinkage.py)
    assert "shrink" not in str(logic_and_wording(base.definition)[0])


def test_a_wording_revision_shares_the_logic_and_is_in_force_from_its_date() -> None:
    """yantai-2022@1.0.1 rewords 1.0.0 (a Chinese clause instead of an English translation,
    what each grade means): one logic fingerprint; 2026Q3 on are rated under 1.0.1."""
    from rating.periods import Period
    from rating.ruleset import registry
    from rating.ruleset.diff import RulesetDiff, diff
    from tests.test_shapes import mismatches

    old, new = (load_ruleset(RULES_DIR, f"yantai-2022@{v}") for v in ("1.0.0", "1.0.1"))
    assert new.fingerprint.logic == old.fingerprint.logic
    assert new.fingerprint.wording != old.fingerprint.wording
    changes = diff(old, new)
    assert mismatches(changes, RulesetDiff) == []  # the declared shape is what it hands over
    kinds = {c["kind"] for c in changes["settings"]} | {
        c["kind"] for found in changes["rules_changed"].values() for c in found
    }
    assert changes["same_logic"] and kinds == {"wording", "version"}
    assert not re.search(r"[A-Za-z]{4,}", new.definition.rule("P-CMP-RATE").clause)
    assert [b.meaning for b in new.definition.grades.bands][0] == "信用优秀"
    chosen = {
        p: registry.select(RULES_DIR, None, "yantai-2022", Period.parse(p), False).ref
        for p in ("2026Q2", "2026Q3", "2026Q4")
    }
    # 1.1.0 (1.0.0's logic with consequences) and its rewordings 1.1.1 (1.0.1's words with the
    # same consequences), 1.1.2 (1.1.1's with the public bases), 1.1.3 (the red list's and the
    # bad-information bases reworded) are chosen over them:
    # same start, higher number
    assert chosen == {
        "2026Q2": "yantai-2022@1.1.0",
        "2026Q3": "yantai-2022@1.1.3",
        "2026Q4": "yantai-2022@1.1.3",
    }


def test_the_consequences_version_is_reworded_as_1_0_1_rewords_1_0_0() -> None:
    """yantai-2022@1.1.1 is to 1.1.0 what 1.0.1 is to 1.0.0: one logic fingerprint, the same
    consequences, 1.0.1's words; published 1.0.0 and 1.0.1 keep their fingerprints."""
    from rating.ruleset.diff import diff

    v = {
        x: load_ruleset(RULES_DIR, f"yantai-2022@{x}")
        for x in ("1.0.0", "1.0.1", "1.1.0", "1.1.1", "1.1.2", "1.1.3")
    }
    assert v["1.1.1"].fingerprint.logic == v["1.1.0"].fingerprint.logic
    assert v["1.1.2"].fingerprint.logic == v["1.1.0"].fingerprint.logic  # public bases only
    assert diff(v["1.1.1"], v["1.1.2"])["same_logic"]
    # 1.1.3: the red list's public basis no longer reads as A级以上 beside a list of AAA
    assert v["1.1.3"].fingerprint.logic == v["1.1.0"].fingerprint.logic
    red = v["1.1.3"].definition.lists.red
    assert red is not None and "信用优秀且无" in red.basis and "未规定红名单" in red.basis
    # … and the bad-information rules cite the clause that deducts
    changed = diff(v["1.1.2"], v["1.1.3"])
    assert changed["same_logic"] and set(changed["rules_changed"]) == {"B-INFO", "B-SERIOUS"}
    assert v["1.1.0"].fingerprint.logic != v["1.0.0"].fingerprint.logic
    assert v["1.1.1"].definition.consequences == v["1.1.0"].definition.consequences
    assert diff(v["1.1.0"], v["1.1.1"])["same_logic"]
    meanings = {x: [b.meaning for b in v[x].definition.grades.bands] for x in ("1.0.1", "1.1.1")}
    assert meanings["1.1.1"] == meanings["1.0.1"] and meanings["1.1.1"][0] == "信用优秀"
    clause = v["1.1.1"].definition.rule("P-CMP-RATE").clause
    assert clause == v["1.0.1"].definition.rule("P-CMP-RATE").clause


def test_a_wording_revision_that_changes_logic_is_refused(tmp_path: Path) -> None:
    shutil.copytree(RULES_DIR / "yantai-2022", tmp_path / "yantai-2022")
    path = tmp_path / "yantai-2022" / "1.0.1" / "ruleset.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("points = -0.5", "points = -0.6"),
        encoding="utf-8",
    )
    with pytest.raises(RuleSetError) as err:
        load_ruleset(tmp_path, "yantai-2022@1.0.1")
    assert [p.code for p in err.value.problems] == ["RULESET_REWORDS"]
    assert "rating rules diff yantai-2022@1.0.0 yantai-2022@1.0.1" in err.value.problems[0].message


def test_a_wording_revision_checks_its_original_only_when_in_doubt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading 1.0.1 (a wording revision of 1.0.0 with its logic) checks 1.0.1 alone: equal
    logic means 1.0.0 would pass the same checks (issue 21: the run checked both). A broken
    original is still named, with the reason its own load gives."""
    from rating.ruleset import loader

    shutil.copytree(RULES_DIR / "yantai-2022", tmp_path / "yantai-2022")
    checked: list[str] = []
    real = loader._check
    monkeypatch.setattr(loader, "_CHECKED", {})
    monkeypatch.setattr(loader, "_check", lambda f, o: checked.append(o) or real(f, o))
    assert load_ruleset(tmp_path, "yantai-2022@1.0.1").ref == "yantai-2022@1.0.1"
    assert [Path(o).parent.name for o in checked] == ["1.0.1"]
    original = tmp_path / "yantai-2022" / "1.0.0" / "ruleset.toml"
    original.write_text("[ruleset\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as err:
        load_ruleset(tmp_path, "yantai-2022@1.0.1")
    assert [p.code for p in err.value.problems] == ["RULESET_REWORDS"]
    assert "does not load" in err.value.problems[0].message


def test_type_checks_bind_in_one_empty_warehouse_per_process() -> None:
    from rating.ruleset import typecheck

    with typecheck.binding_warehouse() as a, typecheck.binding_warehouse() as b:
        assert a is not b  # a cursor each
        assert len(typecheck._BINDING) == 1
        for con in (a, b):  # the arithmetic macros are TEMP: each cursor has them
            assert con.execute("SELECT rating_mod(7, 3)").fetchone() == (1,)


def _bad_rule(when: str) -> str:
    return (
        f'[[rule]]\nid = "X-BIG"\ntitle = "big"\nclause = "none"\nsource = "complaints"\n'
        f'when = "{when}"\nmeasure = "each"\npoints = -1\n'
    )


@pytest.mark.parametrize(
    "when",
    [
        "(" * 40 + "true" + ")" * 40,  # nested too deep
        "petitioners > 0 AND " * 120 + "true",  # too long
        "petitioners IN (" + ", ".join(["1"] * 450) + ")",  # too many parts
        "NOT " * 300 + "true",  # the parser would recurse without end
    ],
)
def test_expression_size_and_depth_are_bounded_with_their_own_code(when: str) -> None:
    with pytest.raises(RuleSetError) as err:
        load_from_bytes(_with_rule(_bad_rule(when)))
    codes = {(p.code, p.rule) for p in err.value.problems}
    assert ("RULESET_EXPRESSION_TOO_COMPLEX", "X-BIG") in codes, codes


def test_casts_cannot_fail_a_run(tmp_path: Path) -> None:
    """A cast of text that does not convert is NULL (TRY_CAST), a remainder by zero NULL:
    the run completes and the rule simply does not match those records."""
    from rating.engine.runner import execute_run
    from rating.periods import Period
    from tests.factories import load
    from tests.golden import scenarios

    rules = tmp_path / "rules"
    (rules / "yantai-2022" / "1.2.0").mkdir(parents=True)
    extra = _bad_rule("CAST(category AS INT) > 3 OR petitioners % (petitioners - petitioners) = 1")
    text = YANTAI.replace('version = "1.0.0"', 'version = "1.2.0"') + "\n" + extra
    (rules / "yantai-2022" / "1.2.0" / "ruleset.toml").write_text(text, encoding="utf-8")
    rs = load_ruleset(rules, "yantai-2022@1.2.0")
    sql = [c for c in rs.rules if c.rule.id == "X-BIG"][0].when.sql()
    # `%` is the exact-arithmetic macro, empty when the divisor is 0 (rating.ruleset.arithmetic)
    assert "TRY_CAST" in sql and "RATING_MOD(" in sql
    con, settings, _ = load(scenarios.yantai(), tmp_path)
    report = execute_run(con, settings.with_(rules_dir=rules), rs, Period.parse("2025Q3"))
    hits = con.execute(
        "SELECT count(*) FROM run_rule_points WHERE run_id = $r AND rule_id = 'X-BIG' AND records > 0",
        {"r": report.run_id},
    ).fetchone()
    con.close()
    assert hits == (0,)


def _broken_copy(tmp_path: Path) -> Path:
    """The shipped rules plus a draft 9.0.0 of Yantai with a faulty rule and a folder whose
    TOML does not parse."""
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    draft = rules / "yantai-2022" / "9.0.0"
    draft.mkdir()
    text = YANTAI.replace('version = "1.0.0"', 'version = "9.0.0"')
    text = text.replace("effective_from = ", "effective_from = 2099-01-01\n# was: ", 1)
    (draft / "ruleset.toml").write_text(text + "\n" + _bad_rule("nope > 1"), encoding="utf-8")
    (rules / "yantai-2022" / "9.1.0").mkdir()
    (rules / "yantai-2022" / "9.1.0" / "ruleset.toml").write_text("[ruleset\n", encoding="utf-8")
    return rules


def test_rules_validate_reports_every_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from rating.cli import main

    monkeypatch.setenv("RATING_RULES_DIR", str(_broken_copy(tmp_path)))
    assert main(["rules", "validate", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert {"yantai-2022@1.0.0", "haikou-2019@1.0.0"} <= set(out["checked"])
    failed = {f["ref"]: f for f in out["failed"]}
    assert set(failed) == {"yantai-2022@9.0.0", "yantai-2022@9.1.0"}
    assert any(p["rule"] == "X-BIG" for p in failed["yantai-2022@9.0.0"]["problems"])
    assert main(["rules", "list", "--json"]) == 0
    listed = {r["ref"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["yantai-2022@9.1.0"]["broken"] and "logic_sha256" in listed["yantai-2022@1.0.0"]


def test_a_broken_folder_does_not_block_runs(tmp_path: Path) -> None:
    from rating.periods import Period
    from rating.ruleset import registry

    rules = _broken_copy(tmp_path)
    chosen = registry.select(rules, None, "yantai-2022", Period.parse("2025Q3"), False)
    assert chosen.ref == "yantai-2022@1.1.0"
    assert registry.select(rules, "haikou-2019@1.0.0", "yantai-2022", Period.parse("2020Q3"), False)
    with pytest.raises(RuleSetError):  # the draft itself, once in force, is refused in full
        registry.select(rules, None, "yantai-2022", Period.parse("2099Q1"), False)


def test_choosing_the_version_in_force_reads_each_header_once_per_process() -> None:
    """`rating run` chooses the version twice (command, planner): the headers are parsed once."""
    from rating.periods import Period
    from rating.ruleset import registry

    registry._header_of.cache_clear()
    versions = [v for n, v in list_rulesets(RULES_DIR) if n == "yantai-2022"]
    for _ in range(2):
        rs = registry.select(RULES_DIR, None, "yantai-2022", Period.parse("2026Q3"), False)
        assert rs.ref == "yantai-2022@1.1.3"  # the public wording revision, from 2026-07-01
    assert registry._header_of.cache_info().misses == len(versions)
