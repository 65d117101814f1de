"""The tampering matrix: what a person with write access to the warehouse (and to the rule
folder) could attempt, each on its own copy of a warehouse with two published runs, a
signing key and an anchored head. Every attempt must be detected by `verify` — by itself,
or given the anchored head and the bureau's public key where only something kept outside
the warehouse can tell (a ledger truncated or rewritten whole, a forged record with a
correct hash)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rating.audit import ledger, publication, replay, signing, verify
from rating.engine import explainer
from rating.engine.evidence import evidence_rows_sql
from rating.engine.runner import execute_run
from rating.engine.store import LEGACY_DIGEST, RESULT_TABLES, digest_columns, table_digest
from rating.periods import Period
from rating.ruleset.loader import load_ruleset
from rating.settings import Settings
from rating.sql import rows, run, value
from rating.warehouse import open_warehouse
from tests.factories import RULES_DIR, load, publish_after_publicity, settings_for
from tests.golden import scenarios

# Audit end to end, as tests/test_audit.py: each attempt publishes, tampers, verifies and
# replays a copy of a warehouse. `make test` and CI; `make test-fast` is unit and golden tests.
pytestmark = pytest.mark.slow


@dataclass
class Published:
    db: Path
    rules_dir: Path
    settings: Settings
    public_key: Path
    head: str
    runs: dict[str, str]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    tmp = tmp_path_factory.mktemp("tamper")
    rules_dir = tmp / "rules"
    shutil.copytree(RULES_DIR, rules_dir)
    signing.generate(tmp / "bureau.key", tmp / "bureau.pub")
    settings = settings_for(tmp).with_(rules_dir=rules_dir, signing_key=tmp / "bureau.key")
    con, settings, _ = load(scenarios.yantai(), tmp, settings)
    rs = load_ruleset(rules_dir, "yantai-2022@1.0.0")
    runs = {
        p: execute_run(con, settings, rs, Period.parse(p)).run_id
        for p in ("2025Q1", "2025Q2", "2025Q3")
    }
    publish_after_publicity(con, settings, runs["2025Q2"], datetime(2025, 10, 15, 10))
    publish_after_publicity(con, settings, runs["2025Q3"], datetime(2026, 1, 20, 10))
    head = ledger.head(con)[1]
    con.close()
    return Published(tmp / "warehouse.duckdb", rules_dir, settings, tmp / "bureau.pub", head, runs)


@dataclass
class Copy:
    con: duckdb.DuckDBPyConnection
    rules_dir: Path
    settings: Settings
    runs: dict[str, str]


@pytest.fixture
def copy(published: Published, tmp_path: Path) -> Iterator[Copy]:
    shutil.copy(published.db, tmp_path / "w.duckdb")
    rules_dir = tmp_path / "rules"
    shutil.copytree(published.rules_dir, rules_dir)
    settings = published.settings.with_(db_path=tmp_path / "w.duckdb", rules_dir=rules_dir)
    con = open_warehouse(settings)
    yield Copy(con, rules_dir, settings, published.runs)
    con.close()


def _codes(report: verify.VerifyReport) -> set[str]:
    return {p["code"] for p in report.problems}


def check(c: Copy, published: Published) -> tuple[set[str], set[str]]:
    """(problems found by verify alone, problems found given the anchored head and the key)."""
    alone = verify.verify(c.con, c.rules_dir)
    anchored = verify.verify(
        c.con,
        c.rules_dir,
        expect_head=published.head,
        verifier=signing.load_verifier(published.public_key),
    )
    return _codes(alone), _codes(anchored)


# ---------------------------------------------------------------- the forger's tools


def recompute_chain(con: duckdb.DuckDBPyConnection, start: int = 1) -> None:
    """What a forger with the engine's code does after editing: every hash recomputed."""
    prev = ledger.GENESIS
    for rec in ledger.records(con):
        if rec.seq >= start:
            digest = ledger.record_hash(
                prev, rec.seq, rec.at, rec.action, rec.run_id, rec.status, rec.payload
            )
            run(
                con,
                "UPDATE ledger SET prev_hash = $p, hash = $h WHERE seq = $s",
                {"p": prev, "h": digest, "s": rec.seq},
            )
            prev = digest
        else:
            prev = rec.hash


def republish_in_place(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Recompute a run's digests, its publication payload and row hashes, then the chain."""
    info = explainer.run_row(con, run_id)
    from rating.engine.store import results_digest

    digest, _ = results_digest(con, run_id)
    run(con, "UPDATE runs SET results_sha256 = $d WHERE run_id = $r", {"d": digest, "r": run_id})
    info = explainer.run_row(con, run_id)
    payload = {**[r for r in ledger.records(con, run_id) if r.action == "publish"][-1].payload}
    payload.update(publication.publication_payload(con, info))
    payload["supersedes"] = None
    run(
        con,
        "UPDATE ledger SET payload = $p WHERE run_id = $r AND action = 'publish'",
        {"p": ledger.canonical(payload), "r": run_id},
    )
    run(con, "DELETE FROM published_rows WHERE run_id = $r", {"r": run_id})
    publication.record_row_hashes(con, run_id)
    recompute_chain(con)


def forge_record(con: duckdb.DuckDBPyConnection, action: str, run_id: str, status: str) -> None:
    """A publication record as the engine would write it, appended with a correct hash."""
    seq, prev = ledger.head(con)
    payload = publication.publication_payload(con, explainer.run_row(con, run_id))
    payload.update(forced=False, forced_over=None, black_entries=[])
    at = "2026-02-01T10:00:00+08:00"
    digest = ledger.record_hash(prev, seq + 1, at, action, run_id, status, payload)
    run(
        con,
        "INSERT INTO ledger VALUES ($s, $at, $a, $r, $st, $p, $prev, $h)",
        {
            "s": seq + 1,
            "at": at,
            "a": action,
            "r": run_id,
            "st": status,
            "p": ledger.canonical(payload),
            "prev": prev,
            "h": digest,
        },
    )


def _q3_company(c: Copy, name: str = "丁物业") -> str:
    return str(
        value(
            c.con,
            "SELECT uscc FROM run_companies WHERE run_id = $r AND name = $n",
            {"r": c.runs["2025Q3"], "n": name},
        )
    )


# ---------------------------------------------------------------- the attempts

Attempt = Callable[[Copy], None]


def empty_ledger(c: Copy) -> None:
    run(c.con, "DELETE FROM ledger")


def empty_ledger_and_traces(c: Copy) -> None:
    run(c.con, "DELETE FROM ledger; DELETE FROM ledger_signatures; DELETE FROM published_rows")


def drop_newest_record(c: Copy) -> None:
    seq = ledger.head(c.con)[0]
    run(c.con, "DELETE FROM ledger WHERE seq = $s", {"s": seq})


def drop_newest_record_and_traces(c: Copy) -> None:
    seq = ledger.head(c.con)[0]
    run(c.con, "DELETE FROM ledger WHERE seq = $s", {"s": seq})
    run(c.con, "DELETE FROM ledger_signatures WHERE seq = $s", {"s": seq})
    run(c.con, "DELETE FROM published_rows WHERE run_id = $r", {"r": c.runs["2025Q3"]})


def drop_middle_record(c: Copy) -> None:
    run(c.con, "DELETE FROM ledger WHERE seq = 2")


def forged_record_with_correct_hash(c: Copy) -> None:
    forge_record(c.con, "publish", c.runs["2025Q1"], "published")


def forged_signature(c: Copy) -> None:
    forge_record(c.con, "publish", c.runs["2025Q1"], "published")
    seq, digest = ledger.head(c.con)
    run(
        c.con,
        "INSERT INTO ledger_signatures SELECT $s, $h, key_id, signature FROM ledger_signatures LIMIT 1",
        {"s": seq, "h": digest},
    )


def rewrite_results_and_chain(c: Copy) -> None:
    run(
        c.con,
        "UPDATE run_companies SET black = false, black_reason = NULL WHERE run_id = $r AND uscc = $u",
        {"r": c.runs["2025Q3"], "u": _q3_company(c)},
    )
    republish_in_place(c.con, c.runs["2025Q3"])


def rewrite_ledger_status(c: Copy) -> None:
    run(c.con, "UPDATE ledger SET status = 'published' WHERE action = 'publicity'")


def edit_ledger_payload(c: Copy) -> None:
    run(c.con, "UPDATE ledger SET payload = json_object('forged', true) WHERE seq = 2")


def view_makes_draft_published(c: Copy) -> None:
    run(
        c.con,
        "CREATE OR REPLACE VIEW run_status AS SELECT run_id, 'published' AS status FROM runs",
    )


def macro_shadows_sha256(c: Copy) -> None:
    run(c.con, "UPDATE run_companies SET grade = 'AAA' WHERE run_id = $r", {"r": c.runs["2025Q3"]})
    run(c.con, "CREATE MACRO sha256(x) AS 'forged'")


def table_replaced_by_view(c: Copy) -> None:
    run(c.con, "ALTER TABLE published_rows RENAME TO published_rows_x")
    run(c.con, "CREATE VIEW published_rows AS SELECT * FROM published_rows_x WHERE false")


def null_becomes_backslash_n(c: Copy) -> None:
    run(
        c.con,
        "UPDATE run_companies SET black_reason = '\\N' WHERE run_id = $r AND black_reason IS NULL",
        {"r": c.runs["2025Q3"]},
    )


def edit_as_of(c: Copy) -> None:
    run(
        c.con,
        "UPDATE runs SET as_of = as_of - INTERVAL 30 DAY WHERE run_id = $r",
        {"r": c.runs["2025Q3"]},
    )


def edit_summary(c: Copy) -> None:
    run(
        c.con,
        "UPDATE runs SET summary = json_object('black', 0) WHERE run_id = $r",
        {"r": c.runs["2025Q3"]},
    )


def edit_manifest(c: Copy) -> None:
    run(
        c.con,
        "UPDATE runs SET manifest = json_object('forged', true) WHERE run_id = $r",
        {"r": c.runs["2025Q2"]},
    )


def edit_results_digest_column(c: Copy) -> None:
    run(
        c.con,
        "UPDATE runs SET results_sha256 = repeat('0', 64) WHERE run_id = $r",
        {"r": c.runs["2025Q3"]},
    )


def delete_run(c: Copy) -> None:
    run(c.con, "DELETE FROM runs WHERE run_id = $r", {"r": c.runs["2025Q2"]})


def delete_result_row(c: Copy) -> None:
    run(
        c.con,
        "DELETE FROM run_evidence WHERE run_id = $r AND rowid = (SELECT min(rowid) FROM run_evidence WHERE run_id = $r)",
        {"r": c.runs["2025Q3"]},
    )


def edit_a_line_in_grouped_evidence(c: Copy) -> None:
    """One record of a grouped evidence row (decision 0015) swapped for the next line of its
    batch: the rule, company and points stay, the record shown behind them changes."""
    run(
        c.con,
        """UPDATE run_evidence
           SET lines = list_concat(lines[:len(lines) - 1], [lines[len(lines)] + 1])
           WHERE run_id = $r AND rowid = (SELECT min(rowid) FROM run_evidence
                                          WHERE run_id = $r AND len(lines) >= 2)""",
        {"r": c.runs["2025Q3"]},
    )


def add_result_row(c: Copy) -> None:
    run(
        c.con,
        "INSERT INTO run_projects SELECT * REPLACE ('XM-FORGED' AS project_id) FROM run_projects "
        "WHERE run_id = $r LIMIT 1",
        {"r": c.runs["2025Q3"]},
    )


def separator_in_text(c: Copy) -> None:
    run(
        c.con,
        "UPDATE run_companies SET name = name || chr(31) WHERE run_id = $r",
        {"r": c.runs["2025Q3"]},
    )


def edit_stored_rule_files(c: Copy) -> None:
    run(c.con, "UPDATE rulesets SET files = json_object('ruleset.toml', 'forged')")


def edit_rule_file_on_disk(c: Copy) -> None:
    path = c.rules_dir / "yantai-2022" / "1.0.0" / "ruleset.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")


def delete_rule_folder(c: Copy) -> None:
    shutil.rmtree(c.rules_dir / "yantai-2022" / "1.0.0")


def delete_stored_ruleset(c: Copy) -> None:
    run(c.con, "DELETE FROM rulesets")


def edit_signature_table(c: Copy) -> None:
    run(c.con, "UPDATE ledger_signatures SET signature = repeat('ab', 64) WHERE seq = 1")


def delete_signatures(c: Copy) -> None:
    run(c.con, "DELETE FROM ledger_signatures")


# attempt -> (detected by verify alone, detected given the anchored head and the key)
MATRIX: dict[str, tuple[Attempt, str | None, str]] = {
    "emptied ledger": (empty_ledger, "LEDGER_INCOMPLETE", "LEDGER_ANCHOR_MISSING"),
    "emptied ledger, its signatures and row hashes": (
        empty_ledger_and_traces,
        None,
        "LEDGER_ANCHOR_MISSING",
    ),
    "newest record deleted": (drop_newest_record, "LEDGER_TRUNCATED", "LEDGER_ANCHOR_MISSING"),
    "newest record deleted with every trace": (
        drop_newest_record_and_traces,
        None,
        "LEDGER_ANCHOR_MISSING",
    ),
    "record in the middle deleted": (drop_middle_record, "LEDGER_GAP", "LEDGER_GAP"),
    "forged record with a correct hash appended": (
        forged_record_with_correct_hash,
        None,
        "LEDGER_UNSIGNED",
    ),
    "forged record with a copied signature": (
        forged_signature,
        None,
        "LEDGER_SIGNATURE_INVALID",
    ),
    "results rewritten and the chain recomputed": (
        rewrite_results_and_chain,
        None,
        "LEDGER_SIGNATURE_INVALID",
    ),
    "a record's status rewritten": (
        rewrite_ledger_status,
        "LEDGER_RECORD_ALTERED",
        "LEDGER_RECORD_ALTERED",
    ),
    "a record's payload rewritten": (
        edit_ledger_payload,
        "LEDGER_RECORD_ALTERED",
        "LEDGER_RECORD_ALTERED",
    ),
    "a view makes drafts look published": (
        view_makes_draft_published,
        "CATALOG_ALTERED",
        "CATALOG_ALTERED",
    ),
    "a macro redefines sha256": (macro_shadows_sha256, "CATALOG_ALTERED", "CATALOG_ALTERED"),
    "an audited table replaced by a view": (
        table_replaced_by_view,
        "TABLE_MISSING",
        "TABLE_MISSING",
    ),
    "a published NULL changed to the text \\N": (
        null_becomes_backslash_n,
        "RESULT_ALTERED",
        "RESULT_ALTERED",
    ),
    "a separator injected into a published text": (
        separator_in_text,
        "RESULT_ALTERED",
        "RESULT_ALTERED",
    ),
    "a run's as-of edited": (edit_as_of, "RUN_RECORD_ALTERED", "RUN_RECORD_ALTERED"),
    "a run's summary edited": (edit_summary, "RUN_RECORD_ALTERED", "RUN_RECORD_ALTERED"),
    "a run's recorded digest edited": (
        edit_results_digest_column,
        "RUN_RECORD_ALTERED",
        "RUN_RECORD_ALTERED",
    ),
    "a manifest edited": (edit_manifest, "MANIFEST_ALTERED", "MANIFEST_ALTERED"),
    "a published run deleted": (delete_run, "RUN_MISSING", "RUN_MISSING"),
    "a result row deleted": (delete_result_row, "RESULT_ALTERED", "RESULT_ALTERED"),
    "a result row added": (add_result_row, "RESULT_ALTERED", "RESULT_ALTERED"),
    "one line inside a grouped evidence row edited": (
        edit_a_line_in_grouped_evidence,
        "RESULT_ALTERED",
        "RESULT_ALTERED",
    ),
    "stored rule files edited": (
        edit_stored_rule_files,
        "RULESET_STORE_ALTERED",
        "RULESET_STORE_ALTERED",
    ),
    "stored rule set deleted": (delete_stored_ruleset, "RULESET_MISSING", "RULESET_MISSING"),
    "a rule file edited on disk": (
        edit_rule_file_on_disk,
        "RULE_FILE_ALTERED",
        "RULE_FILE_ALTERED",
    ),
    "a rule folder deleted on disk": (
        delete_rule_folder,
        "RULE_FOLDER_MISSING",
        "RULE_FOLDER_MISSING",
    ),
    "a signature overwritten": (edit_signature_table, None, "LEDGER_SIGNATURE_INVALID"),
    "every signature deleted": (delete_signatures, None, "LEDGER_UNSIGNED"),
}


def test_the_untouched_warehouse_verifies(copy: Copy, published: Published) -> None:
    alone, anchored = check(copy, published)
    assert alone == set() and anchored == set()


@pytest.mark.parametrize("name", list(MATRIX))
def test_each_tampering_is_detected(name: str, copy: Copy, published: Published) -> None:
    attempt, alone_code, anchored_code = MATRIX[name]
    attempt(copy)
    alone, anchored = check(copy, published)
    if alone_code is None:
        assert alone == set(), f"{name}: verify alone cannot tell, yet found {alone}"
    else:
        assert alone_code in alone, f"{name}: {alone}"
    assert anchored_code in anchored, f"{name}: {anchored}"


def test_every_run_column_and_result_value_is_under_a_hash(copy: Copy) -> None:
    """Change any one column of a published run's row, or any one value of its results: verify
    names it. The list comes from the catalog, so a column added later is covered too."""
    c, run_id = copy, copy.runs["2025Q3"]
    for column in publication.run_columns(c.con):
        c.con.execute("BEGIN TRANSACTION")
        run(
            c.con,
            f'UPDATE runs SET "{column}" = {_other(c, "runs", column)} WHERE run_id = $r',
            {"r": run_id},
        )
        assert _codes(verify.verify(c.con, c.rules_dir)) & {"RUN_RECORD_ALTERED", "RUN_MISSING"}, (
            column
        )
        c.con.execute("ROLLBACK")
    for table, columns in RESULT_TABLES.items():
        if not value(c.con, f"SELECT count(*) FROM {table} WHERE run_id = $r", {"r": run_id}):
            continue
        for column in columns:
            c.con.execute("BEGIN TRANSACTION")
            shown = _shown_evidence(c, run_id)
            run(
                c.con,
                f'UPDATE {table} SET "{column}" = {_other(c, table, column)} WHERE run_id = $r '
                f"AND rowid = (SELECT min(rowid) FROM {table} WHERE run_id = $r)",
                {"r": run_id},
            )
            if column in digest_columns(table):
                assert "RESULT_ALTERED" in _codes(verify.verify(c.con, c.rules_dir)), (
                    table,
                    column,
                )
            else:  # a reference's record key or date: read from the source row, never from here
                assert _shown_evidence(c, run_id) == shown, (table, column)
            c.con.execute("ROLLBACK")


def _shown_evidence(c: Copy, run_id: str) -> list[Any]:
    """Every evidence row of a run as readers see it (`evidence_rows_sql`), in one order."""
    return rows(
        c.con,
        f"SELECT * FROM ({evidence_rows_sql('e.run_id = $r')}) ORDER BY ALL",
        {"r": run_id},
    )


def _other(c: Copy, table: str, column: str) -> str:
    """An SQL expression giving a different value of the column's type."""
    kind = str(
        value(
            c.con,
            "SELECT data_type FROM information_schema.columns WHERE table_name = $t AND column_name = $c",
            {"t": table, "c": column},
        )
    ).upper()
    if kind == "BOOLEAN":
        return f'NOT coalesce("{column}", false)'
    if kind == "BIGINT[]":
        return f'list_append(coalesce("{column}", []), 0)'
    if kind.endswith("[]"):
        return "['forged']"
    if kind.startswith("TIMESTAMP"):
        return f"coalesce(\"{column}\", TIMESTAMPTZ '2020-01-01') + INTERVAL 1 SECOND"
    if kind == "DATE":
        return f"coalesce(\"{column}\", DATE '2020-01-01') + 1"
    if kind == "JSON":
        return "json_object('forged', true)"
    if kind == "VARCHAR":
        return f"coalesce(\"{column}\", '') || 'x'"
    return f'coalesce("{column}", 0) + 1'


def test_status_is_read_by_code_not_from_a_view(copy: Copy) -> None:
    c = copy
    view_makes_draft_published(c)
    assert ledger.status_of(c.con, c.runs["2025Q1"]) == "draft"
    assert explainer.run_row(c.con, c.runs["2025Q1"])["status"] == "draft"


def test_a_null_changed_to_backslash_n_fails_replay(copy: Copy) -> None:
    null_becomes_backslash_n(copy)
    result = replay.replay(copy.con, copy.settings, copy.runs["2025Q3"])
    assert result.status == "MISMATCH" and "run_companies" in result.tables


def test_a_line_edited_inside_a_grouped_evidence_row_fails_replay(copy: Copy) -> None:
    """A grouped row (decision 0015) holds many records; editing one of its lines changes what
    readers show, and both the replay and `verify` catch it."""
    run_id = copy.runs["2025Q3"]
    shown = _shown_evidence(copy, run_id)
    edit_a_line_in_grouped_evidence(copy)
    assert _shown_evidence(copy, run_id) != shown
    assert len(_shown_evidence(copy, run_id)) == len(shown)
    result = replay.replay(copy.con, copy.settings, run_id)
    assert result.status == "MISMATCH" and list(result.tables) == ["run_evidence"], result.as_dict()
    assert "RESULT_ALTERED" in _codes(verify.verify(copy.con, copy.rules_dir))


# ---------------------------------------------------------------- digest collisions


def _one_row_table(con: duckdb.DuckDBPyConnection, values: list[tuple[Any, Any]]) -> None:
    run(con, "DELETE FROM run_buckets WHERE run_id = 'X'")
    for bucket, records in values:
        run(
            con,
            "INSERT INTO run_buckets VALUES ('X', $c, $b, $n, 0, 0)",
            {"c": bucket[0], "b": bucket[1], "n": records},
        )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # NULL and the text \N were the same text under the legacy encoding
        ([(("91X", None), 1)], [(("91X", "\\N"), 1)]),
        # a separator inside a text moved a field boundary
        ([(("91X\x1fA", "B"), 1)], [(("91X", "A\x1fB"), 1)]),
    ],
)
def test_the_legacy_digest_collides_and_the_new_one_does_not(
    a: list[Any], b: list[Any], tmp_path: Path
) -> None:
    con = open_warehouse(settings_for(tmp_path))
    run(con, "ALTER TABLE run_buckets ALTER bucket DROP NOT NULL")
    digests = {}
    for name, content in (("a", a), ("b", b)):
        _one_row_table(con, content)
        digests[name] = (
            table_digest(con, "run_buckets", "X", scheme=LEGACY_DIGEST),
            table_digest(con, "run_buckets", "X"),
        )
    con.close()
    assert digests["a"][0] == digests["b"][0], "the legacy digest should collide here"
    assert digests["a"][1] != digests["b"][1]


def test_the_digest_depends_on_the_multiset_of_rows_only(tmp_path: Path) -> None:
    """Same rows in another order: same digest; a duplicated row, a changed count: another."""
    con = open_warehouse(settings_for(tmp_path))
    rows_a = [(("91A", f"b{i}"), i) for i in range(50)]
    _one_row_table(con, rows_a)
    first = table_digest(con, "run_buckets", "X")
    _one_row_table(con, list(reversed(rows_a)))
    assert table_digest(con, "run_buckets", "X") == first
    _one_row_table(con, [*rows_a, rows_a[0]])
    assert table_digest(con, "run_buckets", "X") != first
    _one_row_table(con, [*rows_a[:-1], (("91A", "b49"), 48)])
    assert table_digest(con, "run_buckets", "X") != first
    found = rows(con, "SELECT count(*) FROM run_buckets WHERE run_id = 'X'")
    con.close()
    assert found == [(50,)]


@pytest.mark.parametrize("scheme", ["sha256-sorted-v3", "sha256-sorted-v4", "sha256-sorted-v5"])
def test_evidence_rows_tied_on_their_line_hash_the_same_in_any_order(
    tmp_path: Path, scheme: str
) -> None:
    """`sha256-sorted-v3` sorts evidence by batch and line first: rows of one record hit by
    several rules (tied on both) are ordered by their text, so any stored order gives one
    digest, and changing any of them gives another (v4 and v5 too: v5 sorts by batch, then
    text)."""
    con = open_warehouse(settings_for(tmp_path))
    evidence = [
        (rule, "91A", "P1", "complaints", f"K{line}", 1, line, None, -0.5)
        for line in (7, 3, 3, 12)
        for rule in ("C02", "C01")
    ] + [("C01", "91A", "P1", "complaints", "K0", 2, None, None, -1.0)]

    def digest(order: list[Any]) -> str:
        run(con, "DELETE FROM run_evidence WHERE run_id = 'X'")
        for row in order:
            con.execute(
                """INSERT INTO run_evidence (run_id, rule_id, company_uscc, project_id, source,
                       record_key, batch_id, line, record_date, points)
                   VALUES ('X', ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                row,
            )
        return table_digest(con, "run_evidence", "X", scheme=scheme)

    first = digest(evidence)
    assert digest(list(reversed(evidence))) == first
    assert digest(evidence[1::2] + evidence[::2]) == first
    assert digest([*evidence[:-2], ("C03", *evidence[-2][1:]), evidence[-1]]) != first
    con.close()


def test_publication_records_the_digest_scheme_and_the_run_row(copy: Copy) -> None:
    rec = [r for r in ledger.records(copy.con) if r.action == "publish"][-1]
    assert rec.payload["results_digest"] == "sha256-sorted-v5"
    assert set(rec.payload["run_row"]["columns"]) >= {"as_of", "summary", "manifest", "period"}
    manifest = json.loads(
        str(value(copy.con, "SELECT manifest FROM runs WHERE run_id = $r", {"r": rec.run_id}))
    )
    assert manifest["results_digest"] == "sha256-sorted-v5"


def test_the_anchoring_routine_on_the_command_line(
    published: Published, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """keygen → (records signed as they are written) → `ledger head` → `verify --expect-head
    --public-key`; a forged record appended afterwards fails both."""
    from rating.cli import main

    db = tmp_path / "w.duckdb"
    shutil.copy(published.db, db)
    base = ["--db", str(db), "--json"]
    os_env = {"RATING_RULES_DIR": str(published.rules_dir)}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in os_env.items():
            mp.setenv(k, v)
        assert (
            main(
                [
                    "ledger",
                    "keygen",
                    "--private",
                    str(tmp_path / "k"),
                    "--public",
                    str(tmp_path / "k.pub"),
                    "--json",
                ]
            )
            == 0
        )
        assert json.loads(capsys.readouterr().out)["key_id"]
        assert main(["ledger", "head", *base]) == 0
        head = json.loads(capsys.readouterr().out)
        assert head["hash"] == published.head and head["action"] == "publish"
        key = ["--public-key", str(published.public_key)]
        assert main(["verify", "--expect-head", head["hash"], *key, *base]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["anchored"] is True and report["signed_records"] == report["records"]
        con = duckdb.connect(str(db))
        forge_record(con, "publish", published.runs["2025Q1"], "published")
        con.close()
        assert main(["verify", *base]) == 0  # nothing inside the file can tell
        capsys.readouterr()
        assert main(["verify", "--expect-head", head["hash"], *key, *base]) == 1
        codes = {p["code"] for p in json.loads(capsys.readouterr().out)["problems"]}
        assert codes == {"LEDGER_AFTER_ANCHOR", "LEDGER_UNSIGNED"}
        assert main(["verify", "--public-key", str(tmp_path / "missing.pub"), *base]) == 2
        assert json.loads(capsys.readouterr().out)["error"]["code"] == "KEY_UNREADABLE"
