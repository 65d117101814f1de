"""The command line's message catalogs: complete, compiled, and a language is only a file.

When this fails after a change that adds or changes a string: run `make messages`, fill in
the empty msgstr lines of rating/locale/zh/LC_MESSAGES/rating.po, run `make messages` again.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from rating.cli import i18n

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import messages  # noqa: E402 - scripts/messages.py, the catalog tool


@pytest.fixture(autouse=True)
def english_afterwards() -> None:
    yield
    i18n.set_language("en")


def test_every_string_has_a_chinese_translation_and_the_mo_is_compiled() -> None:
    assert messages.problems() == [], "run `make messages` and translate the empty msgstr lines"


def test_the_extraction_sees_help_texts_library_errors_and_steps() -> None:
    extracted = {(m.context, str(m.id)) for m in messages.extract() if m.id}
    assert (
        None,
        "Why a company got its grade: each rule, its points and clause, and the records behind it;\n"
        "the measures it faces (in force today, or proposed by an unpublished run) with their\n"
        "clauses and until when; with --path, the way back up.",
    ) in extracted
    assert ("RUN_NOT_FOUND", "no run '{run_id}'") in extracted
    assert ("step", "rule points") in extracted
    assert (None, "a required cell is empty") in extracted  # a quarantine reason
    assert ("error", " (versions: {value})") in extracted  # a conditional piece
    assert (
        "RULESET_NOT_IN_FORCE",
        "no version of rule set '{name}' is in force for {period}{cond}",
    ) in extracted


def test_library_errors_are_translated_by_their_templates() -> None:
    i18n.set_language("zh")
    found = i18n.error_text(
        "RULESET_NOT_FOUND",
        "no rule set 'x' in /srv/rules (known: none); RATING_RULES_DIR names the folder of rule sets",
    )
    assert found == "/srv/rules 中没有规则集 'x'（已有：none）；RATING_RULES_DIR 指定规则集目录"
    assert i18n.error_text("FILE_NOT_FOUND", "rules: no such file") == "rules：没有这个文件"
    versions = i18n.error_text(
        "RULESET_NOT_IN_FORCE",
        "no version of rule set 'yantai-2022' is in force for 2019Q1 (versions: 1.0.0)",
    )
    assert versions == "规则集 'yantai-2022' 没有对 2019Q1 有效的版本（已有版本：1.0.0）"
    assert (
        i18n.error_text("NEW_CODE", "a message nobody translated") == "a message nobody translated"
    )
    i18n.set_language("en")
    assert i18n.error_text("RUN_NOT_FOUND", "no run 'x'") == "no run 'x'"


def test_a_repeated_placeholder_must_repeat_its_value() -> None:
    pattern = i18n.template_pattern("{a} and {a} make {b}")
    assert pattern.fullmatch("x and x make y")
    assert not pattern.fullmatch("x and z make y")


def test_a_third_language_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = Catalog(locale="ja", domain="rating")
    catalog.add("Rules", "ルール")
    catalog.add("draft", "下書き", context="status")
    folder = tmp_path / "ja" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    (folder / "rating.mo").write_bytes(buffer.getvalue())
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    assert "ja" in i18n.available_languages()
    assert i18n.set_language("ja-JP") == "ja_JP"
    assert i18n._("Rules") == "ルール" and i18n.pgettext("status", "draft") == "下書き"
    assert i18n._("Runs") == "Runs"  # untranslated: the English source


def test_an_unknown_language_is_refused_with_the_ones_available() -> None:
    from rating.errors import UsageError

    with pytest.raises(UsageError) as err:
        i18n.set_language("xx")
    assert err.value.code == "SETTING_INVALID" and "zh" in err.value.message
